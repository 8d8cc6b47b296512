// Compiled with `tsc --noEmit --strict` by tests/js/run.sh: the public types
// must describe real use without `any`.
import {
  createLogin, validateCallback, startLogin, completeLogin, connectAccount, InstagateError,
  type InstagateConfig, type CreatedLogin, type CompletedLogin,
} from 'instagate';

const config: InstagateConfig = {
  product: 'facebook', clientId: '1000000000000001', redirectUri: 'https://app.example/cb',
};
const login: CreatedLogin = createLogin(config, { forceReauth: true });
const url: string = login.url;
const started = startLogin({ ...config, product: 'instagram' }, { enableFbLogin: false });
const challenge: string = started.codeChallenge;
try {
  const { code, state } = validateCallback(config, url, login.state);
  const done: CompletedLogin = completeLogin(config);
  console.log(code.length + state.length + done.codeVerifier.length + challenge.length);
} catch (e: unknown) {
  if (e instanceof InstagateError) {
    const retryIn: number | null = e.retryAfter;
    const code: number | null = e.code;
    console.log(e.kind, e.field, e.status, e.fbtraceId, retryIn, code, e.message);
  }
}
// @ts-expect-error an unknown product is not a Product
createLogin({ ...config, product: 'myspace' });

async function server(callbackUrl: string, expectedState: string): Promise<string> {
  const account = await connectAccount({ config, clientSecret: 's', callbackUrl, expectedState });
  const expires: string | null = account.expiresAt;
  return `${account.igUserId} ${account.username} ${expires ?? 'never'}`;
}
void server;
