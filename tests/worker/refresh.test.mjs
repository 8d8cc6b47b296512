// End to end: the scheduled handler refreshes due tokens through the stand-in,
// flags dead ones, retries transient failures, and tokens survive key rotation.
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandin } from '../standin/server.mjs';
import { API_KEY, K1, K2, dumpKv, issuedTokens, open, seedInstagramAccount, start } from './harness.mjs';

const envs = [];
async function fresh(opts) {
  const env = await start(opts);
  envs.push(env);
  return env;
}
afterEach(async () => {
  while (envs.length) await envs.pop().close();
});

const api = (env, path, init = {}) =>
  fetch(`${env.worker.origin}${path}`, { ...init, headers: { authorization: `Bearer ${API_KEY}`, ...(init.headers ?? {}) } });

test('the scheduled handler refreshes a due token, writes it before dropping the old, and logs one line', async () => {
  const env = await fresh();
  const seeded = await seedInstagramAccount(env, { ageDays: 31 });
  // Another account not due for weeks.
  const later = await seedInstagramAccount(env, { account: 'creator', ageDays: 2 });
  await env.worker.scheduled();
  const record = open(K1, await env.worker.kv.get(`token:${seeded.id}`), `token:${seeded.id}`);
  assert.notEqual(record.token.access_token, seeded.token, 'a new token');
  assert.equal(record.history[0].outcome, 'refreshed');
  assert.ok(record.token.expires_at - Date.now() > 59 * 86_400_000);
  const due = (await env.worker.kv.list({ prefix: 'due:' })).keys.map((k) => k.name);
  assert.ok(!due.includes(seeded.dueKey), 'old index entry removed');
  assert.ok(due.includes(record.due_key), 'new index entry written');
  assert.ok(due.includes(later.dueKey));
  const refreshes = env.standin.control.log({ path: 'refresh_access_token' }).entries;
  assert.equal(refreshes.length, 1, 'only the due account was refreshed');
  const cron = env.worker.records().find((l) => l.event === 'cron');
  assert.equal(cron.refresh.refreshed, 1);
  assert.equal(cron.subrequests, 1);
  assert.ok(cron.kv_ops <= 8, JSON.stringify(cron));
  const kv = JSON.stringify(await dumpKv(env.worker.kv));
  for (const t of issuedTokens(env.standin)) assert.ok(!kv.includes(t));
});

test('a revoked token marks needs_reauth and keeps the last good token; a transient failure retries', async () => {
  const env = await fresh();
  const dead = await seedInstagramAccount(env, { ageDays: 31 });
  env.standin.control.revokeToken(dead.token);
  const flaky = await seedInstagramAccount(env, { account: 'creator', ageDays: 31 });
  env.standin.control.faults([{ path: '/refresh_access_token', params: { access_token: flaky.token }, fault: { type: 'status', status: 503, body: '' } }]);
  await env.worker.scheduled();

  const deadRecord = open(K1, await env.worker.kv.get(`token:${dead.id}`), `token:${dead.id}`);
  assert.equal(deadRecord.needs_reauth, true);
  assert.equal(deadRecord.token.access_token, dead.token, 'the last good token is kept');
  let r = await api(env, `/api/accounts/${dead.id}`);
  assert.equal((await r.json()).account.needs_reauth, true);

  const flakyRecord = open(K1, await env.worker.kv.get(`token:${flaky.id}`), `token:${flaky.id}`);
  assert.equal(flakyRecord.needs_reauth, false);
  assert.equal(flakyRecord.history[0].outcome, 'failed');
  assert.equal(flakyRecord.token.access_token, flaky.token);
  const due = (await env.worker.kv.list({ prefix: 'due:' })).keys.map((k) => k.name);
  assert.deepEqual(due, [flaky.dueKey], 'the dead account leaves the index, the flaky one stays');

  await env.worker.scheduled();
  const retried = open(K1, await env.worker.kv.get(`token:${flaky.id}`), `token:${flaky.id}`);
  assert.equal(retried.history[0].outcome, 'refreshed');
  assert.notEqual(retried.token.access_token, flaky.token);
});

test('key rotation: old records open under the new keyring, rewrites use the new key, a missing key overwrites nothing', async () => {
  const standin = await startStandin({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'instagate-rotate-'));
  try {
    let env = await start({ standin, persistDir: dir });
    const a = await seedInstagramAccount(env, { ageDays: 31 });
    const b = await seedInstagramAccount(env, { account: 'creator', ageDays: 3 });
    await env.close();

    env = await start({ standin, persistDir: dir, extra: { TOKEN_KEYS: `${K2},${K1}` } });
    let r = await api(env, `/api/accounts/${b.id}`);
    assert.equal(r.status, 200, 'a k1 record opens with k2,k1');
    await env.worker.scheduled();
    const rewritten = await env.worker.kv.get(`token:${a.id}`);
    assert.equal(JSON.parse(rewritten).kid, 'k2', 'the refresh rewrote it under k2');
    assert.equal(open(K2, rewritten, `token:${a.id}`).history[0].outcome, 'refreshed');
    const untouched = await env.worker.kv.get(`token:${b.id}`);
    assert.equal(JSON.parse(untouched).kid, 'k1');
    await env.close();

    env = await start({ standin, persistDir: dir, extra: { TOKEN_KEYS: K2 } });
    r = await api(env, `/api/accounts/${a.id}`);
    assert.equal(r.status, 200);
    r = await api(env, `/api/accounts/${b.id}`);
    assert.equal(r.status, 500);
    const body = await r.json();
    assert.equal(body.error.kind, 'key_unavailable');
    assert.match(body.error.message, /"k1"/);
    r = await api(env, `/api/accounts/${b.id}/refresh`, { method: 'POST' });
    assert.equal(r.status, 500);
    assert.equal(await env.worker.kv.get(`token:${b.id}`), untouched, 'nothing overwritten');
    await env.close();
  } finally {
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
