// The npm package by its package name under every server runtime the README
// names (Node 20, Deno, Bun; workerd is tests/js/workerd.test.mjs, browsers
// tests/browser): `import 'instagate/login'` and `import 'instagate'` load
// through the runtime's export conditions, and a login → exchange → publish
// round trip (round-trip.mjs) runs against the stand-in. Deno and Bun are the
// pinned npm dev dependencies (node_modules/.bin); a missing one fails the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, copyFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startStandin } from '../standin/server.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name) => join(root, 'node_modules/.bin', name);
const RUNTIMES = {
  node: [process.execPath],
  deno: [bin('deno'), 'run', '--allow-read', '--allow-net', '--allow-env'],
  bun: [bin('bun'), 'run'],
};

let standin, app;
before(async () => {
  standin = await startStandin({ port: 0 });
  // A user's project: package.json + node_modules/instagate (the built pkg/).
  app = mkdtempSync(join(tmpdir(), 'instagate-runtimes-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(join(root, 'pkg'), join(app, 'node_modules/instagate'), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true, dependencies: { instagate: '*' } }));
  copyFileSync(new URL('./round-trip.mjs', import.meta.url), join(app, 'round-trip.mjs'));
});
after(async () => {
  await standin?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

for (const [runtime, command] of Object.entries(RUNTIMES)) {
  for (const product of ['instagram', 'facebook']) {
    test(`${runtime}: instagate/login and instagate import by name; ${product} login, exchange and publish round trip`, async () => {
      assert.ok(existsSync(command[0]), `${command[0]} missing: npm ci installs the pinned ${runtime}`);
      standin.control.consent({ decision: 'allow' });
      const before = standin.control.state().media.length;
      let stdout;
      try {
        ({ stdout } = await promisify(execFile)(command[0], [...command.slice(1), 'round-trip.mjs'], {
          cwd: app, timeout: 60_000,
          env: { ...process.env, INSTAGATE_STANDIN: standin.url, INSTAGATE_PRODUCT: product, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
        }));
      } finally {
        standin.control.consent(null);
      }
      const out = JSON.parse(stdout.trim().split('\n').at(-1));
      // The runtime's export conditions picked the file-reading loaders.
      assert.match(out.loginEntry, /\/login-node\.js$/);
      assert.match(out.mainEntry, /\/node\.js$/);
      assert.equal(out.foreignStateKind, 'state_mismatch');
      assert.equal(out.mainErrorIsClass, true);
      assert.ok(BigInt(out.igUserId) > 2n ** 53n, out.igUserId);
      const media = standin.control.state().media;
      assert.equal(media.length, before + 1);
      assert.equal(media.at(-1).id, out.mediaId);
      assert.equal(media.at(-1).caption, `from ${product}`);
    });
  }
}
