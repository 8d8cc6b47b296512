// standin.test.mjs — tests of the local Instagram stand-in itself (node --test).
// Each test starts its own stand-in on a free port, drives it over HTTP exactly as a
// client would, and checks status codes and bodies.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sampleMp4 } from './mp4.mjs';
import { startStandin } from './server.mjs';

const CLIENT_ID = '1000000000000001';
const SECRET = 'standin-app-secret';
const REDIRECT = 'http://127.0.0.1:9999/auth/callback';
const TWO_POW_53 = 2n ** 53n;

let s; // the stand-in
let B; // base url

before(async () => {
  s = await startStandin({ port: 0 });
  B = s.url;
});
after(async () => {
  await s.close();
});
beforeEach(() => {
  s.control.reset();
});

// ---- helpers ------------------------------------------------------------------------------

async function get(path, headers = {}) {
  const res = await fetch(B + path, { headers, redirect: 'manual' });
  return { res, status: res.status, text: await res.text() };
}

async function post(path, params, headers = {}) {
  const body = params instanceof FormData ? params : new URLSearchParams(params);
  const res = await fetch(B + path, { method: 'POST', body, headers, redirect: 'manual' });
  return { res, status: res.status, text: await res.text() };
}

function body(r) {
  return JSON.parse(r.text);
}

function qs(params) {
  return new URLSearchParams(params).toString();
}

const IG_SCOPES = 'instagram_business_basic,instagram_business_content_publish';

function igAuthorizeUrl(extra = {}) {
  return `/www.instagram.com/oauth/authorize?${qs({
    client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: IG_SCOPES, state: 'st-1', ...extra,
  })}`;
}

function codeFrom(location) {
  return new URL(location).searchParams.get('code');
}

async function igCode(account = 'biz', declineScopes = []) {
  s.control.consent({ decision: 'allow', account, declineScopes });
  const r = await get(igAuthorizeUrl());
  assert.equal(r.status, 302);
  return codeFrom(r.res.headers.get('location'));
}

async function exchangeIgCode(code, overrides = {}) {
  const form = new FormData();
  const fields = { client_id: CLIENT_ID, client_secret: SECRET, grant_type: 'authorization_code', redirect_uri: REDIRECT, code, ...overrides };
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return post('/api.instagram.com/oauth/access_token', form);
}

async function igShortToken(account = 'biz') {
  const r = await exchangeIgCode(await igCode(account));
  assert.equal(r.status, 200, r.text);
  return body(r).data[0].access_token;
}

async function igLongToken(account = 'biz') {
  const short = await igShortToken(account);
  const r = await get(`/graph.instagram.com/access_token?${qs({ grant_type: 'ig_exchange_token', client_secret: SECRET, access_token: short })}`);
  assert.equal(r.status, 200, r.text);
  return body(r).access_token;
}

function pkcePair() {
  const verifier = 'v'.repeat(20) + Math.random().toString(36).slice(2).padEnd(30, 'x');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function fbDialogUrl(extra = {}) {
  return `/www.facebook.com/v21.0/dialog/oauth?${qs({
    client_id: CLIENT_ID, redirect_uri: REDIRECT, state: 'fb-st', response_type: 'code',
    scope: 'instagram_basic,instagram_content_publish,pages_show_list,pages_read_engagement,business_management',
    ...extra,
  })}`;
}

async function fbUserToken(account = 'fb_linked', { long = true, declineScopes = [] } = {}) {
  const { verifier, challenge } = pkcePair();
  s.control.consent({ decision: 'allow', account, declineScopes });
  const d = await get(fbDialogUrl({ code_challenge: challenge, code_challenge_method: 'S256' }));
  const code = codeFrom(d.res.headers.get('location'));
  const r = await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs({ client_id: CLIENT_ID, redirect_uri: REDIRECT, code, code_verifier: verifier })}`);
  assert.equal(r.status, 200, r.text);
  const short = body(r).access_token;
  if (!long) return short;
  const l = await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs({ grant_type: 'fb_exchange_token', client_id: CLIENT_ID, client_secret: SECRET, fb_exchange_token: short })}`);
  assert.equal(l.status, 200, l.text);
  return body(l).access_token;
}

async function graphError(r, code, subcode) {
  assert.equal(r.status >= 400, true, `expected an error, got ${r.status} ${r.text}`);
  const e = body(r).error;
  assert.ok(e, `Graph error shape expected: ${r.text}`);
  assert.equal(e.code, code, r.text);
  if (subcode !== undefined) assert.equal(e.error_subcode, subcode, r.text);
  assert.equal(typeof e.message, 'string');
  assert.equal(typeof e.fbtrace_id, 'string');
  return e;
}

async function createImage(token, extra = {}, userId = '17841400000000001') {
  return post(`/graph.instagram.com/v21.0/${userId}/media`, { image_url: 'https://cdn.example/photo.jpg', caption: 'Fresh bread #bakery', access_token: token, ...extra });
}

async function status(token, id, host = 'graph.instagram.com') {
  const r = await get(`/${host}/v21.0/${id}?${qs({ fields: 'status_code,status,id', access_token: token })}`);
  assert.equal(r.status, 200, r.text);
  return body(r);
}

// ---- CLI ----------------------------------------------------------------------------------

test('the CLI prints its address and answers', async () => {
  const script = fileURLToPath(new URL('./server.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, '--port', '0', '--latency-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const line = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /standin listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      setTimeout(() => reject(new Error('no listening line')), 5000).unref();
    });
    const res = await fetch(`${line}/__control/accounts`);
    assert.equal(res.status, 200);
    const accounts = await res.json();
    assert.equal(accounts.app.client_id, CLIENT_ID);
  } finally {
    child.kill('SIGTERM');
  }
});

// ---- Instagram Login ------------------------------------------------------------------------

describe('Instagram Login', () => {
  test('the consent page is an HTML form with the stand-in banner', async () => {
    const r = await get(igAuthorizeUrl());
    assert.equal(r.status, 200);
    assert.match(r.text, /Local Instagram stand-in — not Instagram/);
    assert.match(r.text, /<form method="POST"/);
    assert.match(r.text, /name="decision" value="allow"/);
    assert.match(r.text, /instagram_business_content_publish/);
  });

  test('allow via the form redirects with code, state and #_', async () => {
    const r = await post('/www.instagram.com/oauth/authorize', {
      client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: IG_SCOPES, state: 'abc', account: 'creator',
      grant: 'instagram_business_basic', decision: 'allow',
    });
    assert.equal(r.status, 302);
    const loc = r.res.headers.get('location');
    assert.ok(loc.startsWith(`${REDIRECT}?code=`), loc);
    assert.ok(loc.endsWith('#_'), loc);
    assert.equal(new URL(loc).searchParams.get('state'), 'abc');
    // instagram_business_content_publish was unticked: declined.
    const t = body(await exchangeIgCode(codeFrom(loc)));
    assert.equal(t.data[0].permissions, 'instagram_business_basic');
  });

  test('deny redirects with the documented error parameters', async () => {
    s.control.consent({ decision: 'deny' });
    const r = await get(igAuthorizeUrl());
    assert.equal(r.status, 302);
    const u = new URL(r.res.headers.get('location'));
    assert.equal(u.searchParams.get('error'), 'access_denied');
    assert.equal(u.searchParams.get('error_reason'), 'user_denied');
    assert.equal(u.searchParams.get('error_description'), 'The user denied your request');
    assert.equal(u.searchParams.get('state'), 'st-1');
    assert.equal(u.searchParams.get('code'), null);
  });

  test('an unknown client_id or redirect_uri shows an error page and never redirects', async () => {
    const a = await get(igAuthorizeUrl({ client_id: '42' }));
    assert.equal(a.status, 400);
    assert.equal(a.res.headers.get('location'), null);
    assert.match(a.text, /Invalid platform app/);
    const b = await get(igAuthorizeUrl({ redirect_uri: 'https://evil.example/cb' }));
    assert.equal(b.status, 400);
    assert.equal(b.res.headers.get('location'), null);
    assert.match(b.text, /redirect_uri/);
    const c = await get(igAuthorizeUrl({ scope: 'business_basic' }));
    assert.equal(c.status, 400);
    assert.match(c.text, /Invalid Scopes: business_basic/);
  });

  test('an exact redirect URI list is enforced when configured', async () => {
    s.control.config({ redirectUris: ['http://127.0.0.1:9999/exact'] });
    assert.equal((await get(igAuthorizeUrl())).status, 400);
    assert.equal((await get(igAuthorizeUrl({ redirect_uri: 'http://127.0.0.1:9999/exact' }))).status, 200);
  });

  test('the code exchange returns the data shape with user_id as an exact JSON number above 2^53', async () => {
    const r = await exchangeIgCode(await igCode('biz'));
    assert.equal(r.status, 200);
    assert.match(r.text, /"user_id":27400000000000001[,}]/);
    assert.ok(BigInt('27400000000000001') > TWO_POW_53);
    const t = body(r).data[0];
    assert.match(t.access_token, /^IGAA/);
    assert.equal(t.permissions, IG_SCOPES);
  });

  test('the flat shape is available through config', async () => {
    s.control.config({ igTokenShape: 'flat' });
    const r = await exchangeIgCode(await igCode('creator'));
    assert.equal(r.status, 200);
    assert.match(r.text, /^\{"access_token":"IGAA[^"]+","user_id":27400000000000002,"permissions":\["instagram_business_basic","instagram_business_content_publish"\]\}$/);
  });

  test('codes are single use, tied to the redirect_uri, and expire after an hour', async () => {
    const code = await igCode();
    const wrongRedirect = await exchangeIgCode(code, { redirect_uri: `${REDIRECT}/other` });
    assert.equal(wrongRedirect.status, 400);
    assert.equal(body(wrongRedirect).error_type, 'OAuthException');
    assert.match(body(wrongRedirect).error_message, /redirect_uri is identical/);
    assert.equal((await exchangeIgCode(code)).status, 200);
    const again = await exchangeIgCode(code);
    assert.equal(again.status, 400);
    assert.deepEqual(body(again), { error_type: 'OAuthException', code: 400, error_message: 'This authorization code has been used' });

    const late = await igCode();
    s.control.advance(3601);
    const expired = body(await exchangeIgCode(late));
    assert.equal(expired.error_message, 'This authorization code has expired');
    const unknown = body(await exchangeIgCode('AQnope'));
    assert.equal(unknown.error_message, 'Matching code was not found or was already used');
  });

  test('a wrong client secret is refused with the flat error', async () => {
    const r = await exchangeIgCode(await igCode(), { client_secret: 'nope' });
    assert.equal(r.status, 400);
    assert.deepEqual(body(r), { error_type: 'OAuthException', code: 400, error_message: 'Error validating client secret.' });
  });

  test('short-lived tokens become long-lived (60 days), versioned or not', async () => {
    const short = await igShortToken();
    const r = await get(`/graph.instagram.com/v21.0/access_token?${qs({ grant_type: 'ig_exchange_token', client_secret: SECRET, access_token: short })}`);
    assert.equal(r.status, 200);
    const b = body(r);
    assert.equal(b.token_type, 'bearer');
    assert.ok(b.expires_in > 5183000 && b.expires_in <= 5184000, String(b.expires_in));
    assert.notEqual(b.access_token, short);
    const bad = await get(`/graph.instagram.com/access_token?${qs({ grant_type: 'ig_exchange_token', client_secret: 'x', access_token: short })}`);
    await graphError(bad, 1);
  });

  test('short-lived tokens expire after one hour with 190/463', async () => {
    const short = await igShortToken();
    s.control.advance(3601);
    const r = await get(`/graph.instagram.com/v21.0/me?fields=id&access_token=${short}`);
    const e = await graphError(r, 190, 463);
    assert.equal(e.type, 'OAuthException');
    assert.match(e.message, /Session has expired/);
  });

  test('refresh works only on a long-lived token at least 24 h old; the old one stays valid', async () => {
    const long = await igLongToken();
    const url = (t) => `/graph.instagram.com/refresh_access_token?${qs({ grant_type: 'ig_refresh_token', access_token: t })}`;
    const young = await get(url(long));
    await graphError(young, 100);
    s.control.advance(25 * 3600);
    const r = await get(url(long));
    assert.equal(r.status, 200, r.text);
    const b = body(r);
    assert.notEqual(b.access_token, long);
    assert.equal(b.token_type, 'bearer');
    assert.ok(b.expires_in > 5183000 && b.expires_in <= 5184000);
    // old token still answers until its own expiry
    assert.equal((await get(`/graph.instagram.com/me?access_token=${long}`)).status, 200);
    // 61 days after the first issue the old one is gone, the refreshed one is not
    s.control.advance(61 * 86400 - 25 * 3600);
    await graphError(await get(`/graph.instagram.com/me?access_token=${long}`), 190, 463);
    assert.equal((await get(`/graph.instagram.com/me?access_token=${b.access_token}`)).status, 200);
    // an expired token cannot be refreshed
    await graphError(await get(url(long)), 190, 463);
  });

  test('/me answers the documented fields with IDs as strings, by parameter or Bearer header', async () => {
    const token = await igLongToken('creator');
    const fields = 'id,user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count';
    const r = await get(`/graph.instagram.com/v21.0/me?fields=${fields}`, { authorization: `Bearer ${token}` });
    assert.equal(r.status, 200, r.text);
    const me = body(r);
    assert.equal(me.user_id, '17841400000000002');
    assert.equal(me.id, '27400000000000002');
    assert.equal(me.username, 'standin_creator');
    assert.equal(me.account_type, 'MEDIA_CREATOR');
    assert.equal(typeof me.followers_count, 'number');
    assert.equal(me.media_count, 0);
    assert.match(r.text, /"user_id":"17841400000000002"/);
    const personal = body(await get(`/graph.instagram.com/me?fields=account_type&access_token=${await igLongToken('personal')}`));
    assert.equal(personal.account_type, 'PERSONAL');
    await graphError(await get(`/graph.instagram.com/me?fields=nope&access_token=${token}`), 100);
    await graphError(await get('/graph.instagram.com/me?fields=id'), 2500);
    await graphError(await get('/graph.instagram.com/me?access_token=garbage'), 190);
  });

  test('an Instagram token cannot read another account', async () => {
    const token = await igLongToken('biz');
    const r = await get(`/graph.instagram.com/v21.0/17841400000000002?access_token=${token}`);
    await graphError(r, 100, 33);
  });
});

// ---- Facebook Login ----------------------------------------------------------------------------

describe('Facebook Login', () => {
  test('the dialog shows a form; allow redirects with code, state and #_=_', async () => {
    const page = await get(fbDialogUrl());
    assert.equal(page.status, 200);
    assert.match(page.text, /Local Instagram stand-in — not Instagram/);
    assert.match(page.text, /Lena Linked/);
    const r = await post('/www.facebook.com/v21.0/dialog/oauth', {
      client_id: CLIENT_ID, redirect_uri: REDIRECT, state: 'fb-st', scope: 'instagram_basic,pages_show_list',
      account: 'fb_two_pages', grant: 'instagram_basic,pages_show_list', decision: 'allow',
    });
    assert.equal(r.status, 302);
    const loc = r.res.headers.get('location');
    assert.ok(loc.endsWith('#_=_'), loc);
    assert.equal(new URL(loc).searchParams.get('state'), 'fb-st');
    assert.ok(codeFrom(loc));
  });

  test('deny redirects with error=access_denied, error_code=200, Permissions error', async () => {
    s.control.consent({ decision: 'deny' });
    const u = new URL((await get(fbDialogUrl())).res.headers.get('location'));
    assert.equal(u.searchParams.get('error'), 'access_denied');
    assert.equal(u.searchParams.get('error_code'), '200');
    assert.equal(u.searchParams.get('error_description'), 'Permissions error');
    assert.equal(u.searchParams.get('error_reason'), 'user_denied');
    assert.equal(u.searchParams.get('state'), 'fb-st');
  });

  test('PKCE S256: the verifier is required and must match', async () => {
    const { verifier, challenge } = pkcePair();
    s.control.consent({ decision: 'allow', account: 'fb_linked' });
    const code = codeFrom((await get(fbDialogUrl({ code_challenge: challenge, code_challenge_method: 'S256' }))).res.headers.get('location'));
    const base = { client_id: CLIENT_ID, redirect_uri: REDIRECT, code };
    await graphError(await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs(base)}`), 100);
    await graphError(await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs({ ...base, code_verifier: `${verifier}x` })}`), 100);
    const ok = await post('/graph.facebook.com/v21.0/oauth/access_token', { ...base, code_verifier: verifier });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(body(ok).token_type, 'bearer');
    assert.equal(body(ok).expires_in, 3600);
    const again = await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs({ ...base, code_verifier: verifier })}`);
    const e = await graphError(again, 100, 36009);
    assert.equal(e.message, 'This authorization code has been used.');
  });

  test('without PKCE the client secret is required; redirect_uri must match (36008)', async () => {
    s.control.consent({ decision: 'allow', account: 'fb_linked' });
    const code = codeFrom((await get(fbDialogUrl())).res.headers.get('location'));
    await graphError(await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs({ client_id: CLIENT_ID, redirect_uri: REDIRECT, code })}`), 1);
    await graphError(await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs({ client_id: CLIENT_ID, redirect_uri: REDIRECT, code, client_secret: 'bad' })}`), 1);
    await graphError(await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs({ client_id: CLIENT_ID, redirect_uri: `${REDIRECT}x`, code, client_secret: SECRET })}`), 100, 36008);
    await graphError(await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs({ client_id: '999', redirect_uri: REDIRECT, code, client_secret: SECRET })}`), 101);
    s.control.advance(11 * 60);
    await graphError(await get(`/graph.facebook.com/v21.0/oauth/access_token?${qs({ client_id: CLIENT_ID, redirect_uri: REDIRECT, code, client_secret: SECRET })}`), 100, 36007);
  });

  test('the dialog refuses an unknown app id without redirecting', async () => {
    const r = await get(fbDialogUrl({ client_id: '123' }));
    assert.equal(r.status, 400);
    assert.equal(r.res.headers.get('location'), null);
    assert.match(r.text, /Invalid App ID/);
  });

  test('/me/accounts gives never-expiring Page tokens from a long-lived user token', async () => {
    const user = await fbUserToken('fb_two_pages');
    const r = await get(`/graph.facebook.com/v21.0/me/accounts?fields=id,name,access_token,instagram_business_account&access_token=${user}`);
    assert.equal(r.status, 200, r.text);
    const pages = body(r).data;
    assert.equal(pages.length, 2);
    assert.equal(pages[0].id, '10300000000000002');
    assert.equal(pages[0].instagram_business_account, undefined);
    assert.deepEqual(pages[1].instagram_business_account, { id: '17841400000000004' });
    const dbg = await get(`/graph.facebook.com/debug_token?${qs({ input_token: pages[1].access_token, access_token: `${CLIENT_ID}|${SECRET}` })}`);
    assert.equal(dbg.status, 200);
    const d = body(dbg).data;
    assert.equal(d.is_valid, true);
    assert.equal(d.type, 'PAGE');
    assert.equal(d.expires_at, 0);
    assert.equal(d.profile_id, '10300000000000003');
    assert.equal(d.user_id, '10200000000000002');
    assert.ok(d.scopes.includes('instagram_content_publish'));
    // still valid long after the user token would have expired
    s.control.advance(70 * 86400);
    assert.equal((await get(`/graph.facebook.com/v21.0/10300000000000003?fields=instagram_business_account&access_token=${pages[1].access_token}`)).status, 200);
    await graphError(await get(`/graph.facebook.com/v21.0/me?access_token=${user}`), 190, 463);
  });

  test('/me/accounts is cursor-paged as Meta documents: next until the last page, previous back', async () => {
    // https://developers.facebook.com/docs/graph-api/results (cursor-based pagination)
    const user = await fbUserToken('fb_agency');
    const first = body(await get(`/graph.facebook.com/v21.0/me/accounts?fields=id,instagram_business_account{id,username}&limit=100&access_token=${user}`));
    assert.deepEqual(first.data.map((p) => p.id), ['10300000000000005', '10300000000000004']);
    assert.ok(first.paging.cursors.after && first.paging.cursors.before);
    assert.equal(first.paging.previous, undefined);
    assert.ok(first.paging.next.startsWith(`${B}/graph.facebook.com/v21.0/10200000000000004/accounts?`), first.paging.next);
    const nextUrl = new URL(first.paging.next);
    assert.equal(nextUrl.searchParams.get('after'), first.paging.cursors.after);
    assert.equal(nextUrl.searchParams.get('fields'), 'id,instagram_business_account{id,username}', 'the request is kept');
    const second = body(await get(first.paging.next.slice(B.length)));
    assert.deepEqual(second.data.map((p) => [p.id, p.instagram_business_account?.username]), [
      ['10300000000000006', 'standin_gym'], ['10300000000000003', 'standin_florist'],
    ]);
    assert.equal(second.paging.next, undefined, 'no next on the last page');
    const back = body(await get(second.paging.previous.slice(B.length)));
    assert.deepEqual(back.data.map((p) => p.id), first.data.map((p) => p.id));
    await graphError(await get(`/graph.facebook.com/v21.0/me/accounts?after=bogus&access_token=${user}`), 100);
    // With a larger cap, one page and no paging links.
    s.control.config({ accountsPageMax: 100 });
    const all = body(await get(`/graph.facebook.com/v21.0/me/accounts?access_token=${user}`));
    assert.equal(all.data.length, 4);
    assert.equal(all.paging.next, undefined);
  });

  test('Page tokens from a short-lived user token expire with it', async () => {
    const user = await fbUserToken('fb_linked', { long: false });
    const pages = body(await get(`/graph.facebook.com/v21.0/me/accounts?access_token=${user}`)).data;
    const dbg = body(await get(`/graph.facebook.com/v21.0/debug_token?${qs({ input_token: pages[0].access_token, access_token: user })}`)).data;
    assert.notEqual(dbg.expires_at, 0);
    s.control.advance(3601);
    const after = body(await get(`/graph.facebook.com/v21.0/debug_token?${qs({ input_token: pages[0].access_token, access_token: `${CLIENT_ID}|${SECRET}` })}`)).data;
    assert.equal(after.is_valid, false);
    assert.equal(after.error.subcode, 463);
  });

  test('permissions list granted and declined scopes', async () => {
    const user = await fbUserToken('fb_linked', { declineScopes: ['business_management'] });
    const r = await get(`/graph.facebook.com/v21.0/me/permissions?access_token=${user}`);
    assert.equal(r.status, 200);
    const data = body(r).data;
    assert.deepEqual(data.find((p) => p.permission === 'business_management'), { permission: 'business_management', status: 'declined' });
    assert.deepEqual(data.find((p) => p.permission === 'instagram_content_publish'), { permission: 'instagram_content_publish', status: 'granted' });
    assert.deepEqual(data.find((p) => p.permission === 'public_profile'), { permission: 'public_profile', status: 'granted' });
  });

  test('the Page, its linked IG account and its fields are readable; unlinked pages have none', async () => {
    const user = await fbUserToken('fb_linked');
    const page = body(await get(`/graph.facebook.com/v21.0/10300000000000001?fields=instagram_business_account&access_token=${user}`));
    assert.deepEqual(page, { instagram_business_account: { id: '17841400000000001' }, id: '10300000000000001' });
    const ig = await get(`/graph.facebook.com/v21.0/17841400000000001?fields=id,username,name,profile_picture_url,followers_count,media_count&access_token=${user}`);
    assert.equal(ig.status, 200, ig.text);
    assert.equal(body(ig).username, 'standin_bakery');
    assert.equal(body(ig).id, '17841400000000001');
    const noIg = await fbUserToken('fb_no_ig');
    const p2 = body(await get(`/graph.facebook.com/v21.0/me/accounts?fields=id,instagram_business_account&access_token=${noIg}`));
    assert.deepEqual(p2.data, [{ id: '10300000000000004' }]);
    // someone else's IG account is out of reach
    await graphError(await get(`/graph.facebook.com/v21.0/17841400000000004?access_token=${noIg}`), 100, 33);
  });
});

// ---- Publishing ----------------------------------------------------------------------------------

describe('Content publishing', () => {
  test('image: IN_PROGRESS, then FINISHED; early publish is refused with 9007/2207027; then PUBLISHED', async () => {
    const token = await igLongToken();
    const c = await createImage(token);
    assert.equal(c.status, 200, c.text);
    const id = body(c).id;
    assert.equal(typeof id, 'string');
    assert.ok(BigInt(id) > TWO_POW_53);
    assert.equal((await status(token, id)).status_code, 'IN_PROGRESS');
    const early = await post('/graph.instagram.com/v21.0/17841400000000001/media_publish', { creation_id: id, access_token: token });
    const e = await graphError(early, 9007, 2207027);
    assert.equal(e.message, 'Media ID is not available');
    s.control.advance(1);
    const st = await status(token, id);
    assert.equal(st.status_code, 'FINISHED');
    assert.equal(st.id, id);
    const pub = await post('/graph.instagram.com/v21.0/17841400000000001/media_publish', { creation_id: id, access_token: token });
    assert.equal(pub.status, 200, pub.text);
    const mediaId = body(pub).id;
    assert.ok(BigInt(mediaId) > TWO_POW_53);
    assert.equal((await status(token, id)).status_code, 'PUBLISHED');
    // publishing again is refused
    await graphError(await post('/graph.instagram.com/v21.0/17841400000000001/media_publish', { creation_id: id, access_token: token }), 100);

    const m = body(await get(`/graph.instagram.com/v21.0/${mediaId}?${qs({ fields: 'id,permalink,media_type,media_product_type,caption,timestamp', access_token: token })}`));
    assert.equal(m.id, mediaId);
    assert.equal(m.media_type, 'IMAGE');
    assert.equal(m.media_product_type, 'FEED');
    assert.equal(m.caption, 'Fresh bread #bakery');
    assert.match(m.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    assert.ok(m.permalink.startsWith(`${B}/www.instagram.com/p/`), m.permalink);
    const postPage = await fetch(m.permalink);
    assert.equal(postPage.status, 200);
    const html = await postPage.text();
    assert.match(html, /Fresh bread #bakery/);
    assert.match(html, /https:\/\/cdn\.example\/photo\.jpg/);
    const feed = await get('/www.instagram.com/standin_bakery/');
    assert.equal(feed.status, 200);
    assert.match(feed.text, new RegExp(`data-media-id="${mediaId}"`));
    assert.match(feed.text, /<span id="post-count">1<\/span>/);
  });

  test('JSON body with an Authorization: Bearer header works as in the guide', async () => {
    const token = await igLongToken();
    const res = await fetch(`${B}/graph.instagram.com/v21.0/me/media`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ image_url: 'https://cdn.example/a.jpg', alt_text: 'A loaf' }),
    });
    assert.equal(res.status, 200);
    const { id } = await res.json();
    assert.ok(BigInt(id) > TWO_POW_53);
  });

  test('media_type=VIDEO for a single post is refused; REELS works and takes longer', async () => {
    const token = await igLongToken('creator');
    const v = await post('/graph.instagram.com/v21.0/17841400000000002/media', { media_type: 'VIDEO', video_url: 'https://cdn.example/v.mp4', access_token: token });
    await graphError(v, 100, 2207023);
    const r = await post('/graph.instagram.com/v21.0/17841400000000002/media', {
      media_type: 'REELS', video_url: 'https://cdn.example/v.mp4', caption: 'reel', share_to_feed: 'true', cover_url: 'https://cdn.example/c.jpg', thumb_offset: '1000', access_token: token,
    });
    assert.equal(r.status, 200, r.text);
    const id = body(r).id;
    s.control.advance(1);
    assert.equal((await status(token, id)).status_code, 'IN_PROGRESS');
    s.control.advance(3);
    assert.equal((await status(token, id)).status_code, 'FINISHED');
    const pub = body(await post('/graph.instagram.com/v21.0/17841400000000002/media_publish', { creation_id: id, access_token: token }));
    const m = body(await get(`/graph.instagram.com/v21.0/${pub.id}?fields=media_type,media_product_type,permalink&access_token=${token}`));
    assert.equal(m.media_type, 'VIDEO');
    assert.equal(m.media_product_type, 'REELS');
    assert.match(m.permalink, /\/www\.instagram\.com\/reel\//);
  });

  test('carousel: 2–10 children, status waits for the slowest child, children are listed', async () => {
    const token = await igLongToken();
    const mk = async (extra) => body(await post('/graph.instagram.com/v21.0/17841400000000001/media', { is_carousel_item: 'true', access_token: token, ...extra })).id;
    const a = await mk({ image_url: 'https://cdn.example/1.jpg' });
    const b = await mk({ media_type: 'VIDEO', video_url: 'https://cdn.example/2.mp4' });
    await graphError(await post('/graph.instagram.com/v21.0/17841400000000001/media', { media_type: 'CAROUSEL', children: a, access_token: token }), 100, 2207028);
    const eleven = Array.from({ length: 11 }, () => a).join(',');
    await graphError(await post('/graph.instagram.com/v21.0/17841400000000001/media', { media_type: 'CAROUSEL', children: eleven, access_token: token }), 100, 2207028);
    const c = body(await post('/graph.instagram.com/v21.0/17841400000000001/media', { media_type: 'CAROUSEL', children: `${a},${b}`, caption: 'two things', access_token: token })).id;
    s.control.advance(1);
    assert.equal((await status(token, c)).status_code, 'IN_PROGRESS'); // video child still processing
    s.control.advance(3);
    assert.equal((await status(token, c)).status_code, 'FINISHED');
    const mediaId = body(await post('/graph.instagram.com/v21.0/17841400000000001/media_publish', { creation_id: c, access_token: token })).id;
    const m = body(await get(`/graph.instagram.com/v21.0/${mediaId}?fields=media_type,children{id,media_type,media_url}&access_token=${token}`));
    assert.equal(m.media_type, 'CAROUSEL_ALBUM');
    assert.equal(m.children.data.length, 2);
    assert.deepEqual(m.children.data.map((x) => x.media_type), ['IMAGE', 'VIDEO']);
    const feed = (await get('/www.instagram.com/standin_bakery/')).text;
    assert.match(feed, /class="carousel-children"/);
    assert.match(feed, /https:\/\/cdn\.example\/2\.mp4/);
    // a carousel counts once against the quota
    const lim = body(await get(`/graph.instagram.com/v21.0/17841400000000001/content_publishing_limit?fields=quota_usage,config&access_token=${token}`));
    assert.deepEqual(lim, { data: [{ quota_usage: 1, config: { quota_total: 100, quota_duration: 86400 } }] });
  });

  test('stories accept an image or a video', async () => {
    const token = await igLongToken();
    const img = body(await post('/graph.instagram.com/v21.0/17841400000000001/media', { media_type: 'STORIES', image_url: 'https://cdn.example/s.jpg', access_token: token })).id;
    s.control.advance(1);
    const pub = body(await post('/graph.instagram.com/v21.0/17841400000000001/media_publish', { creation_id: img, access_token: token }));
    const m = body(await get(`/graph.instagram.com/v21.0/${pub.id}?fields=media_type,media_product_type,permalink&access_token=${token}`));
    assert.equal(m.media_product_type, 'STORY');
    assert.equal(m.media_type, 'IMAGE');
    assert.equal((await fetch(m.permalink)).status, 200);
    const vid = await post('/graph.instagram.com/v21.0/17841400000000001/media', { media_type: 'STORIES', video_url: 'https://cdn.example/s.mp4', access_token: token });
    assert.equal(vid.status, 200);
    s.control.advance(1);
    assert.equal((await status(token, body(vid).id)).status_code, 'IN_PROGRESS');
  });

  test('/stories lists stories on graph.facebook.com only, as Meta documents', async () => {
    // https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/stories
    const user = await fbUserToken('fb_linked');
    const page = body(await get(`/graph.facebook.com/v21.0/me/accounts?access_token=${user}`)).data[0].access_token;
    const c = body(await post('/graph.facebook.com/v21.0/17841400000000001/media', { media_type: 'STORIES', image_url: 'https://cdn.example/s.jpg', access_token: page })).id;
    s.control.advance(1);
    const pub = body(await post('/graph.facebook.com/v21.0/17841400000000001/media_publish', { creation_id: c, access_token: page })).id;
    const list = body(await get(`/graph.facebook.com/v21.0/17841400000000001/stories?fields=id,media_product_type,timestamp&access_token=${page}`));
    assert.deepEqual(list.data.map((m) => [m.id, m.media_product_type]), [[pub, 'STORY']]);
    // Not in /media, and gone after 24 hours.
    const feed = body(await get(`/graph.facebook.com/v21.0/17841400000000001/media?fields=id&access_token=${page}`));
    assert.ok(!feed.data.some((m) => m.id === pub));
    s.control.advance(24 * 3600 + 1);
    assert.deepEqual(body(await get(`/graph.facebook.com/v21.0/17841400000000001/stories?access_token=${page}`)).data, []);
    // graph.instagram.com documents no /stories edge.
    const ig = await igLongToken();
    await graphError(await get(`/graph.instagram.com/v21.0/17841400000000001/stories?access_token=${ig}`), 100);
  });

  test('media URL markers give the documented errors', async () => {
    const token = await igLongToken();
    const dl = await createImage(token, { image_url: 'https://cdn.example/fail-download.jpg' });
    const e = await graphError(dl, 9004, 2207052);
    assert.match(e.error_user_msg, /could not be fetched from this uri/);
    await graphError(await createImage(token, { image_url: 'https://cdn.example/unsupported-format.heic' }), 36001, 2207005);
    const pe = body(await createImage(token, { image_url: 'https://cdn.example/processing-error.jpg' })).id;
    s.control.advance(1);
    const st = await status(token, pe);
    assert.equal(st.status_code, 'ERROR');
    assert.match(st.status, /^Error: /);
    const vf = body(await post('/graph.instagram.com/v21.0/17841400000000001/media', { media_type: 'REELS', video_url: 'https://cdn.example/unsupported-format.avi', access_token: token })).id;
    s.control.advance(4);
    const vs = await status(token, vf);
    assert.equal(vs.status_code, 'ERROR');
    assert.match(vs.status, /2207026/);
    await graphError(await post('/graph.instagram.com/v21.0/17841400000000001/media_publish', { creation_id: vf, access_token: token }), 9007, 2207027);
  });

  test('captions over 2,200 characters or 30 hashtags are refused', async () => {
    const token = await igLongToken();
    await graphError(await createImage(token, { caption: 'x'.repeat(2201) }), 36004, 2207010);
    await graphError(await createImage(token, { caption: Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' ') }), 36004, 2207010);
    assert.equal((await createImage(token, { caption: 'x'.repeat(2200) })).status, 200);
  });

  test('containers expire after 24 hours', async () => {
    const token = await igLongToken();
    const id = body(await createImage(token)).id;
    s.control.advance(24 * 3600 + 1);
    assert.equal((await status(token, id)).status_code, 'EXPIRED');
    await graphError(await post('/graph.instagram.com/v21.0/17841400000000001/media_publish', { creation_id: id, access_token: token }), -2, 2207020);
  });

  test('the rolling 24 h quota is enforced on media_publish', async () => {
    s.control.config({ publishQuota: 2 });
    const token = await igLongToken();
    const publishOne = async () => {
      const id = body(await createImage(token)).id;
      s.control.advance(1);
      return post('/graph.instagram.com/v21.0/17841400000000001/media_publish', { creation_id: id, access_token: token });
    };
    assert.equal((await publishOne()).status, 200);
    assert.equal((await publishOne()).status, 200);
    await graphError(await publishOne(), 9, 2207042);
    const lim = body(await get(`/graph.instagram.com/v21.0/17841400000000001/content_publishing_limit?access_token=${token}`));
    assert.deepEqual(lim, { data: [{ quota_usage: 2 }] });
    s.control.advance(24 * 3600);
    assert.equal((await publishOne()).status, 200);
  });

  test('publishing needs the publish permission and a professional account', async () => {
    const basicOnly = s.control.mintToken({ product: 'instagram', account: 'biz', scopes: ['instagram_business_basic'] }).access_token;
    const r = await createImage(basicOnly);
    assert.equal(r.status, 403);
    await graphError(r, 10);
    const personal = await igLongToken('personal');
    await graphError(await createImage(personal, {}, '17841400000000003'), 10);
  });

  test('Facebook Login publishing goes through graph.facebook.com with a Page token', async () => {
    const user = await fbUserToken('fb_linked');
    const page = body(await get(`/graph.facebook.com/v21.0/me/accounts?access_token=${user}`)).data[0];
    const c = await post('/graph.facebook.com/v21.0/17841400000000001/media', { image_url: 'https://cdn.example/fb.jpg', caption: 'via FB', access_token: page.access_token });
    assert.equal(c.status, 200, c.text);
    s.control.advance(1);
    assert.equal((await status(page.access_token, body(c).id, 'graph.facebook.com')).status_code, 'FINISHED');
    const pub = await post('/graph.facebook.com/v21.0/17841400000000001/media_publish', { creation_id: body(c).id, access_token: page.access_token });
    assert.equal(pub.status, 200, pub.text);
    // an IG token cannot be used on graph.facebook.com
    const ig = await igLongToken();
    await graphError(await get(`/graph.facebook.com/v21.0/me?access_token=${ig}`), 190);
  });
});

// ---- Resumable upload (rupload.facebook.com) ---------------------------------------------------
// https://developers.facebook.com/documentation/instagram-platform/content-publishing/resumable-uploads

async function upload(token, id, bytes, offset, size = bytes.length + offset, headers = {}) {
  const res = await fetch(`${B}/rupload.facebook.com/ig-api-upload/v21.0/${id}`, {
    method: 'POST',
    headers: { authorization: `OAuth ${token}`, offset: String(offset), file_size: String(size), ...headers },
    body: bytes,
  });
  return { status: res.status, text: await res.text() };
}

async function pageToken() {
  const user = await fbUserToken('fb_linked');
  return body(await get(`/graph.facebook.com/v21.0/me/accounts?access_token=${user}`)).data[0].access_token;
}

describe('Resumable upload', () => {
  test('a resumable reel gets its bytes at rupload, resumes at bytes_transferred after a cut, then publishes', async () => {
    const token = await pageToken();
    const c = await post('/graph.facebook.com/v21.0/17841400000000001/media', { media_type: 'REELS', upload_type: 'resumable', caption: 'from a file', access_token: token });
    assert.equal(c.status, 200, c.text);
    const { id, uri } = body(c);
    assert.equal(uri, `${B}/rupload.facebook.com/ig-api-upload/v21.0/${id}`);
    const video = sampleMp4(8000, 50_000);
    s.control.faults([{ host: 'rupload.facebook.com', fault: { type: 'cut_upload', afterBytes: 20_000 } }]);
    await assert.rejects(upload(token, id, video, 0));
    const mid = await get(`/graph.facebook.com/v21.0/${id}?fields=status_code,video_status&access_token=${token}`);
    assert.equal(body(mid).status_code, 'IN_PROGRESS');
    assert.deepEqual(body(mid).video_status.uploading_phase, { status: 'in_progress', bytes_transferred: 20_000 });
    const early = await post('/graph.facebook.com/v21.0/17841400000000001/media_publish', { creation_id: id, access_token: token });
    assert.equal(early.status, 400, 'not publishable before the bytes are all there');
    const past = await upload(token, id, video.subarray(30_000), 30_000, video.length);
    assert.equal(past.status, 400);
    assert.equal(body(past).debug_info.type, 'ParameterValidationError');
    const rest = await upload(token, id, video.subarray(20_000), 20_000, video.length);
    assert.deepEqual(body(rest), { success: true, message: 'Upload successful.' });
    s.control.advance(60_000);
    const done = body(await get(`/graph.facebook.com/v21.0/${id}?fields=status_code,video_status&access_token=${token}`));
    assert.equal(done.status_code, 'FINISHED');
    assert.equal(done.video_status.uploading_phase.bytes_transferred, video.length);
    const pub = await post('/graph.facebook.com/v21.0/17841400000000001/media_publish', { creation_id: id, access_token: token });
    assert.equal(pub.status, 200, pub.text);
  });

  test('headers, token and host are checked; Instagram Login has no resumable upload', async () => {
    const token = await pageToken();
    const { id } = body(await post('/graph.facebook.com/v21.0/17841400000000001/media', { media_type: 'STORIES', upload_type: 'resumable', access_token: token }));
    const noOffset = await upload(token, id, Buffer.from('x'), 0, 1, { offset: 'abc' });
    assert.match(body(noOffset).debug_info.message, /Offset not convertable/);
    const bearer = await fetch(`${B}/rupload.facebook.com/ig-api-upload/v21.0/${id}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, offset: '0', file_size: '1' }, body: 'x' });
    assert.equal(bearer.status, 400);
    await graphError(await upload('EAAnot-a-token', id, Buffer.from('x'), 0), 190);
    const image = await post('/graph.facebook.com/v21.0/17841400000000001/media', { upload_type: 'resumable', image_url: 'https://c/a.jpg', access_token: token });
    assert.equal(image.status, 400);
    const ig = await igLongToken();
    const viaIg = await post('/graph.instagram.com/v21.0/me/media', { media_type: 'REELS', upload_type: 'resumable', access_token: ig });
    assert.equal(viaIg.status, 400);
    assert.match(body(viaIg).error.message, /Facebook Login/);
  });

  test('bytes that are not a video end the container in ERROR like a bad format', async () => {
    const token = await pageToken();
    const { id } = body(await post('/graph.facebook.com/v21.0/17841400000000001/media', { media_type: 'VIDEO', is_carousel_item: 'true', upload_type: 'resumable', access_token: token }));
    assert.equal((await upload(token, id, Buffer.from('not a video at all'), 0)).status, 200);
    s.control.advance(600_000);
    const st = body(await get(`/graph.facebook.com/v21.0/${id}?fields=status_code,status&access_token=${token}`));
    assert.equal(st.status_code, 'ERROR');
    assert.match(st.status, /2207026/);
  });
});

// ---- Media URLs on this machine are really fetched ---------------------------------------------

describe('Fetching media URLs', () => {
  test('a local JPEG and MP4 are fetched; 404, refused connection, timeout and wrong formats fail like Meta', async () => {
    const { createServer } = await import('node:http');
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100)]);
    const files = { '/a.jpg': jpeg, '/v.mp4': sampleMp4(5000, 1000), '/fake.jpg': Buffer.from('GIF89a'), '/fake.mp4': Buffer.from('nope') };
    const media = createServer((req, res) => {
      if (req.url === '/slow.jpg') return; // never answers
      const body = files[req.url];
      res.writeHead(body ? 200 : 404).end(body ?? 'missing');
    });
    await new Promise((r) => media.listen(0, '127.0.0.1', r));
    const M = `http://127.0.0.1:${media.address().port}`;
    const gone = createServer();
    await new Promise((r) => gone.listen(0, '127.0.0.1', r));
    const closedPort = gone.address().port;
    await new Promise((r) => gone.close(r));
    try {
      s.control.config({ mediaFetchTimeoutMs: 300 });
      const token = await igLongToken();
      const ok = await createImage(token, { image_url: `${M}/a.jpg` });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(s.state.mediaFetches.map((f) => [f.url, f.status, f.bytes]), [[`${M}/a.jpg`, 200, jpeg.length]]);
      await graphError(await createImage(token, { image_url: `${M}/missing.jpg` }), 9004, 2207052);
      await graphError(await createImage(token, { image_url: `${M}/slow.jpg` }), 9004, 2207052);
      await graphError(await createImage(token, { image_url: `http://127.0.0.1:${closedPort}/closed.jpg` }), 9004, 2207052);
      await graphError(await createImage(token, { image_url: `${M}/fake.jpg` }), 36001, 2207005);
      assert.deepEqual(s.state.mediaFetches.slice(1).map((f) => f.error ?? f.status), [404, 'timeout', 'ECONNREFUSED', 200]);
      const reel = (url) => post('/graph.instagram.com/v21.0/17841400000000001/media', { media_type: 'REELS', video_url: url, access_token: token });
      const good = body(await reel(`${M}/v.mp4`)).id;
      const bad = body(await reel(`${M}/fake.mp4`)).id;
      s.control.advance(60_000);
      assert.equal((await status(token, good)).status_code, 'FINISHED');
      const failed = await status(token, bad);
      assert.equal(failed.status_code, 'ERROR');
      assert.match(failed.status, /2207026/);
    } finally {
      await new Promise((r) => { media.close(r); media.closeAllConnections(); });
    }
  });
});

describe('Fetching a video_url in ranges', () => {
  test('a video is read in Range requests; a 206 whose Content-Range is not the range asked fails like Meta', async () => {
    const { createServer } = await import('node:http');
    const video = sampleMp4(5000, 2500);
    const media = createServer((req, res) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (!m) return res.writeHead(200).end(video);
      const from = Number(m[1]);
      const to = Math.min(Number(m[2]), video.length - 1);
      const shift = req.url === '/liar.mp4' ? 1 : 0; // answers another range than asked
      res.writeHead(206, { 'content-range': `bytes ${from + shift}-${to + shift}/${video.length}`, 'content-type': 'video/mp4' })
        .end(video.subarray(from, to + 1));
    });
    await new Promise((r) => media.listen(0, '127.0.0.1', r));
    const M = `http://127.0.0.1:${media.address().port}`;
    try {
      s.control.config({ mediaRangeBytes: 1000 });
      const token = await igLongToken();
      const reel = (url) => post('/graph.instagram.com/v21.0/17841400000000001/media', { media_type: 'REELS', video_url: url, access_token: token });
      const good = body(await reel(`${M}/v.mp4`)).id;
      const fetched = s.state.mediaFetches.at(-1);
      assert.deepEqual(fetched.ranges.map((r) => [r.range, r.status, r.bytes]),
        [['0-999', 206, 1000], ['1000-1999', 206, 1000], ['2000-2999', 206, video.length - 2000]]);
      assert.deepEqual([fetched.status, fetched.bytes, fetched.contentType], [206, video.length, 'video/mp4']);
      const bad = body(await reel(`${M}/liar.mp4`)).id;
      s.control.advance(60_000);
      assert.equal((await status(token, good)).status_code, 'FINISHED');
      const failed = await status(token, bad);
      assert.equal(failed.status_code, 'ERROR');
      assert.match(failed.status, /2207052/);
    } finally {
      s.control.config({ mediaRangeBytes: 4 * 1024 * 1024 });
      await new Promise((r) => { media.close(r); media.closeAllConnections(); });
    }
  });
});

// ---- Faults, latency, log, reset -------------------------------------------------------------

describe('Faults and control', () => {
  test('a status fault answers once, then the real handler runs again', async () => {
    s.control.faults([{ host: 'graph.instagram.com', path: '/refresh_access_token', method: 'GET', fault: { type: 'status', status: 503, body: 'busy', headers: { 'x-test': '1' } } }]);
    const long = await igLongToken();
    s.control.advance(25 * 3600);
    const url = `/graph.instagram.com/refresh_access_token?${qs({ grant_type: 'ig_refresh_token', access_token: long })}`;
    const first = await get(url);
    assert.equal(first.status, 503);
    assert.equal(first.text, 'busy');
    assert.equal(first.res.headers.get('x-test'), '1');
    assert.equal((await get(url)).status, 200);
    const f = s.control.listFaults().faults[0];
    assert.equal(f.used, 1);
    assert.equal(f.remaining, 0);
  });

  test('graph_error uses the Graph shape on graph hosts and the flat shape on api.instagram.com', async () => {
    const token = await igLongToken();
    s.control.faults([
      { host: 'graph.instagram.com', path: '/me', fault: { type: 'graph_error', status: 400, code: 190, subcode: 467, message: 'revoked', isTransient: false } },
      { host: 'api.instagram.com', path: '/oauth/access_token', fault: { type: 'graph_error', message: 'flat please' } },
    ]);
    const e = await graphError(await get(`/graph.instagram.com/v21.0/me?access_token=${token}`), 190, 467);
    assert.equal(e.message, 'revoked');
    assert.equal(e.is_transient, false);
    const flat = await exchangeIgCode('whatever');
    assert.equal(flat.status, 400);
    assert.deepEqual(body(flat), { error_type: 'OAuthException', code: 400, error_message: 'flat please' });
  });

  test('rate_limit answers 429 with Retry-After and a Graph throttling code', async () => {
    const token = await igLongToken();
    s.control.faults([{ host: 'graph.instagram.com', path: '/media', method: 'POST', fault: { type: 'rate_limit', retryAfter: 30 } }]);
    const r = await createImage(token);
    assert.equal(r.status, 429);
    assert.equal(r.res.headers.get('retry-after'), '30');
    const e = await graphError(r, 4);
    assert.equal(e.is_transient, true);
    assert.ok(r.res.headers.get('x-app-usage'));
    // the action did not happen
    assert.equal(s.control.state().containers.length, 0);
    s.control.faults([{ host: 'graph.instagram.com', fault: { type: 'rate_limit', code: 80002, status: 400 } }]);
    const r2 = await get(`/graph.instagram.com/v21.0/me?access_token=${token}`);
    assert.equal(r2.status, 400);
    await graphError(r2, 80002);
    assert.ok(r2.res.headers.get('x-business-use-case-usage'));
  });

  test('html fault returns an HTML error page', async () => {
    s.control.faults([{ host: 'graph.facebook.com', fault: { type: 'html', status: 502 } }]);
    const r = await get('/graph.facebook.com/v21.0/me');
    assert.equal(r.status, 502);
    assert.match(r.res.headers.get('content-type'), /text\/html/);
    assert.match(r.text, /<html>/);
  });

  test('truncated sends half a JSON body and closes the connection', async () => {
    s.control.faults([{ host: 'api.instagram.com', fault: { type: 'truncated' } }]);
    const code = await igCode();
    const form = new URLSearchParams({ client_id: CLIENT_ID, client_secret: SECRET, grant_type: 'authorization_code', redirect_uri: REDIRECT, code });
    const res = await fetch(`${B}/api.instagram.com/oauth/access_token`, { method: 'POST', body: form });
    assert.equal(res.status, 200);
    await assert.rejects(res.text());
    // the exchange really happened: the code is used
    assert.equal(s.control.state().codes.find((c) => c.code === code).used, true);
  });

  test('hang never answers; delay answers late', async () => {
    const token = await igLongToken();
    s.control.faults([{ host: 'graph.instagram.com', path: '/me', fault: { type: 'hang' } }]);
    await assert.rejects(fetch(`${B}/graph.instagram.com/me?access_token=${token}`, { signal: AbortSignal.timeout(300) }), /abort|timeout/i);
    s.control.faults([{ host: 'graph.instagram.com', path: '/me', fault: { type: 'delay', ms: 250 } }]);
    const t0 = Date.now();
    const r = await get(`/graph.instagram.com/me?access_token=${token}`);
    assert.equal(r.status, 200);
    assert.ok(Date.now() - t0 >= 240);
  });

  test('drop_response publishes for real but loses the answer', async () => {
    const token = await igLongToken();
    const id = body(await createImage(token)).id;
    s.control.advance(1);
    s.control.faults([{ host: 'graph.instagram.com', path: '/media_publish', method: 'POST', fault: { type: 'drop_response' } }]);
    await assert.rejects(fetch(`${B}/graph.instagram.com/v21.0/17841400000000001/media_publish`, {
      method: 'POST', body: new URLSearchParams({ creation_id: id, access_token: token }),
    }));
    assert.equal((await status(token, id)).status_code, 'PUBLISHED');
    assert.equal(s.control.state().media.length, 1);
  });

  test('faults match params and can last for several calls', async () => {
    s.control.faults([{ host: 'graph.facebook.com', path: '/oauth/access_token', params: { grant_type: 'fb_exchange_token' }, times: 2, fault: { type: 'status', status: 500 } }]);
    const short = await fbUserToken('fb_linked', { long: false }); // code exchange is not matched
    const url = `/graph.facebook.com/v21.0/oauth/access_token?${qs({ grant_type: 'fb_exchange_token', client_id: CLIENT_ID, client_secret: SECRET, fb_exchange_token: short })}`;
    assert.equal((await get(url)).status, 500);
    assert.equal((await get(url)).status, 500);
    assert.equal((await get(url)).status, 200);
  });

  test('latency delays every Meta-host call', async () => {
    s.control.latency(150);
    const t0 = Date.now();
    await get('/graph.instagram.com/me');
    assert.ok(Date.now() - t0 >= 140);
    const r = await fetch(`${B}/__control/latency`, { method: 'POST', body: JSON.stringify({ ms: 0 }) });
    assert.deepEqual(await r.json(), { latencyMs: 0 });
  });

  test('the log records Meta-host requests; reset restores the seeded state', async () => {
    const token = await igLongToken();
    await get(`/graph.instagram.com/v21.0/me?fields=id&access_token=${token}`);
    const log = await (await fetch(`${B}/__control/log?host=graph.instagram.com`)).json();
    const me = log.entries.filter((e) => e.path === '/v21.0/me');
    assert.equal(me.length, 1);
    assert.equal(me[0].method, 'GET');
    assert.equal(me[0].query.fields, 'id');
    assert.equal(me[0].status, 200);
    const exchange = (await (await fetch(`${B}/__control/log?host=api.instagram.com`)).json()).entries;
    assert.equal(exchange.length, 1);
    assert.equal(exchange[0].form.grant_type, 'authorization_code');

    const clock = await (await fetch(`${B}/__control/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 90000 }) })).json();
    assert.equal(clock.offsetSeconds, 90000);
    const reset = await fetch(`${B}/__control/reset`, { method: 'POST' });
    assert.equal(reset.status, 200);
    const st = await (await fetch(`${B}/__control/state`)).json();
    assert.equal(st.tokens.length, 0);
    assert.equal(st.codes.length, 0);
    assert.equal((await (await fetch(`${B}/__control/log`)).json()).entries.length, 0);
    assert.equal((await (await fetch(`${B}/__control/clock`)).json()).offsetSeconds, 0);
    await graphError(await get(`/graph.instagram.com/v21.0/me?access_token=${token}`), 190);
  });

  test('Graph hosts allow cross-origin calls; the code exchange does not', async () => {
    const pre = await fetch(`${B}/graph.instagram.com/v21.0/me/media`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers'), /authorization/);
    const g = await get('/graph.facebook.com/v21.0/me');
    assert.equal(g.res.headers.get('access-control-allow-origin'), '*');
    const a = await exchangeIgCode('x');
    assert.equal(a.res.headers.get('access-control-allow-origin'), null);
  });

  test('control errors are 400 with a message', async () => {
    const r = await fetch(`${B}/__control/faults`, { method: 'POST', body: JSON.stringify({ rules: [{ fault: { type: 'nope' } }] }) });
    assert.equal(r.status, 400);
    assert.match((await r.json()).error, /type/);
    const c = await fetch(`${B}/__control/consent`, { method: 'POST', body: JSON.stringify({ decision: 'allow', account: 'ghost' }) });
    assert.equal(c.status, 400);
  });
});

test('appsecret_proof on graph.facebook.com: checked when given, required with requireAppSecretProof', async () => {
  // https://developers.facebook.com/docs/graph-api/guides/secure-requests
  const { access_token: token } = s.control.mintToken({ product: 'facebook', account: 'fb_linked' });
  const proof = createHmac('sha256', SECRET).update(token).digest('hex');
  const me = (extra = '') => fetch(`${B}/graph.facebook.com/v21.0/me?access_token=${token}${extra}`);
  assert.equal((await me()).status, 200, 'optional by default');
  assert.equal((await me(`&appsecret_proof=${proof}`)).status, 200);
  const wrong = await me(`&appsecret_proof=${proof.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}`);
  assert.equal(wrong.status, 400);
  assert.match((await wrong.json()).error.message, /Invalid appsecret_proof/);
  s.control.config({ requireAppSecretProof: true });
  const missing = await me();
  assert.equal(missing.status, 400);
  const body = await missing.json();
  assert.equal(body.error.code, 100);
  assert.match(body.error.message, /require an appsecret_proof/);
  assert.equal((await me(`&appsecret_proof=${proof}`)).status, 200);
  // Instagram Login's host is not affected.
  const ig = s.control.mintToken({ product: 'instagram', account: 'biz' });
  assert.equal((await fetch(`${B}/graph.instagram.com/v21.0/me?access_token=${ig.access_token}`)).status, 200);
});
