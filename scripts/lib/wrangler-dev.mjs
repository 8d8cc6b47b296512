// Starting the Worker under `wrangler dev` (and other helper processes) from
// Node, shared by scripts/load.mjs, scripts/demo.mjs and
// tests/worker/wrangler.test.mjs: a free loopback port, the secrets in
// .dev.vars(.example), a child in its own process group with its output
// captured, waiting until a URL answers, and `startWranglerDev`, which puts
// these together (prebuilt Worker, local KV in a persist dir, --var pairs,
// ready once /health answers 200).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const WRANGLER_CLI = join(ROOT, 'node_modules/wrangler/wrangler-dist/cli.js');

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** KEY="value" lines of a .dev.vars file. */
export function readDevVars(file) {
  const vars = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)="(.*)"$/);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

/** The Worker's secrets for local runs, from .dev.vars.example. */
export function devVarsExample() {
  return readDevVars(join(ROOT, '.dev.vars.example'));
}

const exited = (child) => child.exitCode !== null || child.signalCode !== null;

/**
 * Runs `node ...args` in ROOT in its own process group, so stopping it also
 * stops what it started (wrangler starts workerd; killing only wrangler would
 * leave workerd running). Output is captured in `child.output` (only the
 * last `keep` chunks when given: a Worker logs a line per request); `echo`
 * copies it to stderr as `[name] ...`. Wrangler's telemetry and the Worker's
 * build step are off (the Worker is prebuilt). `child.stop()` sends SIGTERM
 * to the group at once, waits up to `graceMs` for the child to exit, then
 * SIGKILLs whatever is left of the group.
 */
export function spawnGroup(name, args, env = {}, { keep = Infinity, echo = false, graceMs = 5000 } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_SEND_ERROR_REPORTS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      SKIP_WORKER_BUILD: '1',
      ...env,
    },
  });
  child.output = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (d) => {
      child.output.push(String(d));
      if (child.output.length > keep) child.output.shift();
      if (echo) process.stderr.write(`[${name}] ${d}`);
    });
  }
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone
    }
  };
  let stopping;
  child.stop = () => {
    stopping ??= (async () => {
      if (!exited(child)) {
        killGroup('SIGTERM');
        let timer;
        await Promise.race([once(child, 'exit'), new Promise((r) => { timer = setTimeout(r, graceMs); })]);
        clearTimeout(timer);
      }
      // workerd may outlive wrangler (or ignore SIGTERM): sweep the group.
      killGroup('SIGKILL');
    })();
    return stopping;
  };
  return child;
}

/**
 * Polls `url` until it answers with a status that `ok` accepts (default:
 * any below 500). With `child`, fails as soon as that child exits. Errors
 * name what did not start (`name`).
 */
export async function waitForUrl(url, { timeoutMs = 60_000, child, name = url, ok = (status) => status < 500, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && exited(child)) throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode}`);
    try {
      if (ok((await fetch(url)).status)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/**
 * Starts `wrangler dev` on 127.0.0.1 and resolves once /health answers 200.
 *   name            names it in errors
 *   label           its output's prefix with `echo` (see spawnGroup)
 *   config          --config (default: the repository's wrangler.toml)
 *   port            default: a free port
 *   vars            {KEY: value} or origin => {KEY: value}, passed as --var
 *   persistDir      --persist-to, kept; else a temp dir `${persistPrefix}XXXXXX`
 *                   removed by stop()
 *   inspectorPort   true: a free port (lets runs coexist); default wrangler's
 *   args, env       more `wrangler dev` flags and environment
 *   keep, echo      see spawnGroup
 * Returns {origin, child, output, persist (the --persist-to dir), stop()};
 * on failure stops it and throws
 * with wrangler's output.
 */
export async function startWranglerDev({
  name = 'wrangler dev', label = 'wrangler', config, port, vars = {}, persistDir, persistPrefix = 'instagate-wrangler-',
  inspectorPort = false, args = [], env = {}, keep, echo, timeoutMs = 60_000,
} = {}) {
  port ??= await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const persist = persistDir ?? mkdtempSync(join(tmpdir(), persistPrefix));
  const values = typeof vars === 'function' ? vars(origin) : vars;
  const child = spawnGroup(label, [
    WRANGLER_CLI, 'dev',
    ...(config ? ['--config', config] : []),
    '--ip', '127.0.0.1', '--port', String(port), '--persist-to', persist,
    '--show-interactive-dev-session=false',
    ...(inspectorPort ? ['--inspector-port', String(await freePort())] : []),
    ...args,
    ...Object.entries(values).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ], env, { keep, echo });
  const stop = async () => {
    await child.stop();
    if (!persistDir) rmSync(persist, { recursive: true, force: true });
  };
  try {
    await waitForUrl(`${origin}/health`, { timeoutMs, child, name, ok: (status) => status === 200 });
  } catch (e) {
    await stop();
    throw new Error(`${e.message}:\n${child.output.join('')}`);
  }
  return { origin, child, output: child.output, persist, stop };
}
