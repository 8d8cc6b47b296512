// connectAccount (the whole server side of a login, over globalThis.fetch)
// against the stand-in: both products end to end, big IDs exact, refusals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStandin } from '../standin/server.mjs';
import { ig, configFor, consent, clientSecret, rejection } from './helpers.mjs';

let standin;
before(async () => { standin = await startStandin({ port: 0 }); });
after(async () => { await standin.close(); });

test('instagram: connectAccount from the callback URL → long-lived token, profile, scopes', async () => {
  const { login, callbackUrl } = await consent(standin, 'instagram');
  const connected = await ig.connectAccount({
    config: configFor(standin, 'instagram'), clientSecret, callbackUrl, expectedState: login.state,
  });
  // One shape for both products: Instagram Login's one account in `accounts`.
  assert.deepEqual(Object.keys(connected).sort(), ['accounts', 'facebookUserId', 'product', 'skipped']);
  assert.equal(connected.product, 'instagram');
  assert.equal(connected.facebookUserId, null);
  assert.deepEqual(connected.skipped, []);
  assert.equal(connected.accounts.length, 1);
  const [account] = connected.accounts;
  assert.equal(account.igUserId, '17841400000000001');
  assert.equal(account.username, 'standin_bakery');
  assert.equal(account.accountType, 'BUSINESS');
  assert.equal(account.product, 'instagram');
  assert.equal(account.token.kind, 'instagram_long_lived');
  assert.equal(account.token.igUserId, '17841400000000001');
  assert.match(account.token.accessToken, /^IG/);
  const lifetimeDays = (Date.parse(account.token.expiresAt) - Date.parse(account.token.issuedAt)) / 86_400_000;
  assert.ok(Math.abs(lifetimeDays - 60) < 0.01, `60-day token, got ${lifetimeDays}`);
  assert.ok(account.grantedScopes.includes('instagram_business_basic'));
  assert.equal(account.page, null);
  // The app-scoped ID from the exchange (a JSON number above 2^53) arrives exact.
  assert.ok(account.aliases.includes('27400000000000001'), String(account.aliases));
});

test('facebook: connectAccount with code + verifier (what completeLogin posts) → Page token, Page, profile', async () => {
  const { login, callbackUrl } = await consent(standin, 'facebook');
  const { code, state } = ig.validateCallback(configFor(standin, 'facebook'), callbackUrl, login.state);
  const connected = await ig.connectAccount({
    config: configFor(standin, 'facebook'), clientSecret, code, state, codeVerifier: login.codeVerifier,
  });
  assert.equal(connected.facebookUserId, '10200000000000001');
  assert.equal(connected.accounts.length, 1);
  const [account] = connected.accounts;
  assert.equal(account.igUserId, '17841400000000001');
  assert.equal(account.token.kind, 'facebook_page');
  assert.equal(account.token.expiresAt, null, 'a Page token from a long-lived user token does not expire');
  assert.deepEqual(account.page, { pageId: '10300000000000001', pageName: 'Stand-in Bakery' });
  assert.ok(account.aliases.includes('10200000000000001'), String(account.aliases));
  assert.ok(BigInt(account.igUserId) > 2n ** 53n);
});

test('facebook: one login connects every account the person granted, across pages of /me/accounts', async () => {
  // fb_agency manages four Pages, three linked; the stand-in answers two Pages a page.
  const { login, callbackUrl } = await consent(standin, 'facebook', { account: 'fb_agency' });
  const connected = await ig.connectAccount({
    config: configFor(standin, 'facebook'), clientSecret, callbackUrl, expectedState: login.state, codeVerifier: login.codeVerifier,
  });
  assert.equal(connected.product, 'facebook');
  assert.equal(connected.facebookUserId, '10200000000000004');
  assert.deepEqual(
    connected.accounts.map((a) => [a.igUserId, a.username, a.page.pageId]),
    [
      ['17841400000000005', 'standin_cafe', '10300000000000005'],
      ['17841400000000006', 'standin_gym', '10300000000000006'],
      ['17841400000000004', 'standin_florist', '10300000000000003'],
    ],
  );
  for (const a of connected.accounts) {
    assert.equal(a.token.kind, 'facebook_page');
    assert.equal(a.token.expiresAt, null);
    assert.equal(a.token.igUserId, a.igUserId);
    assert.ok(a.aliases.includes('10200000000000004'));
  }
  assert.notEqual(connected.accounts[0].token.accessToken, connected.accounts[1].token.accessToken, 'a Page token each');
  assert.deepEqual(connected.skipped, []);
  // Each Page token publishes for its own account.
  const published = await ig.publishImage({
    config: configFor(standin, 'facebook'), clientSecret, accessToken: connected.accounts[1].token.accessToken,
    igUserId: connected.accounts[1].igUserId, imageUrl: 'https://cdn.example/gym.jpg', caption: 'leg day',
  });
  assert.match(published.mediaId, /^\d+$/);
});

test('facebook: `accounts` keeps the chosen ones, by Instagram user ID or Page ID; others are skipped with a reason', async () => {
  const { login, callbackUrl } = await consent(standin, 'facebook', { account: 'fb_agency' });
  const connected = await ig.connectAccount({
    config: configFor(standin, 'facebook'), clientSecret, callbackUrl, expectedState: login.state, codeVerifier: login.codeVerifier,
    accounts: ['17841400000000004', '10300000000000005'],
  });
  assert.deepEqual(connected.accounts.map((a) => a.username), ['standin_cafe', 'standin_florist']);
  assert.deepEqual(connected.skipped, [{
    igUserId: '17841400000000006', username: 'standin_gym', pageId: '10300000000000006', pageName: 'Stand-in Gym', reason: 'not_chosen',
  }]);

  const again = await consent(standin, 'facebook', { account: 'fb_agency' });
  const e = await rejection(ig.connectAccount({
    config: configFor(standin, 'facebook'), clientSecret, callbackUrl: again.callbackUrl, expectedState: again.login.state,
    codeVerifier: again.login.codeVerifier, accounts: ['17841400000000001'],
  }));
  assert.equal(e.kind, 'no_linked_account');
  assert.match(e.message, /17841400000000001/);
  const bad = await rejection(ig.connectAccount({ config: configFor(standin, 'facebook'), clientSecret, code: 'c', accounts: [17841400000000005] }));
  assert.deepEqual([bad.kind, bad.field], ['invalid_input', 'accounts']);
});

test('facebook: without the PKCE verifier the exchange is refused', async () => {
  const { login, callbackUrl } = await consent(standin, 'facebook');
  const e = await rejection(ig.connectAccount({
    config: configFor(standin, 'facebook'), clientSecret, callbackUrl, expectedState: login.state,
  }));
  assert.ok(e.status >= 400 && e.code !== null, `${e.kind} ${e.status} ${e.code}`);
});

test('a used code is refused (codes are single-use)', async () => {
  const { login, callbackUrl } = await consent(standin, 'instagram');
  const input = { config: configFor(standin, 'instagram'), clientSecret, callbackUrl, expectedState: login.state };
  await ig.connectAccount(input);
  const e = await rejection(ig.connectAccount(input));
  assert.equal(e.kind, 'invalid_code');
  assert.equal(e.status, 400);
});

test('a wrong client secret is an InstagateError with Meta fields', async () => {
  const { login, callbackUrl } = await consent(standin, 'facebook');
  const e = await rejection(ig.connectAccount({ config: configFor(standin, 'facebook'), clientSecret: 'wrong',
    callbackUrl, expectedState: login.state, codeVerifier: login.codeVerifier }));
  assert.ok(e.status >= 400 && e.code !== null && e.errorType !== null, JSON.stringify(e));
});

test('a personal Instagram account is refused with personal_account', async () => {
  const { login, callbackUrl } = await consent(standin, 'instagram', { account: 'personal' });
  const e = await rejection(ig.connectAccount({ config: configFor(standin, 'instagram'), clientSecret,
    callbackUrl, expectedState: login.state }));
  assert.equal(e.kind, 'personal_account');
  assert.equal(e.retryable, false);
});

test('facebook: a person whose Pages have no Instagram account → no_linked_account', async () => {
  const { login, callbackUrl } = await consent(standin, 'facebook', { account: 'fb_no_ig' });
  const e = await rejection(ig.connectAccount({ config: configFor(standin, 'facebook'), clientSecret,
    callbackUrl, expectedState: login.state, codeVerifier: login.codeVerifier }));
  assert.equal(e.kind, 'no_linked_account');
});

test('a denied consent never reaches the exchange: oauth_denied', async () => {
  const { login, callbackUrl } = await consent(standin, 'instagram', { decision: 'deny' });
  const e = await rejection(ig.connectAccount({ config: configFor(standin, 'instagram'), clientSecret,
    callbackUrl, expectedState: login.state }));
  assert.equal(e.kind, 'oauth_denied');
});

test('missing code and callbackUrl names the field; a bad timeoutMs too', async () => {
  const config = configFor(standin, 'instagram');
  let e = await rejection(ig.connectAccount({ config, clientSecret }));
  assert.deepEqual([e.kind, e.field], ['invalid_input', 'code']);
  e = await rejection(ig.connectAccount({ config, clientSecret, code: 'c', timeoutMs: -1 }));
  assert.deepEqual([e.kind, e.field], ['invalid_input', 'timeoutMs']);
  e = await rejection(ig.connectAccount({ config, code: 'c' }));
  assert.deepEqual([e.kind, e.field], ['invalid_input', 'clientSecret']);
  e = await rejection(ig.connectAccount({ config: { ...config, endpoints: { graphBase: 'ftp://x' } }, clientSecret, code: 'c' }));
  assert.deepEqual([e.kind, e.field], ['config', 'endpoints.graphBase']);
});

// The claim in index.d.ts (connectAccount): "2 round trips of 3 requests
// (Instagram Login) or 3 round trips of 5 requests (Facebook Login)"; the
// requests are counted here, the round trips (the requests after the code
// exchange go out together) in tests/core_oauth/flows.rs on a fake clock.
test('connectAccount makes the documented number of calls to Meta per product', async () => {
  for (const [product, expected] of [
    ['instagram', ['api.instagram.com/oauth/access_token', 'graph.instagram.com/access_token', 'graph.instagram.com/v27.0/me']],
    ['facebook', ['oauth/access_token', 'oauth/access_token', 'me/permissions', '/me', 'me/accounts']],
  ]) {
    const { login, callbackUrl } = await consent(standin, product);
    standin.control.clearLog();
    await ig.connectAccount({ config: configFor(standin, product), clientSecret, callbackUrl, expectedState: login.state, codeVerifier: login.codeVerifier });
    const sent = standin.control.log({}).entries.map((e) => `${e.host}${e.path}`);
    assert.equal(sent.length, expected.length, `${product}: ${sent.join(', ')}`);
    for (const part of expected) assert.ok(sent.some((s) => s.includes(part)), `${product}: no ${part} in ${sent.join(', ')}`);
  }
});
