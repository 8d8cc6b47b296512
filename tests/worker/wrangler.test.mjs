// Smoke test through `wrangler dev` with the real wrangler.toml (prebuilt Worker,
// SKIP_WORKER_BUILD=1), secrets taken from .dev.vars.example, against the stand-in:
// health, a full Instagram login, the API with the session, a cron run via
// /__scheduled, and the account objects (the Durable Object binding and its
// SQLite migration in wrangler.toml) racing as in objects.test.mjs: a retried
// publish with one Idempotency-Key posts once, a delete racing a publish
// leaves nothing, N concurrent refresh-now calls make one refresh, steps of one
// job with overlapping cron runs make one media_publish, and an account deleted
// while its refresh is in flight ends deleted with no key left; and the R2
// bucket: a staged image, and a video staged in parts, published by reference.
//
// wrangler dev's KV cannot be slowed from outside (miniflare's test slows every
// KV operation instead): the races are opened by slowing the stand-in's answer.
// With KV at local speed the job's own publish lease also keeps the job race
// to one media_publish (it still passes with the object's turn taken out);
// the refresh and delete races fail without it. objects.test.mjs, with slow
// KV, is where the job race needs the object.
// Accounts are seeded, and KV is read, through a second Miniflare on the same
// local persistence (`--persist-to`): a token under 24 hours old (any fresh
// login) cannot be refreshed, and the Worker's clock cannot be moved.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { startStandin } from '../standin/server.mjs';
import { devVarsExample, startWranglerDev } from '../../scripts/lib/wrangler-dev.mjs';
import { jpeg } from '../standin/jpeg.mjs';
import { sampleMp4 } from '../standin/mp4.mjs';
import { Browser, dumpKv, open, seedInstagramAccount, signedRequest } from './harness.mjs';

// wrangler.toml's placeholder namespace id: local persistence is keyed by it.
const KV_NAMESPACE_ID = '00000000000000000000000000000000';

let standin;
let wrangler;
let origin;
let output;
// The Worker's KV as wrangler dev persists it (see the top comment).
let kvView;
let kv;

before(async () => {
  standin = await startStandin({ port: 0 });
  wrangler = await startWranglerDev({
    vars: (o) => ({ ...devVarsExample(), STANDIN_ORIGIN: standin.url, REDIRECT_URI: `${o}/auth/callback` }),
    persistPrefix: 'instagate-wrangler-',
    inspectorPort: true,
    args: ['--test-scheduled'],
    env: { CI: '1' },
  });
  ({ origin, output } = wrangler);
  kvView = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
    kvNamespaces: { INSTAGATE_KV: KV_NAMESPACE_ID },
    kvPersist: join(wrangler.persist, 'v3', 'kv'),
    cf: false,
  });
  kv = await kvView.getKVNamespace('INSTAGATE_KV');
});

after(async () => {
  await kvView?.dispose();
  // The whole process group: wrangler and the workerd it started.
  await wrangler?.stop();
  await standin?.close();
});

test('wrangler dev serves the Worker from wrangler.toml: login, API, cron', async () => {
  const health = await (await fetch(`${origin}/health`)).json();
  assert.equal(health.status, 'ok');

  standin.control.consent({ decision: 'allow', account: 'biz' });
  const browser = new Browser();
  const app = 'http://127.0.0.1:5173/';
  const { url } = await browser.follow(`${origin}/auth/login`, { stopAt: [app] });
  const connected = new URL(url).searchParams.get('connected');
  assert.equal(connected, '17841400000000001', url);
  const r = await browser.fetch(`${origin}/api/accounts/${connected}`);
  assert.equal(r.status, 200);
  assert.equal((await r.json()).account.username, 'standin_bakery');

  const key = devVarsExample().API_KEY;
  const list = await fetch(`${origin}/api/accounts`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal((await list.json()).accounts.length, 1);

  const cron = await fetch(`${origin}/__scheduled?cron=${encodeURIComponent('17 * * * *')}`);
  assert.equal(cron.status, 200);
  // The cron's log line reaches wrangler's output.
  const deadline = Date.now() + 5000;
  while (!output.join('').includes('"event":"cron"') && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(output.join('').includes('"event":"cron"'), output.join(''));
});

test('wrangler dev runs the account objects: one post per Idempotency-Key, a delete racing a publish leaves nothing', async () => {
  standin.control.consent({ decision: 'allow', account: 'creator' });
  const browser = new Browser();
  const { url } = await browser.follow(`${origin}/auth/login`, { stopAt: ['http://127.0.0.1:5173/'] });
  const id = new URL(url).searchParams.get('connected');
  assert.ok(id, url);
  const key = devVarsExample().API_KEY;
  const api = (path, init = {}) => fetch(`${origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const body = JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/w.jpg' });
  const publish = () => api(`/api/accounts/${id}/publish`, { method: 'POST', body, headers: { 'idempotency-key': 'wrangler-1' } });
  const answers = await Promise.all([publish(), publish(), publish()]);
  const jobs = await Promise.all(answers.map((r) => r.json()));
  assert.deepEqual(new Set(jobs.map((j) => j.job.id)).size, 1, JSON.stringify(jobs));
  const sends = standin.control.log({ path: 'media_publish' }).entries.filter((e) => e.path.includes(id));
  assert.equal(sends.length, 1, 'one post');

  standin.control.faults([{ path: '/media', fault: { type: 'delay', ms: 300 } }]);
  const racing = api(`/api/accounts/${id}/publish`, { method: 'POST', body });
  await new Promise((r) => setTimeout(r, 100));
  const [, deleted] = await Promise.all([racing, api(`/api/accounts/${id}`, { method: 'DELETE' })]);
  standin.control.faults([]);
  assert.equal(deleted.status, 200);
  assert.equal((await api(`/api/accounts/${id}`)).status, 404);
  const listed = await (await api(`/api/accounts/${id}/jobs`)).json();
  assert.deepEqual(listed.jobs, [], 'no job of the deleted account is left');
});

test('wrangler dev binds the R2 bucket: a staged JPEG is fetched by the stand-in from the signed URL, then deleted', async () => {
  const id = '17841400000000001'; // logged in by the first test
  const auth = { authorization: `Bearer ${devVarsExample().API_KEY}` };
  const image = jpeg(1080, 1080);
  const staged = await fetch(`${origin}/api/accounts/${id}/media`, {
    method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body: image,
  });
  const { media } = await staged.json();
  assert.equal(staged.status, 201, JSON.stringify(media));
  const r = await fetch(`${origin}/api/accounts/${id}/publish`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'image', image_media_id: media.id }),
  });
  const { job } = await r.json();
  assert.equal(job.status, 'published', JSON.stringify(job));
  const fetched = standin.state.mediaFetches.at(-1);
  assert.ok(fetched.url.startsWith(`${origin}/media/`), fetched.url);
  assert.deepEqual([fetched.status, fetched.bytes], [200, image.length]);
  assert.equal((await fetch(fetched.url)).status, 404, 'deleted once published');
});

test('wrangler dev stages a video in parts (one part here) and publishes it as a reel with video_media_id', async () => {
  const id = '17841400000000001'; // logged in by the first test
  const auth = { authorization: `Bearer ${devVarsExample().API_KEY}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const clip = sampleMp4(4_000, 50_000);
  const opened = await fetch(`${origin}/api/accounts/${id}/uploads`, {
    method: 'POST', headers: json, body: JSON.stringify({ use: 'reel', content_type: 'video/mp4', size: clip.length }),
  });
  const { upload } = await opened.json();
  assert.equal(opened.status, 201, JSON.stringify(upload));
  assert.equal(upload.parts, 1);
  const put = await fetch(`${origin}/api/accounts/${id}/uploads/${upload.id}/parts/1?upload_id=${encodeURIComponent(upload.upload_id)}`, {
    method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: clip,
  });
  const { part } = await put.json();
  assert.equal(put.status, 200, JSON.stringify(part));
  const done = await fetch(`${origin}/api/accounts/${id}/uploads/${upload.id}/complete`, {
    method: 'POST', headers: json, body: JSON.stringify({ upload_id: upload.upload_id, parts: [part] }),
  });
  const { media } = await done.json();
  assert.equal(done.status, 201, JSON.stringify(media));
  assert.deepEqual([media.type, media.size, media.duration_ms], ['video', clip.length, 4_000]);
  const r = await fetch(`${origin}/api/accounts/${id}/publish`, {
    method: 'POST', headers: json, body: JSON.stringify({ kind: 'reel', video_media_id: media.id, caption: 'staged reel' }),
  });
  const published = await r.json();
  assert.ok(published.job, `${r.status} ${JSON.stringify(published)}`);
  let { job } = published;
  for (let i = 0; job.status === 'processing' && i < 60; i += 1) {
    await new Promise((res) => setTimeout(res, 500));
    ({ job } = await (await fetch(`${origin}/api/jobs/${job.id}`, { headers: auth })).json());
  }
  assert.equal(job.status, 'published', JSON.stringify(job));
  const fetched = standin.state.mediaFetches.at(-1);
  assert.ok(fetched.url.startsWith(`${origin}/media/`), fetched.url);
  assert.deepEqual([fetched.error, fetched.bytes], [null, clip.length]);
  assert.ok(fetched.ranges.length > 0 && fetched.ranges.every((r) => r.status === 206), JSON.stringify(fetched.ranges));
  assert.equal(standin.control.state().media.find((m) => m.id === job.media_id)?.caption, 'staged reel');
  assert.equal((await fetch(fetched.url)).status, 404, 'deleted once published');
});

const dev = devVarsExample();
// The Worker's current encryption key (the first of TOKEN_KEYS).
const TOKEN_KEY = dev.TOKEN_KEYS.split(',')[0];
const api = (path, init = {}) => fetch(`${origin}${path}`, {
  ...init,
  headers: { authorization: `Bearer ${dev.API_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
});
const refreshNow = (id) => api(`/api/accounts/${id}/refresh`, { method: 'POST' });
const cronRun = () => fetch(`${origin}/__scheduled?cron=${encodeURIComponent('17 * * * *')}`);
const callsFor = (path, id) => standin.control.log({ path }).entries.filter((e) => e.path.includes(id));
const keysOf = async (id) => (await dumpKv(kv)).map(([k]) => k).filter((k) => k.includes(id));
const seed = (account) => seedInstagramAccount({ standin, worker: { kv } }, { account, keySpec: TOKEN_KEY });

test('wrangler dev: 8 concurrent refresh-now calls for a due account make one refresh, and every caller sees the stored token', async () => {
  const seeded = await seed('biz2');
  const refreshesBefore = standin.control.log({ path: 'refresh_access_token' }).entries.length;
  // Meta takes a moment: all eight are in flight together.
  standin.control.faults([{ path: '/refresh_access_token', fault: { type: 'delay', ms: 300 } }]);
  const answers = await Promise.all(Array.from({ length: 8 }, () => refreshNow(seeded.id)));
  standin.control.faults([]);
  const bodies = await Promise.all(answers.map((r) => r.json()));
  const refreshes = standin.control.log({ path: 'refresh_access_token' }).entries.length - refreshesBefore;
  assert.equal(refreshes, 1, 'one call to Meta');
  const stored = open(TOKEN_KEY, await kv.get(`token:${seeded.id}`), `token:${seeded.id}`);
  const storedExpiry = new Date(stored.token.expires_at).toISOString().replace('.000Z', 'Z');
  assert.notEqual(stored.token.access_token, seeded.token, 'the refreshed token is stored');
  for (const [i, r] of answers.entries()) {
    assert.equal(r.status, 200, JSON.stringify(bodies[i]));
    assert.equal(bodies[i].outcome, 'refreshed');
    assert.equal(bodies[i].account.token.expires_at, storedExpiry, 'the stored token');
  }
});

test('wrangler dev: steps of one job and two overlapping cron runs make exactly one media_publish', async () => {
  standin.control.consent({ decision: 'allow', account: 'biz' });
  const { url } = await new Browser().follow(`${origin}/auth/login`, { stopAt: ['http://127.0.0.1:5173/'] });
  const id = new URL(url).searchParams.get('connected');
  assert.ok(id, url);
  const processingBefore = { ...standin.control.config().config.processingMs };
  standin.control.config({ processingMs: { REELS: 1500, VIDEO: 1500, IMAGE: 200 } });
  try {
    // A reel scheduled three seconds ahead: the POST answers at once and the
    // object's alarm takes the job from there (PUBLISH_WAIT_MS from
    // wrangler.toml would otherwise finish a 1.5 s reel inside the POST).
    const at = Math.ceil((Date.now() + 3000) / 1000) * 1000;
    const publishAt = new Date(at).toISOString().replace('.000Z', 'Z');
    const body = JSON.stringify({ kind: 'reel', video_url: 'https://cdn.example/wrangler.mp4', publish_at: publishAt });
    const publishesBefore = callsFor('media_publish', id).length;
    const r = await api(`/api/accounts/${id}/publish`, { method: 'POST', body });
    const { job } = await r.json();
    assert.equal(r.status, 202, JSON.stringify(job));
    // At publish_at the alarm, seven status reads (each nudges the job) and
    // two cron runs all reach for it; media_publish answers slowly so they overlap.
    standin.control.faults([{ path: '/media_publish', fault: { type: 'delay', ms: 300 } }]);
    await new Promise((res) => setTimeout(res, at - Date.now()));
    await Promise.all([
      ...Array.from({ length: 7 }, () => api(`/api/jobs/${job.id}`)),
      cronRun(),
      cronRun(),
    ]);
    const deadline = Date.now() + 15_000;
    let status;
    do {
      await new Promise((res) => setTimeout(res, 300));
      status = (await (await api(`/api/jobs/${job.id}`)).json()).job.status;
    } while (status !== 'published' && status !== 'failed' && Date.now() < deadline);
    assert.equal(status, 'published');
    assert.equal(callsFor('media_publish', id).length - publishesBefore, 1, 'one media_publish');
  } finally {
    standin.control.faults([]);
    standin.control.config({ processingMs: processingBefore });
  }
});

for (const [how, account] of [['api', 'agency_cafe'], ['deauthorize', 'agency_gym'], ['data-deletion', 'personal']]) {
  test(`wrangler dev: deleted through ${how} while its refresh is in flight, the account ends deleted with no key left`, async () => {
    const seeded = await seed(account);
    // Meta takes its time with the refresh: the delete arrives meanwhile.
    standin.control.faults([{ path: '/refresh_access_token', fault: { type: 'delay', ms: 500 } }]);
    try {
      const refresh = refreshNow(seeded.id);
      await new Promise((r) => setTimeout(r, 200));
      const signed = signedRequest(dev.APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: seeded.id });
      const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `signed_request=${signed}` };
      const deletion = how === 'api'
        ? api(`/api/accounts/${seeded.id}`, { method: 'DELETE' })
        : fetch(`${origin}/auth/${how}`, form);
      const [refreshed, deleted] = await Promise.all([refresh, deletion]);
      assert.equal(refreshed.status, 200, 'the refresh in flight finished first');
      assert.equal(deleted.status, 200, await deleted.text());
    } finally {
      standin.control.faults([]);
    }
    assert.deepEqual(await keysOf(seeded.id), [], 'no key of the account is left');
    // A cron run and another refresh-now afterwards write nothing back.
    assert.equal((await cronRun()).status, 200);
    assert.equal((await refreshNow(seeded.id)).status, 404);
    assert.deepEqual(await keysOf(seeded.id), []);
  });
}
