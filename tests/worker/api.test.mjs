// End to end: the API's protection and plumbing under workerd — sessions vs the
// API key, another account's session, CORS, body limits, health, and a
// misconfigured Worker answering clearly instead of crashing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY, APP, Browser, IG_BIZ, login, start } from './harness.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.close();
});

test('sessions reach only their own accounts; the API key reaches all', async () => {
  const ig = await login(env, { account: 'creator' });
  const creator = ig.params.get('connected');
  const fb = await login(env, { product: 'facebook', account: 'fb_linked', browser: new Browser() });
  assert.equal(fb.params.get('connected'), IG_BIZ);
  let r = await fb.browser.fetch(`${env.worker.origin}/api/accounts/${creator}`);
  assert.equal(r.status, 404, "another account's session");
  r = await fb.browser.fetch(`${env.worker.origin}/api/accounts/${creator}`, { method: 'DELETE', headers: { origin: APP } });
  assert.equal(r.status, 404);
  r = await ig.browser.fetch(`${env.worker.origin}/api/accounts`);
  assert.deepEqual((await r.json()).accounts.map((a) => a.id), [creator]);
  r = await fetch(`${env.worker.origin}/api/accounts`);
  assert.equal(r.status, 401);
  r = await fetch(`${env.worker.origin}/api/accounts`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(r.status, 401);
  r = await fetch(`${env.worker.origin}/api/accounts`, { headers: { authorization: `Bearer ${API_KEY}` } });
  assert.deepEqual((await r.json()).accounts.map((a) => a.id).sort(), [creator, IG_BIZ].sort());
  // A cookie write from an unlisted origin.
  r = await ig.browser.fetch(`${env.worker.origin}/api/accounts/${creator}`, { method: 'DELETE', headers: { origin: 'http://evil.example' } });
  assert.equal(r.status, 403);
  // CORS answer for the allowed front end.
  r = await ig.browser.fetch(`${env.worker.origin}/api/accounts/${creator}`, { headers: { origin: APP } });
  assert.equal(r.headers.get('access-control-allow-origin'), APP);
  assert.equal(r.headers.get('vary'), 'Origin');
});

test('health, unknown routes, methods and body limits', async () => {
  let r = await fetch(`${env.worker.origin}/health`);
  assert.equal(r.status, 200);
  r = await fetch(`${env.worker.origin}/nope`);
  assert.equal(r.status, 404);
  assert.equal((await r.json()).error.kind, 'not_found');
  r = await fetch(`${env.worker.origin}/api/accounts`, { method: 'PUT' });
  assert.equal(r.status, 405);
  r = await fetch(`${env.worker.origin}/api/accounts/1/publish`, {
    method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: 'x'.repeat(70 * 1024),
  });
  assert.equal(r.status, 413);
  r = await fetch(`${env.worker.origin}/webhooks/instagram`, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
  assert.equal(r.status, 413);
});

test('a missing or malformed setting answers a generic 500, its name goes to the log, and the cron logs it', async () => {
  const broken = await start({ standin: env.standin, extra: { TOKEN_KEYS: 'k1:not-32-bytes', REDIRECT_URI: '' } });
  try {
    const r = await fetch(`${broken.worker.origin}/api/accounts`);
    assert.equal(r.status, 500);
    const body = await r.json();
    assert.equal(body.error.kind, 'config');
    assert.equal(body.error.field, undefined, 'anonymous callers are not told which setting');
    assert.doesNotMatch(JSON.stringify(body), /REDIRECT_URI/);
    assert.ok(broken.worker.records().some((l) => l.event === 'config_error' && l.error_field === 'REDIRECT_URI' && /not set/.test(l.message)));
    await broken.worker.scheduled();
    await broken.worker.logsSettled();
    const lines = broken.worker.records();
    assert.ok(lines.some((l) => l.event === 'request' && l.error_field === 'REDIRECT_URI' && l.status === 500));
    assert.ok(lines.some((l) => l.event === 'cron' && l.error_kind === 'config'));
    assert.ok(!broken.worker.logs.join('\n').includes('not-32-bytes'));
  } finally {
    await broken.close();
  }
});
