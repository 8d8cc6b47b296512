// Workers entry: the .wasm is imported as a compiled module.
import wasmModule from './instagate_bg.wasm';
import { initSync } from './instagate.js';
initSync({ module: wasmModule });
export * from './api.js';
