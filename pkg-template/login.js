// `instagate/login`: the login helpers alone, for a web page that only starts
// a login and checks the redirect (the code exchange and everything after it
// run on a server with the main entry). Its own wasm module, a fraction of
// the main one's size.
import init, * as wasm from './instagate_login.js';
import { InstagateError } from './login-error.js';
import { browserLogin } from './browser-login.js';

await init({ module_or_path: new URL('./instagate_login_bg.wasm', import.meta.url) });

// login-error.js is the class this module's errors are made with.
export { InstagateError };
export const { createLogin, validateCallback } = wasm;
export const { startLogin, completeLogin } = browserLogin(wasm, InstagateError);
