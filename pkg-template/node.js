// Node ≥ 20, Deno and Bun entry: reads the .wasm with fs (`node:fs`, which Deno
// and Bun provide), instantiates synchronously.
import { readFileSync } from 'node:fs';
import { initSync } from './instagate.js';
initSync({ module: readFileSync(new URL('./instagate_bg.wasm', import.meta.url)) });
export * from './api.js';
