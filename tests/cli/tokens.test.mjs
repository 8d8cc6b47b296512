// Looking after tokens: `import` (expiry learned by a refresh, or given),
// `status` and its exit code, `refresh --if-due` (stand-in expiry and a fake
// clock), `validate` (a revoked token), and the store's failure modes: a
// wrong key, a missing key, a damaged file — each a clear error, nothing
// overwritten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setup, fail, DAY_S } from './helpers.mjs';

const mint = (s, opts) => s.standin.control.mintToken({ product: 'instagram', account: 'biz', kind: 'long', ...opts });
const refreshCalls = (s) => s.standin.control.log({ path: 'refresh_access_token' }).entries.length;
const statusJson = async (s, args = [], opts) => {
  const r = await s.run(['status', '--json', ...args], opts);
  return { code: r.code, ...JSON.parse(r.stdout) };
};

test('import (Instagram): validated, expiry unknown → refreshed at once so it is known', async (t) => {
  const s = await setup(t);
  const minted = mint(s, { ageSeconds: 2 * DAY_S });
  const r = await s.run(['import', '--token', '-'], { input: `${minted.access_token}\n` });
  assert.equal(r.code, 0, fail(r));
  assert.match(r.stdout, /imported standin_bakery \(instagram:17841400000000001\): instagram_long_lived token/);
  assert.match(r.stderr, /refreshed: the new one expires/);
  assert.equal(refreshCalls(s), 1);
  const st = await statusJson(s);
  assert.equal(st.code, 0);
  assert.equal(st.accounts[0].daysLeft, 59);
  assert.ok(st.accounts[0].lastRefresh.ok);
});

test('import: a token Meta refuses is not stored (exit 1, invalid_token advice)', async (t) => {
  const s = await setup(t);
  const minted = mint(s);
  s.standin.control.revokeToken(minted.access_token);
  const r = await s.run(['import', '--token', minted.access_token]);
  assert.equal(r.code, 1, fail(r));
  assert.match(r.stderr, /kind invalid_token, code 190\/467/);
  assert.match(r.stderr, /what to do: The token was revoked/);
  assert.equal((await s.files()).length, 0, 'nothing written');
});

test('status + refresh --if-due with the expiry set by the stand-in: only the due token is refreshed', async (t) => {
  const s = await setup(t);
  const old = mint(s, { ageSeconds: 40 * DAY_S });          // 20 days left: due
  const fresh = mint(s, { account: 'creator', ageSeconds: 2 * DAY_S });
  for (const m of [old, fresh]) {
    const r = await s.run(['import', '--token', m.access_token, '--expires-at', m.expires_at, '--issued-at', m.issued_at]);
    assert.equal(r.code, 0, fail(r));
  }
  assert.equal(refreshCalls(s), 0, 'a known expiry needs no refresh at import');
  const before = await statusJson(s);
  assert.equal(before.code, 3, 'a due token needs attention');
  const due = before.accounts.find((a) => a.username === 'standin_bakery');
  assert.equal(due.daysLeft, 19);
  assert.equal(due.needsRefresh, true);
  assert.deepEqual(due.reasons, ['refresh due']);
  assert.equal(before.accounts.find((a) => a.username === 'standin_creator').needsRefresh, false);
  const table = await s.run(['status']);
  assert.match(table.stdout, /standin_bakery\s+instagram\s+\S+ \S+ UTC\s+19\s+yes\s+-\s+refresh due/);

  const r = await s.run(['refresh', '--if-due']);
  assert.equal(r.code, 0, fail(r));
  assert.match(r.stdout, /refreshed standin_bakery \(instagram:17841400000000001\): new token expires/);
  assert.match(r.stdout, /skip standin_creator \(instagram:17841400000000002\): not due \(57 days left\)/);
  assert.equal(refreshCalls(s), 1);
  for (const m of [old, fresh]) assert.ok(!r.stdout.includes(m.access_token) && !r.stderr.includes(m.access_token));
  const after = await statusJson(s);
  assert.equal(after.code, 0, JSON.stringify(after));
  assert.equal(after.accounts.find((a) => a.username === 'standin_bakery').daysLeft, 59);
  // The store holds the new token: it works, and the stand-in issued it by refresh.
  const v = await s.run(['validate', '--account', 'standin_bakery']);
  assert.equal(v.code, 0, fail(v));
  const refreshed = s.standin.control.state().tokens.filter((tk) => tk.refreshedFrom === old.access_token);
  assert.equal(refreshed.length, 1);
});

test('refresh --if-due with a fake clock (INSTAGATE_NOW + the stand-in clock 45 days on)', async (t) => {
  const s = await setup(t);
  const m = mint(s);
  const imp = await s.run(['import', '--token', m.access_token, '--expires-in', String(60 * DAY_S)]);
  assert.equal(imp.code, 0, fail(imp));
  assert.equal((await statusJson(s)).code, 0);
  s.standin.control.setOffset(45 * DAY_S);
  const later = { env: { INSTAGATE_NOW: new Date(Date.now() + 45 * DAY_S * 1000).toISOString() } };
  const st = await statusJson(s, [], later);
  assert.equal(st.code, 3);
  assert.equal(st.accounts[0].daysLeft, 14);
  const r = await s.run(['refresh', '--if-due'], later);
  assert.equal(r.code, 0, fail(r));
  assert.match(r.stdout, /refreshed standin_bakery/);
  const after = await statusJson(s, [], later);
  assert.equal(after.code, 0);
  // 60 days from the refresh, seen a few milliseconds later (each run's clock starts at INSTAGATE_NOW).
  assert.ok([59, 60].includes(after.accounts[0].daysLeft), String(after.accounts[0].daysLeft));
  // A second run the same day has nothing to do.
  const again = await s.run(['refresh', '--if-due'], later);
  assert.equal(again.code, 0, fail(again));
  assert.match(again.stdout, /not due \((59|60) days left\)/);
  assert.equal(refreshCalls(s), 1);
});

test('an expired token: status and refresh say to log in again (exit 3), nothing is sent', async (t) => {
  const s = await setup(t);
  const m = mint(s, { ageSeconds: 2 * DAY_S });
  await s.run(['import', '--token', m.access_token, '--expires-at', m.expires_at]);
  const later = { env: { INSTAGATE_NOW: new Date(Date.now() + 61 * DAY_S * 1000).toISOString() } };
  const st = await statusJson(s, [], later);
  assert.equal(st.code, 3);
  assert.equal(st.accounts[0].expired, true);
  assert.deepEqual(st.accounts[0].reasons, ['token expired: log in again']);
  const r = await s.run(['refresh', '--if-due'], later);
  assert.equal(r.code, 3, fail(r));
  assert.match(r.stdout, /skip standin_bakery .*: the token has expired: it cannot be refreshed; log in again/);
  assert.equal(refreshCalls(s), 0);
});

test('refresh: a failed refresh is recorded, exit 3, and the old token is kept', async (t) => {
  const s = await setup(t);
  const m = mint(s, { ageSeconds: 40 * DAY_S });
  await s.run(['import', '--token', m.access_token, '--expires-at', m.expires_at]);
  s.standin.control.faults([{ host: 'graph.instagram.com', path: '/refresh_access_token', times: 'always', fault: { type: 'graph_error', status: 400, code: 190, subcode: 460, message: 'Error validating access token: The session has been invalidated because the user changed their password.' } }]);
  const r = await s.run(['refresh', '--if-due']);
  assert.equal(r.code, 3, fail(r));
  assert.match(r.stderr, /FAIL standin_bakery \(instagram:17841400000000001\): Error validating access token/);
  assert.match(r.stderr, /what to do: The token was revoked/);
  const st = await statusJson(s);
  assert.equal(st.code, 3);
  assert.deepEqual(st.accounts[0].reasons, ['refresh due', 'last refresh failed (invalid_token)']);
  s.standin.control.clearFaults();
  const exported = await s.run(['export']);
  assert.match(exported.stdout, new RegExp(`^INSTAGATE_TOKEN=${m.access_token}$`, 'm'), 'the old token is still there');
});

test('validate: a real call per account; a revoked token says what it means (exit 3)', async (t) => {
  const s = await setup(t);
  const good = mint(s, { account: 'creator' });
  const bad = mint(s);
  for (const m of [good, bad]) await s.run(['import', '--token', m.access_token, '--expires-at', m.expires_at]);
  const ok = await s.run(['validate']);
  assert.equal(ok.code, 0, fail(ok));
  assert.match(ok.stdout, /^ok {3}standin_bakery .*the token works — profile read \(BUSINESS, 0 posts, 1520 followers\); publishing quota 0\/100 used/m);
  s.standin.control.revokeToken(bad.access_token);
  const r = await s.run(['validate']);
  assert.equal(r.code, 3, fail(r));
  assert.match(r.stdout, /^ok {3}standin_creator/m);
  assert.match(r.stdout, /^FAIL standin_bakery .*\n {5}\(kind invalid_token, code 190\/467.*\n {5}what to do: The token was revoked/m);
  const json = JSON.parse((await s.run(['validate', '--json'])).stdout);
  assert.equal(json.accounts.find((a) => a.username === 'standin_bakery').error.kind, 'invalid_token');
  const st = await statusJson(s);
  assert.equal(st.code, 3);
  assert.deepEqual(st.accounts.find((a) => a.username === 'standin_bakery').reasons, ['last validate failed (invalid_token)']);
});

test('import (Facebook Login): a user token becomes the Page token; a Page token needs --ig-user-id', async (t) => {
  const s = await setup(t);
  const env = { env: { INSTAGATE_PRODUCT: 'facebook' } };
  const user = s.standin.control.mintToken({ product: 'facebook', account: 'fb_two_pages', kind: 'short' });
  const r = await s.run(['import', '--token', user.access_token], env);
  assert.equal(r.code, 0, fail(r));
  assert.match(r.stdout, /imported standin_florist \(facebook:17841400000000004\): facebook_page token, does not expire/);
  assert.equal(s.standin.control.log({ path: '/oauth/access_token' }).entries.length, 1, 'made long-lived first (fb_exchange_token)');
  const exported = await s.run(['export'], env);
  const pageToken = /^INSTAGATE_TOKEN=(\S+)$/m.exec(exported.stdout)[1];
  assert.match(pageToken, /^EAAP/);

  const s2 = await setup(t);
  const noId = await s2.run(['import', '--token', pageToken], env);
  assert.equal(noId.code, 1, fail(noId));
  const pageOnly = await s.run(['import', '--token', pageToken, '--ig-user-id', '17841400000000004', '--store', `${s.dir}/other.json`], env);
  assert.equal(pageOnly.code, 0, fail(pageOnly));
  assert.match(pageOnly.stdout, /imported standin_florist \(facebook:17841400000000004\): facebook_page token/);
});

test('store: a wrong key → exit 4, the file untouched; no key at all → exit 4', async (t) => {
  const s = await setup(t);
  const m = mint(s);
  const key = { env: { INSTAGATE_KEY: 'correct horse battery staple' } };
  assert.equal((await s.run(['import', '--token', m.access_token, '--expires-at', m.expires_at], key)).code, 0);
  assert.deepEqual(await s.files(), ['tokens.json'], 'INSTAGATE_KEY set: no key file made');
  const before = await readFile(s.storePath);
  const wrong = { env: { INSTAGATE_KEY: 'wrong horse battery staple' } };
  for (const args of [['status'], ['refresh'], ['import', '--token', m.access_token, '--expires-at', m.expires_at]]) {
    const r = await s.run(args, wrong);
    assert.equal(r.code, 4, `${args[0]}: ${fail(r)}`);
    assert.match(r.stderr, /cannot be opened: the key does not open it \(wrong INSTAGATE_KEY or key file\)/);
    assert.match(r.stderr, /nothing was changed/);
  }
  const none = await s.run(['status']);
  assert.equal(none.code, 4, fail(none));
  assert.match(none.stderr, /is encrypted and no key was found/);
  assert.deepEqual(await readFile(s.storePath), before, 'the store file was not rewritten');
  assert.equal((await s.run(['status'], key)).code, 0);
});

test('store: a damaged file → exit 4 with a clear error, nothing overwritten', async (t) => {
  const s = await setup(t);
  const m = mint(s);
  assert.equal((await s.run(['import', '--token', m.access_token, '--expires-at', m.expires_at])).code, 0);
  const envelope = JSON.parse(await readFile(s.storePath, 'utf8'));
  const data = Buffer.from(envelope.data, 'base64');
  data[5] ^= 0xff;
  const damaged = JSON.stringify({ ...envelope, data: data.toString('base64') });
  for (const [text, message] of [[damaged, /is damaged: the key is right but the data fails its integrity check/], ['{"format": "instagate-tok', /is damaged: it is not a token store/]]) {
    await writeFile(s.storePath, text);
    for (const args of [['status'], ['refresh'], ['login', '--no-browser', '--port', '0', '--timeout', '1']]) {
      const r = await s.run(args);
      assert.equal(r.code, 4, `${args[0]}: ${fail(r)}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /it was left as it is/);
    }
    assert.equal(await readFile(s.storePath, 'utf8'), text, 'not overwritten');
  }
});

test('store: a header with out-of-range scrypt costs is refused as damaged before any key is derived', async () => {
  const { seal, open, SealError } = await import('../../pkg/cli/seal.mjs');
  const text = seal({ accounts: [] }, 'the-key');
  assert.deepEqual(open(text, 'the-key'), { accounts: [] });
  for (const [field, value] of [['N', 2 ** 30], ['N', 3 * 2 ** 10], ['N', 2 ** 20], ['r', 1e6], ['p', 1e9], ['p', 0], ['r', 1.5]]) {
    const envelope = JSON.parse(text);
    envelope.kdf[field] = value;
    assert.throws(() => open(JSON.stringify(envelope), 'the-key'),
      (e) => e instanceof SealError && e.reason === 'format', `${field}=${value}`);
  }
});

test('import --token-file reads the token from a file; a missing file is a usage error naming it', async (t) => {
  const s = await setup(t);
  const minted = mint(s, { ageSeconds: 2 * DAY_S });
  const tokenFile = `${s.dir}/token.txt`;
  await writeFile(tokenFile, `${minted.access_token}\n`, { mode: 0o600 });
  const r = await s.run(['import', '--token-file', tokenFile]);
  assert.equal(r.code, 0, fail(r));
  assert.match(r.stdout, /imported standin_bakery/);
  const missing = await s.run(['import', '--token-file', `${s.dir}/none.txt`]);
  assert.equal(missing.code, 2, fail(missing));
  assert.match(missing.stderr, /cannot read --token-file .*none\.txt: ENOENT/);
});

// OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1.
test('store: new stores are sealed with scrypt N=2^17; a store sealed at the former N=2^14 opens and is rewritten at 2^17', async (t) => {
  const { seal, deriveKey } = await import('../../pkg/cli/seal.mjs');
  const kdfOf = async (path) => JSON.parse(await readFile(path, 'utf8')).kdf;
  const fresh = await setup(t);
  const imported = await fresh.run(['import', '--token', '-'], { input: mint(fresh, { ageSeconds: 2 * DAY_S }).access_token });
  assert.equal(imported.code, 0, fail(imported));
  assert.deepEqual({ ...(await kdfOf(fresh.storePath)), salt: undefined }, { name: 'scrypt', N: 2 ** 17, r: 8, p: 1, salt: undefined });

  const s = await setup(t);
  const key = 'a passphrase of some length';
  await mkdir(dirname(s.storePath), { recursive: true });
  await writeFile(s.storePath, seal({ version: 1, accounts: [], pending: [] }, key, deriveKey(key, { name: 'scrypt', N: 2 ** 14, r: 8, p: 1 })));
  const env = { INSTAGATE_KEY: key };
  const status = await s.run(['status'], { env });
  assert.equal(status.code, 3, fail(status));
  assert.match(status.stdout, /No account is stored/);
  assert.equal((await kdfOf(s.storePath)).N, 2 ** 14, 'reading does not rewrite');
  const r = await s.run(['import', '--token', '-'], { env, input: mint(s, { ageSeconds: 2 * DAY_S }).access_token });
  assert.equal(r.code, 0, fail(r));
  assert.equal((await kdfOf(s.storePath)).N, 2 ** 17, 'the next write uses the current costs');
  assert.equal((await s.run(['status'], { env })).code, 0);
});
