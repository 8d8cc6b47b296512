// The public API shared by every entry; the browser helpers live here in JS.
import { createLogin, validateCallback, connectAccount } from './instagate.js';
export { createLogin, validateCallback, connectAccount };
export { InstagateError } from './error.js';

const storageKey = (config) => `instagate:login:${config.redirectUri}`;

/** Starts a login: keeps state and verifier in sessionStorage per redirect URI. */
export function startLogin(config, options) {
  const login = createLogin(config, options);
  globalThis.sessionStorage.setItem(
    storageKey(config),
    JSON.stringify({ state: login.state, codeVerifier: login.codeVerifier }),
  );
  return { url: login.url, state: login.state, codeChallenge: login.codeChallenge };
}

/** Completes a login from the callback URL; clears the stored attempt. */
export function completeLogin(config, href = globalThis.location.href) {
  const key = storageKey(config);
  const raw = globalThis.sessionStorage.getItem(key);
  let stored = null;
  try { stored = raw ? JSON.parse(raw) : null; } catch { stored = null; }
  // No stored attempt (foreign or replayed callback): validate against a state
  // that can never match, so the core reports state_mismatch.
  const expected = stored && typeof stored.state === 'string' ? stored.state : '\u0000';
  try {
    const { code, state } = validateCallback(config, href, expected);
    return { code, state, codeVerifier: stored.codeVerifier };
  } finally {
    globalThis.sessionStorage.removeItem(key);
  }
}
