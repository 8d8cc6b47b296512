#!/usr/bin/env node
// Where a Worker's time goes per request. Runs instagate's built Worker
// (build/) and the TypeScript baseline (benches/load-baseline) under
// miniflare with the V8 inspector on, both against the stand-in (latency 0),
// and for each Worker in the same run: sends --requests requests of one
// route one after another, timing them (wall ms per request), while the
// inspector's CPU profiler samples the Worker's isolate. Prints per Worker
// the CPU ms per request split by where it ran (wasm code, the wasm-bindgen
// glue and the Worker's JS entry, the runtime's native APIs, the Worker's own JS,
// GC, V8's unattributed "(program)"), instagate - baseline for each, and the
// functions with the most self time.
//
//   node scripts/profile-worker.mjs [--route health|login|callback|object] [--requests 500]
//                                   [--top 25] [--save DIR] [--workers instagate,baseline]
//                                   [--rounds 6] [--no-profile]
//
// Besides the sampled profile, each Worker's workerd process's own CPU time
// (user + system, from /proc) is counted over the same requests: unlike
// wall time and the sampler (which counts time the thread waited for a
// core), it does not grow when other work on this machine takes the cores,
// so it is the steadier figure here. --no-profile leaves the inspector off
// (its sampling costs CPU too) and prints that figure alone.
//
// --route object: "refresh now" of a token a login just stored, which the
// account's Durable Object refuses (409) after one KV read and no call to
// Meta: the Worker -> object hop and little else (instagate builds only).
//
// --workers: a comma-separated list of `baseline`, `baseline-wake` (the
// baseline that also wakes an account object after each login, as
// instagate does), `instagate` (build/),
// `LABEL=DIR` (an instagate build kept in DIR, e.g. a copy of build/ from
// before a change, to compare two builds in one run), or, for /health,
// `floor` / `floor-log` (a JS Worker answering the same JSON and nothing
// else / plus the one log line: the least CPU any Worker can take there). The difference column
// is the first Worker minus the second.
//
// Wasm functions have names only in a build that keeps the name section:
// `bash scripts/build-worker.sh --profiling`. --save writes each profile as
// DIR/<worker>-<route>-<round>.cpuprofile (open in Chrome DevTools, Performance).
// Figures only; the sampler's resolution is 50 us, so compare ratios and
// categories, and rerun before trusting a small difference.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';
import WebSocket from 'ws';
import { seedIgAccounts } from '../tests/standin/seeds.mjs';
import { startStandin } from '../tests/standin/server.mjs';
import { baselineBindings, baselineScript, baselineVars } from './lib/baseline-worker.mjs';
import { ROOT, devVarsExample, freePort } from './lib/wrangler-dev.mjs';

const { values: opts } = parseArgs({
  options: {
    route: { type: 'string', default: 'health' },
    requests: { type: 'string', default: '500' },
    top: { type: 'string', default: '25' },
    save: { type: 'string' },
    workers: { type: 'string', default: 'instagate,baseline' },
    rounds: { type: 'string', default: '6' },
    'no-profile': { type: 'boolean', default: false },
  },
});
const requests = Number(opts.requests);
const top = Number(opts.top);
const rounds = Number(opts.rounds);
if (!['health', 'login', 'callback', 'object'].includes(opts.route) || !(Number.isInteger(requests) && requests >= 1)) {
  console.error('usage: node scripts/profile-worker.mjs [--route health|login|callback|object] [--requests N>=1] [--top N] [--save DIR]');
  process.exit(2);
}

const dev = devVarsExample();

/** A Worker under miniflare with its inspector on a free port. */
async function startWorker(name, modules, vars, extra = {}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const mf = new Miniflare({
    name,
    modules,
    modulesRoot: join(ROOT, 'build'),
    compatibilityDate: '2026-04-26',
    bindings: vars(origin),
    cf: false,
    host: '127.0.0.1',
    port,
    inspectorPort,
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
    ...extra,
  });
  await mf.ready;
  return { name, mf, origin, inspectorPort, pid: pidOnPort(port) };
}

/** The pid of the workerd process listening on `port` (miniflare runs one per instance). */
function pidOnPort(port) {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const pid = out.match(/pid=(\d+)/)?.[1];
  if (!pid) throw new Error(`no process found listening on port ${port}`);
  return Number(pid);
}

/** CPU milliseconds (user + system) the process has used so far. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second here).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function inspector(worker) {
  const list = await (await fetch(`http://127.0.0.1:${worker.inspectorPort}/json`)).json();
  const target = list.find((t) => t.webSocketDebuggerUrl?.includes(worker.name)) ?? list[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  let next = 1;
  const pending = new Map();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.id && pending.has(msg.id)) {
      const { res, rej } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) rej(new Error(`${msg.error.message}`));
      else res(msg.result);
    }
  });
  return {
    send(method, params = {}) {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((res, rej) => pending.set(id, { res, rej }));
    },
    close: () => ws.close(),
  };
}

/** `count` request specs for the route (callbacks: logins and consents done here, untimed). */
async function requestsFor(worker, standin, count) {
  if (opts.route === 'health') return Array.from({ length: count }, () => ({ url: `${worker.origin}/health`, headers: {}, ok: 200 }));
  if (opts.route === 'login') return Array.from({ length: count }, () => ({ url: `${worker.origin}/auth/login`, headers: {}, ok: 302 }));
  standin.control.consent({ decision: 'allow', account: 'biz' });
  if (opts.route === 'object') {
    // One login (untimed), then "refresh now" of its fresh token: the
    // Worker hands it to the account's object, which refuses it (409) after
    // one KV read, before any call to Meta. What is left is the hop.
    if (!worker.connected) {
      await run(await callbacks(worker, 1));
      worker.connected = true;
    }
    const headers = { authorization: `Bearer ${dev.API_KEY}` };
    const account = seedIgAccounts().find((a) => a.key === 'biz').user_id;
    return Array.from({ length: count }, () => ({ url: `${worker.origin}/api/accounts/${account}/refresh`, method: 'POST', headers, ok: 409 }));
  }
  return callbacks(worker, count);
}

/** `count` callbacks ready to send, each after its own login and consent. */
async function callbacks(worker, count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const login = await fetch(`${worker.origin}/auth/login`, { redirect: 'manual' });
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    const consent = await fetch(login.headers.get('location'), { redirect: 'manual' });
    out.push({ url: consent.headers.get('location').replace(/#_$/, ''), headers: { cookie }, ok: 302 });
  }
  return out;
}

async function run(specs) {
  const t0 = performance.now();
  for (const s of specs) {
    const r = await fetch(s.url, { method: s.method ?? 'GET', headers: s.headers, redirect: 'manual' });
    await r.arrayBuffer();
    if (r.status !== s.ok) throw new Error(`${s.url} answered ${r.status}, expected ${s.ok}`);
  }
  return (performance.now() - t0) / specs.length;
}

/** Self time (ms) per profile node, from the samples and their time deltas. */
function selfTimes(profile) {
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  }
  return self;
}

function category(frame) {
  const { functionName: f, url } = frame;
  if (f === '(idle)') return 'idle';
  if (f === '(garbage collector)') return 'GC';
  if (f === '(program)' || f === '(root)') return '(program)';
  if (url.startsWith('wasm://')) return 'wasm';
  if (/index\.js|shim|front-entry/.test(url)) return 'JS glue (wasm-bindgen, the entry)';
  if (url.includes('baseline')) return "the Worker's JS";
  if (url === '') return 'runtime APIs (native)';
  return 'other JS';
}

function summarize(profile) {
  const self = selfTimes(profile);
  const byCategory = new Map();
  const byFunction = new Map();
  // The caller that most of a function's self time came through, to tell
  // apart the runtime's anonymous natives.
  const callers = new Map();
  const parent = new Map();
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const name = (frame) => frame?.functionName || '(anonymous)';
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (!ms) continue;
    const cat = category(node.callFrame);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + ms);
    const key = `${node.callFrame.functionName || '(anonymous)'}\t${cat}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    // The nearest named caller.
    let up = parent.get(node.id);
    while (up !== undefined && !frames.get(up).functionName) up = parent.get(up);
    const via = callers.get(key) ?? new Map();
    const caller = up === undefined ? '-' : name(frames.get(up));
    via.set(caller, (via.get(caller) ?? 0) + ms);
    callers.set(key, via);
  }
  // Inclusive time: each sample counts once for every distinct function on
  // its stack.
  const inclusive = new Map();
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (!ms) continue;
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const frame = frames.get(id);
      if (!frame.functionName || frame.functionName.startsWith('(')) continue;
      const key = `${frame.functionName}\t${category(frame)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  const busy = [...byCategory].filter(([c]) => c !== 'idle').reduce((a, [, ms]) => a + ms, 0);
  return { byCategory, byFunction, callers, inclusive, busy };
}

/** The rounds' summaries added up, with figures per request over `count`. */
function merge(parts, count) {
  const add = (maps) => {
    const out = new Map();
    for (const m of maps) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v);
    return out;
  };
  const callers = new Map();
  for (const p of parts) {
    for (const [k, via] of p.callers) callers.set(k, add([callers.get(k) ?? new Map(), via]));
  }
  return {
    byCategory: add(parts.map((p) => p.byCategory)),
    byFunction: add(parts.map((p) => p.byFunction)),
    inclusive: add(parts.map((p) => p.inclusive)),
    callers,
    busy: parts.reduce((a, p) => a + p.busy, 0),
    perRequest: (ms) => ms / count,
  };
}

const standin = await startStandin({ port: 0 });
const workers = [];
try {
  for (const spec of opts.workers.split(',')) {
    const [label, dir] = spec.split('=');
    // `baseline-wake`: the baseline with its account objects, woken after
    // each login as instagate wakes its own (benches/load-baseline/worker.ts).
    if (label === 'baseline' || label === 'baseline-wake') {
      if (opts.route === 'object') throw new Error('the baseline has no account objects: --route object compares instagate builds');
      workers.push(await startWorker(label, [
        { type: 'ESModule', path: join(ROOT, 'build/baseline.mjs'), contents: await baselineScript() },
      ], (origin) => baselineVars(standin.url, origin), baselineBindings({ wake: label === 'baseline-wake' })));
      continue;
    }
    // The floor for /health (benches/load-baseline/floor.js): a Worker that
    // answers the same JSON and writes the one log line every Worker here
    // writes (`floor-log`), or does not even log (`floor`, its QUIET
    // variable set). No Worker that answers and logs can take less CPU per
    // request than `floor-log`.
    if (label === 'floor' || label === 'floor-log') {
      if (opts.route !== 'health') throw new Error(`${label} answers /health only`);
      workers.push(await startWorker(label, [
        { type: 'ESModule', path: join(ROOT, 'benches/load-baseline/floor.js') },
      ], () => (label === 'floor' ? { QUIET: '1' } : {}), { modulesRoot: join(ROOT, 'benches/load-baseline') }));
      continue;
    }
    // An instagate build: build/ or the directory given as label=DIR.
    const build = resolve(ROOT, dir ?? 'build');
    workers.push(await startWorker(label, [
      { type: 'ESModule', path: join(build, 'index.js') },
      { type: 'CompiledWasm', path: join(build, 'index_bg.wasm') },
    ], (origin) => ({
      ...dev, STANDIN_ORIGIN: standin.url, REDIRECT_URI: `${origin}/auth/callback`, PRODUCTS: 'instagram',
      CLIENT_ID: '1000000000000001', APP_RETURN_URLS: 'http://127.0.0.1:5173/',
    }), {
      modulesRoot: build,
      kvNamespaces: ['INSTAGATE_KV'],
      // wrangler.toml's bindings: the account objects and the media bucket.
      durableObjects: { ACCOUNT_OBJECTS: { className: 'AccountObject', useSQLite: true } },
      r2Buckets: ['MEDIA_BUCKET'],
    }));
  }
  // Rounds alternate between the Workers (and their order), so load from
  // elsewhere on this machine, which the sampler counts as the isolate's
  // time, hits them alike; each round profiles its own slice of requests.
  const perRound = Math.ceil(requests / rounds);
  const results = workers.map((w) => ({ name: w.name, wallSum: 0, cpuSum: 0, count: 0, parts: [] }));
  // Warm-up, untimed: the settings, lazy compilation and V8's tier-up of
  // the hot code (compiled on background threads, which the process CPU
  // figure would count) happen here.
  const warmUp = opts.route === 'callback' ? 40 : 400;
  for (const w of workers) await run(await requestsFor(w, standin, warmUp));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...workers.keys()].reverse() : [...workers.keys()];
    for (const i of order) {
      const w = workers[i];
      const specs = await requestsFor(w, standin, perRound);
      let cdp;
      if (!opts['no-profile']) {
        cdp = await inspector(w);
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
        await cdp.send('Profiler.start');
      }
      const cpu0 = cpuMs(w.pid);
      const wall = await run(specs);
      // Background work (waitUntil) of the last request finishes within this.
      await new Promise((r) => setTimeout(r, 100));
      results[i].cpuSum += cpuMs(w.pid) - cpu0;
      if (!cdp) {
        results[i].wallSum += wall * specs.length;
        results[i].count += specs.length;
        continue;
      }
      const { profile } = await cdp.send('Profiler.stop');
      cdp.close();
      if (opts.save) {
        mkdirSync(opts.save, { recursive: true });
        writeFileSync(join(opts.save, `${w.name}-${opts.route}-${round}.cpuprofile`), JSON.stringify(profile));
      }
      results[i].wallSum += wall * specs.length;
      results[i].count += specs.length;
      results[i].parts.push(summarize(profile));
    }
  }
  for (const r of results) Object.assign(r, merge(r.parts, r.count), { wall: r.wallSum / r.count, cpu: r.cpuSum / r.count });

  const f = (ms) => ms.toFixed(3);
  console.log(`profile: ${{ health: 'GET /health', object: 'POST /api/accounts/{id}/refresh (the object hop)' }[opts.route] ?? `GET /auth/${opts.route}`}, ${results[0].count} requests one after another per Worker in ${rounds} alternating rounds, miniflare + stand-in (latency 0); ms per request`);
  const cats = [...new Set(results.flatMap((r) => [...r.byCategory.keys()]))].filter((c) => c !== 'idle').sort();
  console.log(`| | ${results.map((r) => r.name).join(' | ')} |${results.length > 1 ? ` ${results[0].name} - ${results[1].name} |` : ''}`);
  console.log(`|---|${results.map(() => '---:|').join('')}${results.length > 1 ? '---:|' : ''}`);
  const row = (label, get) => {
    const [a, b] = results.map(get);
    const diff = b === undefined ? '' : ` ${a - b >= 0 ? '+' : ''}${f(a - b)} |`;
    console.log(`| ${label} | ${results.map(get).map(f).join(' | ')} |${diff}`);
  };
  row('wall time (client)', (r) => r.wall);
  row('workerd process CPU (/proc)', (r) => r.cpu);
  if (opts['no-profile']) {
    for (const r of results.slice(1)) console.log(`profile: ${results[0].name}/${r.name} workerd CPU per request ${(results[0].cpu / r.cpu).toFixed(2)}, wall ${(results[0].wall / r.wall).toFixed(2)}`);
  }
  if (!opts['no-profile']) row('CPU in the isolate (sampled)', (r) => r.perRequest(r.busy));
  if (!opts['no-profile']) for (const c of cats) row(`  ${c}`, (r) => r.perRequest(r.byCategory.get(c) ?? 0));
  for (const r of opts['no-profile'] ? [] : results) {
    console.log(`\n${r.name}: top ${top} functions by self time (ms per request, % of the isolate's CPU)`);
    const sorted = [...r.byFunction].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [key, ms] of sorted) {
      const [name, cat] = key.split('\t');
      const via = [...r.callers.get(key)].sort((a, b) => b[1] - a[1])[0][0];
      console.log(`  ${f(r.perRequest(ms)).padStart(7)}  ${((100 * ms) / r.busy).toFixed(1).padStart(5)} %  ${name.slice(0, 80)}  [${cat}] via ${via.slice(0, 60)}`);
    }
    console.log(`${r.name}: top ${top} functions by inclusive time (self + callees)`);
    for (const [key, ms] of [...r.inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      const [name, cat] = key.split('\t');
      console.log(`  ${f(r.perRequest(ms)).padStart(7)}  ${((100 * ms) / r.busy).toFixed(1).padStart(5)} %  ${name.slice(0, 100)}  [${cat}]`);
    }
  }
} finally {
  for (const w of workers) await w.mf.dispose();
  await standin.close();
}
