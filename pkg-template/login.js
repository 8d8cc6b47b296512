// `instagate/login` for browsers and bundlers: the login helpers alone, for a
// web page that only starts a login and checks the redirect (the code
// exchange and everything after it run on a server with the main entry). Its
// own wasm module, a fraction of the main one's size, fetched next to this file.
import init from './instagate_login.js';
await init({ module_or_path: new URL('./instagate_login_bg.wasm', import.meta.url) });
export * from './login-api.js';
