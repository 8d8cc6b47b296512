// Public types of the instagate npm package. Every entry (browser, Node,
// Workers) exports exactly this API; tests/js/exports.test.mjs checks that the
// runtime exports and this file agree, and tsc --strict checks
// tests/js/types-example.ts against it.

/** `instagram`: Instagram API with Instagram Login. `facebook`: with Facebook Login (Page-linked accounts). */
export type Product = 'instagram' | 'facebook';

/** Base URLs (no trailing slash) of the Meta hosts; each defaults to Meta's. */
export interface Endpoints {
  /** Consent page host: `https://www.instagram.com` / `https://www.facebook.com`. */
  authorizeBase?: string;
  /** Code exchange host: `https://api.instagram.com` / `https://graph.facebook.com`. */
  tokenBase?: string;
  /** Graph host: `https://graph.instagram.com` / `https://graph.facebook.com`. */
  graphBase?: string;
}

/** Holds no secret: safe to ship to a browser. Validated on every call (`config` errors). */
export interface InstagateConfig {
  product: Product;
  /** The numeric App ID (Instagram App ID for Instagram Login), as a string. */
  clientId: string;
  /** Registered with the app; the callback must match it exactly. https, or http on localhost. */
  redirectUri: string;
  /** Defaults per product; scopes of the other product are refused. */
  scopes?: string[];
  /** Graph API version, e.g. `v26.0`. */
  graphVersion?: string;
  endpoints?: Endpoints;
  /** Points every Meta host at the local stand-in (tests and the demo); `endpoints` still override. */
  standinOrigin?: string;
}

/** Consent page options (Instagram Login only; refused for Facebook Login). */
export interface LoginOptions {
  /** Ask the person to log in again even with a session. */
  forceReauth?: boolean;
  /** Offer (true) or hide (false) "Log in with Facebook". */
  enableFbLogin?: boolean;
}

export interface StartLoginOptions extends LoginOptions {
  /** Also navigate to the consent page (`location.assign`). */
  redirect?: boolean;
}

export interface CreatedLogin {
  /** The consent page to send the browser to. */
  url: string;
  /** 32 random bytes, base64url: the callback must bring it back. */
  state: string;
  /** PKCE verifier (43 characters). Keep it for the code exchange; Facebook Login checks it. */
  codeVerifier: string;
  /** `BASE64URL(SHA256(codeVerifier))`. */
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

/** What a single-page app posts to its backend after the redirect. */
export interface CompletedLogin extends ValidatedCallback {
  codeVerifier: string;
}

/** Options of every function that calls Meta. */
export interface CallOptions {
  /** Per HTTP call, in milliseconds (default 30000): an `InstagateError` of kind `timeout` after it. */
  timeoutMs?: number;
  /** Cancels the call: an `InstagateError` of kind `aborted`. */
  signal?: AbortSignal;
}

/** Functions that take the app secret refuse to run in a web page unless told otherwise. */
export interface SecretInput extends CallOptions {
  config: InstagateConfig;
  /** The app secret. Server side only (Node, Deno, Bun, a Worker). */
  clientSecret: string;
  /** Allow `clientSecret` where `globalThis.document` exists (a local test page only). */
  dangerouslyAllowBrowser?: boolean;
}

export type ConnectAccountInput = SecretInput & {
  /** Facebook Login with PKCE: the verifier from createLogin/completeLogin. */
  codeVerifier?: string;
} & (
  | { /** An already validated code (from completeLogin or validateCallback). */ code: string }
  | {
      /** The full callback URL, validated here against `expectedState`. */
      callbackUrl: string;
      expectedState: string;
    }
);

/** `instagram_user`: 60-day token, refreshable. `facebook_page`: Page token, does not expire. */
export type TokenKind = 'instagram_user' | 'facebook_page' | 'facebook_user';

export interface ConnectedAccount {
  /** The Instagram professional account ID (a string: it exceeds 2^53). */
  igUserId: string;
  username: string;
  name: string | null;
  /** `BUSINESS` or `MEDIA_CREATOR` (`PERSONAL` accounts are refused). */
  accountType: string | null;
  /** The long-lived (Instagram Login) or Page (Facebook Login) token. Keep it server side. */
  accessToken: string;
  tokenKind: TokenKind;
  /** The permissions the person granted. */
  scopes: string[];
  /** ISO-8601. */
  issuedAt: string;
  /** ISO-8601; null for a non-expiring Page token. */
  expiresAt: string | null;
  pageId: string | null;
  pageName: string | null;
}

/** Every `kind` an `InstagateError` can have. */
export type ErrorKind =
  | 'invalid_token' | 'token_expired' | 'refresh_too_early' | 'rate_limited'
  | 'permission_denied' | 'missing_permission' | 'invalid_request' | 'invalid_code'
  | 'oauth_denied' | 'state_mismatch' | 'invalid_callback' | 'personal_account'
  | 'no_linked_account' | 'media' | 'publish_limit' | 'transient' | 'transport'
  | 'timeout' | 'unexpected_response' | 'invalid_input' | 'config' | 'aborted';

/** The only error the package throws. A real `Error` subclass. */
export class InstagateError extends Error {
  readonly name: 'InstagateError';
  readonly kind: ErrorKind;
  /** Meta's error `code` (e.g. 190), when Meta answered with one. */
  readonly code: number | null;
  /** Meta's `error_subcode` (e.g. 463). */
  readonly subcode: number | null;
  /** Meta's `fbtrace_id`: quote it when asking Meta for help. */
  readonly fbtraceId: string | null;
  /** Meta's error `type`, e.g. `OAuthException`. */
  readonly errorType: string | null;
  /** HTTP status of the failed answer. */
  readonly status: number | null;
  /** Whether the same call may succeed later. */
  readonly retryable: boolean;
  /** Seconds to wait before retrying, when Meta said so. */
  readonly retryAfter: number | null;
  /** The camelCase input field or config setting at fault; for `missing_permission`, the permission; for `invalid_callback`, the callback parameter. */
  readonly field: string | null;
  constructor(fields: InstagateErrorFields);
}

/** The fields an `InstagateError` is made from (the class copies them; absent ones become null). */
export interface InstagateErrorFields {
  kind: ErrorKind;
  message: string;
  code?: number | null;
  subcode?: number | null;
  fbtraceId?: string | null;
  errorType?: string | null;
  status?: number | null;
  retryable?: boolean;
  retryAfter?: number | null;
  field?: string | null;
}

/** State, PKCE pair and consent URL. Keep `state` and `codeVerifier` for the callback. */
export function createLogin(config: InstagateConfig, options?: LoginOptions): CreatedLogin;

/**
 * Checks a callback URL: exact redirect URI, no repeated parameter, `state`
 * (constant time), Meta's denial (`oauth_denied`), then returns the code.
 */
export function validateCallback(
  config: InstagateConfig,
  callbackUrl: string,
  expectedState: string,
): ValidatedCallback;

/** Browser: createLogin, with state and verifier kept in sessionStorage per redirect URI. */
export function startLogin(config: InstagateConfig, options?: StartLoginOptions): StartedLogin;

/**
 * Browser, on the redirect page: validates `href` (default `location.href`)
 * against the stored attempt, clears it (a replay is `state_mismatch`), removes
 * the code from the address bar, and returns what the backend needs.
 */
export function completeLogin(config: InstagateConfig, href?: string): CompletedLogin;

/**
 * Server side: the whole login after the callback — code exchange, long-lived
 * token, permissions check, profile (personal accounts refused) and, for
 * Facebook Login, the Page linked to the Instagram account and its token.
 */
export function connectAccount(input: ConnectAccountInput): Promise<ConnectedAccount>;
