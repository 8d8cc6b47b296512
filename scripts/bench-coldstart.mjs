#!/usr/bin/env node
// Benchmark: cold start of instagate's Worker against the TypeScript
// baseline (benches/load-baseline), each bundled as `wrangler deploy
// --dry-run` bundles it for upload. Each run starts a fresh miniflare
// instance (a new workerd process, so a fresh isolate that compiles and
// instantiates the module), then sends the first request (GET /health),
// then disposes of it; runs alternate between the two Workers, so drift on
// this machine hits both alike.
//
//   node scripts/bench-coldstart.mjs [--runs 15] [--split]
//
// --split also starts three reference Workers the same way, to split
// instagate's difference into parts: a plain JS Worker; the same with
// instagate's Durable Object binding (SQLite); and the same importing
// instagate's wasm module (compiled as workerd compiles it at start-up,
// never instantiated).
//
// Besides the plain baseline, a row "baseline + bindings" runs the same
// baseline bundle declaring the bindings instagate's wrangler.toml declares
// besides KV (a Durable Object class of its own, SQLite, and an R2 bucket;
// its entry re-exports the baseline's handler beside an empty object
// class), so instagate - that row is the Worker's own share of a cold
// start, what its code and wasm cost; instagate - the plain baseline also
// counts what those bindings cost any Worker declaring them. instagate is
// started with the bindings wrangler.toml gives it (KV, the object, the
// bucket).
//
// Prints per Worker the median of start -> ready (workerd up, script and
// wasm loaded), ready -> first answer, and their sum; instagate - baseline
// for each; and each Worker's upload size as wrangler prints it ("Total
// Upload: ... / gzip: ..."). Figures only; it fails only when a Worker
// does not start or answer.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { baselineVars } from './lib/baseline-worker.mjs';
import { ROOT, devVarsExample, spawnGroup } from './lib/wrangler-dev.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('runs', '15'));
const split = process.argv.includes('--split');
if (!(Number.isInteger(runs) && runs >= 1)) {
  console.error('usage: node scripts/bench-coldstart.mjs [--runs N>=1]');
  process.exit(2);
}

/** `wrangler deploy --dry-run --outdir`: the upload bundle and wrangler's size line. */
async function dryRun(name, config) {
  const outdir = mkdtempSync(join(tmpdir(), `instagate-coldstart-${name}-`));
  const child = spawnGroup(`wrangler ${name}`, [
    'node_modules/wrangler/wrangler-dist/cli.js', 'deploy', '--dry-run', '--outdir', outdir, '--config', config,
  ], { SKIP_WORKER_BUILD: '1', WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CI: '1' });
  const code = await new Promise((res) => child.on('close', (c) => res(c)));
  const output = child.output.join('');
  const size = output.match(/Total Upload: ([^\n]+)/)?.[1]?.trim();
  if (code !== 0 || !size) throw new Error(`wrangler deploy --dry-run for ${name} failed (${code}):\n${output.slice(-2000)}`);
  const files = readdirSync(outdir);
  const main = files.find((f) => /\.(m?js)$/.test(f));
  return { outdir, main, size };
}

/** What every miniflare here shares: no `cf` fetch, a free loopback port, its output drained. */
const RUNTIME = {
  cf: false,
  host: '127.0.0.1',
  port: 0,
  handleRuntimeStdio(stdout, stderr) {
    stdout.resume();
    stderr.resume();
  },
};

/** Options for a fresh miniflare of the bundle in `outdir` (its wasm as CompiledWasm modules). */
function miniflareOptions(bundle, bindings) {
  return {
    scriptPath: join(bundle.outdir, bundle.main),
    modules: true,
    modulesRoot: bundle.outdir,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-04-26',
    kvNamespaces: [bindings.kv],
    // instagate's per-account Durable Object (wrangler.toml): the Worker
    // refuses to start work without its binding.
    ...(bindings.objects ? { durableObjects: bindings.objects } : {}),
    ...(bindings.buckets ? { r2Buckets: bindings.buckets } : {}),
    bindings: bindings.vars,
    ...RUNTIME,
  };
}

async function coldStart(options) {
  const t0 = performance.now();
  const mf = new Miniflare(options);
  try {
    const url = await mf.ready;
    const t1 = performance.now();
    const r = await fetch(new URL('/health', url));
    await r.text();
    const t2 = performance.now();
    if (r.status !== 200) throw new Error(`/health answered ${r.status}`);
    return { ready: t1 - t0, first: t2 - t1, total: t2 - t0 };
  } finally {
    await mf.dispose();
  }
}

const dev = devVarsExample();
// Settings are read, not used, by /health; the stand-in is never called.
const standin = 'http://127.0.0.1:9';
const origin = 'http://127.0.0.1:8787';
const workers = [
  {
    name: 'instagate',
    bundle: await dryRun('instagate', join(ROOT, 'wrangler.toml')),
    bindings: { kv: 'INSTAGATE_KV', objects: { ACCOUNT_OBJECTS: { className: 'AccountObject', useSQLite: true } }, buckets: ['MEDIA_BUCKET'], vars: { ...dev, STANDIN_ORIGIN: standin, REDIRECT_URI: `${origin}/auth/callback`, PRODUCTS: 'instagram', CLIENT_ID: '1000000000000001', APP_RETURN_URLS: 'http://127.0.0.1:5173/' } },
  },
  {
    name: 'baseline',
    bundle: await dryRun('baseline', join(ROOT, 'benches/load-baseline/wrangler.toml')),
    bindings: { kv: 'KV', vars: baselineVars(standin, origin) },
  },
];

// The baseline declaring instagate's other bindings: an entry module beside
// its bundle re-exports its handler and declares an empty object class.
{
  const base = workers[1];
  const entry = 'baseline-with-bindings.mjs';
  workers.push({
    name: 'baseline + bindings',
    options: {
      ...miniflareOptions(base.bundle, { ...base.bindings, objects: { ACCOUNT_OBJECTS: { className: 'BaselineObject', useSQLite: true } }, buckets: ['MEDIA_BUCKET'] }),
      scriptPath: undefined,
      modules: [
        { type: 'ESModule', path: join(base.bundle.outdir, entry), contents: `import { DurableObject } from 'cloudflare:workers';\nexport { default } from './${base.bundle.main}';\nexport class BaselineObject extends DurableObject {}\n` },
        { type: 'ESModule', path: join(base.bundle.outdir, base.bundle.main) },
      ],
      modulesRules: undefined,
    },
  });
}

// Reference Workers for --split (answer 200 to anything).
function reference(name, script, extra = {}) {
  return {
    name,
    options: {
      modules: [{ type: 'ESModule', path: join(workers[0].bundle.outdir, `${name.replace(/\W+/g, '-')}.mjs`), contents: script }, ...(extra.modules ?? [])],
      modulesRoot: workers[0].bundle.outdir,
      compatibilityDate: '2026-04-26',
      ...(extra.durableObjects ? { durableObjects: extra.durableObjects } : {}),
      ...RUNTIME,
    },
  };
}
if (split) {
  const ok = `export default { async fetch() { return new Response('ok'); } };`;
  const wasm = readdirSync(workers[0].bundle.outdir).find((f) => f.endsWith('.wasm'));
  workers.push(
    reference('ref: plain JS', ok),
    reference('ref: + object binding', `import { DurableObject } from 'cloudflare:workers';\nexport class AccountObject extends DurableObject {}\n${ok}`, {
      durableObjects: { ACCOUNT_OBJECTS: { className: 'AccountObject', useSQLite: true } },
    }),
    reference('ref: + wasm compiled', `import m from './${wasm}';\nexport default { async fetch() { return new Response(String(WebAssembly.Module.exports(m).length)); } };`, {
      modules: [{ type: 'CompiledWasm', path: join(workers[0].bundle.outdir, wasm) }],
    }),
    // instagate's own upload bundle evaluated (its wasm instantiated, the
    // glue and shim run), the object class exported, but a fetch that does
    // not call into it.
    reference('ref: + wasm instantiated', `import * as glue from './${workers[0].bundle.main}';\nexport const AccountObject = glue.AccountObject;\nexport default { async fetch() { return new Response(String(Object.keys(glue).length)); } };`, {
      modules: [
        { type: 'ESModule', path: join(workers[0].bundle.outdir, workers[0].bundle.main) },
        { type: 'CompiledWasm', path: join(workers[0].bundle.outdir, wasm) },
      ],
      durableObjects: { ACCOUNT_OBJECTS: { className: 'AccountObject', useSQLite: true } },
    }),
  );
}

const samples = new Map(workers.map((w) => [w.name, []]));
try {
  for (let i = 0; i < runs + 1; i++) {
    for (const w of i % 2 ? [...workers].reverse() : workers) {
      const s = await coldStart(w.options ?? miniflareOptions(w.bundle, w.bindings));
      if (i >= 1) samples.get(w.name).push(s); // one warm-up run each (disk cache, JIT of miniflare)
    }
  }
} finally {
  for (const w of workers) if (w.bundle) rmSync(w.bundle.outdir, { recursive: true, force: true });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = {};
for (const [name, s] of samples) {
  stats[name] = { ready: median(s.map((x) => x.ready)), first: median(s.map((x) => x.first)), total: median(s.map((x) => x.total)) };
}
const f = (ms) => `${ms.toFixed(1)} ms`;
const d = (ms) => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms`;
console.log(`cold start: fresh miniflare (workerd) per run, ${runs} runs per Worker, alternating; medians`);
console.log('| Worker | start -> ready | ready -> first /health | total | upload (wrangler --dry-run) |');
console.log('|---|---:|---:|---:|---|');
for (const w of workers) {
  const s = stats[w.name];
  console.log(`| ${w.name} | ${f(s.ready)} | ${f(s.first)} | ${f(s.total)} | ${w.bundle?.size ?? ''} |`);
}
const [ours, base] = [stats.instagate, stats.baseline];
console.log(`| instagate - baseline | ${d(ours.ready - base.ready)} | ${d(ours.first - base.first)} | ${d(ours.total - base.total)} | |`);
const bound = stats['baseline + bindings'];
console.log(`| instagate - (baseline + bindings) | ${d(ours.ready - bound.ready)} | ${d(ours.first - bound.first)} | ${d(ours.total - bound.total)} | |`);
if (split) {
  const [plain, object, wasm, loaded] = ['ref: plain JS', 'ref: + object binding', 'ref: + wasm compiled', 'ref: + wasm instantiated'].map((n) => stats[n]);
  console.log(`cold start split (against the plain JS reference): the object binding ${d(object.total - plain.total)}, compiling the wasm ${d(wasm.total - plain.total)}, evaluating instagate's bundle (wasm instantiated, glue, object binding) ${d(loaded.total - plain.total)}, the whole Worker with its first /health ${d(ours.total - plain.total)}`);
}
console.log(`cold start: instagate - baseline = ${d(ours.total - base.total)} (start-up + first request; issue 15's target, against the plain baseline: <= +15 ms: ${ours.total - base.total <= 15 ? 'met' : 'NOT met'}); the bindings alone ${d(bound.total - base.total)}; instagate's own share (instagate - (baseline + bindings)) ${d(ours.total - bound.total)}; instagate upload ${workers[0].bundle.size}`);
