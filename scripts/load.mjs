// Load test: instagate's Worker and a minimal TypeScript Worker with the same
// routes (benches/load-baseline/worker.ts), both under `wrangler dev` on
// loopback with local KV, against the local Instagram stand-in, in one run,
// so the figure that matters is the ratio (the machine's own speed cancels).
//
//   node scripts/load.mjs [--seconds 60] [--connections 8] [--routes health,login,callback]
//                         [--rounds 4] [--pool N] [--check] [--json FILE]
//
// Per route and Worker: requests/s, p50/p99 latency and errors, from a Node
// closed-loop generator (node:http with a keep-alive agent of exactly
// --connections sockets; each connection sends its next request when the last
// answer is read). Each route's --seconds are split into --rounds rounds,
// Worker after Worker (so they never compete), the order reversed every
// other round, after an untimed warm-up of every Worker: a Worker timed
// first, right after the start-up, ran up to 1.4x slower than the same
// Worker timed last (the run's order decided a ratio more than the Workers
// did). Routes:
//   /health          200
//   /auth/login      302 to the stand-in's authorize URL + the login cookie
//   /auth/callback   302 to the app with ?connected=: each request needs its
//                    own pending login and code, so the /auth/login phase
//                    keeps up to --pool of its answers (cookie + authorize
//                    URL) and, between phases (not timed), the stand-in's
//                    consent turns them into callback URLs. A callback phase
//                    that uses its pool up ends early; its req/s is over the
//                    time it ran.
// /health also runs a third Worker, the floor (benches/load-baseline/floor.js:
// the same JSON and the same log line, nothing else), and prints
// baseline/floor: how much faster than the baseline any Worker that answers
// and logs could be here.
// --check exits 1 when any request failed or a phase made no requests (the CI
// smoke test, tests/load/run.sh). The generator, both Workers and the
// stand-in share this machine's cores: compare ratios, not absolute figures.
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startStandin } from '../tests/standin/server.mjs';
import { ROOT, devVarsExample, startWranglerDev } from './lib/wrangler-dev.mjs';
const ROUTES = ['health', 'login', 'callback'];

function options() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      connections: { type: 'string', default: '8' },
      routes: { type: 'string', default: ROUTES.join(',') },
      pool: { type: 'string' },
      rounds: { type: 'string', default: '4' },
      check: { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
    process.exit(0);
  }
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  if (!(seconds > 0 && seconds <= 3600)) throw new Error(`--seconds must be a number of seconds in (0, 3600], got ${values.seconds}`);
  if (!(Number.isInteger(connections) && connections >= 1 && connections <= 256)) {
    throw new Error(`--connections must be an integer from 1 to 256, got ${values.connections}`);
  }
  const routes = values.routes.split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of routes) if (!ROUTES.includes(r)) throw new Error(`unknown route ${r}: use ${ROUTES.join(', ')}`);
  if (routes.includes('callback') && !routes.includes('login')) throw new Error('the callback phase takes its codes from the login phase: add login to --routes');
  // Enough for a callback rate well above what these Workers reach here.
  const pool = values.pool === undefined ? Math.ceil(seconds * 400) : Number(values.pool);
  if (!(Number.isInteger(pool) && pool >= 1)) throw new Error(`--pool must be a positive integer, got ${values.pool}`);
  const rounds = Number(values.rounds);
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 100)) throw new Error(`--rounds must be an integer from 1 to 100, got ${values.rounds}`);
  return { seconds, connections, routes, pool, rounds, check: values.check, json: values.json };
}

/** `wrangler dev` for one Worker (`name` labels its results); resolves when /health answers. */
async function wranglerDev(name, { config, vars }) {
  const dev = await startWranglerDev({
    name: `${name} (wrangler dev)`,
    config,
    vars,
    persistPrefix: `instagate-load-${name}-`,
    inspectorPort: true,
    args: ['--log-level', 'warn'],
    env: { CI: '1' },
    // The Worker logs a line per request: keep only the tail, for errors.
    keep: 50,
  });
  return { name, ...dev };
}

/** One request; resolves {status, headers} after the body is read. */
function request(agent, url, headers) {
  return new Promise((res, rej) => {
    const req = http.request(url, { agent, headers }, (r) => {
      r.on('data', () => {});
      r.on('end', () => res({ status: r.statusCode, headers: r.headers }));
      r.on('error', rej);
    });
    req.on('error', rej);
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.end();
  });
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/**
 * Closed loop: `connections` loops, each sending next() and checking the
 * answer with ok(), until `seconds` pass or next() returns null.
 */
async function phase({ seconds, connections, next, ok, onAnswer }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let errors = 0;
  const samples = [];
  let exhausted = false;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) {
      const req = next();
      if (!req) {
        exhausted = true;
        break;
      }
      const t0 = performance.now();
      try {
        const answer = await request(agent, req.url, req.headers);
        latencies.push(performance.now() - t0);
        if (ok(answer)) onAnswer?.(answer);
        else {
          errors++;
          if (samples.length < 3) samples.push(`${answer.status} ${answer.headers.location ?? ''}`);
        }
      } catch (e) {
        latencies.push(performance.now() - t0);
        errors++;
        if (samples.length < 3) samples.push(String(e.message ?? e));
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { latencies, seconds: elapsed, errors, samples, exhausted };
}

/** The rounds of one Worker on one route as one result. */
function merge(rounds) {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = rounds.reduce((t, r) => t + r.seconds, 0);
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: rounds.reduce((t, r) => t + r.errors, 0),
    samples: rounds.flatMap((r) => r.samples).slice(0, 3),
    exhausted: rounds.some((r) => r.exhausted),
  };
}

/** Turns kept login answers into callback requests through the stand-in's consent (auto-allow). */
async function mintCallbacks(logins, connections) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const out = [];
  let i = 0;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (i < logins.length) {
      const { location, cookie } = logins[i++];
      const r = await request(agent, location, {});
      if (r.status !== 302) throw new Error(`the stand-in's consent answered ${r.status}`);
      out.push({ url: r.headers.location.replace(/#_$/, ''), headers: { cookie } });
    }
  }));
  agent.destroy();
  return out;
}

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');

async function main() {
  const opts = options();
  const began = Date.now();
  const standin = await startStandin({ port: 0 });
  standin.control.consent({ decision: 'allow', account: 'biz' });
  const dev = devVarsExample();
  const workers = [];
  // wrangler runs detached (its own process group, so workerd stops with it):
  // an interrupted run must stop them itself.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      await Promise.all(workers.map((w) => w.stop()));
      process.exit(130);
    });
  }
  try {
    workers.push(await wranglerDev('instagate', {
      vars: (origin) => ({ ...dev, STANDIN_ORIGIN: standin.url, REDIRECT_URI: `${origin}/auth/callback` }),
    }));
    workers.push(await wranglerDev('baseline', {
      config: join(ROOT, 'benches/load-baseline/wrangler.toml'),
      vars: (origin) => ({
        CLIENT_ID: '1000000000000001', APP_SECRET: dev.APP_SECRET, SESSION_KEY: dev.SESSION_KEY, TOKEN_KEYS: dev.TOKEN_KEYS, GRAPH_VERSION: 'v27.0',
        STANDIN_ORIGIN: standin.url, REDIRECT_URI: `${origin}/auth/callback`, APP_RETURN_URL: 'http://127.0.0.1:5173/',
      }),
    }));
    if (opts.routes.includes('health')) {
      workers.push(await wranglerDev('floor', { config: join(ROOT, 'benches/load-baseline/floor.toml') }));
    }
    console.log(`load: ${opts.seconds} s per route and Worker in ${opts.rounds} alternating rounds, ${opts.connections} connections, Node generator (node:http keep-alive); started in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    // Untimed: the Workers' and wrangler's start-up work settles, and the
    // generator's and each isolate's code is compiled, before any round.
    for (const w of workers) {
      await phase({ seconds: 1, connections: opts.connections, next: () => ({ url: `${w.origin}/health`, headers: {} }), ok: () => true });
    }

    const results = [];
    const pools = new Map(workers.map((w) => [w.name, []]));
    for (const route of opts.routes) {
      if (route === 'callback') {
        for (const w of workers.filter((x) => x.name !== 'floor')) {
          const t0 = Date.now();
          const minted = await mintCallbacks(pools.get(w.name), opts.connections);
          pools.set(w.name, minted);
          console.log(`load: ${minted.length} callback URLs for ${w.name} minted in ${((Date.now() - t0) / 1000).toFixed(1)} s (not timed)`);
        }
      }
      const specs = [];
      for (const w of workers) {
        if (w.name === 'floor' && route !== 'health') continue;
        let spec;
        if (route === 'health') {
          spec = { next: () => ({ url: `${w.origin}/health`, headers: {} }), ok: (a) => a.status === 200 };
        } else if (route === 'login') {
          const pool = pools.get(w.name);
          spec = {
            next: () => ({ url: `${w.origin}/auth/login`, headers: {} }),
            ok: (a) => a.status === 302 && a.headers.location?.startsWith(`${standin.url}/www.instagram.com/oauth/authorize?`) && (a.headers['set-cookie'] ?? []).length === 1,
            onAnswer: (a) => {
              if (pool.length < opts.pool) pool.push({ location: a.headers.location, cookie: a.headers['set-cookie'][0].split(';')[0] });
            },
          };
        } else {
          const pool = pools.get(w.name);
          let i = 0;
          spec = {
            next: () => (i < pool.length ? pool[i++] : null),
            ok: (a) => a.status === 302 && /[?&]connected=17841400000000001(&|$)/.test(a.headers.location ?? ''),
          };
        }
        specs.push({ w, spec, rounds: [] });
      }
      for (let round = 0; round < opts.rounds; round++) {
        for (const one of round % 2 ? [...specs].reverse() : specs) {
          one.rounds.push(await phase({ seconds: opts.seconds / opts.rounds, connections: opts.connections, ...one.spec }));
        }
      }
      for (const { w, rounds } of specs) {
        const r = merge(rounds);
        results.push({ route: route === 'health' ? '/health' : `/auth/${route}`, worker: w.name, ...r });
        const note = r.exhausted ? ' (pool used up)' : '';
        console.log(`load: ${w.name} ${route}: ${r.requests} requests in ${r.seconds.toFixed(1)} s${note}, ${r.errors} errors${r.samples.length ? ` e.g. ${r.samples.join(' | ')}` : ''}`);
      }
    }

    console.log('');
    console.log(`${'route'.padEnd(16)}${'worker'.padEnd(11)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}${'requests'.padStart(10)}`);
    for (const r of results) {
      console.log(`${r.route.padEnd(16)}${r.worker.padEnd(11)}${fmt(r.rps).padStart(9)}${fmt(r.p50, 1).padStart(9)}${fmt(r.p99, 1).padStart(9)}${String(r.errors).padStart(8)}${String(r.requests).padStart(10)}`);
    }
    console.log('');
    const ratios = {};
    for (const route of new Set(results.map((r) => r.route))) {
      const ours = results.find((r) => r.route === route && r.worker === 'instagate');
      const base = results.find((r) => r.route === route && r.worker === 'baseline');
      ratios[route] = { rps: ours.rps / base.rps, p50: ours.p50 / base.p50, p99: ours.p99 / base.p99 };
      console.log(`ratio instagate/baseline ${route.padEnd(15)} req/s ${fmt(ratios[route].rps, 2)}  p50 ${fmt(ratios[route].p50, 2)}  p99 ${fmt(ratios[route].p99, 2)}`);
    }
    const floor = results.find((r) => r.worker === 'floor');
    if (floor) {
      const base = results.find((r) => r.route === '/health' && r.worker === 'baseline');
      const ours = results.find((r) => r.route === '/health' && r.worker === 'instagate');
      ratios.floor = { baseline: floor.rps / base.rps, instagate: ours.rps / floor.rps };
      console.log(`ratio floor/baseline    /health         req/s ${fmt(ratios.floor.baseline, 2)}  (the most any Worker that answers and logs could be ahead of the baseline here); instagate/floor ${fmt(ratios.floor.instagate, 2)}`);
    }
    console.log(`load: done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    if (opts.json) writeFileSync(opts.json, `${JSON.stringify({ options: opts, results, ratios }, null, 2)}\n`);
    if (opts.check) {
      const bad = results.filter((r) => r.errors > 0 || r.requests === 0);
      if (bad.length) {
        console.error(`load: FAILED: ${bad.map((r) => `${r.worker} ${r.route}: ${r.errors} errors / ${r.requests} requests`).join('; ')}`);
        process.exitCode = 1;
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await standin.close();
  }
}

main().catch((e) => {
  console.error(`load: ${e.message}`);
  process.exit(1);
});
