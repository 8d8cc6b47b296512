// Bundled by Vite in tests/browser/login.test.mjs: the bare import must
// resolve through pkg/package.json's exports and ship the .wasm as an asset.
import * as instagate from 'instagate';

window.instagate = instagate;
window.instagateReady = true;
