// The TypeScript comparison Worker (benches/load-baseline/worker.ts) under
// miniflare, for the benchmarks that run it beside instagate's Worker in the
// same process (scripts/bench-callback.mjs, scripts/bench-coldstart.mjs).
// Bundled once per process with esbuild (a dependency of wrangler), as
// wrangler would bundle it for a deploy.
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { ROOT, devVarsExample, freePort } from './wrangler-dev.mjs';

let bundled;

/** The baseline as one ES module (source text). */
export async function baselineScript() {
  bundled ??= build({
    entryPoints: [join(ROOT, 'benches/load-baseline/worker.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    external: ['cloudflare:*'],
    logLevel: 'error',
  }).then((r) => r.outputFiles[0].text);
  return bundled;
}

/** The baseline's settings, for a Worker at `origin` calling the stand-in at `standinUrl`. */
export function baselineVars(standinUrl, origin) {
  const dev = devVarsExample();
  return {
    CLIENT_ID: '1000000000000001',
    APP_SECRET: dev.APP_SECRET,
    SESSION_KEY: dev.SESSION_KEY,
    TOKEN_KEYS: dev.TOKEN_KEYS,
    GRAPH_VERSION: 'v27.0',
    STANDIN_ORIGIN: standinUrl,
    REDIRECT_URI: `${origin}/auth/callback`,
    APP_RETURN_URL: 'http://127.0.0.1:5173/',
  };
}

/** The baseline's miniflare bindings besides its variables: its KV and,
 * with `wake`, its account objects (`BaselineAccountObject`), which it then
 * wakes after each login as instagate wakes its own. */
export function baselineBindings({ wake = false } = {}) {
  const objects = { ACCOUNT_OBJECTS: { className: 'BaselineAccountObject', useSQLite: true } };
  return { kvNamespaces: ['KV'], ...(wake ? { durableObjects: objects } : {}) };
}

/** Starts the baseline under miniflare (in-memory KV); returns {origin, mf,
 * close}. `wake`: with its account objects, woken after each login. */
export async function startBaseline(standinUrl, { wake = false } = {}) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: join(ROOT, 'build/baseline.mjs'), contents: await baselineScript() }],
    compatibilityDate: '2026-04-26',
    ...baselineBindings({ wake }),
    bindings: baselineVars(standinUrl, origin),
    cf: false,
    host: '127.0.0.1',
    port,
    // One JSON line per request, like instagate's: drop them here.
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
  });
  const url = await mf.ready;
  return { origin: url.origin, mf, close: () => mf.dispose() };
}
