// A minimal TypeScript Worker with the same three routes as instagate's, for
// the load comparison in scripts/load.mjs and the callback and cold-start
// benchmarks (run side by side, so the figure is a ratio that does not
// depend on the machine):
//
//   GET /health         {"status":"ok","time":…}
//   GET /auth/login     random state + PKCE verifier, the pending login
//                       sealed (AES-256-GCM, under its state key) into an
//                       HMAC-signed login cookie (nothing written to KV, as
//                       instagate's login), 302 to the stand-in's Instagram
//                       authorize URL
//   GET /auth/callback  checks the cookie and state, refuses a state already
//                       used (KV get), opens the cookie's pending login,
//                       marks the state used (KV put, TTL 10 min) alongside
//                       the code exchange, exchanges the code (POST
//                       api.instagram.com/oauth/access_token), then the
//                       long-lived exchange and /me at once, reads the
//                       existing record, stores the account (alias and index
//                       entry together, then the sealed record; a replaced
//                       index entry is deleted after the answer), sets a
//                       signed session cookie, 302 to the app
//
// The same work as instagate's Worker: the same KV operations in the same
// order, records sealed the same way (AES-256-GCM under the first
// TOKEN_KEYS key, `{"v":1,"kid","nonce","ct"}`, the KV key as associated
// data), keys imported once per isolate, the same upstream round trips and
// one JSON log line per request. What it skips, on purpose: the error pages
// and error kinds, Facebook Login, key rotation, refresh history, the input
// checks beyond what the happy path needs, and, unless its ACCOUNT_OBJECTS
// binding is given, the work instagate leaves for after a login's answer.
// With the binding (the `baseline-wake` Worker of scripts/profile-worker.mjs
// and scripts/bench-callback.mjs --with-wake) it does that too: after the
// answer, one RPC call to the account's Durable Object
// (`BaselineAccountObject`), which keeps the account id, clears an older
// deletion tombstone and sets the refresh alarm, as instagate's account
// object does for a login's wake. Not for production.

/// <reference path="./cloudflare-workers.d.ts" />
import { DurableObject } from 'cloudflare:workers';

interface KV {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, opts?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

interface Env {
  KV: KV;
  CLIENT_ID: string;
  APP_SECRET: string;
  SESSION_KEY: string;
  REDIRECT_URI: string;
  APP_RETURN_URL: string;
  STANDIN_ORIGIN: string;
  GRAPH_VERSION: string;
  /** `id:base64key[,...]`: the first key seals. */
  TOKEN_KEYS: string;
  /** Optional: the account objects woken after a login's answer. */
  ACCOUNT_OBJECTS?: DurableObjectNamespace<BaselineAccountObject>;
}

interface DurableObjectNamespace<T> {
  idFromName(name: string): unknown;
  get(id: unknown): T;
}

interface Ctx {
  waitUntil(promise: Promise<unknown>): void;
}

const LOGIN_COOKIE = '__Host-baseline_login';
const SESSION_COOKIE = '__Host-baseline_session';
const PENDING_TTL_S = 600;
const DAY_MS = 86_400_000;
const enc = new TextEncoder();

const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function random(n: number): string {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

// Keys are imported once per isolate (per secret value), as instagate's
// Worker prepares its keyring once.
const hmacKeys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    hmacKeys.set(secret, key);
  }
  return key;
}

async function hmac(secret: string, data: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), enc.encode(data))));
}

const sealKeys = new Map<string, Promise<{ kid: string; key: CryptoKey }>>();
function sealKey(spec: string): Promise<{ kid: string; key: CryptoKey }> {
  let key = sealKeys.get(spec);
  if (!key) {
    const [kid, b64] = spec.split(',')[0].trim().split(':');
    const raw = Uint8Array.from(atob(b64.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']).then((k) => ({ kid, key: k }));
    sealKeys.set(spec, key);
  }
  return key;
}

const fromB64url = (s: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/** AES-256-GCM under the write key, bound to the KV key, as instagate stores records. */
async function seal(env: Env, kvKey: string, value: unknown): Promise<string> {
  const { kid, key } = await sealKey(env.TOKEN_KEYS);
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: enc.encode(kvKey) }, key, enc.encode(JSON.stringify(value)));
  return JSON.stringify({ v: 1, kid, nonce: b64url(nonce), ct: b64url(new Uint8Array(ct)) });
}

async function open<T>(env: Env, kvKey: string, sealed: string | null): Promise<T | null> {
  if (sealed === null) return null;
  const record = JSON.parse(sealed);
  const { kid, key } = await sealKey(env.TOKEN_KEYS);
  if (record.v !== 1 || record.kid !== kid) throw new Error(`record ${kvKey} is sealed with an unknown key`);
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromB64url(record.nonce), additionalData: enc.encode(kvKey) }, key, fromB64url(record.ct));
  return JSON.parse(new TextDecoder().decode(plain)) as T;
}

async function sign(env: Env, purpose: string, data: unknown, ttlS: number): Promise<string> {
  const body = b64url(enc.encode(JSON.stringify({ d: data, exp: Date.now() + ttlS * 1000 })));
  return `${body}.${await hmac(env.SESSION_KEY, `${purpose}.${body}`)}`;
}

async function verify<T>(env: Env, purpose: string, value: string | undefined): Promise<T | null> {
  if (!value) return null;
  const [body, sig] = value.split('.');
  if (!body || !sig || (await hmac(env.SESSION_KEY, `${purpose}.${body}`)) !== sig) return null;
  const json = JSON.parse(new TextDecoder().decode(fromB64url(body)));
  return json.exp > Date.now() ? (json.d as T) : null;
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.get('cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

const setCookie = (name: string, value: string, maxAge: number) =>
  `${name}=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; Secure; SameSite=Lax`;

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

async function upstream(url: string, init?: RequestInit): Promise<any> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const body: any = await r.json();
  if (!r.ok) throw new Error(`upstream ${r.status}`);
  return body;
}

async function login(env: Env): Promise<Response> {
  const state = random(32);
  const verifier = random(32);
  const pending = await seal(env, `state:${state}`, { flow: 'redirect', product: 'instagram', redirect_uri: env.REDIRECT_URI, verifier, created_at: Date.now() });
  const url = new URL(`${env.STANDIN_ORIGIN}/www.instagram.com/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: env.CLIENT_ID,
    redirect_uri: env.REDIRECT_URI,
    response_type: 'code',
    scope: 'instagram_business_basic,instagram_business_content_publish',
    state,
  }).toString();
  const headers = new Headers({ location: url.toString(), 'cache-control': 'no-store' });
  headers.append('set-cookie', setCookie(LOGIN_COOKIE, await sign(env, 'login', { state, pending }, PENDING_TTL_S), PENDING_TTL_S));
  return new Response(null, { status: 302, headers });
}

async function callback(req: Request, env: Env, ctx: Ctx): Promise<Response> {
  const params = new URL(req.url).searchParams;
  const state = params.get('state') ?? '';
  const code = (params.get('code') ?? '').replace(/#_$/, '');
  const binding = await verify<{ state: string; pending: string }>(env, 'login', cookie(req, LOGIN_COOKIE));
  if (!binding || binding.state !== state || !code) return json(400, { error: { kind: 'state_mismatch' } });
  const pendingKey = `state:${state}`;
  // A state is used once: a replay never reaches Meta.
  if ((await env.KV.get(pendingKey)) !== null) return json(400, { error: { kind: 'state_mismatch' } });
  const pending = await open<{ redirect_uri: string }>(env, pendingKey, binding.pending);
  if (!pending) return json(400, { error: { kind: 'state_mismatch' } });

  const [, short] = await Promise.all([env.KV.put(pendingKey, 'used', { expirationTtl: PENDING_TTL_S }), upstream(`${env.STANDIN_ORIGIN}/api.instagram.com/oauth/access_token`, {
    method: 'POST',
    body: new URLSearchParams({
      client_id: env.CLIENT_ID,
      client_secret: env.APP_SECRET,
      grant_type: 'authorization_code',
      redirect_uri: pending.redirect_uri,
      code,
    }),
  })]);
  const shortToken: string = short.data?.[0]?.access_token ?? short.access_token;
  const graph = `${env.STANDIN_ORIGIN}/graph.instagram.com`;
  const [long, me] = await Promise.all([
    upstream(`${graph}/access_token?${new URLSearchParams({ grant_type: 'ig_exchange_token', client_secret: env.APP_SECRET, access_token: shortToken })}`),
    upstream(`${graph}/${env.GRAPH_VERSION}/me?${new URLSearchParams({ fields: 'user_id,username,name,account_type', access_token: shortToken })}`),
  ]);
  const id = String(me.user_id);
  const now = Date.now();
  const expiresAt = now + long.expires_in * 1000;
  const dueAt = Math.max(expiresAt - 30 * DAY_MS, now + DAY_MS);
  const day = new Date(dueAt).toISOString().slice(0, 10).replace(/-/g, '');
  const dueKey = `due:${day}:${id}`;
  const tokenKey = `token:${id}`;
  const existing = await open<{ due_key?: string; connected_at?: number }>(env, tokenKey, await env.KV.get(tokenKey));
  // The alias and the new index entry before the record that points at them.
  await Promise.all([
    me.id && String(me.id) !== id ? env.KV.put(`alias:${me.id}:${id}`, '1') : undefined,
    existing?.due_key !== dueKey ? env.KV.put(dueKey, '1') : undefined,
  ]);
  await env.KV.put(tokenKey, await seal(env, tokenKey, {
    id, username: me.username, account_type: me.account_type, access_token: long.access_token,
    issued_at: now, expires_at: expiresAt, connected_at: existing?.connected_at ?? now, due_key: dueKey,
  }));
  if (existing?.due_key && existing.due_key !== dueKey) ctx.waitUntil(env.KV.delete(existing.due_key));
  if (env.ACCOUNT_OBJECTS) {
    const objects = env.ACCOUNT_OBJECTS;
    ctx.waitUntil(objects.get(objects.idFromName(id)).connected(id, dueAt, now));
  }

  const headers = new Headers({ location: `${env.APP_RETURN_URL}?connected=${id}`, 'cache-control': 'no-store' });
  headers.append('set-cookie', `${LOGIN_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`);
  headers.append('set-cookie', setCookie(SESSION_COOKIE, await sign(env, 'session', { accounts: [id] }, 30 * 86400), 30 * 86400));
  return new Response(null, { status: 302, headers });
}

async function route(req: Request, env: Env, ctx: Ctx, pathname: string): Promise<Response> {
  try {
    if (req.method === 'GET' && pathname === '/health') return json(200, { status: 'ok', time: new Date().toISOString() });
    if (req.method === 'GET' && pathname === '/auth/login') return await login(env);
    if (req.method === 'GET' && pathname === '/auth/callback') return await callback(req, env, ctx);
    return json(404, { error: { kind: 'not_found' } });
  } catch (e) {
    return json(502, { error: { kind: 'upstream', message: String(e) } });
  }
}

export default {
  async fetch(req: Request, env: Env, ctx: Ctx): Promise<Response> {
    const started = Date.now();
    const { pathname } = new URL(req.url);
    const response = await route(req, env, ctx, pathname);
    // One JSON line per request, as instagate's Worker writes: under `wrangler
    // dev` a log line costs about as much as a /health answer, so leaving it
    // out would measure logging, not the Workers.
    console.log(JSON.stringify({ event: 'request', method: req.method, route: pathname, status: response.status, duration_ms: Date.now() - started, ts: new Date().toISOString() }));
    return response;
  },
};

/** The account's object, for the wake after a login (with ACCOUNT_OBJECTS
 * only): what instagate's object does for it, in its own storage. */
export class BaselineAccountObject extends DurableObject {
  #account?: string;
  #tombstone?: number | null;

  async connected(account: string, dueAt: number, loggedInAt: number): Promise<void> {
    const storage = this.ctx.storage;
    if (this.#account !== account) {
      if ((await storage.get('account')) !== account) await storage.put('account', account);
      this.#account = account;
    }
    this.#tombstone ??= (await storage.get<number>('deleted_at')) ?? null;
    if (this.#tombstone !== null && this.#tombstone < loggedInAt) {
      await storage.delete('deleted_at');
      this.#tombstone = null;
    }
    const current = await storage.getAlarm();
    if (current === null || current > dueAt) await storage.setAlarm(dueAt);
  }

  async alarm(): Promise<void> {}
}
