// The step-by-step server functions against the stand-in: exchangeCode,
// getLongLivedToken, refreshToken (stand-in clock +25 h), getProfile,
// getPermissions, getFacebookPages, resolveInstagramAccount, tokenStatus.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStandin } from '../standin/server.mjs';
import { ig, configFor, consent, clientSecret, rejection, HOUR_MS } from './helpers.mjs';

let standin;
before(async () => { standin = await startStandin({ port: 0 }); });
after(async () => { await standin.close(); });

async function instagramShortLived() {
  const { login, callbackUrl } = await consent(standin, 'instagram');
  return ig.exchangeCode({ config: configFor(standin, 'instagram'), clientSecret, callbackUrl, expectedState: login.state });
}

async function facebookUserToken() {
  const config = configFor(standin, 'facebook');
  const { login, callbackUrl } = await consent(standin, 'facebook', { account: 'fb_two_pages' });
  const exchanged = await ig.exchangeCode({ config, clientSecret, callbackUrl, expectedState: login.state, codeVerifier: login.codeVerifier });
  return ig.getLongLivedToken({ config, clientSecret, token: exchanged.token });
}

test('instagram: exchangeCode → short-lived token with the exact user_id and the granted permissions', async () => {
  const exchanged = await instagramShortLived();
  assert.equal(exchanged.token.kind, 'instagram_short_lived');
  assert.equal(exchanged.userId, '27400000000000001', 'user_id above 2^53 kept exact');
  assert.ok(exchanged.permissions.includes('instagram_business_content_publish'), String(exchanged.permissions));
  const lifetime = Date.parse(exchanged.token.expiresAt) - Date.parse(exchanged.token.issuedAt);
  assert.equal(lifetime, HOUR_MS);
});

test('instagram: getLongLivedToken → 60 days; refreshToken refused under 24 h, accepted after +25 h', async () => {
  const config = configFor(standin, 'instagram');
  const short = (await instagramShortLived()).token;
  const long = await ig.getLongLivedToken({ config, clientSecret, token: short });
  assert.equal(long.kind, 'instagram_long_lived');
  assert.notEqual(long.accessToken, short.accessToken);

  const early = await rejection(ig.refreshToken({ config, token: long }));
  assert.equal(early.kind, 'refresh_too_early');
  assert.ok(early.retryAfter > 23 * 3600 && early.retryAfter <= 24 * 3600, String(early.retryAfter));
  assert.equal(standin.control.log({ path: 'refresh_access_token' }).entries.length, 0, 'refused locally, no call made');

  // A day later on both clocks: the stand-in's, and the record's issue time.
  standin.control.advance(25 * 3600);
  try {
    const aged = { ...long, issuedAt: new Date(Date.parse(long.issuedAt) - 25 * HOUR_MS).toISOString() };
    const refreshed = await ig.refreshToken({ config, token: aged });
    assert.equal(refreshed.kind, 'instagram_long_lived');
    assert.ok(Date.parse(refreshed.expiresAt) > Date.parse(long.expiresAt), 'a fresh 60 days');
    const status = ig.tokenStatus(refreshed);
    assert.equal(status.expired, false);
    assert.ok(status.daysLeft >= 59, String(status.daysLeft));
  } finally {
    standin.control.setOffset(0);
  }
});

test('instagram: getProfile for a long-lived token; a revoked token → invalid_token', async () => {
  const config = configFor(standin, 'instagram');
  const long = await ig.getLongLivedToken({ config, clientSecret, token: (await instagramShortLived()).token });
  const profile = await ig.getProfile({ config, accessToken: long.accessToken });
  assert.equal(profile.igUserId, '17841400000000001');
  assert.equal(profile.appScopedId, '27400000000000001');
  assert.equal(profile.username, 'standin_bakery');
  assert.equal(typeof profile.followersCount, 'number');
  standin.control.revokeToken(long.accessToken);
  const e = await rejection(ig.getProfile({ config, accessToken: long.accessToken }));
  assert.equal(e.kind, 'invalid_token');
  assert.equal(e.code, 190);
});

test('facebook: getPermissions, getFacebookPages and resolveInstagramAccount (two Pages, one linked)', async () => {
  const config = configFor(standin, 'facebook');
  const user = await facebookUserToken();
  assert.equal(user.kind, 'facebook_user_long_lived');
  const permissions = await ig.getPermissions({ config, accessToken: user.accessToken });
  assert.ok(permissions.granted.includes('instagram_basic'), String(permissions.granted));
  assert.ok(Array.isArray(permissions.declined));

  const pages = await ig.getFacebookPages({ config, accessToken: user.accessToken });
  assert.equal(pages.pagesSeen, 2);
  assert.equal(pages.truncated, false);
  assert.deepEqual(pages.pages.map((p) => [p.pageId, p.instagram.igUserId]), [['10300000000000003', '17841400000000004']]);
  assert.equal(pages.pages[0].instagram.username, 'standin_florist');

  const chosen = await ig.resolveInstagramAccount({ config, accessToken: user.accessToken, igUserId: '17841400000000004' });
  assert.equal(chosen.pageId, '10300000000000003');
  assert.ok(chosen.pageToken.length > 0);
  const profile = await ig.getProfile({ config, accessToken: chosen.pageToken, igUserId: chosen.instagram.igUserId });
  assert.equal(profile.username, 'standin_florist');

  const other = await rejection(ig.resolveInstagramAccount({ config, accessToken: user.accessToken, igUserId: '17841400000000001' }));
  assert.equal(other.kind, 'no_linked_account');
});

test('facebook: getProfile needs igUserId; Pages are refused for an Instagram Login config', async () => {
  let e = await rejection(ig.getProfile({ config: configFor(standin, 'facebook'), accessToken: 'EAAx' }));
  assert.deepEqual([e.kind, e.field], ['invalid_input', 'igUserId']);
  e = await rejection(ig.getFacebookPages({ config: configFor(standin, 'instagram'), accessToken: 'IGx' }));
  assert.deepEqual([e.kind, e.field], ['config', 'product']);
});

test('facebook: a user token has no refresh; a Page token needs none', async () => {
  const config = configFor(standin, 'facebook');
  const user = await facebookUserToken();
  const e = await rejection(ig.refreshToken({ config, token: user }));
  assert.equal(e.kind, 'invalid_input');
  assert.match(e.message, /no refresh endpoint/);
});

test('tokenStatus: expiry, days left and refresh advice from a record (no network)', () => {
  const issuedAt = '2026-01-01T00:00:00.000Z';
  const record = { accessToken: 'IGAAx', kind: 'instagram_long_lived', issuedAt, expiresAt: '2026-03-02T00:00:00.000Z', scopes: [], igUserId: null };
  let s = ig.tokenStatus(record, { now: '2026-01-01T12:00:00Z' });
  assert.deepEqual([s.daysLeft, s.needsRefresh, s.refreshable, s.expired], [59, false, false, false]);
  assert.equal(s.refreshableAt, '2026-01-02T00:00:00.000Z');
  s = ig.tokenStatus(record, { now: new Date('2026-02-15T00:00:00Z') });
  assert.deepEqual([s.daysLeft, s.needsRefresh, s.refreshable], [15, true, true]);
  s = ig.tokenStatus(record, { now: Date.parse('2026-01-10T00:00:00Z'), refreshWhenDaysLeft: 55 });
  assert.equal(s.needsRefresh, true);
  s = ig.tokenStatus(record, { now: '2026-03-03T00:00:00Z' });
  assert.deepEqual([s.expired, s.refreshable, s.needsRefresh], [true, false, false]);
  s = ig.tokenStatus({ ...record, kind: 'facebook_page', expiresAt: null }, { now: '2026-06-01T00:00:00Z' });
  assert.deepEqual([s.expiresAt, s.daysLeft, s.needsRefresh, s.refreshable], [null, null, false, false]);
});

test('tokenStatus: bad records name the field', () => {
  const good = { accessToken: 'x', kind: 'instagram_long_lived', issuedAt: '2026-01-01T00:00:00Z' };
  const field = (fn) => { try { fn(); } catch (e) { assert.ok(e instanceof ig.InstagateError); return [e.kind, e.field]; } return null; };
  assert.deepEqual(field(() => ig.tokenStatus({ ...good, kind: 'forever' })), ['invalid_input', 'kind']);
  assert.deepEqual(field(() => ig.tokenStatus({ ...good, issuedAt: 'yesterday' })), ['invalid_input', 'issuedAt']);
  assert.deepEqual(field(() => ig.tokenStatus({ ...good, accessToken: 42 })), ['invalid_input', 'accessToken']);
  assert.deepEqual(field(() => ig.tokenStatus(good, { now: 'soon' })), ['invalid_input', 'now']);
  assert.deepEqual(field(() => ig.tokenStatus(null)), ['invalid_input', 'record']);
});
