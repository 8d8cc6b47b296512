// The hand-written types must describe the real package: the same exports,
// and every error kind the Rust core can produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import * as node from '../../pkg/node.js';

const root = new URL('../../', import.meta.url);
const dts = await readFile(new URL('pkg/index.d.ts', root), 'utf8');

test('pkg/index.d.ts declares exactly the runtime exports of the Node entry', () => {
  const declared = [...dts.matchAll(/^export (?:declare )?(?:function|class|const) (\w+)/gm)].map((m) => m[1]).sort();
  const runtime = Object.keys(node).sort();
  assert.ok(runtime.length >= 6, `too few exports: ${runtime}`);
  assert.deepEqual(runtime, declared);
  for (const name of runtime) {
    assert.equal(typeof node[name], 'function', `${name} is exported but undefined`);
  }
});

test('no `any` in the public types', () => {
  const code = dts.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  assert.doesNotMatch(code, /\bany\b/);
});

test('every ErrorKind of the Rust core is in the ErrorKind type, and nothing else', async () => {
  const rust = await readFile(new URL('src/core/error.rs', root), 'utf8');
  const fromRust = [...rust.matchAll(/ErrorKind::\w+ => "(\w+)"/g)].map((m) => m[1]).sort();
  const union = dts.match(/export type ErrorKind =([^;]+);/)[1];
  const fromTypes = [...union.matchAll(/'(\w+)'/g)].map((m) => m[1]).sort();
  assert.ok(fromRust.length > 10, 'could not read the kinds from error.rs');
  assert.deepEqual(fromTypes, fromRust);
});

test('the package.json ships the entries and types it names', async () => {
  const pkg = JSON.parse(await readFile(new URL('pkg/package.json', root), 'utf8'));
  for (const entry of [pkg.exports['.'], pkg.exports['./login']]) {
    for (const file of [...Object.values(entry), ...pkg.files]) {
      await stat(new URL(`pkg/${file}`, root)); // throws when missing
    }
  }
});

// README: "browsers and bundlers, Node, Deno, Bun, workerd". Every entry has
// a loader for each (tests/runtimes runs Node, Deno and Bun by package name).
test('every entry has a loader per runtime the README names', async () => {
  const pkg = JSON.parse(await readFile(new URL('pkg/package.json', root), 'utf8'));
  for (const name of ['.', './login']) {
    const conditions = Object.keys(pkg.exports[name]);
    for (const runtime of ['workerd', 'deno', 'bun', 'node', 'browser', 'default']) {
      assert.ok(conditions.includes(runtime), `exports["${name}"] has no "${runtime}" loader`);
    }
    // Deno and Bun read the wasm from disk like Node (no fetch of a file: URL).
    assert.equal(pkg.exports[name].deno, pkg.exports[name].node);
    assert.equal(pkg.exports[name].bun, pkg.exports[name].node);
  }
});

test('instagate/login in Node (login-node.js) exports exactly what login.d.ts declares', async () => {
  const login = await import('../../pkg/login-node.js');
  const loginDts = await readFile(new URL('pkg/login.d.ts', root), 'utf8');
  const declared = loginDts.match(/export \{([^}]+)\}/)[1].split(',').map((n) => n.trim())
    .filter((n) => n && !n.startsWith('type ')).sort();
  assert.deepEqual(Object.keys(login).sort(), declared);
  assert.equal(login.defineConfig(login.defineConfig), login.defineConfig, 'defineConfig returns its argument');
  const created = login.createLogin({ product: 'instagram', clientId: '1000000000000001', redirectUri: 'https://app.example/cb' });
  assert.match(created.url, /^https:\/\/www\.instagram\.com\/oauth\/authorize\?/);
});
