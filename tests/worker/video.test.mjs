// End to end: a local video staged through the Worker under miniflare (R2
// multipart upload in MEDIA_BUCKET) and published as a reel for Instagram
// Login against the stand-in. The ~10 MB MP4 goes up in two parts; the first
// is cut off mid-body by the client and sent again (only that part); the
// Worker checks the completed file with ranged reads; its signed download
// answers HEAD, Range (206), a range past the end (416) and a whole GET (R2's
// stream, with its Content-Length) through real workerd; the stand-in fetches the
// signed video_url in Range requests (206), as Meta's fetcher would; the object
// is gone once published. Also: what real workerd's R2 answers for an unknown
// upload or a stale etag maps to 404 / 400, and a refused video is deleted.
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStandin } from '../standin/server.mjs';
import { sampleMp4 } from '../standin/mp4.mjs';
import { API_KEY, IG_BIZ, login, settings, start } from './harness.mjs';

let standin;
let env;
before(async () => {
  standin = await startStandin({ port: 0 });
  env = await start({ standin });
  standin.control.config({ processingMs: { REELS: 200 } });
  const { params } = await login(env, { account: 'biz' });
  assert.equal(params.get('connected'), IG_BIZ);
});
after(async () => {
  await env?.close();
  await standin?.close();
});

const auth = { authorization: `Bearer ${API_KEY}` };
const api = (path, init = {}) =>
  fetch(`${env.worker.origin}/api/accounts/${IG_BIZ}${path}`, { ...init, headers: { ...auth, ...init.headers } });
const json = (method, path, body) =>
  api(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const partUrl = (upload, n, uploadId = upload.upload_id) =>
  `${env.worker.origin}/api/accounts/${IG_BIZ}/uploads/${upload.id}/parts/${n}?upload_id=${encodeURIComponent(uploadId)}`;
const putPart = (upload, n, bytes, uploadId) =>
  fetch(partUrl(upload, n, uploadId), { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: bytes });
const partOf = (file, upload, n) => file.subarray((n - 1) * upload.part_size, n * upload.part_size);
const staged = async () => (await env.worker.bucket.list()).objects.map((o) => o.key);
// A download URL for `key` signed as the Worker signs them (service/media/signed_url.rs).
function signedUrl(key, expires = Math.floor(Date.now() / 1000) + 600) {
  const secret = settings('', '').SESSION_KEY;
  const sig = createHmac('sha256', secret).update(`instagate-media-v1|${key}|${expires}`).digest('base64url');
  return `${env.worker.origin}/media/${key.replace(/^staged\//, '')}?expires=${expires}&sig=${sig}`;
}

async function create(file, use = 'reel') {
  const r = await json('POST', '/uploads', { use, content_type: 'video/mp4', size: file.length });
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()).upload;
}
const complete = (upload, parts) => json('POST', `/uploads/${upload.id}/complete`, { upload_id: upload.upload_id, parts });

// A PUT that announces the whole part, sends `sent` bytes of it, then drops
// the connection (a client cut off mid-upload). Resolves with what the client saw.
function interruptedPut(url, body, sent) {
  return new Promise((resolve) => {
    const req = request(url, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': body.length } });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode });
    });
    req.on('error', (e) => resolve({ error: e.code ?? e.message }));
    req.write(body.subarray(0, sent), () => setTimeout(() => req.destroy(), 100));
  });
}

test('a ~10 MB video goes up in parts, resumes after a cut-off part, and is published as a reel from a ranged signed URL', async () => {
  const file = sampleMp4(8000, 10 * 1024 * 1024);
  const upload = await create(file);
  assert.equal(upload.parts, 2);
  assert.ok(upload.part_size >= 5 * 1024 * 1024, "R2's minimum part size");

  // Part 1 is cut off a third of the way in.
  const first = partOf(file, upload, 1);
  const cut = Math.floor(first.length / 3);
  const outcome = await interruptedPut(partUrl(upload, 1), first, cut);
  assert.ok(outcome.error || outcome.status >= 400, `an interrupted part is not taken: ${JSON.stringify(outcome)}`);
  // Part 2 went fine; only part 1 is sent again.
  const second = await putPart(upload, 2, partOf(file, upload, 2));
  assert.equal(second.status, 200, await second.clone().text());
  const resent = await putPart(upload, 1, first);
  assert.equal(resent.status, 200, await resent.clone().text());
  console.log(`video.test: ${file.length} bytes in ${upload.parts} parts; part 1 cut off after ${cut} bytes; re-sent ${first.length} bytes (${(first.length / file.length * 100).toFixed(0)} % of the file)`);
  const parts = [(await resent.json()).part, (await second.json()).part];
  assert.deepEqual(parts.map((p) => p.number), [1, 2]);

  const r = await complete(upload, parts);
  const body = await r.json();
  assert.equal(r.status, 201, JSON.stringify(body));
  assert.deepEqual([body.media.id, body.media.type, body.media.size, body.media.duration_ms, body.media.use],
    [upload.id, 'video', file.length, 8000, 'reel']);
  const [key] = await staged();
  const object = await env.worker.bucket.get(key);
  assert.ok(Buffer.from(await object.arrayBuffer()).equals(file), 'the stored video is the file, byte for byte');

  // The download, through workerd: HEAD, a range, one past the end, the whole file.
  const url = signedUrl(key);
  const head = await fetch(url, { method: 'HEAD' });
  assert.deepEqual([head.status, head.headers.get('content-length'), head.headers.get('content-type'), head.headers.get('accept-ranges')],
    [200, String(file.length), 'video/mp4', 'bytes']);
  const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${file.length}`);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(file.subarray(100, 200)));
  const past = await fetch(url, { headers: { range: `bytes=${file.length}-` } });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get('content-range'), `bytes */${file.length}`);
  await past.arrayBuffer();
  const whole = await fetch(url);
  assert.deepEqual([whole.status, whole.headers.get('content-length')], [200, String(file.length)]);
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(file));

  const p = await json('POST', '/publish', { kind: 'reel', video_media_id: body.media.id, caption: 'from a local video' });
  const { job } = await p.json();
  assert.equal(job.status, 'published', JSON.stringify(job));
  const fetched = standin.state.mediaFetches.at(-1);
  assert.ok(fetched.url.startsWith(`${env.worker.origin}/media/`), fetched.url);
  assert.deepEqual([fetched.bytes, fetched.contentType, fetched.error], [file.length, 'video/mp4', null]);
  assert.ok(fetched.ranges.length >= 2, JSON.stringify(fetched.ranges));
  assert.ok(fetched.ranges.every((x) => x.status === 206), JSON.stringify(fetched.ranges));
  const posted = standin.control.state().media.find((m) => m.id === job.media_id);
  assert.equal(posted.caption, 'from a local video');
  assert.deepEqual(await staged(), [], 'deleted once published');
  assert.equal((await fetch(fetched.url)).status, 404);
});

test("R2's answers for an unknown upload, a stale etag and a refused video", async () => {
  const file = sampleMp4(2000, 9 * 1024 * 1024); // 2 s: too short for a reel; two parts
  const upload = await create(file);
  const unknown = await putPart(upload, 1, partOf(file, upload, 1), 'not-an-upload-id');
  assert.equal(unknown.status, 404, await unknown.clone().text());
  const short = await putPart(upload, 1, partOf(file, upload, 1).subarray(0, 1000));
  assert.equal(short.status, 400);
  assert.match((await short.json()).error.message, new RegExp(`exactly ${upload.part_size} bytes`));
  // Part 1 first with other bytes, then replaced: the first etag is stale.
  const stale = (await (await putPart(upload, 1, Buffer.alloc(upload.part_size))).json()).part;
  const fresh = (await (await putPart(upload, 1, partOf(file, upload, 1))).json()).part;
  const last = (await (await putPart(upload, 2, partOf(file, upload, 2))).json()).part;
  assert.notEqual(stale.etag, fresh.etag);
  const refused = await complete(upload, [stale, last]);
  assert.equal(refused.status, 400, await refused.clone().text());
  const r = await complete(upload, [fresh, last]);
  const body = await r.json();
  assert.equal(r.status, 422, JSON.stringify(body));
  assert.match(body.error.message, /a reel of 3\.0 s to 900\.0 s/);
  assert.deepEqual(await staged(), [], 'a refused video is deleted');
  // Completed (then deleted): the upload is gone.
  assert.equal((await complete(upload, [fresh, last])).status, 404);
  // An aborted upload takes no more parts.
  const other = await create(sampleMp4(5000, 1000));
  const aborted = await api(`/uploads/${other.id}?upload_id=${encodeURIComponent(other.upload_id)}`, { method: 'DELETE' });
  assert.equal(aborted.status, 204);
  const late = await putPart(other, 1, sampleMp4(5000, 1000));
  assert.equal(late.status, 404, await late.clone().text());
});
