// End to end: Meta's requests to the Worker — webhook verification and signed
// events, deauthorize and data-deletion signed_request callbacks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_SECRET, IG_BIZ, hubSignature, login, signedRequest, start } from './harness.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.close();
});

const keys = async (prefix) => (await env.worker.kv.list({ prefix })).keys.map((k) => k.name);
const form = (path, signed) =>
  fetch(`${env.worker.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `signed_request=${encodeURIComponent(signed)}`,
  });

test('webhook verification answers the challenge only for the right verify token', async () => {
  let r = await fetch(`${env.worker.origin}/webhooks/instagram?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=e2e-verify`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), '1158201444');
  r = await fetch(`${env.worker.origin}/webhooks/instagram?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong`);
  assert.equal(r.status, 403);
  assert.notEqual(await r.text(), '1158201444');
});

test('webhook events: valid signature accepted and logged, bad or missing refused with nothing processed', async () => {
  const body = JSON.stringify({ object: 'instagram', entry: [{ id: IG_BIZ, time: 1795000000, changes: [{ field: 'comments', value: { id: '1', text: 'hi' } }] }] });
  const post = (headers, b = body) => fetch(`${env.worker.origin}/webhooks/instagram`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
  const webhookLines = () => env.worker.records().filter((l) => l.event === 'webhook').length;
  let r = await post({ 'x-hub-signature-256': hubSignature(APP_SECRET, body) });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).received, 1);
  await env.worker.logsSettled();
  assert.equal(webhookLines(), 1);
  for (const headers of [{}, { 'x-hub-signature-256': hubSignature('not-the-secret', body) }, { 'x-hub-signature-256': 'sha256=00' }]) {
    r = await post(headers);
    assert.equal(r.status, 401, JSON.stringify(headers));
  }
  r = await post({ 'x-hub-signature-256': hubSignature(APP_SECRET, body) }, body.replace('hi', 'ho'));
  assert.equal(r.status, 401, 'the signature covers the raw body');
  await env.worker.logsSettled();
  assert.equal(webhookLines(), 1, 'nothing processed for a bad signature');
});

test('deauthorize: a forged signed_request deletes nothing, a valid one deletes the account', async () => {
  const { params } = await login(env, { account: 'biz' });
  assert.equal(params.get('connected'), IG_BIZ);
  const payload = { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: '27400000000000001' };
  for (const forged of [signedRequest('not-the-secret', payload), signedRequest(APP_SECRET, { ...payload, algorithm: 'none' }), 'x.y']) {
    const r = await form('/auth/deauthorize', forged);
    assert.equal(r.status, 401);
  }
  assert.deepEqual(await keys('token:'), [`token:${IG_BIZ}`]);
  // Instagram Login names the app-scoped user id.
  const r = await form('/auth/deauthorize', signedRequest(APP_SECRET, payload));
  assert.equal(r.status, 200);
  assert.equal((await r.json()).deleted_accounts, 1);
  assert.deepEqual(await keys('token:'), []);
  assert.deepEqual(await keys('due:'), []);
  assert.deepEqual(await keys('alias:'), []);
});

test('deauthorize for a Facebook user removes every account their login connected, and nothing else', async () => {
  const other = await login(env, { account: 'creator' });
  assert.equal(other.params.get('connected'), '17841400000000002');
  const { params } = await login(env, { product: 'facebook', account: 'fb_agency' });
  assert.equal(params.get('connected').split(',').length, 3);
  const r = await form('/auth/deauthorize', signedRequest(APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: '10200000000000004' }));
  assert.equal(r.status, 200);
  assert.equal((await r.json()).deleted_accounts, 3);
  assert.deepEqual(await keys('token:'), ['token:17841400000000002']);
  assert.deepEqual(await keys('alias:10200000000000004:'), []);
  await form('/auth/deauthorize', signedRequest(APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: '27400000000000002' }));
  assert.deepEqual(await keys('token:'), []);
});

test('data deletion: deletes, answers {url, confirmation_code}, and the status URL answers', async () => {
  const { params } = await login(env, { product: 'facebook', account: 'fb_linked' });
  assert.equal(params.get('connected'), IG_BIZ);
  const r = await form('/auth/data-deletion', signedRequest(APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: '10200000000000001' }));
  assert.equal(r.status, 200);
  const { url, confirmation_code: code } = await r.json();
  assert.match(code, /^[\w-]{16}$/);
  assert.equal(url, `${env.worker.origin}/auth/data-deletion/status?code=${code}`);
  assert.deepEqual(await keys('token:'), []);
  let s = await fetch(url);
  assert.equal(s.status, 200);
  const status = await s.json();
  assert.equal(status.status, 'completed');
  assert.equal(status.accounts_deleted, 1);
  s = await fetch(url, { headers: { accept: 'text/html' } });
  assert.match(await s.text(), new RegExp(code));
  s = await fetch(`${env.worker.origin}/auth/data-deletion/status?code=nope`);
  assert.equal(s.status, 404);
});
