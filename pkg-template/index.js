// Browser / Vite / default entry: fetches the .wasm next to this file.
import init from './instagate.js';
await init({ module_or_path: new URL('./instagate_bg.wasm', import.meta.url) });
export * from './api.js';
