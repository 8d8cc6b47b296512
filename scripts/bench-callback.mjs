#!/usr/bin/env node
// Benchmark: wall time of GET /auth/callback (Instagram Login) through
// instagate's Worker and the TypeScript baseline (benches/load-baseline:
// the same KV operations and AES-GCM sealing), both under miniflare in this
// process, with the stand-in answering every Meta call after a fixed
// latency L. After the code, a callback needs two sequential round trips
// to Meta (code exchange, then the long-lived exchange and the profile
// together), so 2L is the floor; a sequential implementation takes 3L.
// Runs alternate between the two Workers, so drift on this machine hits
// both alike; the login before each timed callback is not timed.
//
//   node scripts/bench-callback.mjs [--runs 15] [--latency 0,50,200] [--compare LABEL=DIR]
//                                   [--with-wake]
//
// --compare runs a second instagate build (DIR holding index.js and
// index_bg.wasm, e.g. a copy of build/ from before a change) beside the
// two, and prints this build's median against it, so a change is measured
// before/after in one run. --with-wake also runs `baseline-wake`, the
// baseline that after each login's answer wakes the account's Durable
// Object as instagate's Worker does (benches/load-baseline/worker.ts), and
// prints instagate against it: the same work, the wake included.
// Prints, per L: each Worker's median and p90, instagate - baseline, and
// the targets: instagate's median <= 2L + 5 ms, and at L = 0 (the fixed cost
// of a callback: KV, crypto, the Worker itself) within 2 ms of the
// baseline's. Figures only; it fails only when a callback fails.
import { Browser, start } from '../tests/worker/harness.mjs';
import { startBaseline } from './lib/baseline-worker.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('runs', '15'));
const latencies = arg('latency', '0,50,200').split(',').map(Number);
const compare = arg('compare', undefined)?.split('=');
const withWake = process.argv.includes('--with-wake');
if (!(Number.isInteger(runs) && runs >= 1) || latencies.some((l) => !(l >= 0))) {
  console.error('usage: node scripts/bench-callback.mjs [--runs N>=1] [--latency L,L,...] [--compare LABEL=DIR] [--with-wake]');
  process.exit(2);
}

const env = await start();
const baseline = await startBaseline(env.standin.url);
const other = compare ? await start({ standin: env.standin, build: compare[1] }) : undefined;
const waking = withWake ? await startBaseline(env.standin.url, { wake: true }) : undefined;
const workers = [
  { name: 'instagate', origin: env.worker.origin },
  { name: 'baseline', origin: baseline.origin },
  ...(other ? [{ name: compare[0], origin: other.worker.origin }] : []),
  ...(waking ? [{ name: 'baseline-wake', origin: waking.origin }] : []),
];

/** Logs in (untimed) up to the callback, then times the callback alone. */
async function timedCallback(origin, latency) {
  env.standin.control.latency(0);
  env.standin.control.consent({ decision: 'allow', account: 'biz' });
  const browser = new Browser();
  const { url: callback } = await browser.follow(`${origin}/auth/login`, { stopAt: [`${origin}/auth/callback`] });
  env.standin.control.latency(latency);
  const t0 = performance.now();
  const r = await browser.fetch(callback);
  const ms = performance.now() - t0;
  const location = r.headers.get('location') ?? '';
  if (r.status !== 302 || !location.includes('connected=')) throw new Error(`callback failed at ${origin}: ${r.status} ${location}`);
  return ms;
}

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const rows = [];
try {
  for (const latency of latencies) {
    const times = new Map(workers.map((w) => [w.name, []]));
    for (let i = 0; i < runs + 2; i++) {
      // Alternate which Worker goes first.
      for (const w of i % 2 ? [...workers].reverse() : workers) {
        const ms = await timedCallback(w.origin, latency);
        if (i >= 2) times.get(w.name).push(ms); // two warm-up runs each
      }
    }
    const stats = {};
    for (const [name, t] of times) {
      t.sort((a, b) => a - b);
      stats[name] = { median: quantile(t, 0.5), p90: quantile(t, 0.9) };
    }
    rows.push({ latency, ...stats });
  }
} finally {
  env.standin.control.latency(0);
  await baseline.close();
  await waking?.close();
  await other?.close();
  await env.close();
}

const f = (ms) => `${ms.toFixed(1)} ms`;
console.log(`/auth/callback wall time (Instagram Login, miniflare + stand-in, ${runs} runs per Worker and L, alternating)`);
console.log('| stand-in latency L | target 2L+5 | instagate median | instagate p90 | baseline median | baseline p90 | instagate - baseline | instagate/baseline |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const diff = r.instagate.median - r.baseline.median;
  console.log(`| ${r.latency} ms | ${2 * r.latency + 5} ms | ${f(r.instagate.median)} | ${f(r.instagate.p90)} | ${f(r.baseline.median)} | ${f(r.baseline.p90)} | ${diff >= 0 ? '+' : ''}${f(diff)} | ${(r.instagate.median / r.baseline.median).toFixed(2)} |`);
}
for (const r of rows) {
  const target = 2 * r.latency + 5;
  const verdict = r.instagate.median <= target ? 'within' : 'OVER';
  console.log(`callback L=${r.latency} ms: instagate median ${f(r.instagate.median)}, ${verdict} 2L+5 = ${target} ms`);
}
/** instagate against the Worker named `label`, per L. */
const against = (label) => {
  for (const r of rows) {
    const [ours, theirs] = [r.instagate, r[label]];
    const diff = ours.median - theirs.median;
    console.log(`callback L=${r.latency} ms: instagate ${f(ours.median)} against ${label} ${f(theirs.median)} (medians; p90 ${f(ours.p90)} against ${f(theirs.p90)}): ${diff >= 0 ? '+' : ''}${f(diff)}, ratio ${(ours.median / theirs.median).toFixed(2)}`);
  }
};
if (other) against(compare[0]);
if (waking) against('baseline-wake');
const zero = rows.find((r) => r.latency === 0);
if (zero) {
  const diff = zero.instagate.median - zero.baseline.median;
  console.log(`callback fixed cost (L=0): instagate - baseline = ${diff >= 0 ? '+' : ''}${f(diff)} (target <= +2 ms: ${diff <= 2 ? 'met' : 'NOT met'})`);
}
