// The CLI's ways in: `login` through the loopback callback (both products, a
// denied consent, a timeout), `auth-url` + `exchange` (full URL with `#_`,
// bare code, wrong state), and the store they write (0600, encrypted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import {
  setup, run, spawnCli, waitForStderr, loginUrl, browse, consentRedirect, issuedTokens, readText, fail, REDIRECT_URI, CLIENT_ID, CLIENT_SECRET,
} from './helpers.mjs';

async function loginThroughLoopback(s, { product = 'instagram', decision = 'allow', account, via } = {}) {
  const proc = spawnCli(['login', '--no-browser', '--port', '0', '--timeout', '20'], { env: { ...s.env, INSTAGATE_PRODUCT: product } });
  const url = await loginUrl(proc);
  // Stray requests to the loopback server do not end the login.
  const loopback = new URL(new URL(url).searchParams.get('redirect_uri'));
  assert.equal((await fetch(new URL('/favicon.ico', loopback))).status, 404);
  assert.equal((await fetch(loopback)).status, 400);
  // Any local page can send the loopback a made-up answer: without this
  // login's state it is ignored and cannot take the login's one slot.
  for (const forged of ['?code=forged&state=not-this-login', '?error=access_denied&error_reason=user_denied', '?code=forged']) {
    const ignored = await fetch(new URL(forged, loopback));
    assert.equal(ignored.status, 400, forged);
    assert.match(await ignored.text(), /Not this login/, forged);
  }
  const page = await browse(s.standin, url, { decision, account, via });
  return { url, page, result: await proc.done };
}

test('login (Instagram Login): consent form → loopback callback → long-lived token in a 0600 encrypted store', async (t) => {
  const s = await setup(t);
  const { url, page, result } = await loginThroughLoopback(s);
  assert.equal(result.code, 0, fail(result));
  assert.match(url, /\/www\.instagram\.com\/oauth\/authorize\?/);
  assert.match(new URL(url).searchParams.get('redirect_uri'), /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  assert.equal(page.status, 200);
  assert.match(page.html, /@standin_bakery is connected/);
  assert.match(result.stdout, /connected standin_bakery \(instagram:17841400000000001\): instagram_long_lived token, expires /);
  assert.match(result.stderr, /created the store key/);
  for (const path of [s.storePath, s.keyPath]) {
    assert.equal((await stat(path)).mode & 0o777, 0o600, `${path} mode`);
  }
  const stored = await readText(s.storePath);
  assert.match(stored, /"format": "instagate-token-store"/);
  const tokens = issuedTokens(s.standin);
  assert.ok(tokens.length >= 2, 'the stand-in issued short- and long-lived tokens');
  for (const token of tokens) {
    assert.ok(!stored.includes(token), 'no token in clear in the store file');
    assert.ok(!result.stdout.includes(token) && !result.stderr.includes(token), 'no token printed');
  }
  assert.ok(!stored.includes('standin_bakery'), 'the whole record is encrypted');

  const status = await s.run(['status', '--json']);
  assert.equal(status.code, 0, fail(status));
  const [account] = JSON.parse(status.stdout).accounts;
  assert.equal(account.username, 'standin_bakery');
  assert.equal(account.kind, 'instagram_long_lived');
  assert.ok(account.daysLeft >= 59 && account.daysLeft <= 60, String(account.daysLeft));
  assert.equal(account.needsRefresh, false);
});

test('login (Facebook Login): PKCE, Page token that does not expire; two accounts in one store', async (t) => {
  const s = await setup(t);
  const ig = await loginThroughLoopback(s);
  assert.equal(ig.result.code, 0, fail(ig.result));
  const { url, result } = await loginThroughLoopback(s, { product: 'facebook', via: 'control' });
  assert.equal(result.code, 0, fail(result));
  assert.equal(new URL(url).searchParams.get('code_challenge_method'), 'S256');
  assert.match(result.stdout, /connected standin_bakery \(facebook:17841400000000001\): facebook_page token, does not expire/);
  const status = await s.run(['status']);
  assert.equal(status.code, 0, fail(status));
  assert.match(status.stdout, /standin_bakery\s+instagram\s+\d{4}-/);
  assert.match(status.stdout, /standin_bakery\s+facebook\s+never\s+-\s+no/);
  // Two accounts share a username: --account needs product:id.
  const ambiguous = await s.run(['export', '--account', 'standin_bakery']);
  assert.equal(ambiguous.code, 2, fail(ambiguous));
  assert.match(ambiguous.stderr, /matches 2 accounts/);
});

test('login (Facebook Login): one login stores every account the person granted; status shows them all', async (t) => {
  const s = await setup(t);
  const { page, result } = await loginThroughLoopback(s, { product: 'facebook', account: 'fb_agency', via: 'control' });
  assert.equal(result.code, 0, fail(result));
  assert.match(page.html, /@standin_cafe, @standin_gym, @standin_florist are connected/);
  for (const [name, id] of [['standin_cafe', '17841400000000005'], ['standin_gym', '17841400000000006'], ['standin_florist', '17841400000000004']]) {
    assert.match(result.stdout, new RegExp(`connected ${name} \\(facebook:${id}\\): facebook_page token, does not expire`));
  }
  const status = await s.run(['status']);
  assert.equal(status.code, 0, fail(status));
  for (const name of ['standin_cafe', 'standin_gym', 'standin_florist']) {
    assert.match(status.stdout, new RegExp(`${name}\\s+facebook\\s+never`));
  }
  const json = JSON.parse((await s.run(['status', '--json'])).stdout);
  assert.deepEqual(json.accounts.map((a) => a.igUserId), ['17841400000000005', '17841400000000006', '17841400000000004']);
});

test('exchange --account stores only the named account (by ID or username); a name the login did not grant → exit 5', async (t) => {
  const s = await setup(t);
  const env = { INSTAGATE_REDIRECT_URI: REDIRECT_URI, INSTAGATE_PRODUCT: 'facebook' };
  const byId = await s.run(['auth-url'], { env });
  const redirect = await consentRedirect(s.standin, byId.stdout.trim(), { account: 'fb_agency' });
  const ex = await s.run(['exchange', '--code', redirect, '--account', '17841400000000006', '--json'], { env });
  assert.equal(ex.code, 0, fail(ex));
  const lines = ex.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((a) => a.username), ['standin_gym']);
  assert.ok(!ex.stdout.includes(lines[0].token.accessToken ?? 'EAA'), 'no token printed');

  const byName = await s.run(['auth-url'], { env });
  const again = await consentRedirect(s.standin, byName.stdout.trim(), { account: 'fb_agency' });
  const named = await s.run(['exchange', '--code', again, '--account', '@standin_cafe'], { env });
  assert.equal(named.code, 0, fail(named));
  assert.match(named.stdout, /connected standin_cafe/);
  assert.doesNotMatch(named.stdout, /standin_florist/);
  const status = JSON.parse((await s.run(['status', '--json'])).stdout);
  assert.deepEqual(status.accounts.map((a) => a.username).sort(), ['standin_cafe', 'standin_gym']);

  const third = await s.run(['auth-url'], { env });
  const other = await consentRedirect(s.standin, third.stdout.trim(), { account: 'fb_agency' });
  const missing = await s.run(['exchange', '--code', other, '--account', 'standin_bakery'], { env });
  assert.equal(missing.code, 5, fail(missing));
  assert.match(missing.stderr, /did not grant @standin_bakery/);
  assert.match(missing.stderr, /@standin_cafe, @standin_gym, @standin_florist/);
});

test('login: a denied consent ends with exit 5, a clear message, and nothing stored', async (t) => {
  const s = await setup(t);
  const { page, result } = await loginThroughLoopback(s, { decision: 'deny' });
  assert.equal(result.code, 5, fail(result));
  assert.equal(page.status, 400);
  assert.match(page.html, /Login failed/);
  assert.match(result.stderr, /kind oauth_denied/);
  assert.match(result.stderr, /what to do: The consent was declined/);
  const status = await s.run(['status']);
  assert.equal(status.code, 3, fail(status));
  assert.match(status.stdout, /No account is stored/);
  const refresh = await s.run(['refresh', '--if-due']);
  assert.equal(refresh.code, 3, fail(refresh));
  assert.match(refresh.stderr, /No account is stored: nothing to refresh/);
});

test('login (Facebook Login): the person picks a user whose Pages have no Instagram account → exit 1, advice', async (t) => {
  const s = await setup(t);
  const { page, result } = await loginThroughLoopback(s, { product: 'facebook', account: 'fb_no_ig' });
  assert.equal(result.code, 1, fail(result));
  assert.equal(page.status, 400);
  assert.match(result.stderr, /kind no_linked_account/);
  assert.match(result.stderr, /what to do: None of this person's Facebook Pages is linked/);
});

test('login: the configured loopback redirect URI gives the port and path', async (t) => {
  const s = await setup(t);
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  const redirectUri = `http://127.0.0.1:${port}/instagram/done`;
  const proc = spawnCli(['login', '--no-browser', '--timeout', '20'], { env: { ...s.env, INSTAGATE_REDIRECT_URI: redirectUri } });
  const url = await loginUrl(proc);
  assert.equal(new URL(url).searchParams.get('redirect_uri'), redirectUri);
  const page = await browse(s.standin, url, { account: 'biz2' });
  assert.ok(page.callback.startsWith(`${redirectUri}?code=`), page.callback);
  const result = await proc.done;
  assert.equal(result.code, 0, fail(result));
  assert.match(result.stdout, /connected standin_florist/);
});

test('login: no callback within --timeout → exit 5, the port is released', async (t) => {
  const s = await setup(t);
  const started = Date.now();
  const result = await s.run(['login', '--no-browser', '--port', '0', '--timeout', '1']);
  assert.equal(result.code, 5, fail(result));
  assert.match(result.stderr, /no login came back within 1 s/);
  assert.ok(Date.now() - started < 10_000);
});

test('login: a redirect URI that is not loopback is refused before anything starts (exit 2)', async (t) => {
  const s = await setup(t);
  const result = await s.run(['login', '--no-browser'], { env: { INSTAGATE_REDIRECT_URI: 'https://app.example/callback' } });
  assert.equal(result.code, 2, fail(result));
  assert.match(result.stderr, /login needs a loopback redirect URI/);
  assert.match(result.stderr, /auth-url/);
});

test('login: without the app secret → exit 2 naming INSTAGATE_CLIENT_SECRET', async (t) => {
  const s = await setup(t);
  const result = await s.run(['login', '--no-browser', '--port', '0'], { env: { INSTAGATE_CLIENT_SECRET: undefined } });
  assert.equal(result.code, 2, fail(result));
  assert.match(result.stderr, /INSTAGATE_CLIENT_SECRET/);
});

test('auth-url + exchange: the full redirect URL (with #_) on stdin (--code -), then a bare CODE#_ from --code-file', async (t) => {
  const s = await setup(t);
  const env = { INSTAGATE_REDIRECT_URI: REDIRECT_URI };
  const first = await s.run(['auth-url'], { env });
  assert.equal(first.code, 0, fail(first));
  const url = first.stdout.trim();
  const state = new URL(url).searchParams.get('state');
  const redirect = await consentRedirect(s.standin, url);
  assert.ok(redirect.endsWith('#_'), redirect);
  // From stdin: a code on the command line is visible to other local users (ps).
  const ex = await s.run(['exchange', '--code', '-'], { env, input: `${redirect}\n` });
  assert.equal(ex.code, 0, fail(ex));
  assert.match(ex.stdout, /connected standin_bakery \(instagram:17841400000000001\)/);
  // The pending login was used up: the same URL again is refused.
  const again = await s.run(['exchange', '--code', redirect], { env });
  assert.equal(again.code, 5, fail(again));
  assert.match(again.stderr, /no pending login matches/);
  assert.ok(state);

  const second = await s.run(['auth-url'], { env });
  const redirect2 = await consentRedirect(s.standin, second.stdout.trim(), { account: 'creator' });
  const code = `${new URL(redirect2).searchParams.get('code')}#_`;
  const codeFile = `${s.dir}/code.txt`;
  await writeFile(codeFile, `${code}\n`, { mode: 0o600 });
  const both = await s.run(['exchange', '--code', code, '--code-file', codeFile], { env });
  assert.equal(both.code, 2, fail(both));
  assert.match(both.stderr, /give --code or --code-file, not both/);
  const bare = await s.run(['exchange', '--code-file', codeFile], { env });
  assert.equal(bare.code, 0, fail(bare));
  assert.match(bare.stdout, /connected standin_creator/);
  const status = JSON.parse((await s.run(['status', '--json'])).stdout);
  assert.deepEqual(status.accounts.map((a) => a.username).sort(), ['standin_bakery', 'standin_creator']);
});

test('auth-url + exchange (Facebook Login): the kept PKCE verifier goes with the code', async (t) => {
  const s = await setup(t);
  const env = { INSTAGATE_REDIRECT_URI: REDIRECT_URI, INSTAGATE_PRODUCT: 'facebook' };
  const first = await s.run(['auth-url'], { env });
  assert.equal(first.code, 0, fail(first));
  const redirect = await consentRedirect(s.standin, first.stdout.trim());
  assert.ok(redirect.endsWith('#_=_'), redirect);
  const ex = await s.run(['exchange', '--code', redirect], { env });
  assert.equal(ex.code, 0, fail(ex));
  assert.match(ex.stdout, /facebook_page token, does not expire/);
});

test('exchange: a callback whose state this store never issued → exit 5, nothing stored', async (t) => {
  const s = await setup(t);
  const env = { INSTAGATE_REDIRECT_URI: REDIRECT_URI };
  await s.run(['auth-url'], { env });
  const forged = `${REDIRECT_URI}?code=abc&state=not-ours#_`;
  const ex = await s.run(['exchange', '--code', forged], { env });
  assert.equal(ex.code, 5, fail(ex));
  assert.match(ex.stderr, /no pending login matches this callback's state/);
  const status = JSON.parse((await s.run(['status', '--json'])).stdout);
  assert.equal(status.accounts.length, 0);
});

test('settings from a config file and the secret from a file; a bad config file is a usage error', async (t) => {
  const s = await setup(t);
  const secretFile = `${s.dir}/app-secret`;
  await writeFile(secretFile, `${CLIENT_SECRET}\n`);
  const configFile = `${s.dir}/instagate.json`;
  await writeFile(configFile, JSON.stringify({
    product: 'facebook', clientId: CLIENT_ID, redirectUri: REDIRECT_URI, standinOrigin: s.standin.url, clientSecretFile: secretFile,
  }));
  // Only the config file: no INSTAGATE_* variable at all.
  const bare = { PATH: process.env.PATH, HOME: s.dir, XDG_CONFIG_HOME: `${s.dir}/config`, INSTAGATE_CONFIG: configFile };
  const first = await run(['auth-url'], { env: bare });
  assert.equal(first.code, 0, fail(first));
  const url = new URL(first.stdout.trim());
  assert.match(url.pathname, /\/www\.facebook\.com\/.*dialog\/oauth$/);
  assert.equal(url.searchParams.get('client_id'), CLIENT_ID);
  const redirect = await consentRedirect(s.standin, url.href);
  const ex = await run(['exchange', '--code', redirect], { env: bare });
  assert.equal(ex.code, 0, fail(ex));
  assert.match(ex.stdout, /connected standin_bakery \(facebook:/);
  // A flag wins over the file.
  const flag = await run(['auth-url', '--product', 'instagram'], { env: bare });
  assert.match(flag.stdout, /\/www\.instagram\.com\/oauth\/authorize/);
  await writeFile(configFile, JSON.stringify({ product: 'instagram', clientSecret: 'x', tokenStore: 'y' }));
  const unknown = await run(['status'], { env: bare });
  assert.equal(unknown.code, 2, fail(unknown));
  assert.match(unknown.stderr, /unknown setting "tokenStore"/);
  await writeFile(configFile, '{ product: instagram');
  const broken = await run(['status'], { env: bare });
  assert.equal(broken.code, 2, fail(broken));
  assert.match(broken.stderr, /is not valid JSON/);
});

test('`instagate version` and `--version` print the package version', async (t) => {
  const s = await setup(t);
  const { version } = JSON.parse(await readFile(new URL('../../pkg/package.json', import.meta.url), 'utf8'));
  for (const args of [['version'], ['--version']]) {
    const r = await s.run(args);
    assert.equal(r.code, 0, fail(r));
    assert.equal(r.stdout.trim(), version);
  }
});

test('auth-url and login agree on the default redirect URI (http://127.0.0.1:8765/callback)', async (t) => {
  const s = await setup(t);
  const first = await s.run(['auth-url']);
  assert.equal(first.code, 0, fail(first));
  assert.equal(new URL(first.stdout.trim()).searchParams.get('redirect_uri'), 'http://127.0.0.1:8765/callback');
  // login without a redirect URI listens on that host and path (any port: --port 0).
  const proc = spawnCli(['login', '--no-browser', '--port', '0', '--timeout', '1'], { env: s.env });
  const [, waiting] = await waitForStderr(proc, /Waiting for the login on (\S+) /);
  await proc.done;
  const url = new URL(waiting);
  assert.equal(`${url.protocol}//${url.hostname}${url.pathname}`, 'http://127.0.0.1/callback');
  const help = await s.run(['--help']);
  assert.match(help.stdout, /instagate version/);
});

test('every command has --help with usage and exit codes; unknown flags are usage errors', async (t) => {
  const s = await setup(t);
  for (const command of ['auth-url', 'login', 'exchange', 'import', 'status', 'validate', 'refresh', 'publish', 'export']) {
    const r = await s.run([command, '--help']);
    assert.equal(r.code, 0, fail(r));
    assert.match(r.stdout, new RegExp(`^instagate ${command} — `));
    assert.match(r.stdout, /Usage: instagate /);
    assert.match(r.stdout, /Exit codes:\n {2}0 {2}done/);
  }
  const main = await s.run(['--help']);
  assert.match(main.stdout, /INSTAGATE_TOKEN/);
  const bad = await s.run(['status', '--bogus']);
  assert.equal(bad.code, 2, fail(bad));
  assert.match(bad.stderr, /status: Unknown option '--bogus'/);
});
