// Starts the whole demo on loopback: the local Instagram stand-in, the
// instagate Worker under `wrangler dev` (local KV, the real wrangler.toml),
// and the www page under Vite. Used by scripts/demo.sh (which builds first)
// and by the browser end-to-end test, which drives the page.
//
//   node scripts/demo.mjs      (expects pkg/ and build/ to be built)
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startStandin } from '../tests/standin/server.mjs';
import { ROOT, readDevVars, spawnGroup, startWranglerDev, waitForUrl } from './lib/wrangler-dev.mjs';

export { ROOT };

/** Starts the demo; returns {pageUrl, workerUrl, standin, stop()}. */
export async function startDemo({ standinPort = 8790, workerPort = 8787, webPort = 5173, persistDir } = {}) {
  for (const built of ['pkg/package.json', 'build/index.js']) {
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
    await Promise.all(children.map((c) => c.stop()));
    await standin.close();
  };
  // DEMO_VERBOSE copies the Worker's and Vite's output to stderr.
  const echo = Boolean(process.env.DEMO_VERBOSE);
  try {
    // Vite starts while wrangler comes up.
    const vite = spawnGroup('web', ['node_modules/vite/bin/vite.js', '--config', 'www/vite.config.js', '--port', String(webPort)], {}, { echo });
    children.push(vite);
    const wrangler = await startWranglerDev({
      name: 'the Worker (wrangler dev)',
      label: 'worker',
      port: workerPort,
      persistDir: persist,
      vars,
      args: ['--test-scheduled'],
      echo,
    });
    children.push(wrangler);
    await waitForUrl(pageUrl, { child: vite, name: 'the web page (vite)' });
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
