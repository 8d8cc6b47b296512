// Publishing through the npm package against the stand-in: every media kind on
// both login products, the quota, abort, the step API, and each fault.
// Meta's Content Publishing guide:
// https://developers.facebook.com/documentation/instagram-platform/content-publishing
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStandin } from '../standin/server.mjs';
import { ig, configFor, rejection } from './helpers.mjs';

// Processing shortened on the stand-in clock, and a poll schedule to match,
// so a reel takes well under a second here.
const processingMs = { IMAGE: 100, VIDEO: 400, REELS: 400, STORIES_IMAGE: 100, STORIES_VIDEO: 400, CAROUSEL: 0 };
const poll = { firstCheckImageMs: 50, firstCheckVideoMs: 200, minIntervalMs: 50, maxIntervalMs: 400 };
const IMAGE = 'https://cdn.example/photo.jpg';
const VIDEO = 'https://cdn.example/clip.mp4';

async function setup(t, options = {}) {
  const standin = await startStandin({ port: 0, processingMs, ...options });
  t.after(() => standin.close());
  return standin;
}

/** An Instagram Login account ready to publish: {base input, igUserId}. */
function instagramAccount(standin, account = 'biz') {
  const minted = standin.control.mintToken({ product: 'instagram', account, kind: 'long' });
  const igUserId = { biz: '17841400000000001', creator: '17841400000000002', biz2: '17841400000000004' }[account];
  return { config: configFor(standin, 'instagram'), accessToken: minted.access_token, igUserId, poll };
}

/** A Facebook Login account: the Page token and IG id, found through the library. */
async function facebookAccount(standin) {
  const config = configFor(standin, 'facebook');
  const user = standin.control.mintToken({ product: 'facebook', account: 'fb_linked', kind: 'long' });
  const page = await ig.resolveInstagramAccount({ config, accessToken: user.access_token });
  return { config, accessToken: page.pageToken, igUserId: page.instagram.igUserId, poll };
}

/**
 * Steps a saved job (round-tripped as JSON text, as a store would keep it)
 * until it is done or failed, without waiting out its saved schedule.
 */
async function stepToEnd(account, job, maxSteps = 50) {
  let step;
  for (let i = 0; i < maxSteps; i += 1) {
    job.nextStepAt = null;
    step = await ig.stepPublishJob({ config: account.config, accessToken: account.accessToken, job: JSON.stringify(job) });
    job = step.job;
    if (step.status === 'done' || step.status === 'failed') break;
    await new Promise((r) => setTimeout(r, Math.min(step.waitMs ?? 0, 500)));
  }
  return step;
}

const posts = (standin) => standin.control.state().media.filter((m) => m.parent === null);

test('publishImage (Instagram Login): one post, its permalink, progress in order', async (t) => {
  const standin = await setup(t);
  const events = [];
  const published = await ig.publishImage({
    ...instagramAccount(standin), imageUrl: IMAGE, caption: 'Fresh bread #bakery', altText: 'A loaf',
    onProgress: (e) => events.push(e),
  });
  const [post] = posts(standin);
  assert.equal(posts(standin).length, 1);
  assert.equal(published.mediaId, post.id);
  assert.equal(typeof published.mediaId, 'string');
  assert.equal(published.permalink, post.permalink);
  assert.match(published.permalink, /\/www\.instagram\.com\/p\/[\w-]+\/$/);
  assert.equal(published.containerId, post.containerId);
  assert.equal(post.media_type, 'IMAGE');
  assert.equal(post.caption, 'Fresh bread #bakery');
  const steps = events.map((e) => e.step);
  assert.equal(steps[0], 'created');
  assert.ok(steps.includes('processing'), steps.join());
  assert.equal(steps.at(-1), 'published');
  assert.equal(events.at(-1).mediaId, post.id);
  const processing = events.find((e) => e.step === 'processing');
  assert.equal(typeof processing.elapsedMs, 'number');
  assert.ok(processing.checks >= 1);
  // The post is on the account's public feed.
  const feed = await (await fetch(`${standin.url}/www.instagram.com/standin_bakery/`)).text();
  assert.ok(feed.includes(`data-media-id="${post.id}"`));
});

test('publishReel (Facebook Login, Page token on graph.facebook.com): a REELS post', async (t) => {
  const standin = await setup(t);
  const account = await facebookAccount(standin);
  const published = await ig.publishReel({ ...account, videoUrl: VIDEO, caption: 'Behind the counter', shareToFeed: true, thumbOffset: 1500 });
  const [post] = posts(standin);
  assert.equal(post.id, published.mediaId);
  assert.equal(post.media_product_type, 'REELS');
  assert.match(published.permalink, /\/reel\/[\w-]+\/$/);
  const creates = standin.control.log({ path: '/media', method: 'POST' }).entries.filter((e) => !e.path.endsWith('media_publish'));
  assert.ok(creates.every((e) => e.host === 'graph.facebook.com'), 'Facebook Login publishes on graph.facebook.com');
  const sent = { ...creates[0].query, ...creates[0].form };
  assert.equal(sent.media_type, 'REELS');
  assert.equal(String(sent.thumb_offset), '1500');
  assert.equal(String(sent.share_to_feed), 'true');
});

test('publishCarousel: children first, then one CAROUSEL_ALBUM post that counts once', async (t) => {
  const standin = await setup(t);
  const events = [];
  const account = instagramAccount(standin);
  const published = await ig.publishCarousel({
    ...account, caption: 'Three things',
    items: [{ imageUrl: IMAGE, altText: 'first' }, { videoUrl: VIDEO }, { imageUrl: 'https://cdn.example/3.jpg' }],
    onProgress: (e) => events.push(e),
  });
  const [post] = posts(standin);
  assert.equal(posts(standin).length, 1);
  assert.equal(post.id, published.mediaId);
  assert.equal(post.media_type, 'CAROUSEL_ALBUM');
  assert.equal(post.children.length, 3);
  const children = events.filter((e) => e.step === 'childCreated');
  assert.deepEqual(children.map((e) => [e.index, e.count]), [[0, 3], [1, 3], [2, 3]]);
  const quota = await ig.getPublishingQuota(account);
  assert.equal(quota.usage, 1);
});

test('publishStory: an image story and a video story', async (t) => {
  const standin = await setup(t);
  const account = instagramAccount(standin);
  const image = await ig.publishStory({ ...account, imageUrl: IMAGE });
  const video = await ig.publishStory({ ...account, videoUrl: VIDEO });
  const media = standin.control.state().media;
  for (const published of [image, video]) {
    const post = media.find((m) => m.id === published.mediaId);
    assert.equal(post.media_product_type, 'STORY');
    assert.match(published.permalink, /\/stories\/standin_bakery\/\d+\/$/);
  }
  assert.equal(media.find((m) => m.id === video.mediaId).media_type, 'VIDEO');
});

test('getPublishingQuota reads usage; checkQuota refuses a used-up account before any container', async (t) => {
  const standin = await setup(t, { publishQuota: 1 });
  const account = instagramAccount(standin);
  const before = await ig.getPublishingQuota(account);
  assert.deepEqual(before, { usage: 0, total: 1, durationSeconds: 86400, remaining: 1 });
  const events = [];
  await ig.publishImage({ ...account, imageUrl: IMAGE, checkQuota: true, onProgress: (e) => events.push(e) });
  assert.equal(events[0].step, 'quotaChecked');
  assert.equal(events[0].quota.remaining, 1);
  const containersBefore = standin.control.state().containers.length;
  const error = await rejection(ig.publishImage({ ...account, imageUrl: IMAGE, checkQuota: true }));
  assert.equal(error.kind, 'publish_limit');
  assert.match(error.message, /1 of the 1 posts/);
  assert.equal(standin.control.state().containers.length, containersBefore, 'no container was created');
  // Without the check, Meta's own refusal (9 / 2207042) is the same kind.
  const refused = await rejection(ig.publishImage({ ...account, imageUrl: IMAGE }));
  assert.equal(refused.kind, 'publish_limit');
  assert.equal(refused.subcode, 2207042);
  assert.equal(posts(standin).length, 1);
});

test('bad media input fails before any call, naming the field', async (t) => {
  const standin = await setup(t);
  const account = instagramAccount(standin);
  const cases = [
    [ig.publishImage, { imageUrl: 'http://cdn.example/a.jpg' }, 'imageUrl'],
    [ig.publishImage, { imageUrl: IMAGE, caption: 'x'.repeat(2201) }, 'caption'],
    [ig.publishImage, { imageUrl: IMAGE, caption: Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' ') }, 'caption'],
    [ig.publishImage, { imageUrl: IMAGE, alt_text: 'typo' }, 'alt_text'],
    [ig.publishImage, {}, 'imageUrl'],
    [ig.publishCarousel, { items: [{ imageUrl: IMAGE }] }, 'items'],
    [ig.publishCarousel, { items: [{ imageUrl: IMAGE }, { videoUrl: 42 }] }, 'items[1].videoUrl'],
    [ig.publishStory, { imageUrl: IMAGE, videoUrl: VIDEO }, null],
    [ig.publishReel, { videoUrl: VIDEO, thumbOffset: -1 }, 'thumbOffset'],
  ];
  for (const [publish, media, field] of cases) {
    const error = await rejection(publish({ ...account, ...media }));
    assert.equal(error.kind, 'invalid_input', `${JSON.stringify(media).slice(0, 60)}: ${error.message}`);
    if (field) assert.equal(error.field, field, error.message);
  }
  for (const [input, field] of [
    [{ ...account, igUserId: 'me', imageUrl: IMAGE }, 'igUserId'],
    [{ ...account, accessToken: '', imageUrl: IMAGE }, 'accessToken'],
    [{ ...account, maxCalls: 0, imageUrl: IMAGE }, 'maxCalls'],
    [{ ...account, onProgress: 'yes', imageUrl: IMAGE }, 'onProgress'],
  ]) {
    assert.equal((await rejection(ig.publishImage(input))).field, field);
  }
  assert.equal((await rejection(ig.publishImage(null))).kind, 'invalid_input');
  assert.equal(standin.control.log().entries.length, 0, 'no call reached the stand-in');
});

test('abort: an aborted signal before the start makes no call', async (t) => {
  const standin = await setup(t);
  const error = await rejection(ig.publishImage({ ...instagramAccount(standin), imageUrl: IMAGE, signal: AbortSignal.abort() }));
  assert.equal(error.kind, 'aborted');
  assert.equal(standin.control.log().entries.length, 0);
});

test('abort while processing stops between calls; the job in error.job resumes to one post', async (t) => {
  const standin = await setup(t);
  const account = instagramAccount(standin);
  const controller = new AbortController();
  const started = Date.now();
  const error = await rejection(ig.publishReel({
    ...account, videoUrl: VIDEO, poll: { ...poll, firstCheckVideoMs: 30_000 }, signal: controller.signal,
    onProgress: (e) => { if (e.step === 'created') controller.abort(); },
  }));
  assert.equal(error.kind, 'aborted');
  assert.ok(Date.now() - started < 5_000, 'the 30 s wait was cut short');
  assert.equal(error.job.phase.step, 'processing');
  assert.equal(posts(standin).length, 0);
  // Resume the saved job with the step API.
  const step = await stepToEnd(account, error.job);
  assert.equal(step.status, 'done', JSON.stringify(step.error));
  assert.equal(posts(standin).length, 1);
  assert.equal(step.published.mediaId, posts(standin)[0].id);
});

test('step API: a job is plain data, stepped to done one call at a time', async (t) => {
  const standin = await setup(t);
  const account = instagramAccount(standin);
  let job = ig.createPublishJob({ igUserId: account.igUserId, media: { type: 'image', imageUrl: IMAGE, caption: 'stepped' }, poll });
  assert.equal(job.phase.step, 'creatingContainer');
  assert.ok(!JSON.stringify(job).includes(account.accessToken), 'the token is never in the job');
  const seen = [];
  let step;
  for (let i = 0; i < 40; i += 1) {
    const before = standin.control.log().entries.length;
    step = await ig.stepPublishJob({ config: account.config, accessToken: account.accessToken, job });
    const made = standin.control.log().entries.length - before;
    assert.ok(made <= 2, `a step made ${made} calls`);
    seen.push(step.job.phase.step);
    job = JSON.parse(JSON.stringify(step.job));
    if (step.status !== 'continue') break;
    assert.equal(typeof step.nextAt, 'string');
    await new Promise((r) => setTimeout(r, step.waitMs));
  }
  assert.equal(step.status, 'done');
  assert.equal(step.error, null);
  assert.ok(seen.includes('processing'), seen.join());
  assert.equal(step.published.mediaId, posts(standin)[0].id);
  // A finished job answers done again without a call.
  const before = standin.control.log().entries.length;
  const again = await ig.stepPublishJob({ config: account.config, accessToken: account.accessToken, job });
  assert.equal(again.status, 'done');
  assert.equal(standin.control.log().entries.length, before);
});

test('step API: bad jobs and media are refused; a used-up call budget stalls and resumes', async (t) => {
  const standin = await setup(t);
  const account = instagramAccount(standin);
  const base = { config: account.config, accessToken: account.accessToken };
  assert.equal((await rejection(ig.stepPublishJob({ ...base, job: '{"not":"a job"}' }))).field, 'job');
  assert.equal((await rejection(ig.stepPublishJob({ ...base, job: 7 }))).field, 'job');
  assert.throws(() => ig.createPublishJob({ igUserId: account.igUserId, media: { type: 'video', videoUrl: VIDEO } }),
    (e) => e.kind === 'invalid_input' && /reel/.test(e.message));
  assert.throws(() => ig.createPublishJob({ igUserId: account.igUserId }), (e) => e.field === 'media');
  let job = ig.createPublishJob({ igUserId: account.igUserId, media: { type: 'image', imageUrl: IMAGE }, maxCalls: 1, poll });
  let step = await ig.stepPublishJob({ ...base, job });
  assert.equal(step.status, 'continue');
  job = step.job;
  await new Promise((r) => setTimeout(r, step.waitMs));
  step = await ig.stepPublishJob({ ...base, job });
  assert.equal(step.status, 'stalled');
  assert.equal(step.error.kind, 'timeout');
  assert.match(step.error.message, /budget of 1 calls/);
  job = step.job;
  job.options.maxCalls = 10;
  for (let i = 0; i < 20 && step.status !== 'done'; i += 1) {
    step = await ig.stepPublishJob({ ...base, job });
    job = step.job;
    if (step.waitMs) await new Promise((r) => setTimeout(r, step.waitMs));
  }
  assert.equal(step.status, 'done');
  assert.equal(posts(standin).length, 1);
});

test('a throwing onProgress does not stop the publish', async (t) => {
  const standin = await setup(t);
  const published = await ig.publishImage({
    ...instagramAccount(standin), imageUrl: IMAGE, onProgress: () => { throw new Error('UI bug'); },
  });
  assert.equal(published.mediaId, posts(standin)[0].id);
});

// Faults -----------------------------------------------------------------------

const publishPath = '/media_publish';

test('fault: media_publish succeeds but its answer is lost → exactly one post, its id recovered', async (t) => {
  const standin = await setup(t);
  standin.control.faults([{ path: publishPath, fault: { type: 'drop_response' } }]);
  const published = await ig.publishImage({ ...instagramAccount(standin), imageUrl: IMAGE, publishSettleMs: 50 });
  assert.equal(posts(standin).length, 1);
  assert.equal(published.mediaId, posts(standin)[0].id);
  assert.equal(published.permalink, posts(standin)[0].permalink);
  assert.equal(standin.control.log({ path: publishPath }).entries.length, 1, 'media_publish was not sent again');
});

test('fault: media_publish answers 503 without publishing → the status says FINISHED, sent once more, one post', async (t) => {
  const standin = await setup(t);
  standin.control.faults([{ path: publishPath, fault: { type: 'status', status: 503, body: { error: { message: 'unavailable', code: 2, is_transient: true } } } }]);
  const published = await ig.publishImage({ ...instagramAccount(standin), imageUrl: IMAGE, publishSettleMs: 50 });
  assert.equal(posts(standin).length, 1);
  assert.equal(published.mediaId, posts(standin)[0].id);
  assert.equal(standin.control.log({ path: publishPath }).entries.length, 2);
});

test('fault: an HTML 502 on container creation is retried with backoff', async (t) => {
  const standin = await setup(t);
  standin.control.faults([{ path: '/media', method: 'POST', params: { image_url: IMAGE }, fault: { type: 'html', status: 502 } }]);
  const events = [];
  const published = await ig.publishImage({ ...instagramAccount(standin), imageUrl: IMAGE, onProgress: (e) => events.push(e) });
  assert.equal(published.mediaId, posts(standin)[0].id);
  const retry = events.find((e) => e.step === 'retrying');
  assert.ok(retry, events.map((e) => e.step).join());
  assert.equal(retry.errorKind, 'transient');
  assert.ok(retry.waitMs > 0);
});

test('fault: throttling on the status read honours Retry-After', async (t) => {
  const standin = await setup(t);
  standin.control.faults([{ path: '/', method: 'GET', params: { fields: 'status_code,status' }, fault: { type: 'rate_limit', retryAfter: 1 } }]);
  const events = [];
  const started = Date.now();
  await ig.publishImage({ ...instagramAccount(standin), imageUrl: IMAGE, onProgress: (e) => events.push(e) });
  const retry = events.find((e) => e.step === 'retrying');
  assert.ok(retry, `no retry event; status reads: ${JSON.stringify(standin.control.log({ method: 'GET' }).entries.map((e) => e.query))}`);
  assert.equal(retry.errorKind, 'rate_limited');
  assert.ok(retry.waitMs >= 1000, String(retry.waitMs));
  assert.ok(Date.now() - started >= 1000);
  assert.equal(posts(standin).length, 1);
});

test('fault: a hung status read times out (timeoutMs) and is retried', async (t) => {
  const standin = await setup(t);
  standin.control.faults([{ path: '/', method: 'GET', params: { fields: 'status_code,status' }, fault: { type: 'hang' } }]);
  const events = [];
  const published = await ig.publishImage({ ...instagramAccount(standin), imageUrl: IMAGE, timeoutMs: 300, onProgress: (e) => events.push(e) });
  assert.equal(published.mediaId, posts(standin)[0].id);
  assert.equal(events.find((e) => e.step === 'retrying')?.errorKind, 'timeout');
});

test('fault: a container that ends in ERROR fails with kind media and the status detail; nothing posted', async (t) => {
  const standin = await setup(t);
  const error = await rejection(ig.publishReel({ ...instagramAccount(standin), videoUrl: 'https://cdn.example/processing-error.mp4' }));
  assert.equal(error.kind, 'media');
  assert.match(error.message, /2207053/);
  assert.equal(error.job.phase.step, 'failed');
  assert.equal(posts(standin).length, 0);
});

test('fault: an image Instagram cannot fetch fails at once (no retry), naming Meta\'s subcode', async (t) => {
  const standin = await setup(t);
  const error = await rejection(ig.publishImage({ ...instagramAccount(standin), imageUrl: 'https://cdn.example/fail-download.jpg' }));
  assert.equal(error.kind, 'media');
  assert.equal(error.subcode, 2207052);
  assert.equal(standin.control.log({ path: '/media', method: 'POST' }).entries.length, 1);
});

test('fault: a revoked token fails at once with invalid_token', async (t) => {
  const standin = await setup(t);
  const account = instagramAccount(standin);
  standin.control.revokeToken(account.accessToken);
  const error = await rejection(ig.publishImage({ ...account, imageUrl: IMAGE }));
  assert.equal(error.kind, 'invalid_token');
  assert.equal(error.code, 190);
  assert.equal(standin.control.log().entries.length, 1);
});

test('fault: answer lost and the status unreadable → the error keeps the job in publishing; stepping it later finds the one post', async (t) => {
  // Images finish at once, so the first status read says FINISHED and the
  // publish is sent in the same step; its answer is dropped, and from then on
  // every status read fails.
  const standin = await setup(t, { processingMs: { ...processingMs, IMAGE: 0 } });
  const account = instagramAccount(standin);
  const statusRead = { method: 'GET', params: { fields: 'status_code,status' } };
  standin.control.faults([{ path: publishPath, fault: { type: 'drop_response' } }]);
  const error = await rejection(ig.publishImage({
    ...account, imageUrl: IMAGE, publishSettleMs: 10, retry: { maxAttempts: 2, baseDelayMs: 10 },
    onProgress: (e) => {
      if (e.step === 'processing') standin.control.faults([{ ...statusRead, times: 'always', fault: { type: 'status', status: 500 } }]);
    },
  }));
  assert.equal(error.job.phase.step, 'publishing', 'a job whose post may exist is never marked failed');
  assert.equal(standin.control.log({ path: publishPath }).entries.length, 1);
  assert.equal(posts(standin).length, 1, 'the post exists although the caller was not told');
  standin.control.clearFaults();
  const step = await stepToEnd(account, error.job);
  assert.equal(step.status, 'done', JSON.stringify(step.error));
  assert.equal(posts(standin).length, 1);
  assert.equal(step.published.mediaId, posts(standin)[0].id);
  assert.equal(standin.control.log({ path: publishPath }).entries.length, 1, 'never sent twice');
});

test('Facebook Login under "Require App Secret": calls fail without clientSecret and are signed with it', async (t) => {
  // https://developers.facebook.com/docs/graph-api/guides/secure-requests
  const standin = await setup(t);
  const account = await facebookAccount(standin);
  standin.control.config({ requireAppSecretProof: true });
  standin.control.clearLog();
  const refused = await rejection(ig.publishImage({ ...account, imageUrl: IMAGE }));
  assert.match(refused.message, /appsecret_proof/);
  assert.equal(refused.code, 100);
  assert.equal(posts(standin).length, 0);
  const signed = { ...account, clientSecret: 'standin-app-secret' };
  const published = await ig.publishImage({ ...signed, imageUrl: IMAGE });
  assert.equal(published.mediaId, posts(standin)[0].id);
  assert.equal((await ig.getPublishingQuota(signed)).usage, 1);
  const pages = await ig.getFacebookPages({ config: account.config, accessToken: standin.control.mintToken({ product: 'facebook', account: 'fb_linked' }).access_token, clientSecret: 'standin-app-secret' });
  assert.equal(pages.pages.length, 1);
  const signedCalls = standin.control.log({ host: 'graph.facebook.com' }).entries
    .filter((e) => e.status === 200 && (e.query.access_token ?? e.form?.access_token));
  assert.ok(signedCalls.length >= 4);
  assert.ok(signedCalls.every((e) => /^[0-9a-f]{64}$/.test(e.query.appsecret_proof ?? e.form?.appsecret_proof ?? '')));
  // A wrong secret is refused by Meta (an invalid proof), not silently sent.
  const wrong = await rejection(ig.getPublishingQuota({ ...account, clientSecret: 'not-the-secret' }));
  assert.match(wrong.message, /Invalid appsecret_proof/);
});

// Documented publishing extras, end to end through the stand-in:
// is_ai_generated (Instagram Platform changelog, June 22, 2026), caption
// add-ons (content-publishing/caption-add-ons, Facebook Login only),
// thumb_offset on a carousel video item, product_tags.
test('extras: AI label, a caption poll (Facebook Login), a carousel video item cover frame and product tags reach Meta', async (t) => {
  const standin = await setup(t);
  const account = await facebookAccount(standin);
  const published = await ig.publishCarousel({
    ...account, caption: 'Which loaf?', isAiGenerated: true, pollOptions: ['Rye', 'Spelt'], pollDurationExtended: true,
    items: [
      { imageUrl: IMAGE, productTags: [{ productId: '3231775643511089', x: 0.4, y: 0.6 }] },
      { videoUrl: VIDEO, thumbOffset: 1200 },
    ],
  });
  const media = standin.control.state().media.find((m) => m.id === published.mediaId);
  assert.equal(media.isAiGenerated, true);
  assert.deepEqual(media.pollAttachment, { option_a: 'Rye', option_b: 'Spelt' });
  const creates = standin.control.log({ path: '/media', method: 'POST' }).entries.map((e) => e.form ?? {});
  assert.ok(creates.some((f) => f.media_type === 'VIDEO' && f.thumb_offset === '1200'), 'the video item carries its cover frame');
  assert.ok(creates.some((f) => f.product_tags === '[{"product_id":"3231775643511089","x":0.4,"y":0.6}]'));
  assert.ok(!creates.some((f) => f.is_carousel_item === 'true' && f.is_ai_generated), 'the label goes on the carousel container only');

  const reel = await ig.publishReel({ ...account, videoUrl: VIDEO, caption: 'Tell us your favourite', commentPrompt: true });
  assert.equal(standin.control.state().media.find((m) => m.id === reel.mediaId).commentPromptUsed, true);
});

test('extras: caption add-ons are refused for Instagram Login and badly formed ones before any call', async (t) => {
  const standin = await setup(t);
  const account = instagramAccount(standin);
  const calls = () => standin.control.log({}).entries.length;
  const before = calls();
  let e = await rejection(ig.publishImage({ ...account, imageUrl: IMAGE, caption: 'Q?', pollOptions: ['a', 'b'] }));
  assert.deepEqual([e.kind, e.field], ['invalid_input', 'pollOptions']);
  e = await rejection(ig.publishImage({ ...account, imageUrl: IMAGE, caption: 'Q?', pollOptions: ['only'] }));
  assert.deepEqual([e.kind, e.field], ['invalid_input', 'pollOptions']);
  e = await rejection(ig.publishImage({ ...account, imageUrl: IMAGE, commentPrompt: true }));
  assert.deepEqual([e.kind, e.field], ['invalid_input', 'caption']);
  assert.equal(calls(), before, 'nothing was sent');
  // The AI label works on both products.
  const p = await ig.publishImage({ ...account, imageUrl: IMAGE, isAiGenerated: true });
  assert.equal(standin.control.state().media.find((m) => m.id === p.mediaId).isAiGenerated, true);
});

test('getPublishingQuota({since}) sends Meta a Unix time within the last 24 hours', async (t) => {
  const standin = await setup(t);
  const account = instagramAccount(standin);
  const since = new Date(Date.now() - 3_600_000);
  await ig.getPublishingQuota({ config: account.config, accessToken: account.accessToken, igUserId: account.igUserId, since });
  const read = standin.control.log({ path: '/content_publishing_limit' }).entries.at(-1);
  assert.equal(read.query?.since ?? new URL(read.url, 'http://x').searchParams.get('since'), String(Math.floor(since.getTime() / 1000)));
  const e = await rejection(ig.getPublishingQuota({ config: account.config, accessToken: account.accessToken, igUserId: account.igUserId, since: Date.now() - 2 * 86_400_000 }));
  assert.deepEqual([e.kind, e.field], ['invalid_input', 'since']);
});
