// The npm package (pkg/, built by scripts/build-pkg.sh) against the stand-in:
// consent URLs for both products, callback validation, denial, state mismatch,
// InstagateError fields, and the browser sessionStorage helpers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStandin } from '../standin/server.mjs';
import * as ig from '../../pkg/node.js';

const redirectUri = 'http://127.0.0.1:8787/auth/callback';
let standin;
const config = (product) => ({
  product, clientId: '1000000000000001', redirectUri, standinOrigin: standin.url,
});

before(async () => { standin = await startStandin({ port: 0 }); });
after(async () => { await standin.close(); });

async function consentRedirect(url) {
  const response = await fetch(url, { redirect: 'manual' });
  assert.equal(response.status, 302, `consent page should redirect, got ${response.status}`);
  return response.headers.get('location');
}

for (const product of ['instagram', 'facebook']) {
  test(`${product}: full login — consent allow, callback validated, code exchanges with the verifier`, async () => {
    standin.control.consent({ decision: 'allow' });
    const login = ig.createLogin(config(product));
    assert.ok(login.url.startsWith(standin.url), login.url);
    assert.match(login.state, /^[A-Za-z0-9_-]{43}$/);
    assert.match(login.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
    const callback = await consentRedirect(login.url);
    const { code, state } = ig.validateCallback(config(product), callback, login.state);
    assert.equal(state, login.state);
    assert.ok(code.length > 0);
    // The code and verifier must be accepted by the token endpoint.
    const tokenUrl = product === 'instagram'
      ? `${standin.url}/api.instagram.com/oauth/access_token`
      : `${standin.url}/graph.facebook.com/v27.0/oauth/access_token`;
    const form = new URLSearchParams({
      client_id: '1000000000000001', client_secret: 'standin-app-secret',
      grant_type: 'authorization_code', redirect_uri: redirectUri, code,
      code_verifier: login.codeVerifier,
    });
    const exchanged = await fetch(tokenUrl, { method: 'POST', body: form });
    assert.equal(exchanged.status, 200, await exchanged.clone().text());
  });

  test(`${product}: denial becomes an InstagateError of kind oauth_denied`, async () => {
    standin.control.consent({ decision: 'deny' });
    const login = ig.createLogin(config(product));
    const callback = await consentRedirect(login.url);
    assert.throws(() => ig.validateCallback(config(product), callback, login.state), (e) => {
      assert.ok(e instanceof Error);
      assert.ok(e instanceof ig.InstagateError);
      assert.equal(e.name, 'InstagateError');
      assert.equal(e.kind, 'oauth_denied');
      assert.equal(e.retryable, false);
      return true;
    });
  });
}

test('state mismatch is refused with kind state_mismatch', async () => {
  standin.control.consent({ decision: 'allow' });
  const login = ig.createLogin(config('instagram'));
  const other = ig.createLogin(config('instagram'));
  const callback = await consentRedirect(login.url);
  assert.throws(() => ig.validateCallback(config('instagram'), callback, other.state),
    (e) => e instanceof ig.InstagateError && e.kind === 'state_mismatch');
});

test('a foreign redirect URI is refused, not accepted', async () => {
  assert.throws(() => ig.validateCallback(config('instagram'),
    'http://evil.example/auth/callback?code=x&state=y', 'y'),
  (e) => e instanceof ig.InstagateError && typeof e.kind === 'string' && e.kind !== 'state_mismatch');
});

test('bad config names the field; no panic reaches JS', () => {
  assert.throws(() => ig.createLogin({ product: 'instagram', clientId: 'abc', redirectUri }),
    (e) => e instanceof ig.InstagateError && e.kind === 'config' && e.field === 'clientId');
  assert.throws(() => ig.createLogin({ product: 'myspace', clientId: '1', redirectUri }),
    (e) => e instanceof ig.InstagateError);
  assert.throws(() => ig.createLogin(42), (e) => e instanceof ig.InstagateError && e.kind === 'config');
  // Still usable after errors (no poisoned module).
  assert.ok(ig.createLogin(config('facebook')).url);
});

test('scopes of the other product are refused', () => {
  assert.throws(() => ig.createLogin({ ...config('facebook'), scopes: ['instagram_business_basic'] }),
    (e) => e instanceof ig.InstagateError);
});

test('startLogin/completeLogin keep state per redirect URI and refuse replays', async () => {
  const store = new Map();
  globalThis.sessionStorage = {
    getItem: (k) => (store.has(k) ? store.get(k) : null),
    setItem: (k, v) => store.set(k, String(v)),
    removeItem: (k) => store.delete(k),
  };
  try {
    standin.control.consent({ decision: 'allow' });
    const started = ig.startLogin(config('facebook'));
    assert.equal(started.codeVerifier, undefined, 'verifier stays in storage');
    const callback = await consentRedirect(started.url);
    const done = ig.completeLogin(config('facebook'), callback);
    assert.equal(done.state, started.state);
    assert.match(done.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(store.size, 0, 'storage cleared');
    assert.throws(() => ig.completeLogin(config('facebook'), callback),
      (e) => e instanceof ig.InstagateError && e.kind === 'state_mismatch');
  } finally {
    delete globalThis.sessionStorage;
  }
});
