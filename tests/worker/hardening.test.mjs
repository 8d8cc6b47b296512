// The security review's Worker items that need the real runtime (miniflare,
// workerd): a body without Content-Length stops at the limit, the Rate
// Limiting binding budgets POST /auth/pending, every answer says
// Referrer-Policy: no-referrer, starting a login writes nothing to KV, "log
// out everywhere" and a reconnection by another Facebook user revoke old
// cookies, and an old signed_request is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  API_KEY, APP, APP_SECRET, Browser, dumpKv, login, pkceChallenge, signedRequest, startPerFile,
} from './harness.mjs';

let env;
startPerFile({ ratelimits: { PENDING_RATE_LIMITER: { simple: { limit: 3, period: 60 } } } }, (e) => { env = e; });
const W = () => env.worker.origin;

test('a chunked body without Content-Length is refused at the limit, without waiting for its end', async () => {
  // The Worker answers 413 once 64 KiB are in and the runtime then closes
  // the connection with request bytes still unread. TCP turns that close
  // into a reset, which can drop the answer in flight (CI saw undici's
  // "terminated"), so one try may end without an answer. Each try must end
  // (answer or closed connection) long before the body would, and one of up
  // to five tries must read the 413 itself.
  const tryOnce = async () => {
    // A body that does not end while the test waits: read whole, the request
    // would not be answered. It ends once the try is over (not before the
    // answer is read: ending it then can reset the connection under the
    // answer), so its timer cannot keep the test process alive.
    let sent = 0;
    let over = false;
    const endless = new ReadableStream({
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 2));
        if (over) return controller.close();
        sent += 16 * 1024;
        controller.enqueue(new Uint8Array(16 * 1024).fill(120));
      },
    });
    try {
      const r = await fetch(`${W()}/api/accounts/17841400000000001/publish`, {
        method: 'POST', body: endless, duplex: 'half',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(15_000),
      });
      return { status: r.status, body: await r.json(), sent };
    } catch (error) {
      // Only a connection the server closed counts as a try without answer;
      // a timeout (the Worker waited for the body's end) fails the test.
      if (error.name === 'TimeoutError' || error.cause?.name === 'TimeoutError') throw error;
      return { error, sent };
    } finally {
      over = true;
    }
  };
  const tries = [];
  for (let n = 0; n < 5 && !tries.some((t) => t.status); n++) tries.push(await tryOnce());
  for (const t of tries) assert.ok(t.sent < 4 * 1024 * 1024, `${t.sent} bytes sent before the try ended`);
  const answered = tries.find((t) => t.status);
  assert.ok(answered, `no try read an answer: ${tries.map((t) => t.error?.message).join(', ')}`);
  assert.equal(answered.status, 413);
  assert.equal(answered.body.error.kind, 'payload_too_large');
});

test('POST /auth/pending: the Rate Limiting binding allows 3 a minute per client IP, then 429 with nothing written', async () => {
  const register = (n, ip) => fetch(`${W()}/auth/pending`, {
    method: 'POST',
    headers: { origin: APP, 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify({ state: `${n}`.padStart(43, 's'), codeChallenge: pkceChallenge('v'.repeat(43)), redirectUri: `${APP}/callback.html` }),
  });
  for (let n = 1; n <= 3; n++) assert.equal((await register(n, '203.0.113.9')).status, 201);
  const r = await register(4, '203.0.113.9');
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '60');
  assert.equal(r.headers.get('access-control-allow-origin'), APP);
  assert.equal((await register(5, '198.51.100.2')).status, 201, 'another client has its own budget');
  const states = (await dumpKv(env.worker.kv)).filter(([k]) => k.startsWith('state:'));
  assert.equal(states.length, 4);
});

test('GET /auth/login writes nothing to KV; every answer carries Referrer-Policy: no-referrer', async () => {
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await fetch(`${W()}/auth/login?product=instagram`, { redirect: 'manual' }));
  assert.ok(answers.every((r) => r.status === 302));
  assert.deepEqual(await dumpKv(env.worker.kv), []);
  answers.push(await fetch(`${W()}/auth/callback?code=leaked&state=${'x'.repeat(43)}`));
  answers.push(await fetch(`${W()}/health`));
  for (const r of answers) assert.equal(r.headers.get('referrer-policy'), 'no-referrer', r.url);
  // The login still completes with the pending login held in the cookie.
  const { params } = await login(env, { account: 'biz' });
  assert.ok(params.get('connected'), params.toString());
});

const account = (browser, id) => browser.fetch(`${W()}/api/accounts/${id}`);

test('log out everywhere (DELETE /api/accounts/{id}/sessions) refuses every older session cookie', async () => {
  const first = await login(env, { account: 'biz' });
  const second = await login(env, { account: 'biz', browser: new Browser() });
  const id = first.params.get('connected');
  assert.equal((await account(first.browser, id)).status, 200);
  const r = await first.browser.fetch(`${W()}/api/accounts/${id}/sessions`, { method: 'DELETE', headers: { origin: W() } });
  assert.equal(r.status, 200);
  assert.equal((await account(first.browser, id)).status, 401, 'this browser lost the account (no session left)');
  assert.equal((await account(second.browser, id)).status, 404, 'the other browser too');
  const again = await login(env, { account: 'biz', browser: second.browser });
  assert.equal((await account(again.browser, id)).status, 200, 'logging in again lets the browser back in');
});

test('a deleted account does not come back to old cookies when it is connected again', async () => {
  const old = await login(env, { account: 'biz' });
  const id = old.params.get('connected');
  const del = await fetch(`${W()}/api/accounts/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(del.status, 200);
  await new Promise((r) => setTimeout(r, 5));
  await login(env, { account: 'biz' });
  assert.equal((await account(old.browser, id)).status, 404);
});

test('a signed_request issued more than an hour ago is refused and deletes nothing', async () => {
  const { params } = await login(env, { account: 'biz' });
  const id = params.get('connected');
  const old = signedRequest(APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000) - 7200, user_id: '27400000000000001' });
  for (const path of ['/auth/deauthorize', '/auth/data-deletion']) {
    const r = await fetch(`${W()}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `signed_request=${encodeURIComponent(old)}`,
    });
    assert.equal(r.status, 401, path);
  }
  assert.ok((await dumpKv(env.worker.kv)).some(([k]) => k === `token:${id}`));
});
