// End to end: the fault matrix per flow, against the built Worker under
// miniflare and the stand-in. Every upstream fault the stand-in can play —
// 5xx, 429 + Retry-After, slow (answers within UPSTREAM_TIMEOUT_MS), hung (the
// Worker times out and says so), an HTML page and a truncated body — on the
// single-page exchange, the redirect callback (slow and Facebook Login; the
// other faults are in login.test.mjs), the cron's refresh and refresh-now, and
// publishing (container creation and media_publish); malformed bodies on the
// webhook; and Workers KV failing (faulty-kv-entry.mjs in front of the Worker)
// on every flow that writes. Each test checks what the caller is told and
// what is — and is not — in KV afterwards.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  API_KEY, APP, APP_SECRET, Browser, IG_BIZ, K1, dumpKv, hubSignature, issuedTokens, login, open, pkceChallenge,
  seedInstagramAccount, signedRequest, spaConsentCode, startPerFile,
} from './harness.mjs';

// UPSTREAM_TIMEOUT_MS is 1500 in the harness: "slow" stays under it.
const FAULTS = {
  '5xx': { fault: { type: 'status', status: 503, body: '' }, kinds: ['transient'], status: 502 },
  '429 + Retry-After': { fault: { type: 'rate_limit', retryAfter: 30 }, kinds: ['rate_limited'], status: 429, retryAfter: '30' },
  'HTML page': { fault: { type: 'html', status: 502 }, kinds: ['transient'], status: 502 },
  'truncated body': { fault: { type: 'truncated' }, kinds: ['unexpected_response', 'transport'], status: 502 },
  'hung upstream': { fault: { type: 'hang' }, kinds: ['timeout'], status: 504 },
};
const SLOW = { type: 'delay', ms: 700 };

let env;
startPerFile({ kvFaults: true }, (e) => { env = e; });

// Faults cut answers that carry tokens (a truncated exchange body holds half
// of one): after each test no KV value, and at the end no log line, may hold
// even a piece of any token issued (16 characters past the 4-letter prefix).
const pieces = new Set();
afterEach(async () => {
  const kv = JSON.stringify(await dumpKv(env.worker.kv));
  for (const t of issuedTokens(env.standin)) {
    const piece = t.slice(4, 20);
    pieces.add(piece);
    assert.ok(!kv.includes(piece), 'a piece of a token is in KV in clear');
  }
});

const keys = async (prefix) => (await env.worker.kv.list({ prefix })).keys.map((k) => k.name);
const api = (path, init = {}) =>
  fetch(`${env.worker.origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
const record = async (id) => open(K1, await env.worker.kv.get(`token:${id}`), `token:${id}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Timed: [result, milliseconds]. */
async function timed(fn) {
  const t0 = Date.now();
  const out = await fn();
  return [out, Date.now() - t0];
}

/** No internals in an answer: no JS error dump, stack frame or file path. */
function assertClean(text) {
  assert.doesNotMatch(text, /JsValue|\bat .*:\d+:\d+|file:\/\/|wasm-function/, `internals leaked: ${text.slice(0, 300)}`);
}

// ---- single-page exchange -------------------------------------------------------------

/** Registers a single-page login, consents at the stand-in, returns {code, state, verifier}. */
async function spaCode({ account = 'creator', product = 'instagram' } = {}) {
  const verifier = `v${Math.random().toString(36).slice(2)}`.padEnd(64, 'x');
  const state = `s${Math.random().toString(36).slice(2)}`.padEnd(43, 's');
  const reg = await fetch(`${env.worker.origin}/auth/pending`, {
    method: 'POST',
    headers: { origin: APP, 'content-type': 'application/json' },
    body: JSON.stringify({ state, codeChallenge: pkceChallenge(verifier), redirectUri: `${APP}/callback.html`, product }),
  });
  assert.equal(reg.status, 201);
  const code = await spaConsentCode(env, state, {
    product, account, ...(product === 'facebook' ? { challenge: pkceChallenge(verifier) } : {}),
  });
  return { code, state, verifier };
}

const exchange = (body) =>
  fetch(`${env.worker.origin}/auth/exchange`, {
    method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

describe('single-page exchange (POST /auth/exchange)', () => {
  for (const [name, c] of Object.entries(FAULTS)) {
    test(`${name} on the code exchange: ${c.status} ${c.kinds.join('|')} with CORS, nothing stored, state kept only for a retry that can work`, async () => {
      const { code, state, verifier } = await spaCode();
      env.standin.control.faults([{ host: 'api.instagram.com', path: '/oauth/access_token', fault: c.fault }]);
      const [r, ms] = await timed(() => exchange({ code, state, codeVerifier: verifier }));
      const text = await r.text();
      assert.equal(r.status, c.status, text);
      const { error } = JSON.parse(text);
      assert.ok(c.kinds.includes(error.kind), `${name}: ${error.kind}`);
      // The code is single-use and Meta may have used it before its answer
      // was lost: only a refusal Meta sent before reading it (429) may be
      // retried; otherwise the caller is told to start a new login.
      const throttled = error.kind === 'rate_limited';
      assert.equal(error.retryable, throttled, 'retryable only when Meta refused before using the code');
      if (!throttled) assert.match(error.message, /single-use.*start a new login/);
      assert.equal(r.headers.get('access-control-allow-origin'), APP, 'the front end can read the error');
      if (c.retryAfter) {
        assert.equal(r.headers.get('retry-after'), c.retryAfter);
        assert.equal(error.retry_after, Number(c.retryAfter));
      }
      if (c.fault.type === 'hang') {
        assert.ok(ms < 4000, `answered in ${ms} ms`);
        assert.match(error.message, /did not answer within 1500 ms/);
      }
      assertClean(text);
      assert.deepEqual(await keys('token:'), []);
      assert.deepEqual(await keys('due:'), []);
      assert.deepEqual(await keys('alias:'), []);
      // The state is used once, even when the exchange fails; a throttled
      // exchange (code unused) keeps it so that the retry it invites works.
      assert.deepEqual(await keys('state:'), throttled ? [`state:${state}`] : []);
      assert.equal(r.headers.getSetCookie().length, 0, 'no session for a failed login');
      const line = env.worker.records().findLast((l) => l.route === '/auth/exchange');
      assert.equal(line.status, c.status);
      if (throttled) {
        env.standin.control.clearFaults();
        const again = await exchange({ code, state, codeVerifier: verifier });
        assert.equal(again.status, 200, await again.clone().text());
        const { account } = await again.json();
        assert.equal(account.username, 'standin_creator');
        // Leave KV as the next case expects it.
        assert.equal((await api(`/api/accounts/${account.id}`, { method: 'DELETE' })).status, 200);
        assert.deepEqual(await keys('token:'), []);
      }
      assert.ok(c.kinds.includes(line.error_kind));
    });
  }

  test('a slow long-lived exchange (under the timeout) still connects', async () => {
    const { code, state, verifier } = await spaCode();
    env.standin.control.faults([{ host: 'graph.instagram.com', path: '/access_token', fault: SLOW }]);
    const [r, ms] = await timed(() => exchange({ code, state, codeVerifier: verifier }));
    assert.equal(r.status, 200, await r.clone().text());
    assert.ok(ms >= 700);
    assert.equal((await r.json()).account.id, '17841400000000002');
    assert.deepEqual(await keys('token:'), ['token:17841400000000002']);
  });

  test('Facebook Login: a 5xx on /me/accounts after the exchange stores nothing', async () => {
    const { code, state, verifier } = await spaCode({ account: 'fb_linked', product: 'facebook' });
    env.standin.control.faults([{ host: 'graph.facebook.com', path: '/me/accounts', fault: { type: 'status', status: 500, body: '{}' } }]);
    const r = await exchange({ code, state, codeVerifier: verifier });
    assert.equal(r.status, 502, await r.clone().text());
    assert.equal((await r.json()).error.kind, 'transient');
    assert.deepEqual(await keys('token:'), []);
    assert.deepEqual(await keys('alias:'), []);
  });
});

// ---- redirect callback ----------------------------------------------------------------

describe('redirect login (GET /auth/callback)', () => {
  test('slow upstream on every call still connects', async () => {
    env.standin.control.faults([
      { host: 'api.instagram.com', path: '/oauth/access_token', fault: { type: 'delay', ms: 400 } },
      { host: 'graph.instagram.com', path: '/access_token', fault: { type: 'delay', ms: 400 } },
      { host: 'graph.instagram.com', path: '/me', fault: { type: 'delay', ms: 400 } },
    ]);
    const { params } = await login(env, { account: 'biz' });
    assert.equal(params.get('connected'), IG_BIZ);
    assert.deepEqual(await keys('token:'), [`token:${IG_BIZ}`]);
  });

  test('Facebook Login: 429, hung and HTML Graph answers redirect with the kind and store nothing', async () => {
    const cases = [
      [{ host: 'graph.facebook.com', path: '/oauth/access_token', fault: { type: 'rate_limit', retryAfter: 30, code: 4 } }, 'rate_limited'],
      [{ host: 'graph.facebook.com', path: '/me/accounts', fault: { type: 'hang' } }, 'timeout'],
      [{ host: 'graph.facebook.com', path: '/me/permissions', fault: { type: 'html', status: 500 } }, 'transient'],
    ];
    for (const [rule, kind] of cases) {
      env.standin.control.clearFaults();
      env.standin.control.faults([rule]);
      const { params } = await login(env, { product: 'facebook', account: 'fb_linked' });
      assert.equal(params.get('error'), kind, JSON.stringify(rule));
      assert.equal(params.get('connected'), null);
    }
    assert.deepEqual(await keys('token:'), []);
    assert.deepEqual(await keys('alias:'), []);
    // Each state is marked used (10 minutes), whatever the login's outcome.
    for (const k of await keys('state:')) assert.equal(await env.worker.kv.get(k), 'used', k);
  });
});

// ---- refresh --------------------------------------------------------------------------

describe('refresh: the scheduled handler', () => {
  for (const [name, c] of Object.entries(FAULTS)) {
    test(`${name} on refresh_access_token: the old token and index entry stay, the history says ${c.kinds.join('|')}`, async () => {
      const seeded = await seedInstagramAccount(env, { ageDays: 31 });
      const before = await env.worker.kv.get(`token:${seeded.id}`);
      env.standin.control.faults([{ path: '/refresh_access_token', fault: c.fault }]);
      const [, ms] = await timed(() => env.worker.scheduled());
      if (c.fault.type === 'hang') assert.ok(ms < 5000, `the cron gave up on a hung upstream (${ms} ms)`);
      const rec = await record(seeded.id);
      assert.equal(rec.token.access_token, seeded.token, 'the last good token is kept');
      assert.equal(rec.needs_reauth, false, 'a transient failure is not a dead token');
      assert.equal(rec.history[0].outcome, 'failed');
      assert.ok(c.kinds.includes(rec.history[0].error_kind), rec.history[0].error_kind);
      assert.notEqual(await env.worker.kv.get(`token:${seeded.id}`), before, 'the failure is recorded');
      assert.deepEqual(await keys('due:'), [seeded.dueKey], 'still due: the next run retries');
      await env.worker.logsSettled();
      const cron = env.worker.records().findLast((l) => l.event === 'cron');
      assert.equal(cron.refresh.failed, 1, JSON.stringify(cron));
      assert.equal(cron.refresh.refreshed, 0);

      // The next run, with Meta back, refreshes it.
      env.standin.control.clearFaults();
      await env.worker.scheduled();
      const after = await record(seeded.id);
      assert.equal(after.history[0].outcome, 'refreshed');
      assert.notEqual(after.token.access_token, seeded.token);
      assert.deepEqual(await keys('due:'), [after.due_key]);
    });
  }

  test('a slow refresh (under the timeout) completes', async () => {
    const seeded = await seedInstagramAccount(env, { ageDays: 31 });
    env.standin.control.faults([{ path: '/refresh_access_token', fault: SLOW }]);
    await env.worker.scheduled();
    const rec = await record(seeded.id);
    assert.equal(rec.history[0].outcome, 'refreshed');
    assert.notEqual(rec.token.access_token, seeded.token);
  });
});

describe('refresh: POST /api/accounts/{id}/refresh', () => {
  for (const [name, c] of Object.entries(FAULTS)) {
    test(`${name}: answers ${c.status} ${c.kinds.join('|')} with the account, keeps the token`, async () => {
      const seeded = await seedInstagramAccount(env, { ageDays: 31 });
      env.standin.control.faults([{ path: '/refresh_access_token', fault: c.fault }]);
      const [r, ms] = await timed(() => api(`/api/accounts/${seeded.id}/refresh`, { method: 'POST' }));
      const text = await r.text();
      assert.equal(r.status, c.status, text);
      const body = JSON.parse(text);
      assert.ok(c.kinds.includes(body.error.kind), body.error.kind);
      assert.equal(body.account.id, seeded.id);
      assert.equal(body.account.needs_reauth, false);
      if (c.retryAfter) assert.equal(r.headers.get('retry-after'), c.retryAfter);
      if (c.fault.type === 'hang') assert.ok(ms < 4000, `${ms} ms`);
      assertClean(text);
      assert.equal((await record(seeded.id)).token.access_token, seeded.token);
      assert.deepEqual(await keys('due:'), [seeded.dueKey]);
    });
  }
});

// ---- publish --------------------------------------------------------------------------

describe('publish', () => {
  const media = () => env.standin.control.state().media.filter((m) => !m.parent);
  const publish = (body) => api(`/api/accounts/${IG_BIZ}/publish`, { method: 'POST', body: JSON.stringify(body) });

  /** Polls the job (and runs the cron) until it leaves `processing`. */
  async function settle(id, ms = 20_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const { job } = await (await api(`/api/jobs/${id}`)).json();
      if (job.status !== 'processing' || Date.now() > deadline) return job;
      await env.worker.scheduled();
      await sleep(300);
    }
  }

  // Publishing faults use a 2 s Retry-After so the test can wait it out. The
  // six faults of a step run at once, one job each, on one account: each
  // rule is tied to its job by a parameter (the image URL when creating the
  // container; the container id, 179…1 to 179…6 in creation order after a
  // reset, on media_publish).
  const publishFaults = {
    ...FAULTS,
    '429 + Retry-After': { ...FAULTS['429 + Retry-After'], fault: { type: 'rate_limit', retryAfter: 2 } },
    'slow upstream': { fault: SLOW },
  };
  const names = Object.keys(publishFaults);
  const containerId = (n) => String(17900000000000000n + BigInt(n));
  for (const where of ['container creation', 'media_publish']) {
    test(`${names.join(', ')} on ${where}: each job answers 200 or 202 + Location, then ends as exactly one post`, async () => {
      const { params } = await login(env, { account: 'biz' });
      assert.equal(params.get('connected'), IG_BIZ);
      const account = await env.worker.kv.get(`token:${IG_BIZ}`);
      env.standin.control.config({ processingMs: { IMAGE: 100 } });
      const url = (name) => `https://cdn.example/${encodeURIComponent(name)}.jpg`;
      env.standin.control.faults(names.map((name, i) => (where === 'container creation'
        ? { path: `/${IG_BIZ}/media`, method: 'POST', params: { image_url: url(name) }, fault: publishFaults[name].fault, times: 1 }
        : { path: '/media_publish', method: 'POST', params: { creation_id: containerId(i + 1) }, fault: publishFaults[name].fault, times: 1 })));
      const started = Date.now();
      const answers = await Promise.all(names.map(async (name) => {
        const r = await publish({ kind: 'image', image_url: url(name), caption: `${name} ${where}` });
        const text = await r.text();
        assertClean(text);
        assert.ok(r.status === 200 || r.status === 202, `${name}: ${r.status} ${text}`);
        const { job } = JSON.parse(text);
        if (r.status === 202) {
          assert.equal(job.status, 'processing');
          assert.equal(r.headers.get('location'), `/api/jobs/${job.id}`);
          assert.ok((await keys('jobq:')).includes(`jobq:${job.id}`), `${name}: the unfinished job is queued for the cron`);
        }
        return { job, status: r.status };
      }));
      const jobs = await Promise.all(answers.map(({ job }) => (job.status === 'processing' ? settle(job.id) : job)));
      const posts = media();
      assert.equal(posts.length, names.length, 'exactly one post per job');
      const sends = env.standin.control.log({ path: '/media_publish' }).entries;
      for (const [i, job] of jobs.entries()) {
        assert.equal(job.status, 'published', JSON.stringify(job));
        assert.equal(posts.filter((m) => m.id === job.media_id).length, 1);
        // Which fault this job met: by its image URL, or by its container.
        const name = where === 'container creation' ? names[i] : names[Number(BigInt(job.container_id) - 17900000000000000n) - 1];
        assert.ok(name, JSON.stringify(job));
        // A media_publish Meta did not act on (5xx, 429, HTML, hang) is sent
        // again once the container's status says it is not published; one
        // that did (a truncated or slow answer) never is.
        const acted = ['truncated', 'delay'].includes(publishFaults[name].fault.type);
        const expected = where === 'media_publish' && !acted ? 2 : 1;
        const mine = sends.filter((e) => (e.form?.creation_id ?? e.query?.creation_id) === job.container_id).length;
        assert.equal(mine, expected, `${name} on ${where}: media_publish sent ${mine} times`);
        if (publishFaults[name].fault.type === 'rate_limit' && answers[i].status === 202) {
          assert.ok(Date.parse(answers[i].job.next_check_at) - started >= 1500, `Retry-After honoured: ${answers[i].job.next_check_at}`);
        }
        assert.ok((await keys('job:')).includes(`job:${job.id}`), 'the finished job is kept for GET /api/jobs');
      }
      assert.deepEqual(await keys('jobq:'), [], 'nothing left queued');
      assert.equal(await env.worker.kv.get(`token:${IG_BIZ}`), account, 'publishing faults leave the account alone');
    });
  }

  test('a hung media_publish that did publish (the answer is lost, then the status read hangs) still ends as one post', async () => {
    await login(env, { account: 'biz' });
    env.standin.control.config({ processingMs: { IMAGE: 100 } });
    env.standin.control.faults([
      { path: '/media_publish', method: 'POST', fault: { type: 'drop_response' } },
      { path: '/1790', method: 'GET', fault: { type: 'hang' }, times: 1 },
    ]);
    const r = await publish({ kind: 'image', image_url: 'https://cdn.example/h.jpg' });
    let { job } = await r.json();
    if (job.status === 'processing') job = await settle(job.id);
    assert.equal(job.status, 'published', JSON.stringify(job));
    assert.equal(media().length, 1);
    assert.equal(env.standin.control.log({ path: '/media_publish' }).entries.length, 1, 'media_publish was never resent');
  });
});

// ---- webhooks and Meta's callbacks -----------------------------------------------------

describe('webhooks and signed_request callbacks', () => {
  const post = (body, type = 'application/json') =>
    fetch(`${env.worker.origin}/webhooks/instagram`, {
      method: 'POST', headers: { 'content-type': type, 'x-hub-signature-256': hubSignature(APP_SECRET, body) }, body,
    });

  test('a signed HTML or truncated delivery is refused clearly and nothing is processed', async () => {
    const full = JSON.stringify({ object: 'instagram', entry: [{ id: IG_BIZ, time: 1, changes: [{ field: 'comments', value: { id: '1' } }] }] });
    const before = env.worker.records().filter((l) => l.event === 'webhook').length;
    for (const [body, type] of [['<html><body>502 Bad Gateway</body></html>', 'text/html'], [full.slice(0, full.length / 2), 'application/json'], ['', 'application/json']]) {
      const r = await post(body, type);
      const text = await r.text();
      assert.equal(r.status, 400, `${body.slice(0, 20)}: ${text}`);
      assert.equal(JSON.parse(text).error.kind, 'invalid_input');
      assertClean(text);
    }
    await env.worker.logsSettled();
    assert.equal(env.worker.records().filter((l) => l.event === 'webhook').length, before);
    assert.deepEqual(await dumpKv(env.worker.kv), [], 'a webhook writes nothing');
  });

  test('a truncated signed_request is refused (401) and deletes nothing', async () => {
    await login(env, { account: 'biz' });
    const signed = signedRequest(APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: '27400000000000001' });
    for (const body of [`signed_request=${encodeURIComponent(signed.slice(0, signed.length - 10))}`, 'signed_request=', 'x=1']) {
      const r = await fetch(`${env.worker.origin}/auth/deauthorize`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body,
      });
      assert.equal(r.status, 401, body);
    }
    assert.deepEqual(await keys('token:'), [`token:${IG_BIZ}`]);
  });
});

// ---- Workers KV failing -----------------------------------------------------------------

describe('KV errors', () => {
  async function expectStorage(r) {
    const text = await r.text();
    assert.equal(r.status, 503, text);
    assert.equal(r.headers.get('retry-after'), '5');
    assertClean(text);
    return text;
  }

  test('GET /auth/login needs no KV: with every KV operation failing it still redirects, and stores nothing', async () => {
    await env.worker.kvFaults([{ op: 'put', prefix: '' }, { op: 'get', prefix: '' }, { op: 'delete', prefix: '' }, { op: 'list', prefix: '' }]);
    const r = await fetch(`${env.worker.origin}/auth/login`, { redirect: 'manual' });
    assert.equal(r.status, 302);
    assert.ok(r.headers.getSetCookie().some((c) => c.startsWith('__Host-instagate_login=')));
    await env.worker.kvFaults([]);
    assert.deepEqual(await dumpKv(env.worker.kv), []);
  });

  test('callback: the pending login cannot be read → 503, and the same callback works once KV is back', async () => {
    env.standin.control.consent({ decision: 'allow', account: 'biz' });
    const browser = new Browser();
    const { url: callback } = await browser.follow(`${env.worker.origin}/auth/login`, { stopAt: [`${env.worker.origin}/auth/callback`] });
    await env.worker.kvFaults([{ op: 'get', prefix: 'state:' }]);
    await expectStorage(await browser.fetch(callback));
    assert.deepEqual(await keys('state:'), [], 'nothing written: the pending login is in the cookie');
    assert.deepEqual(await keys('token:'), []);
    assert.equal(env.standin.control.log({ path: 'oauth/access_token' }).entries.length, 0, 'Meta was not called');
    await env.worker.kvFaults([]);
    const r = await browser.fetch(callback);
    assert.equal(r.status, 302);
    assert.equal(new URL(r.headers.get('location')).searchParams.get('connected'), IG_BIZ);
  });

  // The record is the commit point (accounts.rs): its index entry and aliases
  // are written first, so a failed record write leaves only ID pointers, which
  // a later login reuses and the cron drops when no record is behind them.
  async function onlyPointersLeft(id) {
    assert.deepEqual(await keys('token:'), []);
    for (const [k, v] of (await dumpKv(env.worker.kv)).filter(([k, v]) => !(k.startsWith('state:') && v === 'used'))) {
      assert.match(k, new RegExp(`^(due:\\d{8}|alias:\\d+):${id}$`), k);
      assert.equal(v, '1', `${k} holds nothing but a marker`);
    }
  }

  test('callback: the account cannot be written → redirect with error=storage, no account; a retry connects', async () => {
    await env.worker.kvFaults([{ op: 'put', prefix: 'token:' }]);
    const { params, browser } = await login(env, { account: 'biz' });
    assert.equal(params.get('error'), 'storage');
    assert.equal(browser.cookie(env.worker.origin, '__Host-instagate_session'), undefined, 'no session for it');
    await onlyPointersLeft(IG_BIZ);
    await env.worker.kvFaults([]);
    const again = await login(env, { account: 'biz', browser });
    assert.equal(again.params.get('connected'), IG_BIZ);
    assert.deepEqual(await keys('token:'), [`token:${IG_BIZ}`]);
    assert.equal((await keys('due:')).length, 1, 'one index entry, not two');
  });

  test('exchange: the account cannot be written → 503 JSON with CORS, nothing stored', async () => {
    const { code, state, verifier } = await spaCode();
    await env.worker.kvFaults([{ op: 'put', prefix: 'token:' }]);
    const r = await exchange({ code, state, codeVerifier: verifier });
    assert.equal(r.headers.get('access-control-allow-origin'), APP);
    const text = await r.text();
    assert.equal(r.status, 503, text);
    assertClean(text);
    const { error } = JSON.parse(text);
    assert.equal(error.kind, 'storage');
    // Meta already exchanged the single-use code: no retry with it.
    assert.equal(error.retryable, false);
    assert.equal(r.headers.get('retry-after'), null);
    assert.match(error.message, /start the login again/);
    await onlyPointersLeft('17841400000000002');
    assert.deepEqual(await keys('state:'), [], 'no login state kept for a retry that cannot work');
  });

  test('POST /auth/pending: the pending login cannot be written → 503 JSON with CORS, nothing stored', async () => {
    await env.worker.kvFaults([{ op: 'put', prefix: 'state:' }]);
    const r = await fetch(`${env.worker.origin}/auth/pending`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'p'.repeat(43), codeChallenge: pkceChallenge('v'.repeat(50)), redirectUri: `${APP}/callback.html` }),
    });
    assert.equal(r.headers.get('access-control-allow-origin'), APP);
    assert.equal(JSON.parse(await expectStorage(r)).error.kind, 'storage');
    assert.deepEqual(await dumpKv(env.worker.kv), []);
  });

  test('cron: the job queue cannot be listed → the refresh phase still runs', async () => {
    const seeded = await seedInstagramAccount(env, { ageDays: 31 });
    await env.worker.kvFaults([{ op: 'list', prefix: 'jobq:' }]);
    await env.worker.scheduled();
    const rec = await record(seeded.id);
    assert.equal(rec.history[0].outcome, 'refreshed');
    assert.deepEqual(await keys('due:'), [rec.due_key]);
  });

  test('API: a failed read answers 503 + Retry-After; a failed listing too', async () => {
    await login(env, { account: 'biz' });
    await env.worker.kvFaults([{ op: 'get', prefix: 'token:' }]);
    await expectStorage(await api(`/api/accounts/${IG_BIZ}`));
    await env.worker.kvFaults([{ op: 'list', prefix: 'token:' }]);
    await expectStorage(await api('/api/accounts'));
    await env.worker.kvFaults([]);
    assert.equal((await api(`/api/accounts/${IG_BIZ}`)).status, 200);
  });

  test('cron: the index cannot be listed → the run logs it and changes nothing', async () => {
    const seeded = await seedInstagramAccount(env, { ageDays: 31 });
    const before = await dumpKv(env.worker.kv);
    await env.worker.kvFaults([{ op: 'list', prefix: 'due:' }]);
    await env.worker.scheduled();
    await env.worker.logsSettled();
    const cron = env.worker.records().findLast((l) => l.event === 'cron');
    assert.ok(cron, 'the cron logged a line');
    assert.equal(cron.refresh.refreshed, 0);
    assert.equal(cron.refresh.storage_errors, 1, 'the line says the index could not be read');
    assert.deepEqual(await dumpKv(env.worker.kv), before);
    assert.equal(env.standin.control.log({ path: 'refresh_access_token' }).entries.length, 0);
    assert.equal((await record(seeded.id)).token.access_token, seeded.token);
  });

  test('cron: the refreshed record cannot be written → the old record and index entry stay; the next run refreshes', async () => {
    const seeded = await seedInstagramAccount(env, { ageDays: 31 });
    const sealedBefore = await env.worker.kv.get(`token:${seeded.id}`);
    await env.worker.kvFaults([{ op: 'put', prefix: 'token:' }]);
    await env.worker.scheduled();
    assert.equal(await env.worker.kv.get(`token:${seeded.id}`), sealedBefore, 'the record is untouched');
    assert.ok((await keys('due:')).includes(seeded.dueKey), 'the old index entry is still there');
    await env.worker.kvFaults([]);
    await env.worker.scheduled();
    const rec = await record(seeded.id);
    assert.equal(rec.history[0].outcome, 'refreshed');
    assert.deepEqual(await keys('due:'), [rec.due_key]);
  });

  test('refresh-now: the record cannot be written → 503, the stored token is the old one', async () => {
    const seeded = await seedInstagramAccount(env, { ageDays: 31 });
    await env.worker.kvFaults([{ op: 'put', prefix: 'token:' }]);
    await expectStorage(await api(`/api/accounts/${seeded.id}/refresh`, { method: 'POST' }));
    await env.worker.kvFaults([]);
    assert.equal((await record(seeded.id)).token.access_token, seeded.token);
  });

  test('publish: the job cannot be written → 503 and nothing is sent to Instagram', async () => {
    await login(env, { account: 'biz' });
    env.standin.control.clearLog();
    await env.worker.kvFaults([{ op: 'put', prefix: 'job' }]);
    await expectStorage(await api(`/api/accounts/${IG_BIZ}/publish`, { method: 'POST', body: JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/k.jpg' }) }));
    assert.equal(env.standin.control.log({ path: '/media' }).entries.length, 0, 'no container was created');
    assert.equal(env.standin.control.state().media.length, 0);
    assert.deepEqual(await keys('job'), []);
  });

  test('deauthorize: a failed delete answers 503 so Meta retries; the retry removes everything', async () => {
    for (const [i, prefix] of ['alias:', 'due:', 'token:'].entries()) {
      await login(env, { account: 'biz' });
      // Each round is another request from Meta (the same one again would get the first answer):
      // issued_at 10 s apart per round, so a round that starts in the next second
      // cannot repeat the previous round's request.
      const signed = signedRequest(APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000) - 10 * i, user_id: '27400000000000001' });
      const deauth = () => fetch(`${env.worker.origin}/auth/deauthorize`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `signed_request=${encodeURIComponent(signed)}`,
      });
      await env.worker.kvFaults([{ op: 'delete', prefix }]);
      await expectStorage(await deauth());
      await env.worker.kvFaults([]);
      const r = await deauth();
      assert.equal(r.status, 200, prefix);
      // Left: the used login's mark and the handled request's (both expire within the hour).
      const left = (await dumpKv(env.worker.kv)).map(([k]) => k).filter((k) => !/^(state|signedreq):/.test(k));
      assert.deepEqual(left, [], `${prefix}: record, index entry and aliases are all gone`);
    }
  });

  test('data deletion: the confirmation cannot be written → 503; the retry answers a confirmation', async () => {
    await login(env, { product: 'facebook', account: 'fb_linked' });
    const signed = signedRequest(APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: '10200000000000001' });
    const del = () => fetch(`${env.worker.origin}/auth/data-deletion`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `signed_request=${encodeURIComponent(signed)}`,
    });
    await env.worker.kvFaults([{ op: 'put', prefix: 'deletion:' }]);
    await expectStorage(await del());
    await env.worker.kvFaults([]);
    const r = await del();
    assert.equal(r.status, 200);
    const { confirmation_code: code } = await r.json();
    assert.deepEqual((await keys('')).filter((k) => !/^(deletion|state|signedreq):/.test(k)), [], 'the account data is gone');
    assert.deepEqual(await keys('deletion:'), [`deletion:${code}`]);
  });
});

describe('scan', () => {
  test('no log line of the whole fault matrix holds a piece of any token', () => {
    assert.ok(pieces.size >= 40, `${pieces.size} tokens issued over the matrix`);
    const logs = env.worker.logs;
    assert.ok(logs.length > 100, `${logs.length} log lines`);
    for (const line of logs) {
      for (const piece of pieces) assert.ok(!line.includes(piece), `a log line holds a piece of a token: ${line.slice(0, 200)}`);
      assert.ok(!line.includes(APP_SECRET), 'the app secret is in a log line');
    }
  });
});
