// `instagate/login` for workerd (Cloudflare Workers): the login module's .wasm
// is imported as a compiled module (Workers cannot fetch or read files).
import wasmModule from './instagate_login_bg.wasm';
import { initSync } from './instagate_login.js';
initSync({ module: wasmModule });
export * from './login-api.js';
