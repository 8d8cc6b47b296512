// `publish image|story ./photo.jpg --worker URL`: a local JPEG goes through the
// instagate Worker (built, under miniflare) to the stand-in, which fetches it
// from the Worker's signed URL as Meta would; and the refusals: no Worker set,
// no API key, no account, a file Meta would refuse (the Worker's 4xx); and
// a Worker that does not answer (every call ends at its timeout) or cannot
// be reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jpeg } from '../standin/jpeg.mjs';
import { sampleMp4 } from '../standin/mp4.mjs';
import { API_KEY, IG_BIZ, login, start } from '../worker/harness.mjs';
import { setup, fail, DAY_S } from './helpers.mjs';
import { startCuttingProxy } from './cutting-proxy.mjs';

async function withWorker(t) {
  const s = await setup(t, { config: { processingMs: { IMAGE: 100, STORIES_IMAGE: 100, REELS: 100, STORIES_VIDEO: 100 } } });
  const worker = await start({ standin: s.standin });
  t.after(() => worker.close());
  const { params } = await login(worker, { account: 'biz' });
  assert.equal(params.get('connected'), IG_BIZ);
  const file = async (name, bytes) => {
    const path = join(s.dir, name);
    await writeFile(path, bytes);
    return path;
  };
  const env = { INSTAGATE_WORKER_API_KEY: API_KEY };
  return { s, worker, file, env };
}

test('publish image ./photo.jpg --worker: staged by the Worker, fetched by "Meta" from its signed URL, posted', async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const photo = await file('photo.jpg', jpeg(1080, 1350));
  const r = await s.run(['publish', 'image', photo, '--worker', worker.worker.origin, '--account', IG_BIZ, '--caption', 'From disk'], { env });
  assert.equal(r.code, 0, fail(r));
  const [mediaId, permalink] = r.stdout.trim().split(' ');
  assert.match(mediaId, /^\d{16,}$/);
  assert.match(permalink, /\/p\//);
  assert.match(r.stderr, /staged as \d+\.\S+ \(1080x1350\)/);
  assert.match(r.stderr, new RegExp(`published as ${mediaId}`));
  const fetched = s.standin.state.mediaFetches.at(-1);
  assert.ok(fetched.url.startsWith(`${worker.worker.origin}/media/`), fetched.url);
  assert.equal(fetched.status, 200);
  const posted = s.standin.control.state().media.find((m) => m.id === mediaId);
  assert.equal(posted.caption, 'From disk');
  // A story (9:16) from a file, with the Worker from the environment.
  const tall = await file('story.jpeg', jpeg(1080, 1920));
  const story = await s.run(['publish', 'story', tall, '--account', IG_BIZ, '--json'], { env: { ...env, INSTAGATE_WORKER_URL: worker.worker.origin } });
  assert.equal(story.code, 0, fail(story));
  assert.equal(JSON.parse(story.stdout).kind, 'story');
  assert.deepEqual((await worker.worker.bucket.list()).objects, [], 'nothing left staged');
});

test('publish of a local image: clear usage errors, and the Worker\'s refusal of a file Meta would refuse', async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const photo = await file('photo.jpg', jpeg(1080, 1080));
  const noWorker = await s.run(['publish', 'image', photo, '--account', IG_BIZ], { env });
  assert.equal(noWorker.code, 2, fail(noWorker));
  assert.match(noWorker.stderr, /--worker URL/);
  const noKey = await s.run(['publish', 'image', photo, '--worker', worker.worker.origin, '--account', IG_BIZ]);
  assert.equal(noKey.code, 2, fail(noKey));
  assert.match(noKey.stderr, /INSTAGATE_WORKER_API_KEY/);
  const noAccount = await s.run(['publish', 'image', photo, '--worker', worker.worker.origin], { env });
  assert.equal(noAccount.code, 2, fail(noAccount));
  assert.match(noAccount.stderr, /--account/);
  const wide = await file('wide.jpg', jpeg(2000, 1000));
  const refused = await s.run(['publish', 'image', wide, '--worker', worker.worker.origin, '--account', IG_BIZ], { env });
  assert.equal(refused.code, 2, fail(refused));
  assert.match(refused.stderr, /400 invalid_input: .*1\.91:1/);
  const wrongKey = await s.run(['publish', 'image', photo, '--worker', worker.worker.origin, '--account', IG_BIZ], { env: { INSTAGATE_WORKER_API_KEY: 'wrong-key-0123456789' } });
  assert.equal(wrongKey.code, 2, fail(wrongKey));
  assert.match(wrongKey.stderr, /401/);
  assert.equal(s.standin.state.mediaFetches.length, 0, 'nothing reached Meta');
  assert.deepEqual((await worker.worker.bucket.list()).objects, []);
});

// The Worker's part size, read from an upload opened and abandoned at once.
async function partSize(worker, use = 'reel') {
  const auth = { authorization: `Bearer ${API_KEY}` };
  const base = `${worker.worker.origin}/api/accounts/${IG_BIZ}/uploads`;
  const res = await fetch(base, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ use, content_type: 'video/mp4', size: 64 * 1024 * 1024 }) });
  const { upload } = await res.json();
  assert.equal(res.status, 201, JSON.stringify(upload));
  const gone = await fetch(`${base}/${upload.id}?upload_id=${encodeURIComponent(upload.upload_id)}`, { method: 'DELETE', headers: auth });
  assert.equal(gone.status, 204);
  return upload.part_size;
}

const partPuts = (proxy) => proxy.requests.filter((r) => r.method === 'PUT').map((r) => ({ part: Number(/\/parts\/(\d+)/.exec(r.path)[1]), bytes: r.bytes, cut: r.cut }));

test('publish reel ./clip.mp4 --worker: staged in parts, part 2 cut once and re-sent alone, posted, nothing left staged', async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const part = await partSize(worker);
  const size = 2 * part + 123_456;
  const clip = await file('clip.mp4', sampleMp4(12_000, size - sampleMp4(12_000, 0).length));
  const proxy = await startCuttingProxy(worker.worker.origin);
  t.after(() => proxy.close());
  const cutAfter = Math.floor(part / 3);
  proxy.cut(/^PUT .*\/parts\/2\?/, cutAfter);
  const r = await s.run(['publish', 'reel', clip, '--worker', proxy.origin, '--account', IG_BIZ, '--caption', 'Cut once, resumed', '--json'], { env });
  assert.equal(r.code, 0, fail(r));
  const out = JSON.parse(r.stdout);
  assert.match(out.mediaId, /^\d{16,}$/);
  // Each part went once, but part 2 twice: its first attempt was cut.
  const puts = partPuts(proxy);
  assert.deepEqual(puts.map((p) => [p.part, p.cut]), [[1, false], [2, true], [2, false], [3, false]]);
  assert.deepEqual(puts.filter((p) => !p.cut).map((p) => p.bytes), [part, part, size - 2 * part]);
  const resent = puts.reduce((n, p) => n + p.bytes, 0) - size;
  assert.ok(resent >= cutAfter && resent <= part, `re-sent ${resent} bytes: only part 2's cut attempt`);
  assert.match(r.stderr, /part 2\/3 interrupted \(the connection failed: [^)]+\): resuming with part 2 alone in \d\.\d s \(attempt 2 of 5\)/);
  assert.match(r.stderr, /uploading \[#{20}\] 100% /);
  assert.match(r.stderr, /staged as \S+ \(12\.0 s\)/);
  const fetched = s.standin.state.mediaFetches.at(-1);
  assert.ok(fetched.url.startsWith(`${worker.worker.origin}/media/`), fetched.url);
  // The stand-in reads a video in Range requests, as Meta's fetcher does: each a 206.
  assert.deepEqual([fetched.error, fetched.bytes], [null, size], 'the stand-in fetched the whole video');
  assert.ok(fetched.ranges.length > 0 && fetched.ranges.every((r) => r.status === 206), JSON.stringify(fetched.ranges));
  const posted = s.standin.control.state().media.find((m) => m.id === out.mediaId);
  assert.equal(posted?.caption, 'Cut once, resumed');
  assert.equal(posted?.media_product_type, 'REELS');
  assert.deepEqual((await worker.worker.bucket.list()).objects, [], 'nothing left staged');
});

test('publish story ./clip.mov --worker (one part) from the environment\'s Worker; a part the Worker got cut short is sent again', async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const clip = await file('clip.mov', sampleMp4(5_000, 40_000));
  const proxy = await startCuttingProxy(worker.worker.origin);
  t.after(() => proxy.close());
  proxy.shorten(/^PUT .*\/parts\/1\?/, 1_000);
  const r = await s.run(['publish', 'story', clip, '--account', IG_BIZ], { env: { ...env, INSTAGATE_WORKER_URL: proxy.origin } });
  assert.equal(r.code, 0, fail(r));
  // The Worker answered 400 (field body) to the short part: sent again whole.
  assert.deepEqual(partPuts(proxy).map((p) => p.part), [1, 1]);
  assert.deepEqual(proxy.requests.filter((q) => q.method === 'PUT').map((q) => q.shortened), [true, false]);
  assert.match(r.stderr, /part 1\/1 interrupted \(the Worker received the part cut short\): resuming with part 1 alone/);
  const [mediaId] = r.stdout.trim().split(' ');
  const posted = s.standin.control.state().media.find((m) => m.id === mediaId);
  assert.equal(posted?.media_product_type, 'STORY');
  assert.equal(s.standin.state.mediaFetches.at(-1).contentType, 'video/quicktime');
  assert.deepEqual((await worker.worker.bucket.list()).objects, []);
});

test('publish reel ./clip.mp4 --worker: a part that hangs (connection open, no answer) times out and is sent again', { timeout: 60_000 }, async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const clip = await file('clip.mp4', sampleMp4(5_000, 60_000));
  const proxy = await startCuttingProxy(worker.worker.origin);
  t.after(() => proxy.close());
  proxy.stall(/^PUT .*\/parts\/1\?/, 10_000);
  const r = await s.run(['publish', 'reel', clip, '--worker', proxy.origin, '--account', IG_BIZ, '--json'],
    { env: { ...env, INSTAGATE_UPLOAD_PART_TIMEOUT_MS: '1500' } });
  assert.equal(r.code, 0, fail(r));
  assert.match(r.stderr, /part 1\/1 interrupted \(no answer within 1\.5 s\): resuming with part 1 alone/);
  assert.deepEqual(proxy.requests.filter((q) => q.method === 'PUT').map((q) => q.stalled), [true, false]);
  const posted = s.standin.control.state().media.find((m) => m.id === JSON.parse(r.stdout).mediaId);
  assert.equal(posted?.media_product_type, 'REELS');
  assert.deepEqual((await worker.worker.bucket.list()).objects, []);
});

test('publish image ./photo.jpg --worker: a publish call that gets no answer ends at INSTAGATE_WORKER_TIMEOUT_MS (exit 1) and points at the jobs list', { timeout: 60_000 }, async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const photo = await file('photo.jpg', jpeg(1080, 1350));
  const proxy = await startCuttingProxy(worker.worker.origin);
  t.after(() => proxy.close());
  proxy.stall(/^POST .*\/publish$/, 1);
  const started = Date.now();
  const r = await s.run(['publish', 'image', photo, '--worker', proxy.origin, '--account', IG_BIZ],
    { env: { ...env, INSTAGATE_WORKER_TIMEOUT_MS: '1500' } });
  assert.equal(r.code, 1, fail(r));
  assert.ok(Date.now() - started < 30_000, 'it gave up at the timeout, not at the test timeout');
  assert.match(r.stderr, /publishing: the Worker did not answer within 1\.5 s/);
  assert.match(r.stderr, new RegExp(`may still be published: see ${proxy.origin}/api/accounts/${IG_BIZ}/jobs`));
  assert.deepEqual(proxy.requests.map((q) => [q.method, q.stalled]), [['POST', false], ['POST', true]]);
  assert.equal(r.stdout, '');
});

test('publish image ./photo.jpg --worker: staging that gets no answer ends at the timeout (exit 1); a Worker that cannot be reached is named as such', { timeout: 60_000 }, async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const photo = await file('photo.jpg', jpeg(1080, 1350));
  const proxy = await startCuttingProxy(worker.worker.origin);
  proxy.stall(/^POST .*\/media\?use=feed$/, 1);
  const r = await s.run(['publish', 'image', photo, '--worker', proxy.origin, '--account', IG_BIZ],
    { env: { ...env, INSTAGATE_WORKER_TIMEOUT_MS: '1000' } });
  assert.equal(r.code, 1, fail(r));
  assert.match(r.stderr, /staging .*photo\.jpg: the Worker did not answer within 1\.0 s/);
  assert.deepEqual(proxy.requests.map((q) => q.method), ['POST'], 'nothing was published');
  await proxy.close();
  const gone = await s.run(['publish', 'image', photo, '--worker', proxy.origin, '--account', IG_BIZ], { env });
  assert.equal(gone.code, 1, fail(gone));
  assert.match(gone.stderr, /staging .*photo\.jpg: the Worker could not be reached \(ECONNREFUSED\)/);
});

test('INSTAGATE_WORKER_TIMEOUT_MS or INSTAGATE_UPLOAD_PART_TIMEOUT_MS that is not a whole number of milliseconds: exit 2 before anything is sent', async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const photo = await file('photo.jpg', jpeg(1080, 1350));
  const clip = await file('clip.mp4', sampleMp4(5_000, 20_000));
  for (const [name, value, kind, path] of [
    ['INSTAGATE_WORKER_TIMEOUT_MS', '-5', 'image', photo],
    ['INSTAGATE_UPLOAD_PART_TIMEOUT_MS', '2s', 'reel', clip],
  ]) {
    const r = await s.run(['publish', kind, path, '--worker', worker.worker.origin, '--account', IG_BIZ],
      { env: { ...env, [name]: value } });
    assert.equal(r.code, 2, fail(r));
    assert.match(r.stderr, new RegExp(`${name} must be a whole number of milliseconds, got "${value}"`));
  }
  assert.deepEqual((await worker.worker.bucket.list()).objects, []);
});

test('publish reel ./clip.mp4 --worker: a part cut on every try gives up after 5 tries and deletes the upload', async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const clip = await file('clip.mp4', sampleMp4(5_000, 100_000));
  const proxy = await startCuttingProxy(worker.worker.origin);
  t.after(() => proxy.close());
  for (let i = 0; i < 5; i += 1) proxy.cut(/^PUT .*\/parts\/1\?/, 20_000);
  const r = await s.run(['publish', 'reel', clip, '--worker', proxy.origin, '--account', IG_BIZ], { env });
  assert.equal(r.code, 1, fail(r));
  assert.match(r.stderr, /uploading part 1\/1: the connection failed: [^,]+, 5 times/);
  assert.match(r.stderr, /the upload was abandoned: nothing stays staged on the Worker/);
  assert.deepEqual(partPuts(proxy).map((p) => [p.part, p.cut]), Array(5).fill([1, true]));
  const deleted = proxy.requests.filter((q) => q.method === 'DELETE');
  assert.equal(deleted.length, 1);
  assert.match(deleted[0].path, /\/uploads\/[^/?]+\?upload_id=/);
  assert.equal(deleted[0].status, 204, 'the Worker aborted the upload');
  assert.equal(s.standin.state.mediaFetches.length, 0, 'nothing reached Meta');
  assert.deepEqual((await worker.worker.bucket.list()).objects, []);
});

test('publish carousel --item ./a.jpg --item ./b.mp4 --item URL --worker: each local file staged, the carousel posted', async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const photo = await file('a.jpg', jpeg(1080, 1080));
  const clip = await file('b.mp4', sampleMp4(6_000, 30_000));
  const r = await s.run(['publish', 'carousel', '--item', photo, '--item', `video:${clip}`, '--item', 'https://cdn.example/c.jpg',
    '--caption', 'Mixed', '--worker', worker.worker.origin, '--account', IG_BIZ, '--json'], { env });
  assert.equal(r.code, 0, fail(r));
  const posted = s.standin.control.state().media.find((m) => m.id === JSON.parse(r.stdout).mediaId);
  assert.equal(posted?.media_type, 'CAROUSEL_ALBUM');
  assert.equal(posted?.caption, 'Mixed');
  assert.match(r.stderr, /item 2\/3: .*b\.mp4/);
  const fromWorker = s.standin.state.mediaFetches.filter((f) => f.url.startsWith(`${worker.worker.origin}/media/`));
  assert.deepEqual(fromWorker.map((f) => [f.contentType, f.bytes, f.error]).sort(), [['image/jpeg', jpeg(1080, 1080).length, null], ['video/mp4', sampleMp4(6_000, 30_000).length, null]]);
  const children = s.standin.control.log({ path: '/media' }).entries.filter((e) => e.form?.is_carousel_item === 'true');
  assert.equal(children.length, 3);
  assert.deepEqual((await worker.worker.bucket.list()).objects, [], 'nothing left staged');
});

test('publish of a local video: refused before anything is uploaded (not MP4, a too-long story, Instagram Login without a Worker)', async (t) => {
  const { s, worker, file, env } = await withWorker(t);
  const proxy = await startCuttingProxy(worker.worker.origin);
  t.after(() => proxy.close());
  const via = ['--worker', proxy.origin, '--account', IG_BIZ];
  const notMp4 = await file('clip.mp4', jpeg(1080, 1920));
  const r1 = await s.run(['publish', 'reel', notMp4, ...via], { env });
  assert.equal(r1.code, 2, fail(r1));
  assert.match(r1.stderr, /clip\.mp4 is not an MP4 or MOV video \(Instagram accepts MP4 \/ MOV/);
  const long = await file('long.mp4', sampleMp4(61_000, 1_000));
  const r2 = await s.run(['publish', 'story', long, ...via], { env });
  assert.equal(r2.code, 2, fail(r2));
  assert.match(r2.stderr, /long\.mp4 lasts 61\.0 s; Instagram accepts a story video of 3\.0 s to 60\.0 s/);
  // ...which is a fine reel: only the story's limit refused it.
  const truncated = await file('cut.mp4', sampleMp4(10_000, 5_000).subarray(0, 2_000));
  const r3 = await s.run(['publish', 'reel', truncated, ...via], { env });
  assert.equal(r3.code, 2, fail(r3));
  assert.match(r3.stderr, /cut\.mp4 .*truncated/);
  const short = await file('short.mp4', sampleMp4(2_000, 1_000));
  const r5 = await s.run(['publish', 'carousel', '--item', short, '--item', 'https://cdn.example/x.jpg', ...via], { env });
  assert.equal(r5.code, 2, fail(r5));
  assert.match(r5.stderr, /short\.mp4 lasts 2\.0 s; Instagram accepts a carousel video of 3\.0 s to 3600\.0 s/);
  assert.deepEqual(proxy.requests, [], 'nothing reached the Worker');

  // An Instagram Login account in the CLI's own store, no Worker: Meta offers it no upload.
  const minted = s.standin.control.mintToken({ product: 'instagram', account: 'biz', kind: 'long' });
  const imported = await s.run(['import', '--token', minted.access_token, '--expires-in', String(60 * DAY_S)]);
  assert.equal(imported.code, 0, fail(imported));
  const good = await file('good.mp4', sampleMp4(5_000, 1_000));
  const r4 = await s.run(['publish', 'reel', good]);
  assert.equal(r4.code, 2, fail(r4));
  assert.match(r4.stderr, /uses Instagram Login, which has no video upload at Meta/);
  assert.match(r4.stderr, /--worker URL/);
  assert.deepEqual(s.standin.control.log({ path: '/media' }).entries, [], 'no container was created');
  assert.deepEqual(s.standin.control.log({ host: 'rupload.facebook.com' }).entries, []);
  assert.deepEqual((await worker.worker.bucket.list()).objects, []);
});
