// `instagate/login` (the login-only entry) under `tsc --strict`: the same
// functions and types as the main entry, and nothing of the server API.
import {
  startLogin, completeLogin, createLogin, validateCallback, InstagateError,
  type InstagateConfig, type CompletedLogin, type StartedLogin,
} from 'instagate/login';
// @ts-expect-error the login entry has no server functions
import { connectAccount } from 'instagate/login';

const config: InstagateConfig = { product: 'instagram', clientId: '1', redirectUri: 'https://app.example/cb' };
const started: StartedLogin = startLogin(config, { redirect: false });
let done: CompletedLogin | null = null;
try {
  done = completeLogin(config);
} catch (e) {
  if (e instanceof InstagateError && e.kind === 'oauth_denied') done = null;
}
const direct = validateCallback(config, started.url, createLogin(config).state);
export const summary = [started.state, done?.codeVerifier, direct.code, typeof connectAccount].join(' ');
