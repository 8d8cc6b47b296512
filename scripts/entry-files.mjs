// Prints every file a pkg/ entry loads at run time: the entry, the modules it
// imports (static `import`/`export … from` with relative paths, followed
// recursively) and the wasm it fetches (`new URL('./x.wasm', import.meta.url)`).
// Usage: node scripts/entry-files.mjs pkg index.js
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const [root, entry] = process.argv.slice(2);
const seen = new Set();
const visit = (file) => {
  if (seen.has(file)) return;
  seen.add(file);
  if (!file.endsWith('.js')) return;
  const code = readFileSync(join(root, file), 'utf8');
  const specifiers = [
    // `\b...\s*`: minified code writes `import{a}from"./x.js"`.
    ...code.matchAll(/\b(?:import|export)\s*[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g),
    ...code.matchAll(/\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g),
    ...code.matchAll(/new URL\(\s*['"](\.{1,2}\/[^'"]+\.wasm)['"]\s*,\s*import\.meta\.url/g),
  ].map((m) => m[1]);
  for (const s of specifiers) visit(normalize(join(dirname(file), s)));
};
visit(normalize(entry));
for (const file of [...seen].sort()) console.log(relative('.', file));
