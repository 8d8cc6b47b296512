// A minimal TypeScript Worker with the same three routes as instagate's, for
// the load comparison in scripts/load.mjs (run side by side under `wrangler
// dev`, so the figure is a ratio that does not depend on the machine):
//
//   GET /health         {"status":"ok","time":…}
//   GET /auth/login     random state + PKCE pair, the pending login in KV
//                       (TTL 10 min), an HMAC-signed login cookie, 302 to the
//                       stand-in's Instagram authorize URL
//   GET /auth/callback  checks the cookie and state, takes the pending login
//                       (get + delete), exchanges the code (POST
//                       api.instagram.com/oauth/access_token), then the
//                       long-lived exchange and /me at once, stores the
//                       account (alias, index entry when it moves, record),
//                       sets a signed session cookie, 302 to the app
//
// Same KV operations, upstream round trips and one JSON log line per request
// as instagate's Worker. What it skips, on purpose: AES-GCM encryption of the
// stored records and the pending login (plain JSON here), the error pages and
// error kinds, Facebook Login, and the input checks beyond what the happy
// path needs. Not for production.

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

async function hmac(key: string, data: string): Promise<string> {
  const k = await crypto.subtle.importKey('raw', enc.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return b64url(new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(data))));
}

async function sign(env: Env, purpose: string, data: unknown, ttlS: number): Promise<string> {
  const body = b64url(enc.encode(JSON.stringify({ d: data, exp: Date.now() + ttlS * 1000 })));
  return `${body}.${await hmac(env.SESSION_KEY, `${purpose}.${body}`)}`;
}

async function verify<T>(env: Env, purpose: string, value: string | undefined): Promise<T | null> {
  if (!value) return null;
  const [body, sig] = value.split('.');
  if (!body || !sig || (await hmac(env.SESSION_KEY, `${purpose}.${body}`)) !== sig) return null;
  const json = JSON.parse(atob(body.replace(/-/g, '+').replace(/_/g, '/')));
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
  await env.KV.put(`state:${state}`, JSON.stringify({ verifier, created_at: Date.now() }), { expirationTtl: PENDING_TTL_S });
  const url = new URL(`${env.STANDIN_ORIGIN}/www.instagram.com/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: env.CLIENT_ID,
    redirect_uri: env.REDIRECT_URI,
    response_type: 'code',
    scope: 'instagram_business_basic,instagram_business_content_publish',
    state,
  }).toString();
  const headers = new Headers({ location: url.toString(), 'cache-control': 'no-store' });
  headers.append('set-cookie', setCookie(LOGIN_COOKIE, await sign(env, 'login', { state }, PENDING_TTL_S), PENDING_TTL_S));
  return new Response(null, { status: 302, headers });
}

async function callback(req: Request, env: Env): Promise<Response> {
  const params = new URL(req.url).searchParams;
  const state = params.get('state') ?? '';
  const code = (params.get('code') ?? '').replace(/#_$/, '');
  const binding = await verify<{ state: string }>(env, 'login', cookie(req, LOGIN_COOKIE));
  if (!binding || binding.state !== state || !code) return json(400, { error: { kind: 'state_mismatch' } });
  const pending = await env.KV.get(`state:${state}`);
  if (!pending) return json(400, { error: { kind: 'state_mismatch' } });
  await env.KV.delete(`state:${state}`);

  const short = await upstream(`${env.STANDIN_ORIGIN}/api.instagram.com/oauth/access_token`, {
    method: 'POST',
    body: new URLSearchParams({
      client_id: env.CLIENT_ID,
      client_secret: env.APP_SECRET,
      grant_type: 'authorization_code',
      redirect_uri: env.REDIRECT_URI,
      code,
    }),
  });
  const shortToken: string = short.data?.[0]?.access_token ?? short.access_token;
  const graph = `${env.STANDIN_ORIGIN}/graph.instagram.com`;
  const [long, me] = await Promise.all([
    upstream(`${graph}/access_token?${new URLSearchParams({ grant_type: 'ig_exchange_token', client_secret: env.APP_SECRET, access_token: shortToken })}`),
    upstream(`${graph}/${env.GRAPH_VERSION}/me?${new URLSearchParams({ fields: 'user_id,username,name,account_type', access_token: shortToken })}`),
  ]);
  const id = String(me.user_id);
  const now = Date.now();
  const expiresAt = now + long.expires_in * 1000;
  const day = new Date(Math.max(expiresAt - 30 * DAY_MS, now + DAY_MS)).toISOString().slice(0, 10).replace(/-/g, '');
  const dueKey = `due:${day}:${id}`;
  const existing = JSON.parse((await env.KV.get(`token:${id}`)) ?? 'null');
  await env.KV.put(`alias:${me.id}:${id}`, '1');
  if (existing?.due_key !== dueKey) await env.KV.put(dueKey, '1');
  await env.KV.put(`token:${id}`, JSON.stringify({
    id, username: me.username, account_type: me.account_type, access_token: long.access_token,
    issued_at: now, expires_at: expiresAt, connected_at: existing?.connected_at ?? now, due_key: dueKey,
  }));
  if (existing?.due_key && existing.due_key !== dueKey) await env.KV.delete(existing.due_key);

  const headers = new Headers({ location: `${env.APP_RETURN_URL}?connected=${id}`, 'cache-control': 'no-store' });
  headers.append('set-cookie', `${LOGIN_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`);
  headers.append('set-cookie', setCookie(SESSION_COOKIE, await sign(env, 'session', { accounts: [id] }, 30 * 86400), 30 * 86400));
  return new Response(null, { status: 302, headers });
}

async function route(req: Request, env: Env, pathname: string): Promise<Response> {
  try {
    if (req.method === 'GET' && pathname === '/health') return json(200, { status: 'ok', time: new Date().toISOString() });
    if (req.method === 'GET' && pathname === '/auth/login') return await login(env);
    if (req.method === 'GET' && pathname === '/auth/callback') return await callback(req, env);
    return json(404, { error: { kind: 'not_found' } });
  } catch (e) {
    return json(502, { error: { kind: 'upstream', message: String(e) } });
  }
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const started = Date.now();
    const { pathname } = new URL(req.url);
    const response = await route(req, env, pathname);
    // One JSON line per request, as instagate's Worker writes: under `wrangler
    // dev` a log line costs about as much as a /health answer, so leaving it
    // out would measure logging, not the Workers.
    console.log(JSON.stringify({ event: 'request', method: req.method, route: pathname, status: response.status, duration_ms: Date.now() - started, ts: new Date().toISOString() }));
    return response;
  },
};
