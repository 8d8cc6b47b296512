var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });

// worker.ts
var LOGIN_COOKIE = "__Host-baseline_login";
var SESSION_COOKIE = "__Host-baseline_session";
var PENDING_TTL_S = 600;
var DAY_MS = 864e5;
var enc = new TextEncoder();
var b64url = /* @__PURE__ */ __name((bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), "b64url");
function random(n) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}
__name(random, "random");
var hmacKeys = /* @__PURE__ */ new Map();
function hmacKey(secret) {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(secret, key);
  }
  return key;
}
__name(hmacKey, "hmacKey");
async function hmac(secret, data) {
  return b64url(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), enc.encode(data))));
}
__name(hmac, "hmac");
var sealKeys = /* @__PURE__ */ new Map();
function sealKey(spec) {
  let key = sealKeys.get(spec);
  if (!key) {
    const [kid, b64] = spec.split(",")[0].trim().split(":");
    const raw = Uint8Array.from(atob(b64.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]).then((k) => ({ kid, key: k }));
    sealKeys.set(spec, key);
  }
  return key;
}
__name(sealKey, "sealKey");
var fromB64url = /* @__PURE__ */ __name((s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)), "fromB64url");
async function seal(env, kvKey, value) {
  const { kid, key } = await sealKey(env.TOKEN_KEYS);
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: enc.encode(kvKey) }, key, enc.encode(JSON.stringify(value)));
  return JSON.stringify({ v: 1, kid, nonce: b64url(nonce), ct: b64url(new Uint8Array(ct)) });
}
__name(seal, "seal");
async function open(env, kvKey, sealed) {
  if (sealed === null) return null;
  const record = JSON.parse(sealed);
  const { kid, key } = await sealKey(env.TOKEN_KEYS);
  if (record.v !== 1 || record.kid !== kid) throw new Error(`record ${kvKey} is sealed with an unknown key`);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromB64url(record.nonce), additionalData: enc.encode(kvKey) }, key, fromB64url(record.ct));
  return JSON.parse(new TextDecoder().decode(plain));
}
__name(open, "open");
async function sign(env, purpose, data, ttlS) {
  const body = b64url(enc.encode(JSON.stringify({ d: data, exp: Date.now() + ttlS * 1e3 })));
  return `${body}.${await hmac(env.SESSION_KEY, `${purpose}.${body}`)}`;
}
__name(sign, "sign");
async function verify(env, purpose, value) {
  if (!value) return null;
  const [body, sig] = value.split(".");
  if (!body || !sig || await hmac(env.SESSION_KEY, `${purpose}.${body}`) !== sig) return null;
  const json2 = JSON.parse(new TextDecoder().decode(fromB64url(body)));
  return json2.exp > Date.now() ? json2.d : null;
}
__name(verify, "verify");
function cookie(req, name) {
  for (const part of (req.headers.get("cookie") ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return void 0;
}
__name(cookie, "cookie");
var setCookie = /* @__PURE__ */ __name((name, value, maxAge) => `${name}=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; Secure; SameSite=Lax`, "setCookie");
function json(status, value) {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }
  });
}
__name(json, "json");
async function upstream(url, init) {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(15e3) });
  const body = await r.json();
  if (!r.ok) throw new Error(`upstream ${r.status}`);
  return body;
}
__name(upstream, "upstream");
async function login(env) {
  const state = random(32);
  const verifier = random(32);
  const pending = await seal(env, `state:${state}`, { flow: "redirect", product: "instagram", redirect_uri: env.REDIRECT_URI, verifier, created_at: Date.now() });
  const url = new URL(`${env.STANDIN_ORIGIN}/www.instagram.com/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: env.CLIENT_ID,
    redirect_uri: env.REDIRECT_URI,
    response_type: "code",
    scope: "instagram_business_basic,instagram_business_content_publish",
    state
  }).toString();
  const headers = new Headers({ location: url.toString(), "cache-control": "no-store" });
  headers.append("set-cookie", setCookie(LOGIN_COOKIE, await sign(env, "login", { state, pending }, PENDING_TTL_S), PENDING_TTL_S));
  return new Response(null, { status: 302, headers });
}
__name(login, "login");
async function callback(req, env, ctx) {
  const params = new URL(req.url).searchParams;
  const state = params.get("state") ?? "";
  const code = (params.get("code") ?? "").replace(/#_$/, "");
  const binding = await verify(env, "login", cookie(req, LOGIN_COOKIE));
  if (!binding || binding.state !== state || !code) return json(400, { error: { kind: "state_mismatch" } });
  const pendingKey = `state:${state}`;
  if (await env.KV.get(pendingKey) !== null) return json(400, { error: { kind: "state_mismatch" } });
  const pending = await open(env, pendingKey, binding.pending);
  if (!pending) return json(400, { error: { kind: "state_mismatch" } });
  const [, short] = await Promise.all([env.KV.put(pendingKey, "used", { expirationTtl: PENDING_TTL_S }), upstream(`${env.STANDIN_ORIGIN}/api.instagram.com/oauth/access_token`, {
    method: "POST",
    body: new URLSearchParams({
      client_id: env.CLIENT_ID,
      client_secret: env.APP_SECRET,
      grant_type: "authorization_code",
      redirect_uri: pending.redirect_uri,
      code
    })
  })]);
  const shortToken = short.data?.[0]?.access_token ?? short.access_token;
  const graph = `${env.STANDIN_ORIGIN}/graph.instagram.com`;
  const [long, me] = await Promise.all([
    upstream(`${graph}/access_token?${new URLSearchParams({ grant_type: "ig_exchange_token", client_secret: env.APP_SECRET, access_token: shortToken })}`),
    upstream(`${graph}/${env.GRAPH_VERSION}/me?${new URLSearchParams({ fields: "user_id,username,name,account_type", access_token: shortToken })}`)
  ]);
  const id = String(me.user_id);
  const now = Date.now();
  const expiresAt = now + long.expires_in * 1e3;
  const day = new Date(Math.max(expiresAt - 30 * DAY_MS, now + DAY_MS)).toISOString().slice(0, 10).replace(/-/g, "");
  const dueKey = `due:${day}:${id}`;
  const tokenKey = `token:${id}`;
  const existing = await open(env, tokenKey, await env.KV.get(tokenKey));
  await Promise.all([
    me.id && String(me.id) !== id ? env.KV.put(`alias:${me.id}:${id}`, "1") : void 0,
    existing?.due_key !== dueKey ? env.KV.put(dueKey, "1") : void 0
  ]);
  await env.KV.put(tokenKey, await seal(env, tokenKey, {
    id,
    username: me.username,
    account_type: me.account_type,
    access_token: long.access_token,
    issued_at: now,
    expires_at: expiresAt,
    connected_at: existing?.connected_at ?? now,
    due_key: dueKey
  }));
  if (existing?.due_key && existing.due_key !== dueKey) ctx.waitUntil(env.KV.delete(existing.due_key));
  const headers = new Headers({ location: `${env.APP_RETURN_URL}?connected=${id}`, "cache-control": "no-store" });
  headers.append("set-cookie", `${LOGIN_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`);
  headers.append("set-cookie", setCookie(SESSION_COOKIE, await sign(env, "session", { accounts: [id] }, 30 * 86400), 30 * 86400));
  return new Response(null, { status: 302, headers });
}
__name(callback, "callback");
async function route(req, env, ctx, pathname) {
  try {
    if (req.method === "GET" && pathname === "/health") return json(200, { status: "ok", time: (/* @__PURE__ */ new Date()).toISOString() });
    if (req.method === "GET" && pathname === "/auth/login") return await login(env);
    if (req.method === "GET" && pathname === "/auth/callback") return await callback(req, env, ctx);
    return json(404, { error: { kind: "not_found" } });
  } catch (e) {
    return json(502, { error: { kind: "upstream", message: String(e) } });
  }
}
__name(route, "route");
var worker_default = {
  async fetch(req, env, ctx) {
    const started = Date.now();
    const { pathname } = new URL(req.url);
    const response = await route(req, env, ctx, pathname);
    console.log(JSON.stringify({ event: "request", method: req.method, route: pathname, status: response.status, duration_ms: Date.now() - started, ts: (/* @__PURE__ */ new Date()).toISOString() }));
    return response;
  }
};

// ../../node_modules/wrangler/templates/middleware/middleware-ensure-req-body-drained.ts
var drainBody = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } finally {
    try {
      if (request.body !== null && !request.bodyUsed) {
        const reader = request.body.getReader();
        while (!(await reader.read()).done) {
        }
      }
    } catch (e) {
      console.error("Failed to drain the unused request body.", e);
    }
  }
}, "drainBody");
var middleware_ensure_req_body_drained_default = drainBody;

// ../../node_modules/wrangler/templates/middleware/middleware-miniflare3-json-error.ts
function reduceError(e) {
  return {
    name: e?.name,
    message: e?.message ?? String(e),
    stack: e?.stack,
    cause: e?.cause === void 0 ? void 0 : reduceError(e.cause)
  };
}
__name(reduceError, "reduceError");
var jsonError = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } catch (e) {
    const error = reduceError(e);
    return Response.json(error, {
      status: 500,
      headers: { "MF-Experimental-Error-Stack": "true" }
    });
  }
}, "jsonError");
var middleware_miniflare3_json_error_default = jsonError;

// .wrangler/tmp/bundle-O5GOgI/middleware-insertion-facade.js
var __INTERNAL_WRANGLER_MIDDLEWARE__ = [
  middleware_ensure_req_body_drained_default,
  middleware_miniflare3_json_error_default
];
var middleware_insertion_facade_default = worker_default;

// ../../node_modules/wrangler/templates/middleware/common.ts
var __facade_middleware__ = [];
function __facade_register__(...args) {
  __facade_middleware__.push(...args.flat());
}
__name(__facade_register__, "__facade_register__");
function __facade_invokeChain__(request, env, ctx, dispatch, middlewareChain) {
  const [head, ...tail] = middlewareChain;
  const middlewareCtx = {
    dispatch,
    next(newRequest, newEnv) {
      return __facade_invokeChain__(newRequest, newEnv, ctx, dispatch, tail);
    }
  };
  return head(request, env, ctx, middlewareCtx);
}
__name(__facade_invokeChain__, "__facade_invokeChain__");
function __facade_invoke__(request, env, ctx, dispatch, finalMiddleware) {
  return __facade_invokeChain__(request, env, ctx, dispatch, [
    ...__facade_middleware__,
    finalMiddleware
  ]);
}
__name(__facade_invoke__, "__facade_invoke__");

// .wrangler/tmp/bundle-O5GOgI/middleware-loader.entry.ts
var __Facade_ScheduledController__ = class ___Facade_ScheduledController__ {
  constructor(scheduledTime, cron, noRetry) {
    this.scheduledTime = scheduledTime;
    this.cron = cron;
    this.#noRetry = noRetry;
  }
  static {
    __name(this, "__Facade_ScheduledController__");
  }
  #noRetry;
  noRetry() {
    if (!(this instanceof ___Facade_ScheduledController__)) {
      throw new TypeError("Illegal invocation");
    }
    this.#noRetry();
  }
};
function wrapExportedHandler(worker) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return worker;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  const fetchDispatcher = /* @__PURE__ */ __name(function(request, env, ctx) {
    if (worker.fetch === void 0) {
      throw new Error("Handler does not export a fetch() function.");
    }
    return worker.fetch(request, env, ctx);
  }, "fetchDispatcher");
  return {
    ...worker,
    fetch(request, env, ctx) {
      const dispatcher = /* @__PURE__ */ __name(function(type, init) {
        if (type === "scheduled" && worker.scheduled !== void 0) {
          const controller = new __Facade_ScheduledController__(
            Date.now(),
            init.cron ?? "",
            () => {
            }
          );
          return worker.scheduled(controller, env, ctx);
        }
      }, "dispatcher");
      return __facade_invoke__(request, env, ctx, dispatcher, fetchDispatcher);
    }
  };
}
__name(wrapExportedHandler, "wrapExportedHandler");
function wrapWorkerEntrypoint(klass) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return klass;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  return class extends klass {
    #fetchDispatcher = /* @__PURE__ */ __name((request, env, ctx) => {
      this.env = env;
      this.ctx = ctx;
      if (super.fetch === void 0) {
        throw new Error("Entrypoint class does not define a fetch() function.");
      }
      return super.fetch(request);
    }, "#fetchDispatcher");
    #dispatcher = /* @__PURE__ */ __name((type, init) => {
      if (type === "scheduled" && super.scheduled !== void 0) {
        const controller = new __Facade_ScheduledController__(
          Date.now(),
          init.cron ?? "",
          () => {
          }
        );
        return super.scheduled(controller);
      }
    }, "#dispatcher");
    fetch(request) {
      return __facade_invoke__(
        request,
        this.env,
        this.ctx,
        this.#dispatcher,
        this.#fetchDispatcher
      );
    }
  };
}
__name(wrapWorkerEntrypoint, "wrapWorkerEntrypoint");
var WRAPPED_ENTRY;
if (typeof middleware_insertion_facade_default === "object") {
  WRAPPED_ENTRY = wrapExportedHandler(middleware_insertion_facade_default);
} else if (typeof middleware_insertion_facade_default === "function") {
  WRAPPED_ENTRY = wrapWorkerEntrypoint(middleware_insertion_facade_default);
}
var middleware_loader_entry_default = WRAPPED_ENTRY;
export {
  __INTERNAL_WRANGLER_MIDDLEWARE__,
  middleware_loader_entry_default as default
};
//# sourceMappingURL=worker.js.map
