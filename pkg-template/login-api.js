// The public API of `instagate/login`, shared by its entries (login.js for
// browsers and bundlers, login-node.js for Node/Deno/Bun, login-worker.js for
// workerd): the login module's wasm bindings plus the browser login helpers.
// No wasm call runs while this module loads: each entry initialises the wasm
// its own way, and calls only come later.
import * as wasm from './instagate_login.js';
import { InstagateError } from './login-error.js';
import { browserLogin } from './browser-login.js';

// login-error.js is the class this module's errors are made with.
export { InstagateError };
export const { createLogin, validateCallback } = wasm;
export const { startLogin, completeLogin } = browserLogin(wasm, InstagateError);
export { defineConfig } from './browser-login.js';
