// Smoke test through `wrangler dev` with the real wrangler.toml (prebuilt Worker,
// SKIP_WORKER_BUILD=1), secrets taken from .dev.vars.example, against the stand-in:
// health, a full Instagram login, the API with the session, and a cron run via
// /__scheduled.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandin } from '../standin/server.mjs';
import { Browser, ROOT } from './harness.mjs';

let standin;
let wrangler;
let origin;
let persist;
const output = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// KEY="value" lines of .dev.vars.example.
function devVarsExample() {
  const vars = {};
  for (const line of readFileSync(join(ROOT, '.dev.vars.example'), 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_]+)="(.*)"$/);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

before(async () => {
  standin = await startStandin({ port: 0 });
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  persist = mkdtempSync(join(tmpdir(), 'instagate-wrangler-'));
  const vars = {
    ...devVarsExample(),
    STANDIN_ORIGIN: standin.url,
    REDIRECT_URI: `${origin}/auth/callback`,
  };
  const args = [
    'node_modules/wrangler/wrangler-dist/cli.js', 'dev',
    '--ip', '127.0.0.1', '--port', String(port), '--test-scheduled', '--persist-to', persist,
    '--show-interactive-dev-session=false', '--inspector-port', String(await freePort()),
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ];
  wrangler = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    env: {
      ...process.env,
      SKIP_WORKER_BUILD: '1',
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_SEND_ERROR_REPORTS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      CI: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  wrangler.stdout.on('data', (d) => output.push(String(d)));
  wrangler.stderr.on('data', (d) => output.push(String(d)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler exited:\n${output.join('')}`);
    try {
      const r = await fetch(`${origin}/health`);
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`wrangler dev did not come up:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

after(async () => {
  if (wrangler && wrangler.exitCode === null) {
    // The whole process group: wrangler and the workerd it started.
    try {
      process.kill(-wrangler.pid, 'SIGTERM');
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-wrangler.pid, 'SIGKILL');
    } catch {}
  }
  await standin?.close();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

test('wrangler dev serves the Worker from wrangler.toml: login, API, cron', async () => {
  const health = await (await fetch(`${origin}/health`)).json();
  assert.equal(health.status, 'ok');

  standin.control.consent({ decision: 'allow', account: 'biz' });
  const browser = new Browser();
  const app = 'http://127.0.0.1:5173/';
  const { url } = await browser.follow(`${origin}/auth/login`, { stopAt: [app] });
  const connected = new URL(url).searchParams.get('connected');
  assert.equal(connected, '17841400000000001', url);
  const r = await browser.fetch(`${origin}/api/accounts/${connected}`);
  assert.equal(r.status, 200);
  assert.equal((await r.json()).account.username, 'standin_bakery');

  const key = devVarsExample().API_KEY;
  const list = await fetch(`${origin}/api/accounts`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal((await list.json()).accounts.length, 1);

  const cron = await fetch(`${origin}/__scheduled?cron=${encodeURIComponent('17 * * * *')}`);
  assert.equal(cron.status, 200);
  // The cron's log line reaches wrangler's output.
  const deadline = Date.now() + 5000;
  while (!output.join('').includes('"event":"cron"') && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(output.join('').includes('"event":"cron"'), output.join(''));
});
