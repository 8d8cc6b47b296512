// End to end: the security items of issue 6 the other Worker suites do not
// already prove, against the built Worker under miniflare and the stand-in,
// and a scan of every log line and KV value after a run of every flow.
//
// Checklist — issue item → the test that proves it (file: test name):
// - Login CSRF (callback with another browser's state)
//     login.test.mjs: "expired code, state from another browser, replay, forged cookie"
//     here: "login CSRF: a callback carrying another browser's state or login cookie is refused"
// - State replay
//     login.test.mjs: "expired code, state from another browser, replay, forged cookie" (redirect),
//     login.test.mjs: "code + state + verifier in, account out, behind the CORS allow-list" (exchange)
//     here: "state replay: a used state is refused on both flows, also after a failed exchange"
// - PKCE verifier mismatch
//     login.test.mjs: "a leaked code and state without the verifier is useless" (Worker-side check)
//     here: "PKCE: a wrong verifier uses the state up; the right one afterwards is refused",
//           "PKCE: Facebook Login refuses a code issued for another challenge"
// - Open redirect attempts on the return path
//     login.test.mjs: "no open redirect" (4 targets)
//     here: "open redirect: every crafted return_to is refused and stores nothing"
// - CORS from an unlisted origin
//     login.test.mjs: single-page exchange (OPTIONS and POST /auth/exchange from evil.example → 403)
//     api.test.mjs: "sessions reach only their own accounts; the API key reaches all" (DELETE → 403)
//     here: "CORS: preflights and requests from unlisted origins get no CORS grant"
// - Webhook with a bad or missing signature
//     webhooks.test.mjs: "webhook events: valid signature accepted and logged, bad or missing refused ..."
//     here: "webhook: a signature in the wrong form or for the wrong algorithm is refused"
// - signed_request forgery
//     webhooks.test.mjs: "deauthorize: a forged signed_request deletes nothing, a valid one deletes the account"
//     here: "signed_request forgery on data deletion deletes nothing and issues no confirmation"
// - API without or with a wrong key
//     api.test.mjs: "sessions reach only their own accounts; the API key reaches all" (none, wrong Bearer)
//     here: "API key: wrong schemes, near misses and a key in the URL are refused"
// - Another account's session reaching an account's routes
//     api.test.mjs: "sessions reach only their own accounts; the API key reaches all" (GET, DELETE)
//     here: "sessions: every account route and another account's job answer 404; a tampered cookie 401"
// - Oversized bodies and headers
//     api.test.mjs: "health, unknown routes, methods and body limits" (publish 70 KB, webhook 2 MB)
//     tests/service_api.rs (native): 431 headers_too_large at 32 KB
//     here: "oversized: bodies on the auth routes and oversized headers are refused before any work"
// - No log line or KV value holds a token or secret in clear
//     login.test.mjs / refresh.test.mjs: issued tokens not in KV/logs after their flows
//     here: "scan: after every flow, no log line or KV value holds a token, code, verifier, cookie or secret"
//
// The rest of issue 6 (same checklist, for the report):
// Faults end to end — every flow × 5xx, 429 + Retry-After, slow, hung (timeout), HTML, truncated:
// - login (redirect callback): login.test.mjs "upstream faults: 5xx, 429, HTML, hang (timeout),
//     truncated body"; faults.test.mjs "slow upstream on every call still connects",
//     "Facebook Login: 429, hung and HTML Graph answers redirect with the kind and store nothing"
// - exchange: faults.test.mjs "<fault> on the code exchange: …" (×5), "a slow long-lived exchange
//     (under the timeout) still connects", "Facebook Login: a 5xx on /me/accounts after the exchange
//     stores nothing"
// - refresh: faults.test.mjs "<fault> on refresh_access_token: …" (×5, scheduled handler, then the
//     next run refreshes), "a slow refresh (under the timeout) completes", "<fault>: answers … with
//     the account, keeps the token" (×5, refresh-now); refresh.test.mjs (revoked token, 503 retry)
// - publish: faults.test.mjs "5xx, 429 + Retry-After, HTML page, truncated body, hung upstream, slow
//     upstream on container creation: …" and "… on media_publish: …", "a hung media_publish that did
//     publish …"; publish.test.mjs "a lost media_publish answer is confirmed from the container"
// - webhooks / signed_request: faults.test.mjs "a signed HTML or truncated delivery is refused
//     clearly and nothing is processed", "a truncated signed_request is refused (401) and deletes nothing"
// - KV errors (a failing KV binding in front of the Worker, faulty-kv-entry.mjs): faults.test.mjs
//     describe "KV errors" — /auth/login, callback (read and write), /auth/pending, exchange, API
//     read and listing, cron index listing, cron record write, cron job-queue listing, refresh-now,
//     publish, deauthorize (each delete), data deletion; natively tests/service_kv_faults.rs and
//     tests/service_jobs.rs "a_crash_right_after_publishing_does_not_publish_twice"
// Load: scripts/load.mjs (instagate vs benches/load-baseline/worker.ts under wrangler dev, req/s,
//     p50/p99, errors, ratio); CI smoke tests/load/run.sh (3 s per route, fails on any error).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  API_KEY, APP, APP_SECRET, Browser, IG_BIZ, K1, dumpKv, hubSignature, issuedTokens, keyOf, login, pkceChallenge,
  seedInstagramAccount, signedRequest, spaConsentCode, startPerFile,
} from './harness.mjs';

let env;
startPerFile({}, (e) => { env = e; });

const keys = async (prefix) => (await env.worker.kv.list({ prefix })).keys.map((k) => k.name);
const W = () => env.worker.origin;
const bearer = { authorization: `Bearer ${API_KEY}` };

let counter = 0;
const unique = (c) => `${c}${Date.now().toString(36)}${(counter++).toString(36)}`.padEnd(43, c);

/** Registers a single-page login; returns {state, verifier}. */
async function pending({ product = 'instagram', verifier = unique('v'), state = unique('s'), origin = APP } = {}) {
  const r = await fetch(`${W()}/auth/pending`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ state, codeChallenge: pkceChallenge(verifier), redirectUri: `${APP}/callback.html`, product }),
  });
  return { r, state, verifier };
}

const consentCode = (state, options) => spaConsentCode(env, state, options);

const exchange = (body, origin = APP) =>
  fetch(`${W()}/auth/exchange`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('login', () => {
  test("login CSRF: a callback carrying another browser's state or login cookie is refused", async () => {
    env.standin.control.consent({ decision: 'allow', account: 'biz' });
    const victim = new Browser();
    const attacker = new Browser();
    // The attacker starts a login and stops at the callback with their own code...
    const { url: attackerCallback } = await attacker.follow(`${W()}/auth/login`, { stopAt: [`${W()}/auth/callback`] });
    // ...and the victim starts one too (so the victim has a login cookie of their own).
    await victim.follow(`${W()}/auth/login`, { stopAt: [`${W()}/auth/callback`] });
    assert.deepEqual(await keys('state:'), [], 'pending logins live in the login cookies');
    // Login CSRF: the attacker's callback URL opened in the victim's browser.
    const r = await victim.fetch(attackerCallback);
    assert.equal(r.status, 400);
    assert.match(await r.text(), /state_mismatch/);
    assert.equal(victim.cookie(W(), '__Host-instagate_session'), undefined, 'the victim is not logged in to the attacker account');
    // The victim's login cookie replayed with the attacker's state: still refused.
    const cross = await fetch(attackerCallback, { headers: { cookie: victim.cookieHeader(W()) }, redirect: 'manual' });
    assert.equal(cross.status, 400);
    assert.deepEqual(await keys('state:'), [], 'no state was marked used');
    assert.deepEqual(await keys('token:'), []);
    assert.equal(env.standin.control.log({ path: 'oauth/access_token' }).entries.length, 0, 'no code was exchanged');
  });

  test('state replay: a used state is refused on both flows, also after a failed exchange', async () => {
    // Redirect flow: the same callback twice.
    env.standin.control.consent({ decision: 'allow', account: 'biz' });
    const browser = new Browser();
    const { url: callback } = await browser.follow(`${W()}/auth/login`, { stopAt: [`${W()}/auth/callback`] });
    const first = await browser.fetch(callback);
    assert.equal(new URL(first.headers.get('location')).searchParams.get('connected'), IG_BIZ);
    // Keep the (cleared) login cookie's old value to replay both together.
    const replay = await fetch(callback, { headers: { cookie: browser.cookieHeader(W()) }, redirect: 'manual' });
    assert.equal(replay.status, 400);
    // Single-page flow: a failed exchange (Meta refuses the code) still uses the state up.
    const { state, verifier } = await pending();
    let r = await exchange({ code: 'not-a-real-code', state, codeVerifier: verifier });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.kind, 'invalid_code');
    r = await exchange({ code: 'not-a-real-code', state, codeVerifier: verifier });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.kind, 'state_mismatch');
    // A state cannot be registered twice either (no overwriting another login).
    const again = await pending({ state, verifier });
    assert.equal(again.r.status, 201, 'the used state was deleted, so it may be registered anew');
    const dup = await pending({ state });
    assert.equal(dup.r.status, 409, 'a live state cannot be overwritten');
    assert.deepEqual(await keys('token:'), [`token:${IG_BIZ}`]);
  });

  test('PKCE: a wrong verifier uses the state up; the right one afterwards is refused', async () => {
    const { r: reg, state, verifier } = await pending();
    assert.equal(reg.status, 201);
    const code = await consentCode(state);
    let r = await exchange({ code, state, codeVerifier: unique('w') });
    assert.equal(r.status, 400);
    const body = await r.json();
    assert.equal(body.error.kind, 'state_mismatch');
    assert.match(body.error.message, /codeVerifier/);
    assert.deepEqual(await keys('state:'), [], 'one guess per state');
    r = await exchange({ code, state, codeVerifier: verifier });
    assert.equal(r.status, 400, 'no second guess');
    assert.equal(env.standin.control.log({ path: 'oauth/access_token' }).entries.length, 0, 'the code never reached Meta');
    assert.deepEqual(await keys('token:'), []);
    // Malformed verifiers are refused before the state is touched.
    const other = await pending();
    for (const bad of ['short', 'x'.repeat(129), `${'a'.repeat(50)} `, `${'a'.repeat(50)}%`]) {
      r = await exchange({ code: 'c', state: other.state, codeVerifier: bad });
      assert.equal(r.status, 400);
      assert.equal((await r.json()).error.field, 'codeVerifier');
    }
    assert.deepEqual(await keys('state:'), [`state:${other.state}`]);
  });

  test('PKCE: Facebook Login refuses a code issued for another challenge', async () => {
    // The front end registered challenge(v1), but the consent page was opened
    // with an attacker's challenge(v2): the Worker's check passes with v1, and
    // Meta (the stand-in) refuses the code because v1 does not match v2.
    const { state, verifier } = await pending({ product: 'facebook' });
    const code = await consentCode(state, { product: 'facebook', account: 'fb_linked', challenge: pkceChallenge(unique('x')) });
    const r = await exchange({ code, state, codeVerifier: verifier });
    // Meta answers a PKCE mismatch with the generic code 100, which the core
    // reads as invalid_request (422); the message says what happened.
    assert.equal(r.status, 422, await r.clone().text());
    const { error } = await r.json();
    assert.equal(error.kind, 'invalid_request');
    assert.equal(error.code, 100);
    assert.match(error.message, /code_verifier/);
    const sent = env.standin.control.log({ path: 'oauth/access_token' }).entries[0];
    assert.equal(sent.query.code_verifier ?? sent.form?.code_verifier, verifier, 'the verifier went to Meta');
    assert.deepEqual(await keys('token:'), []);
    assert.deepEqual(await keys('alias:'), []);
  });

  test('open redirect: every crafted return_to is refused and stores nothing', async () => {
    const targets = [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'http://127.0.0.1:5173.evil.example/connected',
      'http://127.0.0.1:5173@evil.example/connected',
      'HTTP://EVIL.EXAMPLE/connected',
      '/\\evil.example',
      '\\\\evil.example',
      'http:evil.example',
      'https://127.0.0.1:5173/connected',
      ' http://127.0.0.1:5173/connected',
      'http://127.0.0.1:5173/connected\r\nLocation: https://evil.example',
      '',
    ];
    for (const target of targets) {
      const r = await fetch(`${W()}/auth/login?return_to=${encodeURIComponent(target)}`, { redirect: 'manual' });
      assert.equal(r.status, 400, JSON.stringify(target));
      assert.equal(r.headers.get('location'), null);
      assert.equal(r.headers.getSetCookie().length, 0);
    }
    // Parameter pollution: an allowed value and a crafted one.
    const polluted = await fetch(`${W()}/auth/login?return_to=${encodeURIComponent(`${APP}/connected`)}&return_to=https%3A%2F%2Fevil.example`, { redirect: 'manual' });
    assert.equal(polluted.status, 400);
    assert.deepEqual(await keys('state:'), []);
    // An error on the callback goes back to the allowed default, never to a URL from the request.
    env.standin.control.consent({ decision: 'deny' });
    const b = new Browser();
    const { url } = await b.follow(`${W()}/auth/login`, { stopAt: [APP, 'https://evil.example'] });
    assert.ok(url.startsWith(`${APP}/connected`), url);
  });
});

describe('cross-origin and credentials', () => {
  test('CORS: preflights and requests from unlisted origins get no CORS grant', async () => {
    const { browser } = await login(env, { account: 'biz' });
    const evil = ['http://evil.example', 'null', 'http://127.0.0.1:5173.evil.example', 'http://127.0.0.1:51730', 'https://127.0.0.1:5173'];
    for (const origin of evil) {
      for (const path of ['/api/accounts', `/api/accounts/${IG_BIZ}/publish`, '/auth/pending', '/auth/logout']) {
        const pre = await fetch(`${W()}${path}`, {
          method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        });
        assert.equal(pre.status, 403, `${origin} ${path}`);
        assert.equal(pre.headers.get('access-control-allow-origin'), null);
        assert.equal(pre.headers.get('access-control-allow-credentials'), null);
      }
      // A simple GET with the session cookie: answered, but not readable cross-origin.
      const r = await browser.fetch(`${W()}/api/accounts`, { headers: { origin } });
      assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
      assert.equal(r.headers.get('vary'), 'Origin');
      // Writes with the session cookie from that origin are refused.
      const del = await browser.fetch(`${W()}/api/accounts/${IG_BIZ}`, { method: 'DELETE', headers: { origin } });
      assert.equal(del.status, 403, origin);
      const pub = await browser.fetch(`${W()}/api/accounts/${IG_BIZ}/publish`, {
        method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/x.jpg' }),
      });
      assert.equal(pub.status, 403, origin);
      const reg = await pending({ origin });
      assert.equal(reg.r.status, 403, origin);
    }
    assert.deepEqual(await keys('token:'), [`token:${IG_BIZ}`], 'nothing deleted');
    const registered = (await dumpKv(env.worker.kv)).filter(([k, v]) => k.startsWith('state:') && v !== 'used');
    assert.deepEqual(registered, [], 'nothing registered (only the used login is marked)');
    assert.deepEqual(await keys('job'), [], 'nothing published');
    // The allowed origin gets its grant (the control case).
    const ok = await fetch(`${W()}/api/accounts`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET' } });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), APP);
  });

  test('API key: wrong schemes, near misses and a key in the URL are refused', async () => {
    const seeded = await seedInstagramAccount(env, { ageDays: 2 });
    const cases = [
      { authorization: `Basic ${Buffer.from(`x:${API_KEY}`).toString('base64')}` },
      { authorization: API_KEY },
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: `Bearer ${API_KEY}x` },
      { authorization: `Bearer ${API_KEY.slice(0, -1)}` },
      { authorization: `Bearer ${API_KEY.toUpperCase()}` },
      { 'x-api-key': API_KEY },
    ];
    for (const headers of cases) {
      for (const [method, path] of [['GET', '/api/accounts'], ['GET', `/api/accounts/${seeded.id}`], ['DELETE', `/api/accounts/${seeded.id}`], ['POST', `/api/accounts/${seeded.id}/refresh`]]) {
        const r = await fetch(`${W()}${path}`, { method, headers });
        assert.equal(r.status, 401, `${JSON.stringify(headers)} ${method} ${path}`);
        assert.equal((await r.json()).error.kind, 'unauthorized');
      }
    }
    for (const q of [`api_key=${API_KEY}`, `key=${API_KEY}`, `access_token=${API_KEY}`]) {
      assert.equal((await fetch(`${W()}/api/accounts?${q}`)).status, 401, q);
    }
    assert.equal(env.standin.control.log({ path: 'refresh_access_token' }).entries.length, 0);
    assert.deepEqual(await keys('token:'), [`token:${seeded.id}`]);
    assert.equal((await fetch(`${W()}/api/accounts/${seeded.id}`, { headers: bearer })).status, 200, 'the right key works');
  });

  test("sessions: every account route and another account's job answer 404; a tampered cookie 401", async () => {
    const mine = await login(env, { account: 'creator' });
    const creator = mine.params.get('connected');
    const theirs = await login(env, { account: 'biz', browser: new Browser() });
    assert.equal(theirs.params.get('connected'), IG_BIZ);
    // A job of the other account, made with the API key.
    env.standin.control.config({ processingMs: { IMAGE: 100 } });
    const made = await fetch(`${W()}/api/accounts/${IG_BIZ}/publish`, {
      method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/j.jpg' }),
    });
    const { job } = await made.json();
    const postsBefore = env.standin.control.state().media.length;
    const routes = [
      ['GET', `/api/accounts/${IG_BIZ}`],
      ['DELETE', `/api/accounts/${IG_BIZ}`],
      ['POST', `/api/accounts/${IG_BIZ}/refresh`],
      ['POST', `/api/accounts/${IG_BIZ}/publish`],
      ['GET', `/api/accounts/${IG_BIZ}/quota`],
      ['GET', `/api/jobs/${job.id}`],
    ];
    for (const [method, path] of routes) {
      const r = await mine.browser.fetch(`${W()}${path}`, {
        method, headers: { origin: APP, 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/z.jpg' }) : undefined,
      });
      assert.equal(r.status, 404, `${method} ${path}`);
    }
    assert.equal(env.standin.control.state().media.length, postsBefore, 'nothing published for the other account');
    assert.deepEqual((await keys('token:')).sort(), [`token:${creator}`, `token:${IG_BIZ}`].sort());
    // Tampering with the session cookie (another account ID in its payload, or a bad signature).
    const value = mine.browser.cookie(W(), '__Host-instagate_session');
    const [payload, sig] = value.split('.');
    const decoded = Buffer.from(payload, 'base64url').toString();
    assert.ok(decoded.includes(creator), 'the session payload names the account');
    const forgedPayload = Buffer.from(decoded.replace(creator, IG_BIZ)).toString('base64url');
    for (const forged of [`${forgedPayload}.${sig}`, `${payload}.${sig.slice(0, -2)}AA`, payload, `${payload}.`]) {
      const r = await fetch(`${W()}/api/accounts/${IG_BIZ}`, { headers: { cookie: `__Host-instagate_session=${forged}` } });
      assert.equal(r.status, 401, forged);
    }
  });
});

describe('Meta callbacks', () => {
  test('webhook: a signature in the wrong form or for the wrong algorithm is refused', async () => {
    const body = JSON.stringify({ object: 'instagram', entry: [{ id: IG_BIZ, time: 1, changes: [{ field: 'mentions', value: {} }] }] });
    const sha256 = hubSignature(APP_SECRET, body);
    const { createHmac } = await import('node:crypto');
    const sha1 = `sha1=${createHmac('sha1', APP_SECRET).update(body).digest('hex')}`;
    for (const headers of [
      { 'x-hub-signature': sha1 },
      { 'x-hub-signature-256': sha1 },
      { 'x-hub-signature-256': sha256.replace('sha256=', '') },
      { 'x-hub-signature-256': sha256.toUpperCase() },
      { 'x-hub-signature-256': `${sha256}00` },
      { 'x-hub-signature-256': `sha256=${createHmac('sha256', API_KEY).update(body).digest('hex')}` },
    ]) {
      const r = await fetch(`${W()}/webhooks/instagram`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      assert.equal(r.status, 401, JSON.stringify(headers));
    }
    await env.worker.logsSettled();
    assert.equal(env.worker.records().filter((l) => l.event === 'webhook').length, 0);
  });

  test('signed_request forgery on data deletion deletes nothing and issues no confirmation', async () => {
    await login(env, { product: 'facebook', account: 'fb_linked' });
    const payload = { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: '10200000000000001' };
    const good = signedRequest(APP_SECRET, payload);
    const [sig, body] = good.split('.');
    const otherUser = Buffer.from(JSON.stringify({ ...payload, user_id: '10200000000000002' })).toString('base64url');
    const forgeries = [
      signedRequest('not-the-secret', payload),
      signedRequest(APP_SECRET, { ...payload, algorithm: 'HMAC-SHA1' }),
      signedRequest(APP_SECRET, { ...payload, algorithm: 'none' }),
      `${sig}.${otherUser}`, // a valid signature moved onto another payload
      `.${body}`,
      body,
      `${sig}.${body}.${body}`,
    ];
    for (const forged of forgeries) {
      const r = await fetch(`${W()}/auth/data-deletion`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `signed_request=${encodeURIComponent(forged)}`,
      });
      assert.equal(r.status, 401, forged);
      assert.equal((await r.json()).confirmation_code, undefined);
    }
    assert.deepEqual(await keys('token:'), [`token:${IG_BIZ}`]);
    assert.deepEqual(await keys('deletion:'), []);
  });
});

describe('limits', () => {
  test('oversized: bodies on the auth routes and oversized headers are refused before any work', async () => {
    const big = JSON.stringify({ state: unique('s'), codeChallenge: pkceChallenge('v'.repeat(50)), redirectUri: `${APP}/callback.html`, pad: 'x'.repeat(70 * 1024) });
    for (const path of ['/auth/pending', '/auth/exchange']) {
      const r = await fetch(`${W()}${path}`, { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: big });
      assert.equal(r.status, 413, path);
      assert.equal((await r.json()).error.kind, 'payload_too_large');
    }
    const form = `signed_request=${'x'.repeat(80 * 1024)}`;
    for (const path of ['/auth/deauthorize', '/auth/data-deletion']) {
      const r = await fetch(`${W()}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
      assert.equal(r.status, 413, path);
    }
    // Headers: one 40 KB cookie, and many headers adding up to 35 KB (each
    // under the runtime's per-header cap). The Worker's own 32 KB check answers.
    const { request } = await import('node:http');
    const u = new URL(`${W()}/api/accounts`);
    const [status, text] = await new Promise((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, headers: { cookie: `a=${'x'.repeat(40 * 1024)}`, ...bearer } }, (res) => {
        let b = '';
        res.on('data', (d) => { b += d; });
        res.on('end', () => resolve([res.statusCode, b]));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 431);
    assert.equal(JSON.parse(text).error.kind, 'headers_too_large');
    const pad = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-pad-${i}`, 'y'.repeat(7 * 1024)]));
    let r = await fetch(`${W()}/api/accounts`, { headers: { ...pad(5), ...bearer } });
    assert.equal(r.status, 431);
    assert.equal((await r.json()).error.kind, 'headers_too_large');
    r = await fetch(`${W()}/api/accounts`, { headers: { ...pad(2), ...bearer } });
    assert.equal(r.status, 200, '14 KB of headers is fine');
    const lines = env.worker.records().filter((l) => l.error_kind === 'headers_too_large');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => !JSON.stringify(l).includes('xxxx')), 'the header is not logged');
    assert.deepEqual(await dumpKv(env.worker.kv), []);
  });
});

// ---- the scan -------------------------------------------------------------------------

describe('scan', () => {
  test('scan: after every flow, no log line or KV value holds a token, code, verifier, cookie or secret', async () => {
    const secrets = new Map();
    const note = (what, v) => v && v.length >= 8 && secrets.set(v, what);
    for (const [k, v] of Object.entries(env.worker.vars)) {
      if (['APP_SECRET', 'SESSION_KEY', 'API_KEY', 'WEBHOOK_VERIFY_TOKEN'].includes(k)) note(k, v);
    }
    for (const spec of env.worker.vars.TOKEN_KEYS.split(',')) {
      note('TOKEN_KEYS', spec.split(':')[1]);
      note('TOKEN_KEYS (hex)', keyOf(spec).key.toString('hex'));
      note('TOKEN_KEYS (base64)', keyOf(spec).key.toString('base64'));
    }
    const cookies = [];
    const keep = (b) => {
      for (const name of ['__Host-instagate_session', '__Host-instagate_login']) {
        const v = b.cookie(W(), name);
        if (v) cookies.push(v);
      }
    };

    // Every flow once: both redirect logins (with a login cookie kept before the callback).
    env.standin.control.consent({ decision: 'allow', account: 'biz' });
    const b1 = new Browser();
    const { url: cb } = await b1.follow(`${W()}/auth/login`, { stopAt: [`${W()}/auth/callback`] });
    keep(b1);
    await b1.follow(cb, { stopAt: [APP] });
    keep(b1);
    const fb = await login(env, { product: 'facebook', account: 'fb_two_pages' });
    keep(fb.browser);
    // The single-page exchange.
    const p = await pending();
    const code = await consentCode(p.state, { account: 'creator' });
    const ex = await exchange({ code, state: p.state, codeVerifier: p.verifier });
    assert.equal(ex.status, 200);
    note('PKCE verifier', p.verifier);
    // Failures that carry secrets in: wrong key, forged cookie, bad signatures, a leaked code.
    await fetch(`${W()}/api/accounts`, { headers: { authorization: `Bearer wrong-${API_KEY}` } });
    await exchange({ code: 'leaked-code-0123456789', state: unique('s'), codeVerifier: unique('v') });
    // The API: refresh-now, publish, quota, the cron, webhooks, deletion.
    const seeded = await seedInstagramAccount(env, { account: 'personal', ageDays: 40 });
    env.standin.control.config({ processingMs: { IMAGE: 100 } });
    await fetch(`${W()}/api/accounts/${seeded.id}/refresh`, { method: 'POST', headers: bearer });
    const pub = await fetch(`${W()}/api/accounts/${IG_BIZ}/publish`, {
      method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/scan.jpg', caption: 'scan' }),
    });
    assert.ok([200, 202].includes(pub.status));
    await fetch(`${W()}/api/accounts/${IG_BIZ}/quota`, { headers: bearer });
    env.standin.control.faults([{ path: '/refresh_access_token', fault: { type: 'status', status: 400, body: { error: { message: 'boom', code: 1 } } } }]);
    await seedInstagramAccount(env, { account: 'creator', ageDays: 45 });
    await env.worker.scheduled();
    const hook = JSON.stringify({ object: 'instagram', entry: [{ id: IG_BIZ, time: 1, changes: [{ field: 'comments', value: { text: 'x' } }] }] });
    await fetch(`${W()}/webhooks/instagram`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': hubSignature(APP_SECRET, hook) }, body: hook });
    await fetch(`${W()}/webhooks/instagram?hub.mode=subscribe&hub.challenge=42&hub.verify_token=${env.worker.vars.WEBHOOK_VERIFY_TOKEN}`);
    await fetch(`${W()}/auth/data-deletion`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `signed_request=${encodeURIComponent(signedRequest(APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: '10200000000000002' }))}`,
    });
    await new Promise((res) => setTimeout(res, 300));

    for (const t of issuedTokens(env.standin)) note('access token', t);
    for (const e of env.standin.control.log().entries) {
      note('authorization code', e.form?.code ?? e.query?.code);
      note('PKCE verifier', e.form?.code_verifier ?? e.query?.code_verifier);
    }
    for (const c of cookies) note('cookie', c);
    assert.ok([...secrets.values()].filter((w) => w === 'access token').length >= 5, 'the run issued tokens');
    assert.ok([...secrets.values()].includes('authorization code'));
    assert.ok([...secrets.values()].includes('cookie'));

    const kv = await dumpKv(env.worker.kv);
    assert.ok(kv.some(([k]) => k.startsWith('token:')) && kv.some(([k]) => k.startsWith('job')), 'the run stored accounts and jobs');
    const logs = env.worker.logs;
    assert.ok(logs.length >= 15, `${logs.length} log lines`);
    for (const [secret, what] of secrets) {
      for (const line of logs) assert.ok(!line.includes(secret), `a log line holds a ${what}: ${line.slice(0, 200)}`);
      for (const [k, v] of kv) {
        assert.ok(!k.includes(secret), `KV key ${k} holds a ${what}`);
        assert.ok(!v.includes(secret), `KV value of ${k} holds a ${what}`);
      }
    }
    // Account records and pending logins are sealed: no clear JSON with a token
    // field at all (a used state is only marked "used").
    for (const [k, v] of kv.filter(([k, v]) => k.startsWith('token:') || (k.startsWith('state:') && v !== 'used'))) {
      assert.match(v, /^\{"v":1,"kid":"k1","nonce":"[\w-]+","ct":"[\w-]+"\}$/, k);
    }
    assert.ok(!JSON.stringify(kv).includes('access_token'), 'no access_token field in clear');
    assert.ok(K1.startsWith('k1:'));
  });
});
