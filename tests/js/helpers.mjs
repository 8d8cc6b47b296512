// Shared by the Node suites: the stand-in, configs for both products, and a
// consent step that returns the callback URL Meta would redirect to.
import { startStandin } from '../standin/server.mjs';
import * as ig from '../../pkg/node.js';

export { ig };
export const redirectUri = 'http://127.0.0.1:8787/auth/callback';
export const clientSecret = 'standin-app-secret';
export const HOUR_MS = 3600 * 1000;

export async function standinFor(t) {
  const standin = await startStandin({ port: 0 });
  t.after?.(() => standin.close());
  return standin;
}

export const configFor = (standin, product) => ({
  product, clientId: '1000000000000001', redirectUri, standinOrigin: standin.url,
});

/** createLogin → the stand-in's consent page decides at once → the callback URL. */
export async function consent(standin, product, { decision = 'allow', account } = {}) {
  standin.control.consent({ decision, ...(account ? { account } : {}) });
  try {
    const login = ig.createLogin(configFor(standin, product));
    const response = await fetch(login.url, { redirect: 'manual' });
    if (response.status !== 302) throw new Error(`consent page answered ${response.status}`);
    return { login, callbackUrl: response.headers.get('location') };
  } finally {
    standin.control.consent(null);
  }
}

/** Resolves with the InstagateError `promise` rejects with (fails if it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    if (!(e instanceof ig.InstagateError) || !(e instanceof Error)) throw e;
    return e;
  }
  throw new Error('expected an InstagateError, but the call succeeded');
}
