// The single-page login flow: the npm package makes state + PKCE and keeps
// them in sessionStorage; the Worker is told the state and the PKCE
// challenge first (POST /auth/pending), so it will only complete this login
// for this browser, which alone knows the verifier.
import { startLogin } from 'instagate/login';
import { api } from './worker-api.js';
import { loginConfig } from './settings.js';

export async function startSpaLogin(product) {
  const config = loginConfig(product);
  const { url, state, codeChallenge } = startLogin(config);
  sessionStorage.setItem('instagate-demo-product', product);
  await api.registerLogin({ product, state, codeChallenge, redirectUri: config.redirectUri });
  location.assign(url);
}
