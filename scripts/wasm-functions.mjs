// Lists what takes space in a wasm module that still has its name section:
// code bytes per crate and the largest functions. Used by
// `scripts/size-bench.sh --functions` (twiggy is not installed here).
// Usage: node scripts/wasm-functions.mjs module.wasm [top-N]
import { readFileSync } from 'node:fs';

const bytes = readFileSync(process.argv[2]);
const topN = Number(process.argv[3] ?? 30);
let pos = 8;
const leb = () => {
  let result = 0; let shift = 0; let byte;
  do { byte = bytes[pos++]; result |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
  return result >>> 0;
};
const skipName = () => { const n = leb(); pos += n; };

let importedFunctions = 0; let dataBytes = 0;
const bodies = []; const names = new Map();
while (pos < bytes.length) {
  const id = bytes[pos++]; const size = leb(); const end = pos + size;
  if (id === 2) { // imports: count functions, so body i is function (imports + i)
    for (let n = leb(); n > 0; n--) {
      skipName(); skipName();
      const kind = bytes[pos++];
      if (kind === 0) { leb(); importedFunctions++; }
      else if (kind === 1) { pos++; if (bytes[pos++] & 1) { leb(); leb(); } else leb(); }
      else if (kind === 2) { if (bytes[pos++] & 1) { leb(); leb(); } else leb(); }
      else if (kind === 3) pos += 2;
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) { const s = leb(); bodies.push(s); pos += s; }
  } else if (id === 11) {
    dataBytes += size;
  } else if (id === 0) {
    const len = leb(); const name = bytes.subarray(pos, pos + len).toString(); pos += len;
    while (name === 'name' && pos < end) {
      const sub = bytes[pos++]; const subSize = leb(); const subEnd = pos + subSize;
      if (sub === 1) {
        for (let n = leb(); n > 0; n--) {
          const index = leb(); const l = leb();
          names.set(index, bytes.subarray(pos, pos + l).toString()); pos += l;
        }
      }
      pos = subEnd;
    }
  }
  pos = end;
}

// "<serde_json::de::X as ...>::f" → serde_json; "core[hash]::fmt" → core.
// "<f64 as core::fmt::Display>::fmt" → core (a primitive's impl is the trait's crate).
const crateOf = (name) => {
  const clean = (path) => path.replace(/^[<&]+(mut )?/, '').split('::')[0].replace(/\[[0-9a-f]+\]$/, '');
  const impl = name.match(/^<+&?(?:mut )?([^ ]+) as ([^ >]+)/);
  if (impl && !impl[1].includes('::')) return clean(impl[2]);
  return clean(name).split(' ')[0] || name;
};
const rows = bodies.map((size, i) => ({ size, name: names.get(importedFunctions + i) ?? `#${i}` }));
const total = bodies.reduce((a, b) => a + b, 0);
const crates = new Map();
for (const { size, name } of rows) crates.set(crateOf(name), (crates.get(crateOf(name)) ?? 0) + size);

console.log(`code ${total} B in ${bodies.length} functions, data ${dataBytes} B${names.size ? '' : ' (no name section)'}`);
console.log('\ncode bytes by crate (a generic function counts for the crate that defines it):');
for (const [crate, size] of [...crates].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`${String(size).padStart(8)}  ${crate}`);
}
console.log(`\nlargest ${topN} functions:`);
for (const { size, name } of rows.sort((a, b) => b.size - a.size).slice(0, topN)) {
  console.log(`${String(size).padStart(8)}  ${name.replace(/::h[0-9a-f]{16}$/, '').slice(0, 140)}`);
}
