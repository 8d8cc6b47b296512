// The browser login helpers, in plain JavaScript because they only move
// strings between the wasm bindings (createLogin, validateCallback) and
// sessionStorage / location, plus defineConfig (a typing aid). Shared by the
// main entries (api.js) and the login-only entries (login-api.js), each over
// its own wasm module.

/**
 * Returns `config` as it is: a typing aid (TypeScript keeps `product` a
 * literal where the object is written). Validation happens in every function
 * that takes the config.
 */
export const defineConfig = (config) => config;

const storageKey = (config) => `instagate:login:${config?.redirectUri}`;

export function browserLogin({ createLogin, validateCallback }, InstagateError) {
  function sessionStore() {
    const store = globalThis.sessionStorage;
    if (!store) {
      throw new InstagateError({
        kind: 'config', field: 'sessionStorage', retryable: false,
        message: 'startLogin/completeLogin need sessionStorage (a browser); elsewhere use createLogin/validateCallback',
      });
    }
    return store;
  }

  /**
   * Starts a login in the browser: keeps `state` and the PKCE verifier in
   * sessionStorage (one attempt per redirect URI) and returns the consent URL;
   * with `{redirect: true}` it also navigates there.
   */
  function startLogin(config, options = {}) {
    const store = sessionStore();
    const login = createLogin(config, options);
    store.setItem(storageKey(config), JSON.stringify({ state: login.state, codeVerifier: login.codeVerifier }));
    if (options.redirect === true) globalThis.location.assign(login.url);
    return { url: login.url, state: login.state, codeChallenge: login.codeChallenge };
  }

  /**
   * Completes a login on the redirect page: checks `href` (default: the current
   * URL) against the stored attempt, clears it (a replay fails with
   * `state_mismatch`), removes code and state from the address bar, and returns
   * `{code, state, codeVerifier}` to POST to the backend that holds the secret.
   */
  function completeLogin(config, href) {
    const store = sessionStore();
    const fromLocation = href === undefined;
    const url = fromLocation ? globalThis.location.href : href;
    const key = storageKey(config);
    let stored = null;
    try { stored = JSON.parse(store.getItem(key) ?? 'null'); } catch { stored = null; }
    store.removeItem(key);
    if (fromLocation) forgetCallbackUrl(url, config?.redirectUri);
    // No stored attempt (a foreign or replayed callback): an empty expected
    // state never matches, so the core reports state_mismatch.
    const expected = typeof stored?.state === 'string' ? stored.state : '';
    const { code, state } = validateCallback(config, url, expected);
    return { code, state, codeVerifier: stored.codeVerifier };
  }

  return { startLogin, completeLogin };
}

// The code must not stay in the address bar or the history (shared screens,
// bookmarks, Referer): put the bare redirect URI back, same page only.
function forgetCallbackUrl(url, redirectUri) {
  const bare = (u) => String(u).split(/[?#]/)[0];
  if (typeof redirectUri !== 'string' || bare(url) !== bare(redirectUri)) return;
  try { globalThis.history?.replaceState(globalThis.history.state, '', redirectUri); } catch { /* not a page */ }
}
