// Compiled with `tsc --noEmit --strict` by tests/js/run.sh: the public types
// must describe real use without `any`; the @ts-expect-error lines must stay
// errors (tsc fails when one of them compiles).
import {
  createLogin, validateCallback, startLogin, completeLogin, connectAccount, InstagateError,
  type InstagateConfig, type CreatedLogin, type CompletedLogin, type ConnectedAccount,
  type ErrorKind, type TokenKind,
} from 'instagate';

const config: InstagateConfig = {
  product: 'facebook', clientId: '1000000000000001', redirectUri: 'https://app.example/cb',
  endpoints: { graphBase: 'https://graph.example' },
};
const login: CreatedLogin = createLogin({ ...config, product: 'instagram' }, { forceReauth: true });
const url: string = login.url;
const started = startLogin(config, { redirect: true });
const challenge: string = started.codeChallenge;
try {
  const { code, state } = validateCallback(config, url, login.state);
  const done: CompletedLogin = completeLogin(config);
  console.log(code.length + state.length + done.codeVerifier.length + challenge.length);
} catch (e: unknown) {
  if (e instanceof InstagateError) {
    const kind: ErrorKind = e.kind;
    const retryIn: number | null = e.retryAfter;
    const code: number | null = e.code;
    if (kind === 'rate_limited' && retryIn !== null) console.log(retryIn * 1000);
    console.log(e.field, e.status, e.fbtraceId, e.errorType, e.subcode, code, e.retryable, e.message);
  }
}
// @ts-expect-error an unknown product is not a Product
createLogin({ ...config, product: 'myspace' });
// @ts-expect-error an unknown error kind is not an ErrorKind
const wrongKind: ErrorKind = 'teapot';
void wrongKind;

async function server(callbackUrl: string, expectedState: string, signal: AbortSignal): Promise<string> {
  const account: ConnectedAccount = await connectAccount({
    config, clientSecret: 's', callbackUrl, expectedState, timeoutMs: 10_000, signal,
  });
  const kind: TokenKind = account.tokenKind;
  const expires: string | null = account.expiresAt;
  const fromCode = await connectAccount({ config, clientSecret: 's', code: 'c', codeVerifier: 'v' });
  return `${account.igUserId} ${account.username} ${kind} ${expires ?? 'never'} ${fromCode.pageId ?? ''}`;
}
// @ts-expect-error connectAccount needs a code or a callback URL
void connectAccount({ config, clientSecret: 's' });
void server;
