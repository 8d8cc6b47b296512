// Node ≥ 20 entry: reads the .wasm with fs, instantiates synchronously.
import { readFileSync } from 'node:fs';
import { initSync } from './instagate.js';
initSync({ module: readFileSync(new URL('./instagate_bg.wasm', import.meta.url)) });
export * from './api.js';
