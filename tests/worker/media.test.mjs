// End to end: staged media through the Worker under miniflare (R2 bucket
// MEDIA_BUCKET) against the stand-in. A JPEG is staged, published by
// reference, and the stand-in really fetches it from the Worker's signed URL
// (as Meta cURLs image_url); a wrong signature is a 403 from the Worker, which
// the stand-in turns into Meta's "could not be fetched" error; refused uploads
// leave nothing in the bucket; a published or failed job's object is deleted.
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStandin } from '../standin/server.mjs';
import { jpeg } from '../standin/jpeg.mjs';
import { API_KEY, IG_BIZ, login, start } from './harness.mjs';

let standin;
let env;
before(async () => {
  standin = await startStandin({ port: 0 });
  env = await start({ standin });
  standin.control.config({ processingMs: { IMAGE: 200, STORIES_IMAGE: 200, CAROUSEL: 200 } });
  const { params } = await login(env, { account: 'biz' });
  assert.equal(params.get('connected'), IG_BIZ);
});
after(async () => {
  await env?.close();
  await standin?.close();
});

const auth = { authorization: `Bearer ${API_KEY}` };
const stage = (bytes, { type = 'image/jpeg', query = '' } = {}) =>
  fetch(`${env.worker.origin}/api/accounts/${IG_BIZ}/media${query}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': type },
    body: bytes,
  });
const publish = (body) =>
  fetch(`${env.worker.origin}/api/accounts/${IG_BIZ}/publish`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
// A POST announced with `Expect: 100-continue`: the Worker refuses an
// oversized Content-Length before reading, so the body is never sent and the
// answer arrives whole (sending 8 MB into a closed request resets it).
function postExpecting(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': body.length, expect: '100-continue' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, json: async () => JSON.parse(text) }));
    });
    req.on('continue', () => req.end(body));
    req.on('error', reject);
  });
}
const staged = async () => (await env.worker.bucket.list()).objects.map((o) => o.key);

test('a staged JPEG is published by reference: the stand-in fetches it from the Worker, then it is deleted', async () => {
  const image = jpeg(1080, 1350);
  const r = await stage(image);
  assert.equal(r.status, 201, await r.clone().text());
  const { media } = await r.json();
  assert.deepEqual([media.type, media.size, media.width, media.height], ['image', image.length, 1080, 1350]);
  assert.equal((await staged()).length, 1);
  const p = await publish({ kind: 'image', image_media_id: media.id, caption: 'from a file' });
  const { job } = await p.json();
  assert.equal(job.status, 'published', JSON.stringify(job));
  // What "Meta" fetched: the Worker's signed URL, 200, the JPEG's bytes and type.
  const [fetched] = standin.state.mediaFetches.slice(-1);
  assert.ok(fetched.url.startsWith(`${env.worker.origin}/media/`), fetched.url);
  assert.match(fetched.url, /\?expires=\d+&sig=/);
  assert.deepEqual([fetched.status, fetched.bytes, fetched.contentType], [200, image.length, 'image/jpeg']);
  assert.deepEqual(await staged(), [], 'deleted once published');
  // Its URL no longer serves anything.
  assert.equal((await fetch(fetched.url)).status, 404);
});

test('a wrong signature is a 403 from the Worker, and Meta\'s "could not be fetched" error for the post', async () => {
  const first = await (await stage(jpeg(1080, 1080))).json();
  await publish({ kind: 'image', image_media_id: first.media.id });
  const signed = standin.state.mediaFetches.at(-1).url;
  const { media } = await (await stage(jpeg(1080, 1080))).json();
  const [key] = await staged();
  // The second object's path with the first one's signature.
  const forged = new URL(signed);
  forged.pathname = `/${key.replace(/^staged\//, 'media/')}`;
  assert.equal((await fetch(forged)).status, 403);
  const r = await publish({ kind: 'image', image_url: forged.toString() });
  const body = await r.json();
  assert.equal(r.status, 422, JSON.stringify(body));
  assert.equal(body.job.status, 'failed');
  assert.equal(body.job.error.code, 9004);
  assert.equal(standin.state.mediaFetches.at(-1).status, 403);
  // The honest reference still works.
  const ok = await (await publish({ kind: 'image', image_media_id: media.id })).json();
  assert.equal(ok.job.status, 'published', JSON.stringify(ok.job));
  assert.deepEqual(await staged(), []);
});

test('uploads Meta would refuse get a clear 4xx and leave nothing staged', async () => {
  const cases = [
    [await stage(jpeg(1080, 1080), { type: 'image/png' }), 415, /JPEG only/],
    [await stage(Buffer.alloc(0)), 400, /empty|Content-Length/],
    [await stage(jpeg(1080, 1080).subarray(0, 30)), 400, /truncated/],
    [await stage(jpeg(1080, 1920)), 400, /4:5/],
    [await postExpecting(`${env.worker.origin}/api/accounts/${IG_BIZ}/media`, { ...auth, 'content-type': 'image/jpeg' },
      Buffer.concat([jpeg(1080, 1080), Buffer.alloc(8 * 1024 * 1024)])), 413, /8 MB/],
  ];
  for (const [r, status, message] of cases) {
    const body = await r.json();
    assert.equal(r.status, status, JSON.stringify(body));
    assert.match(body.error.message, message);
  }
  // Anonymous: 401.
  const anonymous = await fetch(`${env.worker.origin}/api/accounts/${IG_BIZ}/media`, {
    method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg(1080, 1080),
  });
  assert.equal(anonymous.status, 401);
  assert.deepEqual(await staged(), []);
  // A story image may be 9:16; publishing it as a story deletes it.
  const { media } = await (await stage(jpeg(1080, 1920), { query: '?use=story' })).json();
  const story = await (await publish({ kind: 'story', image_media_id: media.id })).json();
  assert.equal(story.job.status, 'published', JSON.stringify(story.job));
  assert.deepEqual(await staged(), []);
});
