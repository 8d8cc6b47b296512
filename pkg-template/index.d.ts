// Hand-written public types of the instagate npm package (every entry exports this API).

export type Product = 'instagram' | 'facebook';

export interface InstagateConfig {
  product: Product;
  /** The numeric App ID, as a string. */
  clientId: string;
  redirectUri: string;
  scopes?: string[];
  graphVersion?: string;
  /** Points every Meta host at the local stand-in (tests and demo). */
  standinOrigin?: string;
}

export interface LoginOptions {
  /** Instagram Login: ask the user to log in again. */
  forceReauth?: boolean;
  /** Instagram Login: offer "Log in with Facebook". */
  enableFbLogin?: boolean;
}

export interface CreatedLogin {
  url: string;
  state: string;
  codeVerifier: string;
  codeChallenge: string;
}

export interface StartedLogin {
  url: string;
  state: string;
  codeChallenge: string;
}

export interface ValidatedCallback {
  code: string;
  state: string;
}

export interface CompletedLogin extends ValidatedCallback {
  codeVerifier: string;
}

export type ErrorKind =
  | 'invalid_token' | 'token_expired' | 'rate_limited' | 'permission_denied'
  | 'invalid_request' | 'oauth_denied' | 'state_mismatch' | 'invalid_callback'
  | 'personal_account' | 'transient' | 'transport' | 'timeout'
  | 'unexpected_response' | 'invalid_input' | 'config' | (string & {});

export class InstagateError extends Error {
  readonly name: 'InstagateError';
  readonly kind: ErrorKind;
  readonly code: number | null;
  readonly subcode: number | null;
  readonly fbtraceId: string | null;
  readonly errorType: string | null;
  readonly status: number | null;
  readonly retryable: boolean;
  /** Seconds to wait before retrying, when the server said so. */
  readonly retryAfter: number | null;
  /** The input field at fault, when there is one. */
  readonly field: string | null;
}

/** State, PKCE pair and consent URL. Keep `state` and `codeVerifier` for the callback. */
export function createLogin(config: InstagateConfig, options?: LoginOptions): CreatedLogin;

/** Checks the callback URL (exact redirect URI, state, denial) and returns the code. */
export function validateCallback(
  config: InstagateConfig,
  callbackUrl: string,
  expectedState: string,
): ValidatedCallback;

/** Browser: createLogin, with state and verifier kept in sessionStorage per redirect URI. */
export function startLogin(config: InstagateConfig, options?: LoginOptions): StartedLogin;

/** Browser: validates `href` against the stored attempt, clears it, returns what the backend needs. */
export function completeLogin(config: InstagateConfig, href?: string): CompletedLogin;

export interface ConnectAccountInput {
  config: InstagateConfig;
  clientSecret: string;
  /** The full callback URL (validated against `expectedState`), or … */
  callbackUrl?: string;
  expectedState?: string;
  /** … an already validated code. */
  code?: string;
  /** Facebook Login with PKCE: the verifier from createLogin/completeLogin. */
  codeVerifier?: string;
}

export interface ConnectedAccount {
  /** The Instagram professional account ID (a string: it exceeds 2^53). */
  igUserId: string;
  username: string;
  name: string | null;
  accountType: string | null;
  accessToken: string;
  tokenKind: 'InstagramUser' | 'FacebookPage' | 'FacebookUser';
  scopes: string[];
  /** ISO-8601. */
  issuedAt: string;
  /** ISO-8601; null for a non-expiring Page token. */
  expiresAt: string | null;
  pageId: string | null;
  pageName: string | null;
}

/** Server side: exchanges the code, gets the long-lived token, profile and (Facebook Login) Page. */
export function connectAccount(input: ConnectAccountInput): Promise<ConnectedAccount>;
