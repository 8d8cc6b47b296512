// End to end: scheduled publishing through the Worker under miniflare against
// the stand-in. A post with `publish_at` waits in its account's object; the
// object's alarm starts it a lead before (20 s for an image), it holds until
// its time and goes live then — across a Worker restart in between. The
// on-time error is the stand-in's clock at `media_publish` minus `publish_at`
// (printed). A cancelled job is never published.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandin } from '../standin/server.mjs';
import { API_KEY, IG_BIZ, login, start } from './harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a scheduled image goes live at its time, across a restart; a cancelled one never does', async () => {
  const standin = await startStandin({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'instagate-schedule-'));
  let env = await start({ standin, persistDir: dir });
  try {
    const { params } = await login(env, { account: 'biz' });
    assert.equal(params.get('connected'), IG_BIZ);
    const api = (path, init = {}) =>
      fetch(`${env.worker.origin}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
      });
    const schedule = (body) => api(`/api/accounts/${IG_BIZ}/publish`, { method: 'POST', body: JSON.stringify(body) });

    // 23 s ahead: the alarm starts the job 20 s before, i.e. in about 3 s.
    const publishAt = new Date(Math.ceil((Date.now() + 23_000) / 1000) * 1000);
    const r = await schedule({ kind: 'image', image_url: 'https://cdn.example/a.jpg', publish_at: publishAt.toISOString() });
    const { job } = await r.json();
    assert.equal(r.status, 202, JSON.stringify(job));
    assert.equal(job.status, 'scheduled');
    const other = await (await schedule({ kind: 'image', image_url: 'https://cdn.example/b.jpg', publish_at: publishAt.toISOString() })).json();
    const listed = await (await api(`/api/accounts/${IG_BIZ}/jobs?status=scheduled`)).json();
    assert.deepEqual(listed.jobs.map((j) => j.id).sort(), [job.id, other.job.id].sort());
    const cancelled = await api(`/api/jobs/${other.job.id}`, { method: 'DELETE' });
    assert.equal(cancelled.status, 200);
    assert.equal((await cancelled.json()).job.error.kind, 'aborted');
    assert.equal((await schedule({ kind: 'image', image_url: 'https://cdn.example/c.jpg', publish_at: '2020-01-01T00:00:00Z' })).status, 400);

    // The Worker restarts before the alarm: the job and its alarm persist.
    await env.worker.close();
    env = await start({ standin, persistDir: dir });
    assert.equal(standin.control.log({ path: 'media_publish' }).entries.length, 0);

    await sleep(Math.max(0, publishAt - Date.now()) + 3000);
    const sends = standin.control.log({ path: 'media_publish' }).entries;
    assert.equal(sends.length, 1, 'the scheduled post, once; not the cancelled one');
    const errorMs = Date.parse(sends[0].at) - publishAt.getTime();
    console.log(`scheduled publish on-time error: ${errorMs} ms (media_publish at the stand-in minus publish_at)`);
    assert.ok(errorMs >= 0, `not before its time (${errorMs} ms)`);
    assert.ok(errorMs < 2000, `within 2 s of its time (${errorMs} ms)`);
    const done = await (await fetch(`${env.worker.origin}/api/jobs/${job.id}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();
    assert.equal(done.job.status, 'published');
  } finally {
    await env.worker.close();
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
