// Injected stand-in faults on the profile call (getProfile), mapped to
// InstagateError kinds and fields; and the same faults inside connectAccount,
// where they come after the single-use code was exchanged.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startStandin } from '../standin/server.mjs';
import * as ig from '../../pkg/node.js';

const redirectUri = 'http://127.0.0.1:8787/auth/callback';
let standin;
const config = () => ({ product: 'instagram', clientId: '1000000000000001', redirectUri, standinOrigin: standin.url });
before(async () => { standin = await startStandin({ port: 0 }); });
after(async () => { await standin.close(); });
afterEach(() => standin.control.clearFaults());

/** getProfile with `fault` on every `/me`: the InstagateError it fails with. */
async function profileWithFault(fault, extra = {}) {
  const { access_token: accessToken } = standin.control.mintToken({ product: 'instagram', account: 'biz', kind: 'long' });
  standin.control.faults([{ host: 'graph.instagram.com', path: '/me', times: 'always', fault }]);
  try {
    await ig.getProfile({ config: config(), accessToken, ...extra });
  } catch (e) {
    assert.ok(e instanceof ig.InstagateError && e instanceof Error, String(e));
    return e;
  }
  assert.fail('getProfile should have failed');
}

async function connectWithFault(fault, extra = {}) {
  standin.control.consent({ decision: 'allow' });
  const login = ig.createLogin(config());
  const callbackUrl = (await fetch(login.url, { redirect: 'manual' })).headers.get('location');
  standin.control.faults([{ host: 'graph.instagram.com', path: '/me', times: 'always', fault }]);
  try {
    await ig.connectAccount({ config: config(), clientSecret: 'standin-app-secret', callbackUrl, expectedState: login.state, ...extra });
  } catch (e) {
    assert.ok(e instanceof ig.InstagateError && e instanceof Error, String(e));
    return e;
  }
  assert.fail('connectAccount should have failed');
}

test('5xx → retryable transient error with the status', async () => {
  const e = await profileWithFault({ type: 'status', status: 503, body: 'down' });
  assert.equal(e.status, 503);
  assert.equal(e.retryable, true);
});

test('429 with Retry-After → rate_limited with retryAfter in seconds', async () => {
  const e = await profileWithFault({ type: 'rate_limit', status: 429, retryAfter: 7 });
  assert.equal(e.kind, 'rate_limited');
  assert.equal(e.retryAfter, 7);
  assert.equal(e.code, 4);
});

test('Graph code 190 → invalid_token with Meta fields', async () => {
  const e = await profileWithFault({ type: 'graph_error', code: 190, message: 'bad token' });
  assert.equal(e.kind, 'invalid_token');
  assert.equal(e.code, 190);
  assert.equal(e.errorType, 'OAuthException');
});

test('HTML page with 200 → unexpected_response, never a crash', async () => {
  const e = await profileWithFault({ type: 'html', status: 200 });
  assert.equal(e.kind, 'unexpected_response');
  assert.equal(e.status, 200);
});

test('HTML error page with 502 → transient (retryable), status kept', async () => {
  const e = await profileWithFault({ type: 'html', status: 502 });
  assert.equal(e.kind, 'transient');
  assert.equal(e.status, 502);
  assert.equal(e.retryable, true);
});

test('a hung answer with timeoutMs → timeout (retryable), promptly', async () => {
  const started = Date.now();
  const e = await profileWithFault({ type: 'hang' }, { timeoutMs: 300 });
  assert.equal(e.kind, 'timeout');
  assert.equal(e.retryable, true);
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

test('a slow answer within timeoutMs succeeds', async () => {
  standin.control.faults([{ host: 'graph.instagram.com', path: '/me', times: 1, fault: { type: 'delay', ms: 300 } }]);
  standin.control.consent({ decision: 'allow' });
  const login = ig.createLogin(config());
  const callbackUrl = (await fetch(login.url, { redirect: 'manual' })).headers.get('location');
  const { accounts: [account] } = await ig.connectAccount({ config: config(), clientSecret: 'standin-app-secret', callbackUrl,
    expectedState: login.state, timeoutMs: 5000 });
  assert.equal(account.username, 'standin_bakery');
});

test('a truncated body (connection cut mid-answer) → transport error, retryable', async () => {
  const e = await profileWithFault({ type: 'truncated' });
  assert.equal(e.kind, 'transport');
  assert.equal(e.retryable, true);
});

test("the caller's AbortSignal → aborted, not retryable", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const e = await profileWithFault({ type: 'hang' }, { signal: controller.signal });
  assert.equal(e.kind, 'aborted');
  assert.equal(e.retryable, false);
});

test('Graph code 4 as Meta sends it (HTTP 400, no Retry-After) → rate_limited, retryable', async () => {
  const e = await profileWithFault({ type: 'rate_limit', status: 400, retryAfter: null, code: 4 });
  assert.equal(e.kind, 'rate_limited');
  assert.equal(e.status, 400);
  assert.equal(e.retryable, true);
});

// Business Login for Instagram: the code "can only be used once"
// (developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login).
test('inside connectAccount the same faults come after the code was exchanged: not retryable, start the login again', async () => {
  for (const fault of [{ type: 'status', status: 503, body: 'down' }, { type: 'rate_limit', status: 429, retryAfter: 7 }]) {
    standin.control.clearFaults();
    const e = await connectWithFault(fault);
    assert.equal(e.status, fault.status);
    assert.equal(e.retryable, false, e.message);
    assert.equal(e.retryAfter, null);
    assert.match(e.message, /start the login again/);
  }
});
