// End to end: the account objects (Durable Objects, src/worker/objects.rs)
// under miniflare, with every Workers KV operation slowed by 20 ms (the
// window in which invocations race: KV has no compare-and-set). Concurrent
// refresh triggers make one refresh; concurrent steps of one job and two
// overlapping cron runs make one media_publish; an account deleted (API,
// deauthorize, data deletion) while its refresh or publish is in flight ends
// deleted with no key left; a retried publish with the same Idempotency-Key
// makes one post. The object also answers a message POSTed to its `fetch`
// (a Worker of the previous version, mid-deploy) as it answers the Worker's
// RPC call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  API_KEY, APP_SECRET, IG_BIZ, K1, dumpKv, login, open, seedInstagramAccount, signedRequest, startPerFile,
} from './harness.mjs';

let env;
startPerFile({ kvFaults: true }, (e) => {
  env = e;
});

const KV_LATENCY = [{ op: '*', delayMs: 20 }];

const api = (path, init = {}) =>
  fetch(`${env.worker.origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
const refreshNow = (id) => api(`/api/accounts/${id}/refresh`, { method: 'POST' });
const refreshCalls = () => env.standin.control.log({ path: 'refresh_access_token' }).entries.length;
const publishCalls = () => env.standin.control.log({ path: 'media_publish' }).entries.length;
const keysOf = async (id) => (await dumpKv(env.worker.kv)).map(([k]) => k).filter((k) => k.includes(id));

test('8 concurrent refresh-now calls for a due account: one refresh at Meta, every caller sees the stored token', async () => {
  const seeded = await seedInstagramAccount(env, { ageDays: 31 });
  await env.worker.kvFaults(KV_LATENCY);
  const answers = await Promise.all(Array.from({ length: 8 }, () => refreshNow(seeded.id)));
  const bodies = await Promise.all(answers.map((r) => r.json()));
  assert.equal(refreshCalls(), 1, 'one call to Meta');
  const stored = open(K1, await env.worker.kv.get(`token:${seeded.id}`), `token:${seeded.id}`);
  const storedExpiry = new Date(stored.token.expires_at).toISOString().replace('.000Z', 'Z');
  for (const [i, r] of answers.entries()) {
    assert.equal(r.status, 200, JSON.stringify(bodies[i]));
    assert.equal(bodies[i].outcome, 'refreshed');
    assert.equal(bodies[i].account.token.expires_at, storedExpiry, 'the stored token');
  }
  // Two cron runs on top: nothing is due any more.
  await Promise.all([env.worker.scheduled(), env.worker.scheduled()]);
  assert.equal(refreshCalls(), 1);
});

for (const how of ['api', 'deauthorize', 'data-deletion']) {
  test(`deleted through ${how} while its refresh is in flight: the account ends deleted, no key left`, async () => {
    const seeded = await seedInstagramAccount(env, { ageDays: 31 });
    await env.worker.kvFaults(KV_LATENCY);
    // Meta takes its time with the refresh: the delete arrives meanwhile.
    env.standin.control.faults([{ path: '/refresh_access_token', fault: { type: 'delay', ms: 400 } }]);
    const refresh = refreshNow(seeded.id);
    await new Promise((r) => setTimeout(r, 150));
    const signed = signedRequest(APP_SECRET, { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: seeded.id });
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `signed_request=${signed}` };
    const deletion = how === 'api'
      ? api(`/api/accounts/${seeded.id}`, { method: 'DELETE' })
      : fetch(`${env.worker.origin}/auth/${how}`, form);
    const [refreshed, deleted] = await Promise.all([refresh, deletion]);
    assert.equal(refreshed.status, 200, 'the refresh in flight finished first');
    assert.equal(deleted.status, 200, await deleted.text());
    assert.deepEqual(await keysOf(seeded.id), [], 'no key of the account is left');
    // A cron run and another refresh-now afterwards write nothing back.
    env.standin.control.faults([]);
    await env.worker.scheduled();
    assert.equal((await refreshNow(seeded.id)).status, 404);
    assert.deepEqual(await keysOf(seeded.id), []);
  });
}

test('deleted while a publish is in flight: the job ends, no key of the account is left', async () => {
  const { params } = await login(env, { account: 'biz' });
  assert.equal(params.get('connected'), IG_BIZ);
  await env.worker.kvFaults(KV_LATENCY);
  env.standin.control.faults([{ path: '/media', fault: { type: 'delay', ms: 400 } }]);
  const body = JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/a.jpg' });
  const publish = api(`/api/accounts/${IG_BIZ}/publish`, { method: 'POST', body });
  await new Promise((r) => setTimeout(r, 150));
  const [, deleted] = await Promise.all([publish, api(`/api/accounts/${IG_BIZ}`, { method: 'DELETE' })]);
  assert.equal(deleted.status, 200);
  await env.worker.scheduled();
  const left = (await dumpKv(env.worker.kv)).map(([k]) => k).filter((k) => !k.startsWith('state:'));
  assert.deepEqual(left, [], 'no account, index, alias or job key');
});

test('concurrent steps of one job and two overlapping cron runs: exactly one media_publish', async () => {
  env.standin.control.config({ processingMs: { REELS: 1500, VIDEO: 1500, IMAGE: 200 } });
  const { params } = await login(env, { account: 'biz' });
  assert.equal(params.get('connected'), IG_BIZ);
  await env.worker.kvFaults(KV_LATENCY);
  const body = JSON.stringify({ kind: 'reel', video_url: 'https://cdn.example/r.mp4' });
  const r = await api(`/api/accounts/${IG_BIZ}/publish`, { method: 'POST', body });
  const { job } = await r.json();
  assert.ok([200, 202].includes(r.status), JSON.stringify(job));
  // Nine runners at once while the video finishes processing.
  await new Promise((res) => setTimeout(res, 1200));
  const runners = [
    ...Array.from({ length: 7 }, () => api(`/api/jobs/${job.id}`)),
    env.worker.scheduled(),
    env.worker.scheduled(),
  ];
  await Promise.all(runners);
  const deadline = Date.now() + 15_000;
  let status;
  do {
    await new Promise((res) => setTimeout(res, 300));
    status = (await (await api(`/api/jobs/${job.id}`)).json()).job.status;
  } while (status === 'processing' && Date.now() < deadline);
  assert.equal(status, 'published');
  assert.equal(publishCalls(), 1, 'one media_publish');
});

test('a retried publish with the same Idempotency-Key makes one post; another body with that key is a 409', async () => {
  const { params } = await login(env, { account: 'biz' });
  assert.equal(params.get('connected'), IG_BIZ, params.toString());
  await env.worker.kvFaults(KV_LATENCY);
  const body = JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/a.jpg', caption: 'once' });
  const send = (b, key) => api(`/api/accounts/${IG_BIZ}/publish`, { method: 'POST', body: b, headers: { 'idempotency-key': key } });
  const [first, retry] = await Promise.all([send(body, 'order-42'), send(body, 'order-42')]);
  const [a, b] = [await first.json(), await retry.json()];
  assert.equal(a.job.id, b.job.id, 'the same job');
  assert.equal(publishCalls(), 1, 'one post');
  const other = await send(JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/b.jpg' }), 'order-42');
  assert.equal(other.status, 409);
  assert.equal((await other.json()).error.kind, 'idempotency_conflict');
  assert.equal(publishCalls(), 1);
});

test("the object answers a message POSTed to its fetch as it answers the Worker's RPC call (a Worker of the previous version, mid-deploy), and refuses one it cannot read", async () => {
  const { params } = await login(env, { account: 'biz' });
  assert.equal(params.get('connected'), IG_BIZ, params.toString());
  const refreshesBefore = refreshCalls();
  // Through the Worker (RPC): "refresh now" of a token stored a moment ago is refused.
  const viaWorker = await refreshNow(IG_BIZ);
  assert.equal(viaWorker.status, 409);
  const workerAnswer = await viaWorker.json();
  // The same work POSTed to the object's fetch.
  const namespace = await env.worker.mf.getDurableObjectNamespace('ACCOUNT_OBJECTS');
  const stub = namespace.get(namespace.idFromName(IG_BIZ));
  const post = (body) => stub.fetch('https://account-object/work', { method: 'POST', body });
  const answer = await post(JSON.stringify({ account: IG_BIZ, work: { work: 'refresh', forced: true } }));
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('content-type'), 'application/json');
  const reply = await answer.json();
  assert.equal(reply.status, 409);
  assert.deepEqual(reply.body, workerAnswer, 'the reply the Worker turned into its answer');
  assert.equal(refreshCalls(), refreshesBefore, 'no call to Meta either way');
  // A message it cannot read: an error reply naming it, nothing done.
  for (const body of ['not json', JSON.stringify({ account: IG_BIZ, work: { work: 'launch' } })]) {
    const refused = await (await post(body)).json();
    assert.equal(refused.outcome, 'error', body);
    assert.equal(refused.status, 400, body);
    assert.equal(refused.body.error.kind, 'invalid_input', body);
    assert.match(refused.body.error.message, /not an account work message/, body);
  }
  assert.ok((await keysOf(IG_BIZ)).length > 0, 'the account is still stored');
});
