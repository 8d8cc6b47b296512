// `publish` of each kind with its progress line, and the headless mode: only
// environment variables (INSTAGATE_TOKEN, or INSTAGATE_STORE_DATA +
// INSTAGATE_KEY from `export --sealed`), no file written, no browser, and
// `refresh` printing what the CI must save.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleMp4 } from '../standin/mp4.mjs';
import { setup, fail, DAY_S } from './helpers.mjs';

const FAST = { config: { processingMs: { IMAGE: 100, REELS: 700, VIDEO: 300, STORIES_IMAGE: 100, STORIES_VIDEO: 300 } } };
// The stand-in processes in a fraction of a second: read the status soon (default 10 s for videos).
const POLL = { INSTAGATE_POLL_FIRST_CHECK_MS: '150' };
const media = (s) => s.standin.control.state().media;

async function loggedIn(t, product = 'instagram') {
  const s = await setup(t, FAST);
  Object.assign(s.env, POLL);
  const minted = product === 'instagram'
    ? s.standin.control.mintToken({ product, account: 'biz', kind: 'long' })
    : s.standin.control.mintToken({ product, account: 'fb_linked', kind: 'long' });
  const r = await s.run(['import', '--token', minted.access_token, '--expires-in', String(60 * DAY_S)], { env: { INSTAGATE_PRODUCT: product } });
  assert.equal(r.code, 0, fail(r));
  return s;
}

test('publish image, reel, carousel and story: progress on stderr, media ID and permalink on stdout', async (t) => {
  const s = await loggedIn(t);
  const cases = [
    [['image', '--url', 'https://cdn.example/loaf.jpg', '--caption', 'Fresh today #bakery', '--alt-text', 'A loaf'], 'IMAGE', 'FEED', /\/p\//],
    [['reel', '--url', 'https://cdn.example/reel.mp4', '--caption', 'Behind the oven', '--share-to-feed'], 'VIDEO', 'REELS', /\/reel\//],
    [['carousel', '--item', 'https://cdn.example/a.jpg', '--item', 'https://cdn.example/b.mp4', '--item', 'image:https://cdn.example/c', '--caption', 'Three'], 'CAROUSEL_ALBUM', 'FEED', /\/p\//],
    [['story', '--url', 'https://cdn.example/story.jpg'], 'IMAGE', 'STORY', /\/stories\//],
  ];
  for (const [args, mediaType, productType, permalink] of cases) {
    const r = await s.run(['publish', ...args]);
    assert.equal(r.code, 0, `${args[0]}: ${fail(r)}`);
    const [mediaId, link] = r.stdout.trim().split(' ');
    assert.match(mediaId, /^\d{16,}$/);
    assert.match(link, permalink);
    assert.match(r.stderr, new RegExp(`Publishing ${args[0] === 'image' ? 'an' : 'a'} ${args[0]} to standin_bakery`));
    assert.match(r.stderr, /container \d+ created/);
    assert.match(r.stderr, /processing… \d+\.\d s \(\d+ status checks?\)/);
    assert.match(r.stderr, new RegExp(`published as ${mediaId}`));
    const posted = media(s).find((m) => m.id === mediaId);
    assert.ok(posted, `${mediaId} on the stand-in`);
    assert.equal(posted.media_type ?? posted.mediaType, mediaType);
    assert.equal(posted.media_product_type ?? posted.productType ?? posted.mediaProductType, productType);
  }
  const carouselLog = s.standin.control.log({ path: '/media', method: 'POST' }).entries;
  assert.ok(carouselLog.some((e) => e.form?.media_type === 'VIDEO' && e.form?.is_carousel_item === 'true'), 'the .mp4 item went as a video');
  assert.ok(carouselLog.some((e) => e.form?.image_url === 'https://cdn.example/c'), 'image: prefix');
  const json = await s.run(['publish', 'story', '--url', 'https://cdn.example/s.mov', '--json']);
  assert.equal(json.code, 0, fail(json));
  assert.equal(JSON.parse(json.stdout).kind, 'story');
});

test('publish: a call that got no answer is retried as "no answer from Meta", not as something Meta said', async (t) => {
  const s = await loggedIn(t);
  // The first container creation's answer is lost (the socket closes).
  s.standin.control.faults([{ host: 'graph.instagram.com', path: '/media', method: 'POST', times: 1, fault: { type: 'drop_response' } }]);
  const r = await s.run(['publish', 'image', '--url', 'https://cdn.example/dropped.jpg']);
  assert.equal(r.code, 0, fail(r));
  assert.match(r.stderr, /no answer from Meta \(transport: .*\): retrying in/);
  assert.doesNotMatch(r.stderr, /Meta said/);
});

test('publish: Facebook Login account (Page token on graph.facebook.com), signed with appsecret_proof for "Require App Secret"', async (t) => {
  const s = await loggedIn(t, 'facebook');
  s.standin.control.config({ requireAppSecretProof: true });
  const r = await s.run(['publish', 'image', '--url', 'https://cdn.example/loaf.jpg'], { env: { INSTAGATE_PRODUCT: 'facebook' } });
  assert.equal(r.code, 0, fail(r));
  const published = s.standin.control.log({ host: 'graph.facebook.com', path: '/media_publish' }).entries;
  assert.equal(published.length, 1);
  assert.match(published[0].form?.appsecret_proof ?? published[0].query.appsecret_proof ?? '', /^[0-9a-f]{64}$/);
  assert.doesNotMatch(r.stdout + r.stderr, /standin-app-secret/, 'the secret is never printed');
});

test('publish reel ./clip.mp4 uploads the file with a progress bar, resumes a cut upload, and refuses what Meta would', async (t) => {
  const s = await loggedIn(t, 'facebook');
  const dir = await mkdtemp(join(tmpdir(), 'instagate-clip-'));
  const clip = join(dir, 'clip.mp4');
  const video = sampleMp4(7_000, 200_000);
  await writeFile(clip, video);
  s.standin.control.faults([{ host: 'rupload.facebook.com', fault: { type: 'cut_upload', afterBytes: 50_000 } }]);
  const env = { INSTAGATE_PRODUCT: 'facebook', INSTAGATE_UPLOAD_CHUNK_BYTES: '100000' };
  const r = await s.run(['publish', 'reel', clip, '--caption', 'From disk'], { env });
  assert.equal(r.code, 0, fail(r));
  const [mediaId] = r.stdout.trim().split(' ');
  assert.equal(media(s).find((m) => m.id === mediaId)?.caption, 'From disk');
  assert.match(r.stderr, /uploading \[#+-*\] +\d+% \d+\.\d\/0\.2 MB/);
  assert.match(r.stderr, /uploading \[#{20}\] 100% 0\.2\/0\.2 MB/);
  const offsets = s.standin.control.log({ host: 'rupload.facebook.com' }).entries.map((e) => e.headers.offset);
  assert.deepEqual(offsets, ['0', '50000', '150000'], 'the cut upload resumed at 50000, not 0');
  for (const [args, message] of [
    [['publish', 'reel', join(dir, 'missing.mp4')], /cannot read the file .*missing\.mp4: ENOENT/],
    [['publish', 'reel', join(dir, 'photo.jpg')], /is not a \.mp4\/\.mov video/],
    [['publish', 'image', clip], /unexpected argument/],
    [['publish', 'reel', clip, '--url', 'https://cdn.example/r.mp4'], /a file or --url, not both/],
  ]) {
    const bad = await s.run(args, { env });
    assert.equal(bad.code, 2, fail(bad));
    assert.match(bad.stderr, message);
  }
  await writeFile(join(dir, 'short.mp4'), sampleMp4(1_000, 100));
  const short = await s.run(['publish', 'reel', join(dir, 'short.mp4')], { env });
  assert.equal(short.code, 2, fail(short)); // invalid_input: a usage error
  assert.match(short.stderr, /Instagram accepts a reel of 3\.0 s to 900\.0 s/);
  const viaIg = await loggedIn(t);
  const refused = await viaIg.run(['publish', 'reel', clip]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Facebook Login/);
});

test('publish: refusals say what to do; wrong flags are usage errors', async (t) => {
  const s = await loggedIn(t);
  const refused = await s.run(['publish', 'image', '--url', 'https://cdn.example/fail-download.jpg']);
  assert.equal(refused.code, 1, fail(refused));
  assert.match(refused.stderr, /kind media/);
  assert.match(refused.stderr, /what to do: Instagram refused the media/);
  for (const [args, message] of [
    [['publish', 'image', '--item', 'https://a/b.jpg'], /--item does not apply to a image/],
    [['publish', 'gif', '--url', 'https://a/b.gif'], /"gif" is not image, reel, carousel or story/],
    [['publish', 'carousel', '--item', 'https://a/b.jpg'], /a carousel takes 2 to 10 --item, got 1/],
    [['publish', 'image'], /publish image needs --url/],
  ]) {
    const r = await s.run(args);
    assert.equal(r.code, 2, fail(r));
    assert.match(r.stderr, message);
  }
  assert.equal(media(s).length, 0);
});

test('headless: INSTAGATE_TOKEN only — status, validate, publish, refresh --print-token; no file, no browser', async (t) => {
  const s = await setup(t, FAST);
  const m = s.standin.control.mintToken({ product: 'instagram', account: 'biz', kind: 'long', ageSeconds: 40 * DAY_S });
  const env = { env: { INSTAGATE_TOKEN: m.access_token, INSTAGATE_TOKEN_EXPIRES_AT: m.expires_at, INSTAGATE_TOKEN_ISSUED_AT: m.issued_at, INSTAGATE_CLIENT_SECRET: undefined, INSTAGATE_CLIENT_ID: undefined } };
  const st = await s.run(['status', '--json'], env);
  assert.equal(st.code, 3, fail(st));
  assert.equal(JSON.parse(st.stdout).accounts[0].needsRefresh, true);
  const v = await s.run(['validate'], env);
  assert.equal(v.code, 0, fail(v));
  assert.match(v.stdout, /^ok {3}standin_bakery/m);
  const p = await s.run(['publish', 'image', '--url', 'https://cdn.example/ci.jpg', '--caption', 'from CI'], env);
  assert.equal(p.code, 0, fail(p));
  const r = await s.run(['refresh', '--if-due', '--print-token'], env);
  assert.equal(r.code, 0, fail(r));
  const newToken = r.stdout.trim();
  assert.match(newToken, /^IGAA\S+$/);
  assert.notEqual(newToken, m.access_token);
  assert.match(r.stderr, /refreshed/);
  const issued = s.standin.control.state().tokens.find((tk) => tk.token === newToken && tk.valid);
  assert.ok(issued);
  // --print-env: the token and its times, NAME=value, for the CI to save.
  const m2 = s.standin.control.mintToken({ product: 'instagram', account: 'creator', kind: 'long', ageSeconds: 40 * DAY_S });
  const env2 = { env: { ...env.env, INSTAGATE_TOKEN: m2.access_token, INSTAGATE_TOKEN_EXPIRES_AT: undefined, INSTAGATE_TOKEN_ISSUED_AT: undefined } };
  const printed = await s.run(['refresh', '--if-due', '--print-env'], env2);
  assert.equal(printed.code, 0, fail(printed));
  const vars = Object.fromEntries(printed.stdout.trim().split('\n').map((l) => l.split('=')));
  assert.deepEqual(Object.keys(vars), ['INSTAGATE_TOKEN', 'INSTAGATE_TOKEN_ISSUED_AT', 'INSTAGATE_TOKEN_EXPIRES_AT'], 'expiry unknown → due → refreshed');
  // The next run with the saved variables has nothing to do and prints nothing.
  const next = await s.run(['refresh', '--if-due', '--print-env'], { env: { ...env.env, ...vars } });
  assert.equal(next.code, 0, fail(next));
  assert.equal(next.stdout, '');
  assert.match(next.stderr, /not due \(59 days left\)/);
  assert.deepEqual(await s.files(), [], 'no file written in headless mode');
  const noLogin = await s.run(['auth-url'], env);
  assert.equal(noLogin.code, 2, fail(noLogin));
});

test('headless: export --sealed → INSTAGATE_STORE_DATA + INSTAGATE_KEY; refresh --print-env gives the new data', async (t) => {
  const s = await setup(t, FAST);
  const m = s.standin.control.mintToken({ product: 'instagram', account: 'biz', kind: 'long', ageSeconds: 40 * DAY_S });
  const key = 'ci-store-key-0123456789abcdef';
  await s.run(['import', '--token', m.access_token, '--expires-at', m.expires_at], { env: { INSTAGATE_KEY: key } });
  const plain = await s.run(['export'], { env: { INSTAGATE_KEY: key } });
  assert.equal(plain.code, 0, fail(plain));
  assert.match(plain.stdout, /^INSTAGATE_PRODUCT=instagram\nINSTAGATE_CLIENT_ID=1000000000000001\nINSTAGATE_IG_USER_ID=17841400000000001\nINSTAGATE_USERNAME=standin_bakery\nINSTAGATE_TOKEN_KIND=instagram_long_lived\nINSTAGATE_TOKEN_ISSUED_AT=\S+\nINSTAGATE_TOKEN_EXPIRES_AT=\S+\nINSTAGATE_TOKEN=IGAA\S+\n$/);
  assert.match(plain.stderr, /holds an access token/);
  const sealed = await s.run(['export', '--sealed'], { env: { INSTAGATE_KEY: key } });
  assert.equal(sealed.code, 0, fail(sealed));
  const data = /^INSTAGATE_STORE_DATA=(\S+)$/m.exec(sealed.stdout)[1];
  assert.ok(!Buffer.from(data, 'base64url').toString().includes(m.access_token), 'sealed');

  const ci = { INSTAGATE_STORE_DATA: data, INSTAGATE_KEY: key, XDG_CONFIG_HOME: `${s.dir}/empty`, INSTAGATE_CLIENT_SECRET: undefined };
  const st = await s.run(['status'], { env: ci });
  assert.equal(st.code, 3, fail(st));
  const r = await s.run(['refresh', '--if-due', '--print-env'], { env: ci });
  assert.equal(r.code, 0, fail(r));
  const next = /^INSTAGATE_STORE_DATA=(\S+)\n$/.exec(r.stdout)?.[1];
  assert.ok(next && next !== data, r.stdout);
  const after = await s.run(['status', '--json'], { env: { ...ci, INSTAGATE_STORE_DATA: next } });
  assert.equal(after.code, 0, fail(after));
  assert.equal(JSON.parse(after.stdout).accounts[0].daysLeft, 59);
  const wrong = await s.run(['status'], { env: { ...ci, INSTAGATE_KEY: 'not-the-ci-store-key-at-all' } });
  assert.equal(wrong.code, 4, fail(wrong));
  assert.match(wrong.stderr, /INSTAGATE_STORE_DATA cannot be opened/);
});
