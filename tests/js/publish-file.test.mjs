// Publishing a local video through the npm package with Meta's resumable upload
// (https://developers.facebook.com/documentation/instagram-platform/content-publishing/resumable-uploads):
// the bytes (Uint8Array, Blob or stream) go to the stand-in's rupload host; an
// upload cut once resumes at the offset the stand-in reports, not from zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startStandin } from '../standin/server.mjs';
import { sampleMp4 } from '../standin/mp4.mjs';
import { ig, configFor, rejection } from './helpers.mjs';

const processingMs = { IMAGE: 100, VIDEO: 300, REELS: 300, STORIES_IMAGE: 100, STORIES_VIDEO: 300, CAROUSEL: 0 };
const poll = { firstCheckImageMs: 50, firstCheckVideoMs: 150, minIntervalMs: 50, maxIntervalMs: 300 };
const retry = { baseDelayMs: 10, maxDelayMs: 50 };

async function setup(t) {
  const standin = await startStandin({ port: 0, processingMs });
  t.after(() => standin.close());
  return standin;
}

async function facebookAccount(standin) {
  const config = configFor(standin, 'facebook');
  const user = standin.control.mintToken({ product: 'facebook', account: 'fb_linked', kind: 'long' });
  const page = await ig.resolveInstagramAccount({ config, accessToken: user.access_token });
  return { config, accessToken: page.pageToken, igUserId: page.instagram.igUserId, poll, retry };
}

const uploads = (standin) => standin.control.log({}).entries.filter((e) => e.host === 'rupload.facebook.com');
const containers = (standin) => standin.control.state().containers ?? [];
const posts = (standin) => standin.control.state().media.filter((m) => m.parent === null);
const cutOnce = (standin, afterBytes) =>
  standin.control.faults([{ host: 'rupload.facebook.com', fault: { type: 'cut_upload', afterBytes } }]);

test('publishReel uploads a local video, interrupted once and resumed at the stand-in\'s offset', async (t) => {
  const standin = await setup(t);
  const video = sampleMp4(9_000, 300_000);
  cutOnce(standin, 120_000);
  const events = [];
  const published = await ig.publishReel({
    ...(await facebookAccount(standin)), video: new Uint8Array(video), caption: 'from my disk',
    onProgress: (e) => events.push(e),
  });
  const [post] = posts(standin);
  assert.equal(published.mediaId, post.id);
  assert.equal(post.caption, 'from my disk');
  const sent = uploads(standin);
  assert.equal(sent.length, 2, JSON.stringify(sent));
  assert.equal(sent[0].headers.offset, '0');
  assert.equal(sent[0].headers.file_size, String(video.length));
  assert.equal(sent[0].fault, 'cut_upload');
  assert.equal(sent[1].headers.offset, '120000', 'resumed where the stand-in said, not at 0');
  assert.match(sent[1].authorization, /^OAuth /);
  const container = standin.state.containers.get(published.containerId);
  assert.ok(Buffer.concat(container.upload.chunks).equals(video), 'the stand-in holds exactly the file');
  const uploaded = events.filter((e) => e.step === 'uploaded');
  assert.deepEqual(uploaded.at(-1), { step: 'uploaded', containerId: published.containerId, sent: video.length, total: video.length });
  assert.ok(uploaded.some((e) => e.sent === 120_000), JSON.stringify(uploaded));
  assert.ok(events.some((e) => e.step === 'retrying'));
});

test('a story from a Blob and a carousel video from a stream, in pieces with progress', async (t) => {
  const standin = await setup(t);
  const account = await facebookAccount(standin);
  const story = sampleMp4(5_000, 40_000);
  await ig.publishStory({ ...account, video: new Blob([story]) });
  const clip = sampleMp4(4_000, 25_000);
  const events = [];
  await ig.publishCarousel({
    ...account, caption: 'two', uploadChunkBytes: 10_000, onProgress: (e) => events.push(e),
    items: [{ imageUrl: 'https://cdn.example/a.jpg' }, { video: Readable.from([clip.subarray(0, 7), clip.subarray(7)]) }],
  });
  assert.equal(posts(standin).length, 2);
  const pieces = uploads(standin).slice(1);
  assert.equal(pieces.length, Math.ceil(clip.length / 10_000));
  assert.deepEqual(pieces.map((p) => Number(p.headers.offset)), pieces.map((_, i) => i * 10_000));
  const sent = events.filter((e) => e.step === 'uploaded').map((e) => e.sent);
  assert.deepEqual(sent, pieces.map((_, i) => Math.min((i + 1) * 10_000, clip.length)));
});

test('a saved job resumes its upload after a restart with stepPublishJob({files})', async (t) => {
  const standin = await setup(t);
  const account = await facebookAccount(standin);
  const video = sampleMp4(6_000, 80_000);
  let job = ig.createPublishJob({ igUserId: account.igUserId, poll, retry, media: { type: 'reel', videoFile: ig.inspectVideo(video) } });
  cutOnce(standin, 30_000);
  let step;
  for (let i = 0; i < 40; i += 1) {
    job.nextStepAt = null;
    // A new process each time: only the JSON survives, the file is read again.
    step = await ig.stepPublishJob({ config: account.config, accessToken: account.accessToken, job: JSON.stringify(job), files: [new Blob([video])] });
    job = step.job;
    if (step.status === 'done' || step.status === 'failed') break;
    await new Promise((r) => setTimeout(r, Math.min(step.waitMs ?? 0, 300)));
  }
  assert.equal(step.status, 'done', JSON.stringify(step.error));
  assert.deepEqual(uploads(standin).map((u) => u.headers.offset), ['0', '30000']);
  assert.equal(job.bytesSent, video.length + video.length - 30_000);
});

test('bad files are refused before anything is uploaded or created, saying what Meta accepts', async (t) => {
  const standin = await setup(t);
  const account = await facebookAccount(standin);
  const video = sampleMp4(9_000, 1_000);
  const cases = [
    [new Uint8Array(0), /empty/],
    [video.subarray(0, video.length - 100), /truncated/],
    [Buffer.from('\xff\xd8\xff\xe0 a JPEG'), /not an MP4/],
    [sampleMp4(1_000, 100), /a reel of 3\.0 s to 900\.0 s/],
    [42, /Uint8Array, ArrayBuffer, Blob or stream/],
  ];
  for (const [bytes, why] of cases) {
    const e = await rejection(ig.publishReel({ ...account, video: bytes }));
    assert.equal(e.kind, 'invalid_input');
    assert.equal(e.field, 'video');
    assert.match(e.message, why);
  }
  const both = await rejection(ig.publishReel({ ...account, video, videoUrl: 'https://cdn.example/v.mp4' }));
  assert.match(both.message, /not both/);
  const mint = standin.control.mintToken({ product: 'instagram', account: 'biz', kind: 'long' });
  const viaIg = await rejection(ig.publishReel({
    config: configFor(standin, 'instagram'), accessToken: mint.access_token, igUserId: '17841400000000001', video,
  }));
  assert.equal(viaIg.kind, 'invalid_input');
  assert.match(viaIg.message, /Facebook Login/);
  assert.equal(uploads(standin).length, 0);
  assert.equal(containers(standin).length, 0, 'no container was created');
  assert.equal(posts(standin).length, 0);
});

test('endpoints.ruploadBase sends the video bytes to that host instead of the one derived from graphBase', async (t) => {
  const standin = await setup(t);
  const account = await facebookAccount(standin);
  // Nothing listens on port 9: the bytes must go there, not to the stand-in's rupload path.
  const config = { ...account.config, endpoints: { ruploadBase: 'http://127.0.0.1:9' } };
  const e = await rejection(ig.publishReel({ ...account, config, video: sampleMp4(3_000, 20_000), retry: { ...retry, maxAttempts: 1 } }));
  assert.equal(e.kind, 'transport', e.message);
  assert.equal(uploads(standin).length, 0, 'nothing reached the derived rupload host');
  assert.equal(posts(standin).length, 0);
});
