#!/usr/bin/env node
// Benchmark: wall time of GET /auth/callback (Instagram Login) through the
// Worker under miniflare, with the stand-in answering every Meta call after a
// fixed latency L. After the code, the Worker needs two sequential round trips
// (code exchange, then the long-lived exchange and the profile together), so
// 2L is the floor; a sequential implementation would take 3L.
//
//   node scripts/bench-callback.mjs [--runs 15] [--latency 50,200]
import { Browser, start } from '../tests/worker/harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('runs', '15'));
const latencies = arg('latency', '50,200').split(',').map(Number);

const env = await start();
const rows = [];
try {
  for (const latency of latencies) {
    const times = [];
    for (let i = 0; i < runs + 2; i++) {
      env.standin.control.latency(0);
      env.standin.control.consent({ decision: 'allow', account: 'biz' });
      const browser = new Browser();
      // Login + consent (not timed), stopping at the callback.
      const { url: callback } = await browser.follow(`${env.worker.origin}/auth/login`, {
        stopAt: [`${env.worker.origin}/auth/callback`],
      });
      env.standin.control.latency(latency);
      const t0 = performance.now();
      const r = await browser.fetch(callback);
      const ms = performance.now() - t0;
      const location = r.headers.get('location') ?? '';
      if (r.status !== 302 || !location.includes('connected=')) {
        throw new Error(`callback failed: ${r.status} ${location}`);
      }
      if (i >= 2) times.push(ms); // two warm-up runs
    }
    times.sort((a, b) => a - b);
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    rows.push({ latency, median: q(0.5), p90: q(0.9), min: times[0], max: times[times.length - 1] });
  }
} finally {
  env.standin.control.latency(0);
  await env.close();
}

console.log(`/auth/callback wall time (Instagram Login, miniflare + stand-in, ${runs} runs each)`);
console.log('| stand-in latency L | floor 2L | sequential 3L | median | p90 | min | max | median - 2L |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const f = (ms) => `${ms.toFixed(1)} ms`;
  console.log(`| ${r.latency} ms | ${2 * r.latency} ms | ${3 * r.latency} ms | ${f(r.median)} | ${f(r.p90)} | ${f(r.min)} | ${f(r.max)} | ${f(r.median - 2 * r.latency)} |`);
}
