// End to end: publish jobs through the Worker under miniflare against the
// stand-in — every media kind, 202 + waitUntil, resume after a restart, a lost
// media_publish answer (exactly one post), failures and the quota.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandin } from '../standin/server.mjs';
import { API_KEY, IG_BIZ, login, start } from './harness.mjs';

let standin;
before(async () => {
  standin = await startStandin({ port: 0 });
});
after(async () => {
  await standin?.close();
});
const envs = [];
afterEach(async () => {
  while (envs.length) await envs.pop().close();
  standin.control.reset();
});

async function fresh(opts = {}) {
  const env = await start({ standin, ...opts });
  envs.push(env);
  standin.control.config({ processingMs: { REELS: 1500, VIDEO: 1500, STORIES_VIDEO: 1500, IMAGE: 200, STORIES_IMAGE: 200 } });
  const { params } = await login(env, { account: 'biz' });
  assert.equal(params.get('connected'), IG_BIZ);
  return env;
}

const api = (env, path, init = {}) =>
  fetch(`${env.worker.origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
const publish = (env, body) => api(env, `/api/accounts/${IG_BIZ}/publish`, { method: 'POST', body: JSON.stringify(body) });

async function untilDone(env, id, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const { job } = await (await api(env, `/api/jobs/${id}`)).json();
    if (job.status !== 'processing' || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 300));
  }
}

const media = () => standin.control.state().media.filter((m) => !m.parent);

test('every media kind publishes exactly once (image and story inline, reel and carousel via 202 + waitUntil)', async () => {
  const env = await fresh();
  const bodies = [
    { kind: 'image', image_url: 'https://cdn.example/a.jpg', caption: 'an image #instagate', alt_text: 'a cake' },
    { kind: 'story', image_url: 'https://cdn.example/s.jpg' },
    { kind: 'reel', video_url: 'https://cdn.example/r.mp4', caption: 'a reel', share_to_feed: true },
    { kind: 'carousel', caption: 'a carousel', items: [{ image_url: 'https://cdn.example/1.jpg' }, { video_url: 'https://cdn.example/2.mp4' }] },
  ];
  for (const [i, body] of bodies.entries()) {
    const r = await publish(env, body);
    assert.ok(r.status === 200 || r.status === 202, `${body.kind}: ${r.status}`);
    let { job } = await r.json();
    if (r.status === 202) {
      assert.equal(r.headers.get('location'), `/api/jobs/${job.id}`);
      job = await untilDone(env, job.id);
    }
    assert.equal(job.status, 'published', JSON.stringify(job));
    assert.equal(job.publish_sends, 1);
    assert.equal(media().length, i + 1, 'exactly one media per publish');
    if (body.kind !== 'story') assert.match(job.permalink, /\/www\.instagram\.com\/(p|reel)\//);
  }
  const kinds = media().map((m) => `${m.media_type}/${m.media_product_type}`).sort();
  assert.deepEqual(kinds, ['CAROUSEL_ALBUM/FEED', 'IMAGE/FEED', 'IMAGE/STORY', 'VIDEO/REELS']);
  const feed = await (await fetch(`${standin.url}/www.instagram.com/standin_bakery/`)).text();
  assert.match(feed, /an image #instagate/);
});

test('a lost media_publish answer is confirmed from the container: one post', async () => {
  const env = await fresh();
  standin.control.faults([{ path: '/media_publish', fault: { type: 'drop_response' } }]);
  const r = await publish(env, { kind: 'image', image_url: 'https://cdn.example/lost.jpg', caption: 'lost answer' });
  let { job } = await r.json();
  if (job.status === 'processing') job = await untilDone(env, job.id);
  assert.equal(job.status, 'published', JSON.stringify(job));
  assert.equal(job.publish_sends, 1, 'never resent');
  assert.equal(media().length, 1, 'exactly one media');
  assert.equal(job.media_id, media()[0].id, 'the media id was recovered');
  assert.equal(standin.control.log({ path: '/media_publish' }).entries.length, 1);
});

test('a job survives the Worker being restarted between steps; the cron or its account object\'s alarm finishes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'instagate-jobs-'));
  try {
    let env = await start({ standin, persistDir: dir, extra: { PUBLISH_WAIT_MS: '0' } });
    standin.control.config({ processingMs: { REELS: 1500 } });
    await login(env, { account: 'biz' });
    const r = await publish(env, { kind: 'reel', video_url: 'https://cdn.example/restart.mp4', caption: 'restart' });
    assert.equal(r.status, 202);
    const { job } = await r.json();
    await env.close(); // the Worker goes away mid-job
    await new Promise((res) => setTimeout(res, 1600));
    env = await start({ standin, persistDir: dir });
    envs.push(env);
    // A runner that died holds the job until shortly after its next planned step.
    for (let i = 0; i < 30; i++) {
      await env.worker.scheduled();
      const { keys } = await env.worker.kv.list({ prefix: 'jobq:' });
      if (keys.length === 0) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const { job: done } = await (await api(env, `/api/jobs/${job.id}`)).json();
    assert.equal(done.status, 'published', JSON.stringify(done));
    assert.equal(media().length, 1);
    assert.deepEqual((await env.worker.kv.list({ prefix: 'jobq:' })).keys, []);
    // Whichever ran its next step first (the cron, or the alarm the account
    // object set for it, which survives the restart too) finished it, once.
    assert.equal(done.publish_sends, 1, 'one media_publish');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('failures, validation and the quota', async () => {
  const env = await fresh();
  let r = await publish(env, { kind: 'image', image_url: 'https://cdn.example/processing-error.jpg' });
  let body = await r.json();
  if (r.status === 202) body = { job: await untilDone(env, body.job.id) };
  assert.equal(body.job.status, 'failed');
  assert.equal(body.job.error.kind, 'media');
  r = await publish(env, { kind: 'image', image_url: 'https://cdn.example/fail-download.jpg' });
  assert.equal(r.status, 422);
  assert.equal((await r.json()).job.error.code, 9004);
  r = await publish(env, { kind: 'carousel', items: [{ image_url: 'https://cdn.example/1.jpg' }] });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.field, 'items');
  r = await publish(env, { kind: 'video', video_url: 'https://cdn.example/v.mp4' });
  assert.equal((await r.json()).error.field, 'kind');
  assert.equal(media().length, 0);
  r = await api(env, `/api/accounts/${IG_BIZ}/quota`);
  assert.equal(r.status, 200);
  const { quota } = await r.json();
  assert.equal(quota.quota_usage, 0);
  assert.equal(quota.quota_total, 100);
});
