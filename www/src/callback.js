// The redirect target of the single-page flow: the package checks the
// callback (exact redirect URI, state from sessionStorage) and the Worker
// exchanges the code, stores the token encrypted and sets the session. The
// page's first script took the callback out of the address bar (see
// callback.html) and left it in window.instagateCallbackHref.
import { completeLogin } from 'instagate/login';
import { api } from './worker-api.js';
import { loginConfig } from './settings.js';

const status = document.querySelector('#status');
const home = new URL('./', location.href);

try {
  const product = sessionStorage.getItem('instagate-demo-product') ?? 'instagram';
  const { code, state, codeVerifier } = completeLogin(loginConfig(product), window.instagateCallbackHref ?? location.href);
  status.textContent = 'Connecting…';
  // Every account the login brought (a Facebook login: one per linked Page granted).
  const { accounts } = await api.exchange({ code, state, codeVerifier });
  home.searchParams.set('connected', accounts.map((a) => a.id).join(','));
} catch (e) {
  home.searchParams.set('error', e.kind ?? 'unexpected_response');
}
location.replace(home.href);
