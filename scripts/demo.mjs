// Starts the whole demo on loopback: the local Instagram stand-in, the
// instagate Worker under `wrangler dev` (local KV, the real wrangler.toml),
// and the www page under Vite. Used by scripts/demo.sh (which builds first)
// and by the browser end-to-end test, which drives the page.
//
//   node scripts/demo.mjs      (expects pkg/ and build/ to be built)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startStandin } from '../tests/standin/server.mjs';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);

// KEY="value" lines of a .dev.vars file.
function readDevVars(file) {
  const vars = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)="(.*)"$/);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

async function waitFor(url, child, name, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

// Spawns a child in its own process group so stopping it also stops what it
// started (wrangler starts workerd; killing only wrangler would leave it).
function start(name, args, env = {}) {
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
      child.output.push(d.toString());
      if (process.env.DEMO_VERBOSE) process.stderr.write(`[${name}] ${d}`);
    });
  }
  child.stop = () => {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  return child;
}

/** Starts the demo; returns {pageUrl, workerUrl, standin, stop()}. */
export async function startDemo({ standinPort = 8790, workerPort = 8787, webPort = 5173, persistDir } = {}) {
  for (const built of ['pkg/package.json', 'build/worker/shim.mjs']) {
    if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run scripts/demo.sh (it builds first)`);
  }
  const standin = await startStandin({ port: standinPort });
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  const pageUrl = `http://127.0.0.1:${webPort}/`;
  const devVars = existsSync(join(ROOT, '.dev.vars')) ? join(ROOT, '.dev.vars') : join(ROOT, '.dev.vars.example');
  const vars = {
    ...readDevVars(devVars),
    PRODUCTS: 'instagram,facebook',
    STANDIN_ORIGIN: standin.url,
    REDIRECT_URI: `${workerUrl}/auth/callback`,
    APP_RETURN_URLS: pageUrl,
    ALLOWED_ORIGINS: `http://127.0.0.1:${webPort}`,
    SPA_REDIRECT_URIS: `${pageUrl}callback.html`,
  };
  const persist = persistDir ?? join(ROOT, '.wrangler', 'demo-state');
  mkdirSync(persist, { recursive: true });
  const children = [];
  const stop = async () => {
    for (const c of children) c.stop();
    await standin.close();
  };
  try {
    const wrangler = start('worker', [
      'node_modules/wrangler/wrangler-dist/cli.js', 'dev',
      '--ip', '127.0.0.1', '--port', String(workerPort), '--test-scheduled',
      '--persist-to', persist, '--show-interactive-dev-session=false',
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
    ]);
    children.push(wrangler);
    const vite = start('web', ['node_modules/vite/bin/vite.js', '--config', 'www/vite.config.js', '--port', String(webPort)]);
    children.push(vite);
    await waitFor(`${workerUrl}/health`, wrangler, 'the Worker (wrangler dev)');
    await waitFor(pageUrl, vite, 'the web page (vite)');
  } catch (e) {
    for (const c of children) if (c.output.length) process.stderr.write(c.output.join(''));
    await stop();
    throw e;
  }
  return { pageUrl, workerUrl, standin, stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const demo = await startDemo();
  console.log(`
instagate demo is running:

  open   ${demo.pageUrl}
  Worker ${demo.workerUrl}   (wrangler dev, local KV in .wrangler/demo-state)
  stand-in for Instagram and Facebook at ${demo.standin.url}
          (its consent pages say so; feed: ${demo.standin.url}/www.instagram.com/<username>/)

Ctrl-C stops everything.`);
  const shutdown = async () => {
    await demo.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
