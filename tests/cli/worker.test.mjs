// `publish image|story ./photo.jpg --worker URL`: a local JPEG goes through the
// instagate Worker (built, under miniflare) to the stand-in, which fetches it
// from the Worker's signed URL as Meta would; and the refusals: no Worker set,
// no API key, no account, a file Meta would refuse (the Worker's 4xx).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jpeg } from '../standin/jpeg.mjs';
import { API_KEY, IG_BIZ, login, start } from '../worker/harness.mjs';
import { setup, fail } from './helpers.mjs';

async function withWorker(t) {
  const s = await setup(t, { config: { processingMs: { IMAGE: 100, STORIES_IMAGE: 100 } } });
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
