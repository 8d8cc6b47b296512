// The same package in workerd (Cloudflare's runtime, through miniflare): the
// `workerd` entry imports the .wasm as a module; fetch and crypto are the
// Worker's globals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { startStandin } from '../standin/server.mjs';
import { sampleMp4 } from '../standin/mp4.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const redirectUri = 'http://127.0.0.1:8787/auth/callback';
let standin, mf;
const config = (product) => ({ product, clientId: '1000000000000001', redirectUri, standinOrigin: standin.url });

before(async () => {
  standin = await startStandin({ port: 0 });
  mf = new Miniflare({
    modules: true,
    scriptPath: `${root}tests/js/workerd-app.js`,
    modulesRoot: root,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2026-04-26',
    bindings: { CLIENT_SECRET: 'standin-app-secret' },
    cf: false,
  });
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  await standin?.close();
});

async function call(body) {
  const response = await mf.dispatchFetch('http://worker/', { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

for (const product of ['instagram', 'facebook']) {
  test(`${product}: createLogin and connectAccount run inside workerd`, async () => {
    const created = await call({ step: 'createLogin', config: config(product) });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.match(created.body.state, /^[A-Za-z0-9_-]{43}$/);
    standin.control.consent({ decision: 'allow' });
    const callbackUrl = (await fetch(created.body.url, { redirect: 'manual' })).headers.get('location');
    const connected = await call({
      step: 'connectAccount', config: config(product), callbackUrl,
      expectedState: created.body.state, codeVerifier: created.body.codeVerifier,
    });
    assert.equal(connected.status, 200, JSON.stringify(connected.body));
    const [account] = connected.body.accounts;
    assert.ok(BigInt(account.igUserId) > 2n ** 53n, account.igUserId);
    assert.ok(account.username.startsWith('standin_'));
  });
}

test('instagate/login runs inside workerd through its own loader (login-worker.js)', async () => {
  const created = await call({ step: 'createLogin', config: config('instagram') });
  standin.control.consent({ decision: 'allow' });
  const callbackUrl = (await fetch(created.body.url, { redirect: 'manual' })).headers.get('location');
  standin.control.consent(null);
  const { status, body } = await call({ step: 'loginEntry', config: config('instagram'), callbackUrl, expectedState: created.body.state });
  assert.equal(status, 200, JSON.stringify(body));
  assert.match(body.created.url, /\/oauth\/authorize\?/);
  assert.equal(body.foreignStateKind, 'state_mismatch');
  assert.equal(body.checked.state, created.body.state);
  assert.equal(body.checked.code, new URL(callbackUrl).searchParams.get('code'));
});

test('an InstagateError inside workerd is a real Error with Meta fields', async () => {
  const created = await call({ step: 'createLogin', config: config('instagram') });
  standin.control.consent({ decision: 'allow' });
  const callbackUrl = (await fetch(created.body.url, { redirect: 'manual' })).headers.get('location');
  standin.control.faults([{ host: 'graph.instagram.com', path: '/me', times: 'always',
    fault: { type: 'graph_error', code: 190, message: 'bad token' } }]);
  try {
    const failed = await call({ step: 'connectAccount', config: config('instagram'), callbackUrl, expectedState: created.body.state });
    assert.equal(failed.status, 400);
    assert.deepEqual(
      { isError: failed.body.isError, isInstagateError: failed.body.isInstagateError, kind: failed.body.kind, code: failed.body.code },
      { isError: true, isInstagateError: true, kind: 'invalid_token', code: 190 },
    );
  } finally {
    standin.control.clearFaults();
  }
});

const poll = { firstCheckImageMs: 50, firstCheckVideoMs: 200, minIntervalMs: 50, maxIntervalMs: 400 };
const posts = () => standin.control.state().media.filter((m) => m.parent === null);

test('publishCarousel runs inside workerd: one CAROUSEL_ALBUM post, progress reported', async () => {
  standin.control.config({ processingMs: { IMAGE: 50, VIDEO: 300 } });
  const token = standin.control.mintToken({ product: 'instagram', account: 'creator', kind: 'long' });
  const before = posts().length;
  const { status, body } = await call({
    step: 'publishCarousel', config: config('instagram'), accessToken: token.access_token,
    igUserId: '17841400000000002', poll, caption: 'from workerd',
    items: [{ imageUrl: 'https://cdn.example/a.jpg' }, { videoUrl: 'https://cdn.example/b.mp4' }],
  });
  assert.equal(status, 200, JSON.stringify(body));
  const post = posts().find((m) => m.id === body.published.mediaId);
  assert.equal(posts().length, before + 1);
  assert.equal(post.media_type, 'CAROUSEL_ALBUM');
  assert.equal(body.published.permalink, post.permalink);
  assert.deepEqual(body.progress.slice(0, 3), ['childCreated', 'childCreated', 'created']);
  assert.equal(body.progress.at(-1), 'published');
});

test('the step API inside workerd: one step per request, the job kept as JSON between them', async () => {
  const token = standin.control.mintToken({ product: 'instagram', account: 'creator', kind: 'long' });
  const before = posts().length;
  let job = null;
  let result;
  for (let i = 0; i < 40; i += 1) {
    const { body } = await call({
      step: 'stepPublishJob', config: config('instagram'), accessToken: token.access_token,
      igUserId: '17841400000000002', media: { type: 'image', imageUrl: 'https://cdn.example/c.jpg' }, poll, job,
    });
    result = body;
    job = body.job;
    if (body.status !== 'continue') break;
    await new Promise((r) => setTimeout(r, body.waitMs));
  }
  assert.equal(result.status, 'done', JSON.stringify(result.error));
  assert.equal(posts().length, before + 1);
  assert.equal(result.published.mediaId, posts().at(-1).id);
});

test('publishReel with a video stream inside workerd: uploaded to rupload, cut once and resumed', async () => {
  const user = standin.control.mintToken({ product: 'facebook', account: 'fb_linked', kind: 'long' });
  const pages = await (await fetch(`${standin.url}/graph.facebook.com/v21.0/me/accounts?access_token=${user.access_token}`)).json();
  const video = sampleMp4(5_000, 150_000);
  standin.control.faults([{ host: 'rupload.facebook.com', fault: { type: 'cut_upload', afterBytes: 40_000 } }]);
  const input = {
    config: config('facebook'), accessToken: pages.data[0].access_token, igUserId: '17841400000000001',
    caption: 'from a Worker', poll: { firstCheckVideoMs: 50, minIntervalMs: 50 }, retry: { baseDelayMs: 10 },
  };
  standin.control.config({ processingMs: { REELS: 0 } });
  const response = await mf.dispatchFetch('http://worker/reel', { method: 'POST', headers: { 'x-input': JSON.stringify(input) }, body: video });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.match(body.published.mediaId, /^\d+$/);
  const offsets = standin.control.log({ host: 'rupload.facebook.com' }).entries.map((e) => e.headers.offset);
  assert.deepEqual(offsets, ['0', '40000']);
  assert.deepEqual(body.progress.filter((e) => e.step === 'uploaded').at(-1), { step: 'uploaded', containerId: body.published.containerId, sent: video.length, total: video.length });
});
