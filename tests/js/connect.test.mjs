// connectAccount (server side, over globalThis.fetch) against the stand-in:
// both products end to end, big IDs exact, faults mapped to InstagateError kinds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStandin } from '../standin/server.mjs';
import * as ig from '../../pkg/node.js';

const redirectUri = 'http://127.0.0.1:8787/auth/callback';
let standin;
const config = (product) => ({ product, clientId: '1000000000000001', redirectUri, standinOrigin: standin.url });
before(async () => { standin = await startStandin({ port: 0 }); });
after(async () => { await standin.close(); });

async function loginCallback(product) {
  standin.control.consent({ decision: 'allow' });
  const login = ig.createLogin(config(product));
  const response = await fetch(login.url, { redirect: 'manual' });
  return { login, callbackUrl: response.headers.get('location') };
}

for (const product of ['instagram', 'facebook']) {
  test(`${product}: connectAccount from the callback URL gives a long-lived token and profile`, async () => {
    const { login, callbackUrl } = await loginCallback(product);
    const account = await ig.connectAccount({
      config: config(product), clientSecret: 'standin-app-secret', callbackUrl,
      expectedState: login.state, codeVerifier: login.codeVerifier,
    });
    assert.equal(typeof account.igUserId, 'string');
    assert.ok(BigInt(account.igUserId) > 2n ** 53n, `big id kept exact: ${account.igUserId}`);
    assert.ok(account.username.length > 0);
    assert.ok(account.accessToken.length > 0);
    assert.match(account.issuedAt, /^\d{4}-\d\d-\d\dT/);
    if (product === 'facebook') assert.equal(typeof account.pageId, 'string');
  });
}

test('a used code is refused with an InstagateError (codes are single-use)', async () => {
  const { login, callbackUrl } = await loginCallback('instagram');
  const input = { config: config('instagram'), clientSecret: 'standin-app-secret', callbackUrl, expectedState: login.state };
  await ig.connectAccount(input);
  await assert.rejects(ig.connectAccount(input), (e) => e instanceof ig.InstagateError && e instanceof Error
    && typeof e.kind === 'string' && e.status !== null);
});

test('a wrong client secret is an InstagateError with Meta fields', async () => {
  const { login, callbackUrl } = await loginCallback('facebook');
  await assert.rejects(ig.connectAccount({ config: config('facebook'), clientSecret: 'wrong', callbackUrl,
    expectedState: login.state, codeVerifier: login.codeVerifier }),
  (e) => e instanceof ig.InstagateError && e.status >= 400 && e.code !== null);
});

test('missing code and callbackUrl names the field', async () => {
  await assert.rejects(ig.connectAccount({ config: config('instagram'), clientSecret: 's' }),
    (e) => e instanceof ig.InstagateError && e.field === 'code');
});
