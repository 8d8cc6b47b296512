#!/usr/bin/env node
// Benchmark: what the account object (Durable Object) hop costs a request,
// through the Worker under miniflare against the stand-in (Meta latency 0),
// as ratios against a baseline measured in the same run:
//   baseline  GET  /api/accounts/{id}          Worker -> KV get (no object)
//   refresh   POST /api/accounts/{id}/refresh  Worker -> object -> KV get
//             (a token under 24 hours old: refused before any call to Meta,
//             so the difference to the baseline is the object hop)
//   publish   POST /api/accounts/{id}/publish  an image, through the object
//   callback  GET  /auth/callback              the login (not through an object)
//
//   node scripts/bench-objects.mjs [--runs 30]
import { API_KEY, Browser, IG_BIZ, login, start } from '../tests/worker/harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('runs', '30'));

const env = await start();
const api = (path, init = {}) =>
  fetch(`${env.worker.origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });

async function time(name, once, expect) {
  const times = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = performance.now();
    const r = await once(i);
    const ms = performance.now() - t0;
    if (!expect(r)) throw new Error(`${name}: unexpected answer ${r.status}`);
    await r.arrayBuffer?.();
    if (i >= 3) times.push(ms); // warm-up
  }
  times.sort((a, b) => a - b);
  return { name, median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)] };
}

const rows = [];
try {
  await login(env, { account: 'biz' });
  rows.push(await time('GET /api/accounts/{id} (baseline, no object)', () => api(`/api/accounts/${IG_BIZ}`), (r) => r.status === 200));
  rows.push(await time('POST /api/accounts/{id}/refresh (object hop, no Meta call)', () => api(`/api/accounts/${IG_BIZ}/refresh`, { method: 'POST' }), (r) => r.status === 409));
  const image = JSON.stringify({ kind: 'image', image_url: 'https://cdn.example/a.jpg' });
  rows.push(await time('POST /api/accounts/{id}/publish (image, object)', () => api(`/api/accounts/${IG_BIZ}/publish`, { method: 'POST', body: image }), (r) => r.status === 200));
  rows.push(await time('GET /auth/callback (login, no object)', async () => {
    env.standin.control.consent({ decision: 'allow', account: 'biz' });
    const browser = new Browser();
    const { url } = await browser.follow(`${env.worker.origin}/auth/login`, { stopAt: [`${env.worker.origin}/auth/callback`] });
    return browser.fetch(url);
  }, (r) => r.status === 302));
} finally {
  await env.close();
}

const base = rows[0].median;
console.log(`Worker requests under miniflare, stand-in latency 0, ${runs} runs each (median, p90; ratio = median / baseline median)`);
console.log('| request | median | p90 | ratio |');
console.log('|---|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.median.toFixed(1)} ms | ${r.p90.toFixed(1)} ms | ${(r.median / base).toFixed(2)} |`);
}
