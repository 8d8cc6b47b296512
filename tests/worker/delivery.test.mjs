// End to end: webhook delivery through the Worker under miniflare. Meta's
// signed event is answered 200 at once; the event then goes to its account
// object's outbox and to the operator's endpoint (a local receiver here,
// http://127.0.0.1 being allowed for local runs), which fails twice and then
// recovers: the event arrives, once accepted, with one event id on every
// attempt and a signature the receiver checks as docs/worker-api.md says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { APP_SECRET, IG_BIZ, hubSignature, start } from './harness.mjs';

const FORWARD_KEY = 'e2e-forward-key-0123456789abcdef-0123';

test('a verified event reaches a receiver that fails then recovers; Meta gets its 200 first', async () => {
  const attempts = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      attempts.push({ headers: req.headers, body, at: Date.now() });
      res.writeHead(attempts.length <= 2 ? 503 : 200).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  const env = await start({
    extra: { WEBHOOK_FORWARD_URL: url, WEBHOOK_FORWARD_KEY: FORWARD_KEY, WEBHOOK_RETRY_BASE_SECONDS: '1' },
  });
  try {
    const body = JSON.stringify({
      object: 'instagram',
      entry: [{ id: IG_BIZ, time: 1795000000, changes: [{ field: 'comments', value: { id: '1', text: 'hi' } }] }],
    });
    const t0 = Date.now();
    const r = await fetch(`${env.worker.origin}/webhooks/instagram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': hubSignature(APP_SECRET, body) },
      body,
    });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).received, 1);
    assert.ok(attempts.every((a) => a.at >= t0), 'the answer did not wait for the receiver');

    const deadline = Date.now() + 15_000;
    while (attempts.length < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    await new Promise((res) => setTimeout(res, 2500)); // no fourth attempt after the 200
    assert.equal(attempts.length, 3, 'failed, failed, delivered');
    const ids = attempts.map((a) => a.headers['x-instagate-event-id']);
    assert.ok(ids[0] && ids.every((id) => id === ids[0]), 'one event id on every attempt');
    console.log('delivery attempt gaps (ms):', attempts.slice(1).map((a, i) => a.at - attempts[i].at).join(', '));
    // Waits count from the start of the failed attempt (1 s here).
    assert.ok(attempts[1].at - attempts[0].at >= 500, 'the retry waited');
    assert.ok(attempts[2].at - attempts[1].at > attempts[1].at - attempts[0].at, 'the wait doubled');
    for (const a of attempts) {
      // The receiver's check (docs/worker-api.md, "Webhook delivery").
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(a.headers['x-instagate-signature']);
      assert.equal(v1, createHmac('sha256', FORWARD_KEY).update(`${t}.${a.body}`).digest('hex'));
    }
    const event = JSON.parse(attempts[2].body);
    assert.equal(event.id, ids[0]);
    assert.equal(event.account_id, IG_BIZ);
    assert.equal(event.entry.changes[0].field, 'comments');
  } finally {
    await env.close();
    await new Promise((r) => receiver.close(r));
  }
});
