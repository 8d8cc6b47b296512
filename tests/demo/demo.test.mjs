// The demo, driven as a person would in headless Chromium (Debian's, through
// playwright-core): connect through the stand-in's consent pages with both
// login products, see the accounts, refresh, publish an image (from a URL,
// and from a local JPEG the Worker stages), a reel from a local video (staged
// in parts, a cut part sent again; a too-long story refused in the page) and
// a carousel and find them on the stand-in's feed, deny consent and see the
// error, connect every account of an agency's Facebook login at once, and
// schedule posts (one publishes on time, one is cancelled and never posts).
// Screenshots are kept in tests/artifacts/demo/.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, startDemo } from '../../scripts/demo.mjs';
import { jpeg } from '../standin/jpeg.mjs';
import { sampleMp4 } from '../standin/mp4.mjs';

const ARTIFACTS = join(ROOT, 'tests/artifacts/demo');
const PORTS = { standinPort: 18790, workerPort: 18787, webPort: 15173 };

let demo;
let browser;
let page;
let persist;
// Uncaught exceptions in the page fail the test that caused them.
const pageErrors = [];
const uploadRequests = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  persist = mkdtempSync(join(tmpdir(), 'instagate-demo-'));
  demo = await startDemo({ ...PORTS, persistDir: persist });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  // Not UTC, so a "publish at" sent as local wall time instead of UTC shows
  // as a 5 h 30 min error.
  page = await browser.newPage({ viewport: { width: 900, height: 1200 }, timezoneId: 'Asia/Kolkata' });
  page.on('pageerror', (e) => pageErrors.push(e.stack ?? String(e)));
  // The page's requests to the Worker's uploads (to see what a video sent).
  page.on('request', (r) => { if (r.url().includes('/uploads')) uploadRequests.push(`${r.method()} ${r.url()}`); });
  // The page learns where the Worker and the stand-in are from the query string.
  const first = new URL(demo.pageUrl);
  first.searchParams.set('worker', demo.workerUrl);
  first.searchParams.set('standin', demo.standin.url);
  await page.goto(first.href);
  await page.waitForSelector('#accounts li');
});

after(async () => {
  await browser?.close();
  await demo?.stop();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

afterEach(() => {
  const errors = pageErrors.splice(0);
  assert.deepEqual(errors, [], 'the page threw');
});

async function shot(name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function consent(decision, account) {
  await page.waitForSelector('#allow');
  assert.match(await page.content(), /stand-in/i, 'the consent page says it is a stand-in');
  if (account) await page.check(`input[name=account][value=${account}]`);
  await shot(`consent-${decision}`);
  await Promise.all([page.waitForURL(`${demo.pageUrl}**`), page.click(decision === 'allow' ? '#allow' : '#deny')]);
}

// Waits for the notice to say `text`: a notice left by an earlier step must
// not count (its class alone would match at once).
async function noticeSays(text) {
  await page.waitForFunction((t) => document.querySelector('#notice')?.textContent.includes(t), text);
}

function accountRow(username) {
  return page.locator('#accounts li.account', { hasText: `@${username}` });
}

test('Connect Instagram: single-page flow through the npm package; no request from the callback page carries the code in a Referer', async () => {
  // Instagram Login codes are bound to no state or verifier: a leaked unused
  // code can be redeemed by anyone, so it must not travel in a Referer.
  const referers = [];
  const seeRequest = (request) => referers.push({ url: request.url(), referer: request.headers().referer ?? null });
  page.on('request', seeRequest);
  await page.click('#connect-instagram');
  await consent('allow', 'biz');
  await page.waitForSelector('.notice.ok');
  page.off('request', seeRequest);
  const callbackLoads = referers.filter((r) => !r.url.includes('code='));
  assert.ok(callbackLoads.some((r) => r.url.endsWith('/src/style.css')), JSON.stringify(referers));
  assert.deepEqual(referers.filter((r) => r.referer?.includes('code=')), []);
  await accountRow('standin_bakery').waitFor();
  const text = await accountRow('standin_bakery').innerText();
  assert.match(text, /Instagram Login/);
  assert.match(text, /days left/);
  await shot('connected-instagram');
});

test('Connect with Facebook: the Worker redirect flow and a Page-linked account', async () => {
  await page.click('#connect-facebook');
  // Tom manages two Pages; only "Stand-in Florist" has an Instagram account,
  // a different one from the bakery connected above (connecting the same
  // Instagram account through the other product would replace its record).
  await consent('allow', 'fb_two_pages');
  await page.waitForSelector('.notice.ok');
  await accountRow('standin_florist').waitFor();
  const fb = await accountRow('standin_florist').innerText();
  assert.match(fb, /Facebook Login via Stand-in Florist/);
  assert.match(fb, /does not expire/);
  assert.match(await accountRow('standin_bakery').innerText(), /Instagram Login/, 'the first account stays');
  await shot('connected-facebook');
});

test('refresh: a Page token is checked; a fresh Instagram token is too young and says so', async () => {
  const fbRow = page.locator('#accounts li.account', { hasText: 'Facebook Login' });
  await fbRow.getByRole('button', { name: 'Refresh now' }).click();
  // The login's notice is still up: wait for this refresh's own, else the
  // next refresh's error can be overwritten by this one's late success.
  await noticeSays('Token refreshed.');
  await accountRow('standin_bakery').getByRole('button', { name: 'Refresh now' }).click();
  await page.waitForSelector('.notice.error');
  assert.match(await page.locator('#notice').innerText(), /refresh_too_early/);
});

async function publishAndOpen(kind, fill) {
  await page.selectOption('#account', { label: '@standin_bakery' });
  await page.check(`input[name=kind][value=${kind}]`);
  await fill();
  await page.click('#publish [type=submit]');
  const link = page.locator('#progress li.ok a');
  await link.waitFor({ timeout: 30_000 });
  const permalink = await link.getAttribute('href');
  assert.ok(permalink.startsWith(demo.standin.url), permalink);
  return permalink;
}

test('publish an image and see it on the stand-in feed', async () => {
  await publishAndOpen('image', async () => {
    await page.fill('input[name=image_url]', 'https://cdn.example/demo/croissant.jpg');
    await page.fill('textarea[name=caption]', 'Fresh out of the oven #bakery');
  });
  assert.match(await page.locator('#caption-count').innerText(), /1 \/ 30 hashtags/);
  await shot('published-image');
  const feed = await browser.newPage();
  await feed.goto(`${demo.standin.url}/www.instagram.com/standin_bakery/`);
  assert.match(await feed.content(), /Fresh out of the oven/);
  await feed.close();
});

test('publish a JPEG from this computer: the Worker stages it, the stand-in fetches it from the Worker, it posts', async () => {
  // A file Meta would refuse for the feed (9:16) is refused before anything is staged.
  await page.selectOption('#account', { label: '@standin_bakery' });
  await page.check('input[name=kind][value=image]');
  await page.fill('input[name=image_url]', '');
  await page.setInputFiles('#image-file', { name: 'tall.jpg', mimeType: 'image/jpeg', buffer: jpeg(1080, 1920) });
  await page.click('#publish [type=submit]');
  await page.locator('#progress li.error').waitFor();
  assert.match(await page.locator('#progress li.error').innerText(), /4:5/);
  assert.equal(await page.locator('#image-file').getAttribute('aria-invalid'), 'true');
  const fetchesBefore = demo.standin.state.mediaFetches.length;
  assert.equal(fetchesBefore, 0, 'nothing was handed to Meta');

  await publishAndOpen('image', async () => {
    await page.setInputFiles('#image-file', { name: 'loaf.jpg', mimeType: 'image/jpeg', buffer: jpeg(1080, 1350) });
    await page.fill('textarea[name=caption]', 'Straight from the camera roll');
  });
  assert.match(await page.locator('#progress').innerText(), /staged as \d+\.\S+ \(1080×1350\)/);
  const fetched = demo.standin.state.mediaFetches.at(-1);
  assert.ok(fetched.url.startsWith(`${demo.workerUrl}/media/`), fetched.url);
  assert.deepEqual([fetched.status, fetched.contentType], [200, 'image/jpeg']);
  await shot('published-image-file');
  await page.setInputFiles('#image-file', []);
  const feed = await browser.newPage();
  await feed.goto(`${demo.standin.url}/www.instagram.com/standin_bakery/`);
  assert.match(await feed.content(), /Straight from the camera roll/);
  await feed.close();
});

test('publish a video from this computer as a reel: checked in the page, uploaded in parts with a progress bar, a cut part sent again, posted', async () => {
  // A story video over 60 s is refused in the page, before any upload.
  await page.selectOption('#account', { label: '@standin_bakery' });
  await page.check('input[name=kind][value=story]');
  await page.fill('input[name=video_url]', '');
  await page.fill('input[name=image_url]', '');
  const uploadsBefore = uploadRequests.length;
  await page.setInputFiles('#video-file', { name: 'long.mp4', mimeType: 'video/mp4', buffer: sampleMp4(61_000, 2_000) });
  await page.click('#publish [type=submit]');
  await page.locator('#progress li.error').waitFor();
  assert.match(await page.locator('#progress li.error').innerText(), /long\.mp4 lasts 61\.0 s; Instagram accepts a story video of 3\.0 s to 60\.0 s/);
  assert.equal(await page.locator('#video-file').getAttribute('aria-invalid'), 'true');
  assert.equal(uploadRequests.length, uploadsBefore, 'nothing was uploaded');

  const clip = sampleMp4(8_000, 300_000);
  const fetchesBefore = demo.standin.state.mediaFetches.length;
  // The first try of part 1 loses its connection: the page sends that part again.
  await page.route(/\/uploads\/[^/]+\/parts\/1\?/, (route) => route.abort('connectionreset'), { times: 1 });
  await publishAndOpen('reel', async () => {
    await page.setInputFiles('#video-file', { name: 'oven.mp4', mimeType: 'video/mp4', buffer: clip });
    await page.fill('textarea[name=caption]', 'Filmed in the bakery');
  });
  const progressText = await page.locator('#progress').innerText();
  assert.match(progressText, /uploading oven\.mp4 \(0\.3 MB\) to the Worker/);
  assert.match(progressText, /100% · part 1 of 1/);
  assert.match(progressText, /part 1 was interrupted: sending it again \(try 2\)/);
  assert.match(progressText, /staged as \S+ \(8\.0 s\)/);
  assert.equal(await page.locator('#upload-progress').evaluate((p) => p.value === p.max && p.max > 0), true);
  assert.equal(uploadRequests.slice(uploadsBefore).filter((u) => /^PUT .*\/parts\/1\?/.test(u)).length, 2, 'part 1 went twice: cut, then again');
  const fetched = demo.standin.state.mediaFetches.slice(fetchesBefore).at(-1);
  assert.ok(fetched?.url.startsWith(`${demo.workerUrl}/media/`), fetched?.url);
  assert.deepEqual([fetched.error, fetched.bytes], [null, clip.length]);
  assert.ok(fetched.ranges.length > 0 && fetched.ranges.every((r) => r.status === 206), JSON.stringify(fetched.ranges));
  await shot('published-video-file');
  await page.setInputFiles('#video-file', []);
  const feed = await browser.newPage();
  await feed.goto(`${demo.standin.url}/www.instagram.com/standin_bakery/`);
  assert.match(await feed.content(), /Filmed in the bakery/);
  await feed.close();
});

test('publish a carousel and see it on the stand-in feed', async () => {
  await page.fill('textarea[name=caption]', 'Three loaves, one post');
  await publishAndOpen('carousel', async () => {
    await page.click('#add-video');
    const inputs = page.locator('#items input');
    assert.equal(await inputs.count(), 3);
    await inputs.nth(0).fill('https://cdn.example/demo/loaf-1.jpg');
    await inputs.nth(1).fill('https://cdn.example/demo/loaf-2.jpg');
    await inputs.nth(2).fill('https://cdn.example/demo/loaf-3.mp4');
  });
  await shot('published-carousel');
  const feed = await browser.newPage();
  await feed.goto(`${demo.standin.url}/www.instagram.com/standin_bakery/`);
  const html = await feed.content();
  assert.match(html, /Three loaves, one post/);
  assert.match(html, /loaf-3\.mp4/);
  await feed.close();
});

test('denying consent shows what happened and connects nothing', async () => {
  const before = await page.locator('#accounts li.account').count();
  await page.click('#connect-facebook');
  await consent('deny');
  await page.waitForSelector('.notice.error');
  assert.match(await page.locator('#notice').innerText(), /oauth_denied/);
  assert.equal(await page.locator('#accounts li.account').count(), before);
  await shot('denied');
});

test('Connect with Facebook as an agency: every account that came in is shown and named', async () => {
  await page.click('#connect-facebook');
  // Ada manages four Pages; three are linked to Instagram accounts (the
  // florist's is already here through Tom's login, and is connected again).
  await consent('allow', 'fb_agency');
  await page.waitForSelector('.notice.ok');
  await page.waitForFunction(() => /^Connected @/.test(document.querySelector('#notice').textContent));
  assert.equal(await page.locator('#notice').innerText(), 'Connected @standin_cafe, @standin_gym, @standin_florist.');
  for (const [name, pageName] of [['standin_cafe', 'Stand-in Cafe'], ['standin_gym', 'Stand-in Gym'], ['standin_florist', 'Stand-in Florist']]) {
    const row = await accountRow(name).innerText();
    assert.match(row, new RegExp(`Facebook Login via ${pageName}`));
    assert.match(row, /just connected/);
  }
  assert.doesNotMatch(await accountRow('standin_bakery').innerText(), /just connected/, 'only the new ones are marked');
  await shot('connected-facebook-agency');
});

// ---- scheduled posts (docs/worker-api.md, "Scheduled posts: publish_at") ----

// The `datetime-local` value (the page's local wall time, to the second) for
// the instant `ms`, computed in the page so its time zone applies.
function localInput(ms) {
  return page.evaluate((at) => {
    const d = new Date(at);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }, ms);
}

async function schedule(caption, atMs) {
  await page.selectOption('#account', { label: '@standin_bakery' });
  await page.check('input[name=kind][value=image]');
  await page.fill('input[name=image_url]', `https://cdn.example/demo/${caption.replace(/\W+/g, '-')}.jpg`);
  await page.fill('textarea[name=caption]', caption);
  await page.fill('#publish-at', await localInput(atMs));
  assert.equal(await page.locator('#publish-submit').innerText(), 'Schedule');
  await page.click('#publish [type=submit]');
  const done = page.locator('#progress li').last();
  await done.waitFor();
  await page.waitForFunction(() => !document.querySelector('#publish [type=submit]').disabled);
  return done.innerText();
}

async function feedHtml() {
  const feed = await browser.newPage();
  await feed.goto(`${demo.standin.url}/www.instagram.com/standin_bakery/`);
  const html = await feed.content();
  await feed.close();
  return html;
}

test('scheduling a past time or more than 30 days ahead is refused clearly and publishes nothing', async () => {
  const before = await feedHtml();
  const pastText = await schedule('Yesterday\'s bread', Date.now() - 3_600_000);
  assert.match(pastText, /publish_at .* is not in the future/);
  assert.match(pastText, /invalid_input/);
  assert.equal(await page.getAttribute('#publish-at', 'aria-invalid'), 'true', 'the time input is marked');
  await shot('schedule-past');
  const farText = await schedule('Next season\'s bread', Date.now() + 31 * 86_400_000);
  assert.match(farText, /at most 30 days ahead/);
  assert.equal(await page.getAttribute('#publish-at', 'aria-invalid'), 'true');
  const after = await feedHtml();
  assert.doesNotMatch(after, /Yesterday|Next season/);
  assert.equal((after.match(/<article class="media"/g) ?? []).length, (before.match(/<article class="media"/g) ?? []).length);
  // A good time clears the mark (checked in the next test's first schedule).
});

test('schedule two posts: both pending, one cancelled never posts, the other publishes on time', async () => {
  // 25 s ahead: time to see both pending and cancel one first on a busy
  // machine (an image job starts 20 s ahead, then waits for its time).
  const atMs = Math.ceil((Date.now() + 25_000) / 1000) * 1000;
  const keptText = await schedule('Scheduled sourdough', atMs);
  assert.match(keptText, /scheduled for/);
  assert.equal(await page.getAttribute('#publish-at', 'aria-invalid'), null, 'the mark is cleared');
  assert.equal(await page.inputValue('#publish-at'), '', 'the form is ready for the next post');
  const ryeText = await schedule('Cancelled rye', atMs);
  const ryeId = ryeText.match(/\(job ([\w-]+)\)/)?.[1];
  assert.ok(ryeId, ryeText);
  const rows = page.locator('#scheduled li[data-status=scheduled]');
  await page.waitForFunction(() => document.querySelectorAll('#scheduled li[data-status=scheduled]').length === 2);
  // The local time typed in Asia/Kolkata reached the Worker as the same instant in UTC.
  for (const at of await rows.evaluateAll((lis) => lis.map((li) => li.dataset.publishAt))) {
    assert.equal(Date.parse(at), atMs, `publish_at ${at}`);
  }
  assert.match(await rows.first().innerText(), /pending/);
  assert.match(await page.locator(`#scheduled li[data-id="${ryeId}"]`).innerText(), /Cancelled rye/, 'each row shows its caption');
  await shot('scheduled-pending');

  const rye = page.locator(`#scheduled li[data-id="${ryeId}"]`);
  await rye.getByRole('button', { name: 'Cancel' }).click();
  await noticeSays('Scheduled post cancelled');
  assert.match(await page.getAttribute('#notice', 'class'), /\bok\b/);
  await page.waitForFunction((id) => document.querySelector(`#scheduled li[data-id="${id}"]`)?.dataset.status === 'failed', ryeId);
  assert.match(await rye.innerText(), /cancelled/);
  assert.ok(Date.now() < atMs, 'cancelled before its time');

  // The list polls on its own: the sourdough turns published after its time.
  await page.waitForSelector('#scheduled li[data-status=published]', { timeout: 45_000 });
  const published = page.locator('#scheduled li[data-status=published]');
  const permalink = await published.locator('a').getAttribute('href');
  assert.ok(permalink.startsWith(demo.standin.url), permalink);
  // The rye's time has passed too: give a wrongly kept alarm time to fire.
  await new Promise((r) => setTimeout(r, 3000));
  const html = await feedHtml();
  const post = html.split('<article').find((a) => a.includes('Scheduled sourdough'));
  assert.ok(post, 'the scheduled post is on the feed');
  // The stand-in stamps the media when media_publish reaches it.
  const postedAt = Date.parse(post.match(/<time datetime="([^"]+)"/)[1].replace(/\+0000$/, 'Z'));
  assert.ok(postedAt >= atMs && postedAt < atMs + 15_000, `posted at ${new Date(postedAt).toISOString()}, scheduled for ${new Date(atMs).toISOString()}`);
  assert.doesNotMatch(html, /Cancelled rye/, 'the cancelled post never posts');
  assert.match(await rye.innerText(), /cancelled/);
  assert.match(await published.innerText(), /Scheduled sourdough/);
  await shot('scheduled-published');
});
