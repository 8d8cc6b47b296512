// End to end: the Worker's login routes under miniflare against the stand-in,
// for both products, the single-page exchange, and the failure paths, checking
// both what the browser sees and what is (not) in KV.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP, Browser, IG_BIZ, dumpKv, issuedTokens, login, pkceChallenge, startPerFile } from './harness.mjs';

let env;
startPerFile({}, (e) => { env = e; });

async function noTokenInClear() {
  const tokens = issuedTokens(env.standin);
  assert.ok(tokens.length > 0);
  const kv = JSON.stringify(await dumpKv(env.worker.kv));
  const logs = env.worker.logs.join('\n');
  for (const t of tokens) {
    assert.ok(!kv.includes(t), 'a token is in KV in clear text');
    assert.ok(!logs.includes(t), 'a token is in the Worker log');
  }
  assert.ok(!logs.includes('standin-app-secret'));
}

async function keys(prefix) {
  return (await env.worker.kv.list({ prefix })).keys.map((k) => k.name);
}

describe('redirect login', () => {
  test('Instagram Login through the consent page stores an encrypted account', async () => {
    const { location, params, browser } = await login(env, { product: 'instagram', account: 'biz' });
    assert.equal(params.get('connected'), IG_BIZ, location);
    const session = browser.cookie(env.worker.origin, '__Host-instagate_session');
    assert.ok(session, 'session cookie set');
    assert.equal(browser.cookie(env.worker.origin, '__Host-instagate_login'), undefined, 'login cookie cleared');
    assert.deepEqual(await keys('token:'), [`token:${IG_BIZ}`]);
    assert.equal((await keys('due:')).length, 1);
    // The pending login was in the login cookie; the used state is marked for its 10 minutes.
    const [used] = await keys('state:');
    assert.equal(await env.worker.kv.get(used), 'used');
    const raw = await env.worker.kv.get(`token:${IG_BIZ}`);
    assert.match(raw, /^\{"v":1,"kid":"k1","nonce":"[\w-]+","ct":"[\w-]+"\}$/);

    const r = await browser.fetch(`${env.worker.origin}/api/accounts/${IG_BIZ}`);
    assert.equal(r.status, 200);
    const { account } = await r.json();
    assert.equal(account.username, 'standin_bakery');
    assert.equal(account.account_type, 'BUSINESS');
    assert.equal(account.token.kind, 'instagram_long_lived');
    assert.equal(account.token.days_left, 59);
    assert.equal(account.needs_reauth, false);
    // Exactly two round trips after the consent: exchange, then long-lived + profile.
    const calls = env.standin.control.log().entries.map((e) => `${e.host}${e.path}`);
    assert.deepEqual(calls.filter((c) => !c.startsWith('www.')).sort(), [
      'api.instagram.com/oauth/access_token',
      'graph.instagram.com/access_token',
      'graph.instagram.com/v27.0/me',
    ]);
    await noTokenInClear();
    const line = env.worker.records().findLast((l) => l.route === '/auth/callback');
    assert.equal(line.status, 302);
    assert.equal(line.account_id, IG_BIZ);
  });

  test('Facebook Login stores every account the person granted, across pages of /me/accounts; the API lists them all', async () => {
    const agency = ['17841400000000005', '17841400000000006', '17841400000000004'];
    const { location, params, browser } = await login(env, { product: 'facebook', account: 'fb_agency' });
    assert.equal(params.get('connected'), agency.join(','), location);
    assert.deepEqual((await keys('token:')).sort(), agency.map((id) => `token:${id}`).sort());
    assert.deepEqual((await keys('alias:10200000000000004:')).sort(), agency.map((id) => `alias:10200000000000004:${id}`).sort());
    // The stand-in answers two Pages a page: the list was followed to its end.
    assert.equal(env.standin.control.log({ path: 'accounts' }).entries.length, 2);
    const r = await browser.fetch(`${env.worker.origin}/api/accounts`);
    assert.equal(r.status, 200);
    const { accounts } = await r.json();
    assert.deepEqual(accounts.map((a) => a.id), agency);
    for (const a of accounts) {
      assert.equal(a.token.kind, 'facebook_page');
      assert.equal(a.facebook_user_id, '10200000000000004');
    }
    assert.deepEqual(accounts.map((a) => a.page_name), ['Stand-in Cafe', 'Stand-in Gym', 'Stand-in Florist']);
    await noTokenInClear();
  });

  test('Facebook Login with PKCE stores the Page token; refresh-now checks it; revocation flags the account', async () => {
    const { params, browser } = await login(env, { product: 'facebook', account: 'fb_linked' });
    assert.equal(params.get('connected'), IG_BIZ);
    const dialog = env.standin.control.log({ path: 'dialog/oauth' }).entries[0];
    assert.equal(dialog.query.code_challenge_method, 'S256');
    const exchange = env.standin.control.log({ path: 'oauth/access_token' }).entries[0];
    assert.ok((exchange.query.code_verifier ?? exchange.form?.code_verifier)?.length >= 43, 'the verifier went to Meta');
    let r = await browser.fetch(`${env.worker.origin}/api/accounts/${IG_BIZ}`);
    const { account } = await r.json();
    assert.equal(account.token.kind, 'facebook_page');
    assert.equal(account.page_id, '10300000000000001');
    assert.equal(account.token.expires_at, null);
    assert.deepEqual(await keys('alias:10200000000000001:'), [`alias:10200000000000001:${IG_BIZ}`]);

    r = await browser.fetch(`${env.worker.origin}/api/accounts/${IG_BIZ}/refresh`, { method: 'POST', headers: { origin: APP } });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).outcome, 'checked');

    const page = env.standin.control.state().tokens.find((t) => t.kind === 'page');
    env.standin.control.revokeToken(page.token);
    r = await browser.fetch(`${env.worker.origin}/api/accounts/${IG_BIZ}/refresh`, { method: 'POST', headers: { origin: APP } });
    assert.equal(r.status, 409);
    const body = await r.json();
    assert.equal(body.error.kind, 'invalid_token');
    assert.equal(body.account.needs_reauth, true);
    assert.deepEqual(await keys('token:'), [`token:${IG_BIZ}`], 'the account and its last token are kept');
    await noTokenInClear();
  });

  test('Facebook Login under the app setting "Require App Secret": every Graph call with a user or Page token carries a valid appsecret_proof', async () => {
    // https://developers.facebook.com/docs/graph-api/guides/secure-requests
    env.standin.control.config({ requireAppSecretProof: true });
    const { params, browser } = await login(env, { product: 'facebook', account: 'fb_linked' });
    assert.equal(params.get('connected'), IG_BIZ);
    const r = await browser.fetch(`${env.worker.origin}/api/accounts/${IG_BIZ}/refresh`, { method: 'POST', headers: { origin: APP } });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).outcome, 'checked');
    const calls = env.standin.control.log({ host: 'graph.facebook.com' }).entries
      .map((e) => ({ ...e.query, ...e.form, path: e.path, status: e.status }))
      .filter((p) => p.access_token && !p.access_token.includes('|'));
    assert.ok(calls.length >= 2, `token calls seen: ${calls.map((c) => c.path)}`);
    for (const c of calls) {
      assert.match(c.appsecret_proof ?? '', /^[0-9a-f]{64}$/, `${c.path} carries a proof`);
      assert.equal(c.status, 200, `${c.path} was accepted`);
    }
    // Instagram Login's host is never signed.
    assert.equal(env.standin.control.log({ host: 'graph.instagram.com' }).entries.some((e) => e.query?.appsecret_proof), false);
    await noTokenInClear();
  });
});

describe('single-page exchange', () => {
  test('code + state + verifier in, account out, behind the CORS allow-list', async () => {
    const verifier = 'e2e-verifier-'.padEnd(64, 'x');
    const state = 's'.repeat(43);
    const pre = await fetch(`${env.worker.origin}/auth/exchange`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), APP);
    const evil = await fetch(`${env.worker.origin}/auth/exchange`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);

    const reg = await fetch(`${env.worker.origin}/auth/pending`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({ state, codeChallenge: pkceChallenge(verifier), redirectUri: `${APP}/callback.html`, product: 'instagram' }),
    });
    assert.equal(reg.status, 201);
    // The front end sends the browser to the consent page itself.
    env.standin.control.consent({ decision: 'allow', account: 'creator' });
    const authorize = new URL(`${env.standin.url}/www.instagram.com/oauth/authorize`);
    authorize.search = new URLSearchParams({
      client_id: '1000000000000001', redirect_uri: `${APP}/callback.html`, response_type: 'code',
      scope: 'instagram_business_basic,instagram_business_content_publish', state,
    });
    const consent = await fetch(authorize, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location'));
    assert.equal(back.searchParams.get('state'), state);
    const code = back.searchParams.get('code');

    const post = (origin, body) => fetch(`${env.worker.origin}/auth/exchange`, {
      method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    let r = await post('http://evil.example', { code, state, codeVerifier: verifier });
    assert.equal(r.status, 403);
    r = await post(APP, { code, state, codeVerifier: verifier });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(r.headers.get('access-control-allow-origin'), APP);
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
    const { account } = await r.json();
    assert.equal(account.id, '17841400000000002');
    assert.equal(account.username, 'standin_creator');
    assert.ok(r.headers.getSetCookie().some((c) => c.startsWith('__Host-instagate_session=')));
    r = await post(APP, { code, state, codeVerifier: verifier });
    assert.equal(r.status, 400, 'no replay');
    assert.equal((await r.json()).error.kind, 'state_mismatch');
    await noTokenInClear();
  });

  test('a leaked code and state without the verifier is useless', async () => {
    const verifier = 'v'.repeat(50);
    const state = 'q'.repeat(43);
    await fetch(`${env.worker.origin}/auth/pending`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({ state, codeChallenge: pkceChallenge(verifier), redirectUri: `${APP}/callback.html` }),
    });
    const r = await fetch(`${env.worker.origin}/auth/exchange`, {
      method: 'POST', headers: { origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'leaked-code', state, codeVerifier: 'w'.repeat(50) }),
    });
    assert.equal(r.status, 400);
    assert.equal(env.standin.control.log({ path: 'oauth/access_token' }).entries.length, 0, 'Meta was never asked');
  });
});

describe('failure paths', () => {
  async function errorOf(opts) {
    const { params } = await login(env, opts);
    return params.get('error');
  }

  test('denied consent', async () => {
    assert.equal(await errorOf({ decision: 'deny' }), 'oauth_denied');
    assert.equal(await errorOf({ product: 'facebook', decision: 'deny' }), 'oauth_denied');
  });

  test('personal account, unlinked Page, unticked permission', async () => {
    assert.equal(await errorOf({ account: 'personal' }), 'personal_account');
    assert.equal(await errorOf({ product: 'facebook', account: 'fb_no_ig' }), 'no_linked_account');
    assert.equal(await errorOf({ product: 'facebook', account: 'fb_linked', declineScopes: ['pages_show_list'] }), 'missing_permission');
  });

  test('upstream faults: 5xx, 429, HTML, hang (timeout), truncated body', async () => {
    const cases = [
      [{ host: 'graph.instagram.com', path: '/access_token', fault: { type: 'status', status: 503, body: '' } }, ['transient']],
      [{ host: 'api.instagram.com', path: '/oauth/access_token', fault: { type: 'rate_limit', retryAfter: 30 } }, ['rate_limited']],
      [{ host: 'graph.instagram.com', path: '/me', fault: { type: 'html', status: 502 } }, ['transient']],
      [{ host: 'api.instagram.com', path: '/oauth/access_token', fault: { type: 'hang' } }, ['timeout']],
      [{ host: 'graph.instagram.com', path: '/access_token', fault: { type: 'truncated' } }, ['unexpected_response', 'transport']],
    ];
    for (const [rule, kinds] of cases) {
      env.standin.control.clearFaults();
      env.standin.control.faults([rule]);
      const started = Date.now();
      const kind = await errorOf({ account: 'biz' });
      assert.ok(kinds.includes(kind), `${JSON.stringify(rule.fault)} gave ${kind}`);
      if (rule.fault.type === 'hang') assert.ok(Date.now() - started < 5000, 'the Worker gave up on a hung upstream');
    }
    assert.deepEqual(await keys('token:'), [], 'nothing half-stored');
    assert.deepEqual(await keys('due:'), []);
  });

  test('expired code, state from another browser, replay, forged cookie', async () => {
    env.standin.control.consent({ decision: 'allow', account: 'biz' });
    const browser = new Browser();
    const started = await browser.follow(`${env.worker.origin}/auth/login`, { stopAt: [`${env.worker.origin}/auth/callback`] });
    const callback = started.url;
    // Another browser (no login cookie) presents this callback: refused, nothing written.
    const other = await new Browser().fetch(callback);
    assert.equal(other.status, 400);
    assert.match(await other.text(), /state_mismatch/);
    assert.deepEqual(await dumpKv(env.worker.kv), []);
    const forged = await fetch(callback, { headers: { cookie: '__Host-instagate_login=eyJkIjp7fX0.AAAA' }, redirect: 'manual' });
    assert.equal(forged.status, 400);
    // The code expires (Instagram codes live an hour).
    env.standin.control.advance(2 * 3600);
    const r = await browser.fetch(callback);
    assert.equal(r.status, 302);
    assert.equal(new URL(r.headers.get('location')).searchParams.get('error'), 'invalid_code');
    // Replay of the same callback: the login cookie is gone.
    const again = await browser.fetch(callback);
    assert.equal(again.status, 400);
    assert.deepEqual(await keys('token:'), []);
  });

  test('no open redirect', async () => {
    for (const target of ['https://evil.example/', `${APP}/connectedx`, '//evil.example', `${APP}/connected@evil.example`]) {
      const r = await fetch(`${env.worker.origin}/auth/login?return_to=${encodeURIComponent(target)}`, { redirect: 'manual' });
      assert.equal(r.status, 400, target);
      assert.equal(r.headers.get('location'), null);
    }
    assert.deepEqual(await keys('state:'), []);
  });
});
