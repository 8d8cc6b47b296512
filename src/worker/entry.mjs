// The Worker's main module (bundled by scripts/build-worker.sh with the
// wasm-bindgen glue into build/index.js, which wrangler.toml's `main`
// names): the `fetch` and `scheduled` handlers and the `AccountObject`
// Durable Object class, over one wasm instance per isolate. The logic is in
// entry-core.mjs.
import { DurableObject } from 'cloudflare:workers';
import * as glue from './index.js';
import { makeEntry } from './entry-core.mjs';

const entry = makeEntry(glue, DurableObject);

export const AccountObject = entry.AccountObject;
export default entry.handlers;
