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
  const entry = pkg.exports['.'];
  for (const file of [entry.types, entry.workerd, entry.node, entry.browser, entry.default, ...pkg.files]) {
    await stat(new URL(`pkg/${file}`, root)); // throws when missing
  }
});
