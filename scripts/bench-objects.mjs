#!/usr/bin/env node
// Benchmark: what the account object (Durable Object) hop costs a request,
// through the Worker under miniflare against the stand-in (Meta latency 0),
// with wall times as ratios against a baseline measured in the same run and
// the operations each request makes (scripts/lib/counting-entry.mjs counts
// them; Meta calls from the stand-in's log):
//   baseline  GET  /api/accounts/{id}          Worker -> KV get (no object)
//   refresh   POST /api/accounts/{id}/refresh  Worker -> object -> KV get
//             (a token under 24 hours old: refused before any call to Meta,
//             so the difference to the baseline is the object hop)
//   publish   POST /api/accounts/{id}/publish  an image, through the object
//             (the stand-in processes images at once here)
//   callback  GET  /auth/callback              the login (not through an object;
//             the login and consent before it are not timed; after the
//             answer it hands the object a wake, which sets its alarm)
// The Worker from before the objects cannot run in the same run (it needs
// the object binding since issue 13): the plain KV read is the baseline.
//
//   node scripts/bench-objects.mjs [--runs 30]
import { API_KEY, Browser, IG_BIZ, login, start } from '../tests/worker/harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('runs', '30'));

const env = await start({ entry: new URL('./lib/counting-entry.mjs', import.meta.url) });
const origin = env.worker.origin;
const api = (path, init = {}) =>
  fetch(`${origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
const counts = async () => (await fetch(`${origin}/__counts`)).json();
const metaCalls = () => env.standin.control.log({}).entries.length;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Times `once` (after an untimed `prepare`), then reads what it cost. */
async function measure(name, { prepare = async () => undefined, once, expect }) {
  const times = [];
  const ops = { worker_kv: [], object_kv: [], object_calls: [], meta: [] };
  for (let i = 0; i < runs + 3; i++) {
    const prepared = await prepare();
    await counts();
    const meta0 = metaCalls();
    const t0 = performance.now();
    const r = await once(prepared);
    const ms = performance.now() - t0;
    if (!expect(r)) throw new Error(`${name}: unexpected answer ${r.status}: ${await r.text()}`);
    await r.arrayBuffer();
    // Work the Worker left for after its answer (waitUntil) belongs to the request.
    await new Promise((res) => setTimeout(res, 100));
    const c = await counts();
    if (i < 3) continue; // warm-up
    times.push(ms);
    for (const k of ['worker_kv', 'object_kv', 'object_calls']) ops[k].push(c[k]);
    ops.meta.push(metaCalls() - meta0);
  }
  times.sort((a, b) => a - b);
  return {
    name,
    median: times[Math.floor(times.length / 2)],
    p90: times[Math.floor(times.length * 0.9)],
    ops: Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, median(v)])),
  };
}

const rows = [];
try {
  await login(env, { account: 'biz' });
  rows.push(await measure('GET /api/accounts/{id} (baseline, no object)', {
    once: () => api(`/api/accounts/${IG_BIZ}`),
    expect: (r) => r.status === 200,
  }));
  rows.push(await measure('POST /api/accounts/{id}/refresh (object hop, no Meta call)', {
    once: () => api(`/api/accounts/${IG_BIZ}/refresh`, { method: 'POST' }),
    expect: (r) => r.status === 409,
  }));
  rows.push(await measure('GET /auth/callback (login, no object)', {
    prepare: async () => {
      env.standin.control.consent({ decision: 'allow', account: 'biz' });
      const browser = new Browser();
      const { url } = await browser.follow(`${origin}/auth/login`, { stopAt: [`${origin}/auth/callback`] });
      return { browser, url };
    },
    once: ({ browser, url }) => browser.fetch(url),
    expect: (r) => r.status === 302,
  }));
  // Meta answers at once and the image is ready at once: what is left is
  // the Worker's and the object's own cost (and the job's first poll wait).
  env.standin.control.config({ processingMs: { IMAGE: 0 } });
  const image = JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/a.jpg' });
  rows.push(await measure('POST /api/accounts/{id}/publish (image, object)', {
    once: () => api(`/api/accounts/${IG_BIZ}/publish`, { method: 'POST', body: image }),
    expect: (r) => r.status === 200,
  }));
} finally {
  await env.close();
}

// The counting entry must see the Worker's KV and its object calls, or the
// figures below would be silently zero.
if (rows[0].ops.worker_kv < 1 || rows[1].ops.object_calls < 1 || rows[1].ops.object_kv < 1) {
  throw new Error(`the counting entry counted nothing: ${JSON.stringify(rows.map((r) => r.ops))}`);
}

const base = rows[0].median;
console.log(`Worker requests under miniflare, stand-in latency 0, ${runs} runs each (median, p90; ratio = median / baseline median;`);
console.log('operations per request, medians: KV in the Worker invocation / KV in the account object / calls to the object / calls to Meta)');
console.log('| request | median | p90 | ratio | KV (Worker) | KV (object) | object calls | Meta calls |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const o = r.ops;
  console.log(`| ${r.name} | ${r.median.toFixed(1)} ms | ${r.p90.toFixed(1)} ms | ${(r.median / base).toFixed(2)} | ${o.worker_kv} | ${o.object_kv} | ${o.object_calls} | ${o.meta} |`);
}
