// Smoke test through `wrangler dev` with the real wrangler.toml (prebuilt Worker,
// SKIP_WORKER_BUILD=1), secrets taken from .dev.vars.example, against the stand-in:
// health, a full Instagram login, the API with the session, a cron run via
// /__scheduled, and the account objects (the Durable Object binding and its
// SQLite migration in wrangler.toml): a retried publish with one
// Idempotency-Key posts once, and a delete racing a publish leaves nothing;
// and the R2 bucket: a staged image published by reference.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStandin } from '../standin/server.mjs';
import { devVarsExample, startWranglerDev } from '../../scripts/lib/wrangler-dev.mjs';
import { jpeg } from '../standin/jpeg.mjs';
import { Browser } from './harness.mjs';

let standin;
let wrangler;
let origin;
let output;

before(async () => {
  standin = await startStandin({ port: 0 });
  wrangler = await startWranglerDev({
    vars: (o) => ({ ...devVarsExample(), STANDIN_ORIGIN: standin.url, REDIRECT_URI: `${o}/auth/callback` }),
    persistPrefix: 'instagate-wrangler-',
    inspectorPort: true,
    args: ['--test-scheduled'],
    env: { CI: '1' },
  });
  ({ origin, output } = wrangler);
});

after(async () => {
  // The whole process group: wrangler and the workerd it started.
  await wrangler?.stop();
  await standin?.close();
});

test('wrangler dev serves the Worker from wrangler.toml: login, API, cron', async () => {
  const health = await (await fetch(`${origin}/health`)).json();
  assert.equal(health.status, 'ok');

  standin.control.consent({ decision: 'allow', account: 'biz' });
  const browser = new Browser();
  const app = 'http://127.0.0.1:5173/';
  const { url } = await browser.follow(`${origin}/auth/login`, { stopAt: [app] });
  const connected = new URL(url).searchParams.get('connected');
  assert.equal(connected, '17841400000000001', url);
  const r = await browser.fetch(`${origin}/api/accounts/${connected}`);
  assert.equal(r.status, 200);
  assert.equal((await r.json()).account.username, 'standin_bakery');

  const key = devVarsExample().API_KEY;
  const list = await fetch(`${origin}/api/accounts`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal((await list.json()).accounts.length, 1);

  const cron = await fetch(`${origin}/__scheduled?cron=${encodeURIComponent('17 * * * *')}`);
  assert.equal(cron.status, 200);
  // The cron's log line reaches wrangler's output.
  const deadline = Date.now() + 5000;
  while (!output.join('').includes('"event":"cron"') && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(output.join('').includes('"event":"cron"'), output.join(''));
});

test('wrangler dev runs the account objects: one post per Idempotency-Key, a delete racing a publish leaves nothing', async () => {
  standin.control.consent({ decision: 'allow', account: 'creator' });
  const browser = new Browser();
  const { url } = await browser.follow(`${origin}/auth/login`, { stopAt: ['http://127.0.0.1:5173/'] });
  const id = new URL(url).searchParams.get('connected');
  assert.ok(id, url);
  const key = devVarsExample().API_KEY;
  const api = (path, init = {}) => fetch(`${origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const body = JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/w.jpg' });
  const publish = () => api(`/api/accounts/${id}/publish`, { method: 'POST', body, headers: { 'idempotency-key': 'wrangler-1' } });
  const answers = await Promise.all([publish(), publish(), publish()]);
  const jobs = await Promise.all(answers.map((r) => r.json()));
  assert.deepEqual(new Set(jobs.map((j) => j.job.id)).size, 1, JSON.stringify(jobs));
  const sends = standin.control.log({ path: 'media_publish' }).entries.filter((e) => e.path.includes(id));
  assert.equal(sends.length, 1, 'one post');

  standin.control.faults([{ path: '/media', fault: { type: 'delay', ms: 300 } }]);
  const racing = api(`/api/accounts/${id}/publish`, { method: 'POST', body });
  await new Promise((r) => setTimeout(r, 100));
  const [, deleted] = await Promise.all([racing, api(`/api/accounts/${id}`, { method: 'DELETE' })]);
  standin.control.faults([]);
  assert.equal(deleted.status, 200);
  assert.equal((await api(`/api/accounts/${id}`)).status, 404);
  const listed = await (await api(`/api/accounts/${id}/jobs`)).json();
  assert.deepEqual(listed.jobs, [], 'no job of the deleted account is left');
});

test('wrangler dev binds the R2 bucket: a staged JPEG is fetched by the stand-in from the signed URL, then deleted', async () => {
  const id = '17841400000000001'; // logged in by the first test
  const auth = { authorization: `Bearer ${devVarsExample().API_KEY}` };
  const image = jpeg(1080, 1080);
  const staged = await fetch(`${origin}/api/accounts/${id}/media`, {
    method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body: image,
  });
  const { media } = await staged.json();
  assert.equal(staged.status, 201, JSON.stringify(media));
  const r = await fetch(`${origin}/api/accounts/${id}/publish`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'image', image_media_id: media.id }),
  });
  const { job } = await r.json();
  assert.equal(job.status, 'published', JSON.stringify(job));
  const fetched = standin.state.mediaFetches.at(-1);
  assert.ok(fetched.url.startsWith(`${origin}/media/`), fetched.url);
  assert.deepEqual([fetched.status, fetched.bytes], [200, image.length]);
  assert.equal((await fetch(fetched.url)).status, 404, 'deleted once published');
});
