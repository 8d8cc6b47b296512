// `instagate/login` for Node ≥ 20, Deno and Bun (server-side rendering, test
// runners): reads the login module's .wasm from disk, instantiates synchronously
// (their `fetch` does not read `file:` URLs the same way, Node's not at all).
import { readFileSync } from 'node:fs';
import { initSync } from './instagate_login.js';
initSync({ module: readFileSync(new URL('./instagate_login_bg.wasm', import.meta.url)) });
export * from './login-api.js';
