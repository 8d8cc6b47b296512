// harness.mjs — runs the built Worker (build/, from scripts/build-worker.sh) under
// miniflare (real workerd, local KV) against the local Instagram stand-in, and
// gives tests a small browser: manual redirects, a cookie jar, the Worker's log
// lines, raw KV access and the record encryption (to seed and inspect KV the
// way the Worker writes it).
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { Miniflare } from 'miniflare';
import { startStandin } from '../standin/server.mjs';
import { freePort } from '../../scripts/lib/wrangler-dev.mjs';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const CLIENT_ID = '1000000000000001';
export const APP_SECRET = 'standin-app-secret';
export const API_KEY = 'e2e-api-key-0123456789';
export const K1 = 'k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
export const K2 = 'k2:__79_Pv6-fj39vX08_Lx8O_u7ezr6uno5-bl5OPi4eA';
export const APP = 'http://127.0.0.1:5173';
export const IG_BIZ = '17841400000000001';

if (!existsSync(join(ROOT, 'build/index.js'))) {
  throw new Error('build/index.js is missing: run scripts/build-worker.sh first');
}

// The Worker's settings, as wrangler.toml + .dev.vars would give them.
export function settings(standinUrl, workerOrigin, extra = {}) {
  return {
    PRODUCTS: 'instagram,facebook',
    CLIENT_ID,
    REDIRECT_URI: `${workerOrigin}/auth/callback`,
    APP_RETURN_URLS: `${APP}/connected`,
    ALLOWED_ORIGINS: APP,
    SPA_REDIRECT_URIS: `${APP}/callback.html`,
    STANDIN_ORIGIN: standinUrl,
    GRAPH_VERSION: 'v27.0',
    UPSTREAM_TIMEOUT_MS: '1500',
    PUBLISH_WAIT_MS: '3000',
    APP_SECRET,
    TOKEN_KEYS: K1,
    SESSION_KEY: 'e2e-session-key-0123456789abcdef-0123',
    API_KEY,
    WEBHOOK_VERIFY_TOKEN: 'e2e-verify',
    ...extra,
  };
}

/**
 * Starts the stand-in and the Worker. `persistDir` keeps KV across restarts
 * (pass the same one to a second start). `kvFaults: true` puts
 * faulty-kv-entry.mjs in front of the Worker: `worker.kvFaults(rules)` then
 * makes chosen KV operations fail. `entry`: the URL of another entry module
 * put in front of the Worker the same way (it imports './index.js'; e.g.
 * scripts/lib/counting-entry.mjs). `build`: another directory holding a
 * built Worker (index.js, index_bg.wasm) instead of build/, for benchmarks
 * that compare two builds in one run. Returns {worker, standin, close}.
 */
export async function start({ extra = {}, persistDir, standin: existingStandin, kvFaults = false, ratelimits, entry, build } = {}) {
  const standin = existingStandin ?? (await startStandin({ port: 0 }));
  const dir = persistDir ?? mkdtempSync(join(tmpdir(), 'instagate-kv-'));
  const front = kvFaults ? new URL('./faulty-kv-entry.mjs', import.meta.url) : entry;
  const worker = await startWorker(standin, dir, extra, kvFaults, ratelimits, front, resolve(ROOT, build ?? 'build'));
  return {
    standin,
    worker,
    persistDir: dir,
    async close() {
      await worker.close();
      if (!existingStandin) await standin.close();
      if (!persistDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One stand-in + Worker for a whole test file (`start(options)`), handed to
 * `use(env)`; before each test the stand-in is reset, KV faults (if any) are
 * cleared and KV is emptied.
 */
export function startPerFile(options, use) {
  let env;
  before(async () => {
    env = await start(options);
    use(env);
  });
  after(async () => {
    await env?.close();
  });
  beforeEach(async () => {
    env.standin.control.reset();
    if (options.kvFaults) await env.worker.kvFaults([]);
    for (const [k] of await dumpKv(env.worker.kv)) await env.worker.kv.delete(k);
  });
}

// The built Worker as miniflare modules, optionally behind an entry module
// (the KV-fault entry, or `entry`).
function workerModules(front, build) {
  const modules = [
    { type: 'ESModule', path: join(build, 'index.js') },
    { type: 'CompiledWasm', path: join(build, 'index_bg.wasm') },
  ];
  if (!front) return modules;
  const contents = readFileSync(front, 'utf8');
  return [{ type: 'ESModule', path: join(build, 'front-entry.mjs'), contents }, ...modules];
}

async function startWorker(standin, persistDir, extra, kvFaults, ratelimits, front, build) {
  const logs = [];
  // Miniflare needs the port before the settings name it: take a free one.
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const vars = settings(standin.url, origin, extra);
  const mf = new Miniflare({
    modules: workerModules(front, build),
    modulesRoot: build,
    compatibilityDate: '2026-04-26',
    kvNamespaces: kvFaults ? ['INSTAGATE_KV', 'KV_FAULTS'] : ['INSTAGATE_KV'],
    kvPersist: persistDir,
    // wrangler.toml's account objects (src/worker/objects.rs), kept with KV.
    durableObjects: { ACCOUNT_OBJECTS: { className: 'AccountObject', useSQLite: true } },
    durableObjectsPersist: persistDir,
    // wrangler.toml's staged-media bucket (src/worker/bucket.rs), kept with KV.
    r2Buckets: ['MEDIA_BUCKET'],
    r2Persist: persistDir,
    // Rate Limiting bindings (as wrangler.toml's [[ratelimits]]), when a test asks.
    ...(ratelimits ? { ratelimits } : {}),
    bindings: vars,
    cf: false,
    host: '127.0.0.1',
    port,
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) {
        let buffered = '';
        stream.on('data', (chunk) => {
          buffered += chunk;
          let i;
          while ((i = buffered.indexOf('\n')) >= 0) {
            logs.push(buffered.slice(0, i));
            buffered = buffered.slice(i + 1);
          }
        });
      }
    },
  });
  const url = await mf.ready;
  const kv = await mf.getKVNamespace('INSTAGATE_KV');
  const bucket = await mf.getR2Bucket('MEDIA_BUCKET');
  const faultsKv = kvFaults ? await mf.getKVNamespace('KV_FAULTS') : null;
  return {
    mf,
    kv,
    /** The staged-media R2 bucket (MEDIA_BUCKET). */
    bucket,
    /** Makes KV operations fail (see faulty-kv-entry.mjs); [] clears. */
    async kvFaults(rules) {
      if (!faultsKv) throw new Error('start the Worker with {kvFaults: true}');
      await faultsKv.put('rules', JSON.stringify(rules));
    },
    origin: url.origin,
    vars,
    logs,
    /** Log lines the Worker printed that parse as JSON. */
    records() {
      return logs.flatMap((l) => {
        try {
          return [JSON.parse(l)];
        } catch {
          return [];
        }
      });
    },
    /**
     * Waits until every line the Worker printed so far has arrived: asks for
     * `/health`, whose request line comes after them, and polls for it. A
     * test that asserts "nothing was logged" (or reads the last cron line)
     * calls this instead of sleeping a fixed time.
     */
    async logsSettled(timeoutMs = 5000) {
      const health = () => this.records().filter((l) => l.event === 'request' && l.route === '/health').length;
      const before = health();
      await (await fetch(`${url.origin}/health`)).arrayBuffer();
      const deadline = Date.now() + timeoutMs;
      while (health() <= before) {
        if (Date.now() > deadline) throw new Error(`the Worker's /health log line did not arrive within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async scheduled() {
      const w = await mf.getWorker();
      return w.scheduled({ cron: '17 * * * *', scheduledTime: new Date() });
    },
    async close() {
      await mf.dispose();
    },
  };
}

/** A browser: follows nothing by itself, keeps cookies per host:port. */
export class Browser {
  constructor() {
    this.jar = new Map();
  }
  cookieHeader(url) {
    const host = new URL(url).host;
    const cookies = this.jar.get(host) ?? new Map();
    return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  store(url, response) {
    const host = new URL(url).host;
    const cookies = this.jar.get(host) ?? new Map();
    for (const c of response.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attrs.some((a) => /max-age=0/i.test(a.trim())) || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(host, cookies);
  }
  cookie(url, name) {
    return this.jar.get(new URL(url).host)?.get(name);
  }
  async fetch(url, init = {}) {
    const headers = new Headers(init.headers ?? {});
    const cookie = this.cookieHeader(url);
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    const r = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, r);
    return r;
  }
  /** Follows redirects until a URL outside `stopAt` origins (or not a redirect). */
  async follow(url, { stopAt = [], max = 10 } = {}) {
    let current = url;
    for (let i = 0; i < max; i++) {
      if (stopAt.some((o) => current.startsWith(o))) return { url: current };
      const r = await this.fetch(current);
      if (r.status < 300 || r.status >= 400) return { url: current, response: r };
      current = new URL(r.headers.get('location'), current).toString();
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

/**
 * The whole redirect login through the stand-in's consent page (auto-allow).
 * Returns {location, params, browser} where location is where the app was sent.
 */
export async function login(env, { product = 'instagram', account, browser = new Browser(), decision = 'allow', declineScopes } = {}) {
  env.standin.control.consent({ decision, account, declineScopes });
  const start = `${env.worker.origin}/auth/login?product=${product}&return_to=${encodeURIComponent(`${APP}/connected`)}`;
  const { url } = await browser.follow(start, { stopAt: [APP] });
  return { location: url, params: new URL(url).searchParams, browser };
}

/**
 * The stand-in's consent for a single-page login already registered at
 * /auth/pending under `state`: returns the code sent back to the app's page.
 */
export async function spaConsentCode(env, state, { product = 'instagram', account = 'creator', challenge } = {}) {
  env.standin.control.consent({ decision: 'allow', account });
  const path = product === 'instagram' ? 'www.instagram.com/oauth/authorize' : 'www.facebook.com/v27.0/dialog/oauth';
  const u = new URL(`${env.standin.url}/${path}`);
  u.search = new URLSearchParams({
    client_id: CLIENT_ID, redirect_uri: `${APP}/callback.html`, response_type: 'code', state,
    scope: product === 'instagram'
      ? 'instagram_business_basic,instagram_business_content_publish'
      : 'instagram_basic,instagram_content_publish,pages_show_list,pages_read_engagement,ads_read',
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
  });
  const r = await fetch(u, { redirect: 'manual' });
  return new URL(r.headers.get('location')).searchParams.get('code');
}

// ---- the Worker's record format (src/service/crypto.rs) ------------------------------

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function keyOf(spec) {
  const [id, b64] = spec.split(':');
  return { id, key: Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64') };
}

export function seal(spec, plaintext, aad) {
  const { id, key } = keyOf(spec);
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(Buffer.from(plaintext)), c.final(), c.getAuthTag()]);
  return JSON.stringify({ v: 1, kid: id, nonce: b64url(nonce), ct: b64url(ct) });
}

export function open(spec, sealed, aad) {
  const { key } = keyOf(spec);
  const r = JSON.parse(sealed);
  const ct = Buffer.from(r.ct, 'base64url');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(r.nonce, 'base64url'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(ct.subarray(ct.length - 16));
  return JSON.parse(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString());
}

/** Every key and value in the Worker's KV. */
export async function dumpKv(kv) {
  const out = [];
  let cursor;
  do {
    const page = await kv.list({ cursor });
    for (const k of page.keys) out.push([k.name, await kv.get(k.name)]);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}

/** Every token string the stand-in ever issued. */
export function issuedTokens(standin) {
  const tokens = standin.control.state().tokens;
  const list = Array.isArray(tokens) ? tokens : Object.values(tokens);
  return list.map((t) => t.token ?? t.access_token).filter(Boolean);
}

export function yyyymmdd(ms) {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}

export const pkceChallenge = (verifier) => createHash('sha256').update(verifier).digest('base64url');

export function signedRequest(secret, payload) {
  const p = b64url(JSON.stringify(payload));
  return `${b64url(createHmac('sha256', secret).update(p).digest())}.${p}`;
}

export const hubSignature = (secret, body) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const DAY_MS = 86_400_000;

/**
 * Writes an Instagram Login account the way the Worker does (sealed record +
 * due: entry), with a long-lived token minted by the stand-in `ageDays` ago.
 * Returns {id, token, dueKey}.
 */
export async function seedInstagramAccount(env, { account = 'biz', ageDays = 31, keySpec = K1, windowDays = 30 } = {}) {
  const minted = env.standin.control.mintToken({ product: 'instagram', account, kind: 'long', ageSeconds: ageDays * 86400 });
  const issued = Date.parse(minted.issued_at);
  const expires = Date.parse(minted.expires_at);
  const id = minted.user_id;
  const dueKey = `due:${yyyymmdd(Math.max(expires - windowDays * DAY_MS, issued + DAY_MS))}:${id}`;
  const record = {
    id,
    product: 'instagram',
    username: account,
    name: null,
    account_type: 'BUSINESS',
    token: {
      access_token: minted.access_token,
      kind: 'instagram_long_lived',
      scopes: minted.scopes,
      issued_at: issued,
      expires_at: expires,
    },
    page_id: null,
    page_name: null,
    aliases: [minted.scoped_id],
    // Written now, as a login would (the account objects tell a new
    // connection from a leftover of a deleted account by this time).
    connected_at: Date.now(),
    updated_at: issued,
    needs_reauth: false,
    reauth_reason: null,
    last_checked_at: null,
    consecutive_failures: 0,
    history: [],
    due_key: dueKey,
  };
  await env.worker.kv.put(dueKey, '1');
  await env.worker.kv.put(`token:${id}`, seal(keySpec, JSON.stringify(record), `token:${id}`));
  return { id, token: minted.access_token, dueKey };
}
