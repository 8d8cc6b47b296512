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
  /**
   * Facebook Login's video upload host (`https://rupload.facebook.com`).
   * Unset, it follows `graphBase` when that ends in `graph.facebook.com`
   * (Meta's host, or the stand-in's); set it when the Graph host is elsewhere.
   */
  ruploadBase?: string;
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
  /** Graph API version (default `v27.0`, the latest since November 2026). */
  graphVersion?: string;
  /**
   * Facebook Login for Business: the Configuration ID of a saved login
   * configuration. The dialog gets `config_id` instead of `scope` (the
   * configuration sets permissions, assets and token type); `scopes` still
   * lists what the login must have granted.
   */
  configId?: string;
  endpoints?: Endpoints;
  /** Points every Meta host at the local stand-in (tests and the demo); `endpoints` still override. */
  standinOrigin?: string;
}

/** Consent page options (each refused for the other product). */
export interface LoginOptions {
  /** Instagram Login: ask the person to log in again even with a session. */
  forceReauth?: boolean;
  /** Instagram Login: offer (true) or hide (false) "Log in with Facebook". */
  enableFbLogin?: boolean;
  /**
   * Facebook Login: ask again for permissions the person declined before
   * (`auth_type=rerequest`); without it the dialog does not offer them. The
   * way out of a `missing_permission`.
   */
  rerequest?: boolean;
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
  /**
   * The app secret. Server side only (Node, Deno, Bun, a Worker). `undefined`
   * (an unset `process.env` variable) is accepted by the type and refused
   * before any call: `invalid_input` naming `clientSecret`.
   */
  clientSecret: string | undefined;
  /** Allow `clientSecret` where `globalThis.document` exists (a local test page only). */
  dangerouslyAllowBrowser?: boolean;
}

/** Which code to exchange. */
export type CodeSource =
  | {
      /** A code whose state the browser already checked (`completeLogin`'s result). */
      code: string;
      /** The state that came with it (informational; the browser compared it). */
      state?: string;
    }
  | {
      /** The full callback URL, validated here (redirect URI, state, denial). */
      callbackUrl: string;
      expectedState: string;
    };

export type ExchangeCodeInput = SecretInput & CodeSource & {
  /** The PKCE verifier from createLogin/completeLogin: Facebook Login checks it; Instagram Login takes none. */
  codeVerifier?: string;
};

export type ConnectAccountInput = ExchangeCodeInput & {
  /**
   * Which accounts to keep, by Instagram user ID or Facebook Page ID.
   * Absent or empty: every account the login granted (Facebook Login: one
   * per linked Page with a Page token; Instagram Login: its one account).
   * A name that is not among them is `no_linked_account`.
   */
  accounts?: string[];
};

/**
 * `instagram_short_lived` (1 h) → `getLongLivedToken` → `instagram_long_lived`
 * (60 days, refreshable after 24 h). Facebook Login: `facebook_user_short_lived`
 * → `facebook_user_long_lived` (~60 days, no refresh); `facebook_page` does not expire.
 */
export type TokenKind =
  | 'instagram_short_lived' | 'instagram_long_lived'
  | 'facebook_user_short_lived' | 'facebook_user_long_lived' | 'facebook_page';

/** An access token and what is known about it. Keep it server side. */
export interface TokenRecord {
  accessToken: string;
  kind: TokenKind;
  /** ISO-8601. (As input, a `Date` or epoch milliseconds are accepted too.) */
  issuedAt: string;
  /** ISO-8601; null when it does not expire. */
  expiresAt: string | null;
  /** Permissions granted with it, when known. */
  scopes: string[];
  /** The Instagram professional account it acts for, when known. */
  igUserId: string | null;
}

/** A token record given back to the package: times may also be `Date`s or epoch milliseconds. */
export interface TokenRecordInput {
  accessToken: string;
  kind: TokenKind;
  issuedAt: string | Date | number;
  expiresAt?: string | Date | number | null;
  scopes?: string[];
  igUserId?: string | null;
}

export interface CodeExchange {
  /** The short-lived token: exchange it with `getLongLivedToken` within the hour. */
  token: TokenRecord;
  /** Instagram Login: the exchange's `user_id` (exact, as a string). */
  userId: string | null;
  /** Instagram Login: the permissions granted; null for Facebook Login (see `getPermissions`). */
  permissions: string[] | null;
}

export interface LongLivedInput extends SecretInput {
  /** The short-lived record from `exchangeCode`. */
  token: TokenRecordInput;
}

export interface RefreshInput extends CallOptions {
  config: InstagateConfig;
  /** An `instagram_long_lived` record at least 24 hours old and unexpired. */
  token: TokenRecordInput;
}

/**
 * Facebook Login on a server: with the app secret, every Graph call is signed
 * with `appsecret_proof` (required when the Meta app has "Require App Secret"
 * on). Refused in a web page unless `dangerouslyAllowBrowser`.
 */
export interface SigningInput {
  clientSecret?: string;
  dangerouslyAllowBrowser?: boolean;
}

export interface TokenInput extends CallOptions, SigningInput {
  config: InstagateConfig;
  accessToken: string;
}

export interface ProfileInput extends TokenInput {
  /** Facebook Login: required (the Page's `instagram_business_account`). Instagram Login: `me`. */
  igUserId?: string;
}

/** An Instagram professional account. IDs are strings; counts are numbers. */
export interface Profile {
  igUserId: string;
  /** Instagram Login: the app-scoped user ID (`id` on graph.instagram.com). */
  appScopedId: string | null;
  username: string;
  name: string | null;
  /** Instagram Login: `BUSINESS` or `MEDIA_CREATOR`; null through a Page. */
  accountType: string | null;
  profilePictureUrl: string | null;
  followersCount: number | null;
  followsCount: number | null;
  mediaCount: number | null;
}

export interface Permissions {
  granted: string[];
  declined: string[];
}

/** A Facebook Page linked to an Instagram professional account. */
export interface LinkedPage {
  pageId: string;
  pageName: string | null;
  /** The Page token (non-expiring from a long-lived user token); null when Meta gave none. */
  pageToken: string | null;
  instagram: Profile;
}

export interface FacebookPages {
  /** Only the Pages linked to an Instagram account. */
  pages: LinkedPage[];
  /** Pages read in all, linked or not. */
  pagesSeen: number;
  /** More Pages exist than were read (paging is bounded). */
  truncated: boolean;
}

export interface ResolveAccountInput extends TokenInput {
  /** The account to find; without it, the only (or first) linked one. */
  igUserId?: string;
}

export interface ConnectedAccount {
  /** The Instagram professional account ID, to publish with (a string: it exceeds 2^53). */
  igUserId: string;
  username: string;
  name: string | null;
  /** Instagram Login: `BUSINESS` or `MEDIA_CREATOR` (`PERSONAL` is refused); null through a Page. */
  accountType: string | null;
  product: Product;
  profilePictureUrl: string | null;
  followersCount: number | null;
  followsCount: number | null;
  mediaCount: number | null;
  /** Instagram Login: long-lived (60 days, refreshable). Facebook Login: the non-expiring Page token. */
  token: TokenRecord;
  grantedScopes: string[];
  /** Facebook Login: the Page the account is reached through. */
  page: { pageId: string; pageName: string | null } | null;
  /** Other IDs Meta uses for this person (app-scoped IDs, the Facebook user). */
  aliases: string[];
}

/** Why `connectAccount` left out a linked account. */
export type SkipReason =
  /** Meta gave no Page token: the person has no task (e.g. Create content) on that Page. */
  | 'no_page_token'
  /** Not among `accounts`. */
  | 'not_chosen'
  /** Past a limit of accounts per login (the Worker's `MAX_ACCOUNTS_PER_LOGIN`). */
  | 'over_limit';

/** A linked account a Facebook login did not connect. */
export interface SkippedAccount {
  igUserId: string;
  username: string;
  pageId: string;
  pageName: string | null;
  reason: SkipReason;
}

/** What a login connected: the same shape for both products. */
export interface ConnectedLogin {
  product: Product;
  /**
   * At least one account, in Meta's order. Instagram Login: exactly one.
   * Facebook Login: every Instagram account the person granted (one per
   * linked Page), or those named by `accounts`.
   */
  accounts: ConnectedAccount[];
  /** Facebook Login: the person's app-scoped Facebook user ID (deauthorize callbacks name it); else null. */
  facebookUserId: string | null;
  /** Facebook Login: linked accounts left out, and why (empty for Instagram Login). */
  skipped: SkippedAccount[];
}

export interface TokenStatusOptions {
  /** The time to judge at (default: now). */
  now?: string | Date | number;
  /** Refresh once fewer days than this remain (default 30). */
  refreshWhenDaysLeft?: number;
}

/** What to show about a token: never the token itself. */
export interface TokenStatus {
  kind: TokenKind;
  issuedAt: string;
  expiresAt: string | null;
  /** Whole days until expiry (negative once expired); null when it does not expire. */
  daysLeft: number | null;
  /** Refreshable, old enough, and within `refreshWhenDaysLeft` of expiry. */
  needsRefresh: boolean;
  expired: boolean;
  /** Meta would accept a refresh now. */
  refreshable: boolean;
  /** When an `instagram_long_lived` token becomes refreshable (24 h after issue). */
  refreshableAt: string | null;
}

// Publishing ------------------------------------------------------------------

/** A person tagged on an image (x, y from 0 to 1; stories and videos take no position). */
export interface UserTag {
  username: string;
  x?: number;
  y?: number;
}

/** How often to read a container's status while Instagram processes it. */
export interface PollSettings {
  /** First status read of an image container, after its creation (default 1000). */
  firstCheckImageMs?: number;
  /** First status read of a container with video (default 3000), then the same growing schedule. */
  firstCheckVideoMs?: number;
  /** Next wait as a percentage of the processing time so far (default 18). */
  growthPercent?: number;
  /** Shortest wait between reads (default 250, must be > 0). */
  minIntervalMs?: number;
  /** Longest wait between reads (default 60000). */
  maxIntervalMs?: number;
}

/** How a publish behaves (all optional). Saved in the job. */
export interface PublishSettings {
  /** Read the publishing quota first; `publish_limit` when it is used up (default false). */
  checkQuota?: boolean;
  /** Calls to Meta this publish may make in all (default 100): `timeout` past it. */
  maxCalls?: number;
  /** `media_publish` sends in all, each only after the status showed the last did not take (default 3). */
  maxPublishAttempts?: number;
  /** After a publish answer is lost, wait this long before the status decides (default 5000). */
  publishSettleMs?: number;
  poll?: PollSettings;
  retry?: RetrySettings;
  /**
   * Bytes of a video file sent per upload request; 0 (default) sends the rest
   * of the file in one request, as Meta's guide does. Smaller pieces report
   * `uploaded` progress more often and resend less after an interruption.
   */
  uploadChunkBytes?: number;
}

/**
 * A local video's bytes, uploaded to Meta with the resumable upload
 * (`upload_type=resumable`, rupload.facebook.com). Meta offers it with
 * **Facebook Login only**; with Instagram Login give a public `videoUrl`.
 * Read whole into memory first; its MP4 header is checked before any call
 * (empty, truncated, not MP4/MOV, or a duration or size Meta refuses:
 * `invalid_input`). An interrupted upload resumes at the offset Meta reports.
 */
export type VideoBytes = Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** What a video file's header says (`inspectVideo`), as kept in a job's media. */
export interface VideoFile {
  /** The file's size in bytes. */
  size: number;
  /** Its duration from the MP4 `mvhd` box, in milliseconds. */
  durationMs: number;
}

/** How a failed call is retried (transient errors only; never a publish whose outcome is unknown). */
export interface RetrySettings {
  /** Attempts of one call in all, the first included (default 4). */
  maxAttempts?: number;
  /** The first backoff; it doubles each time, with jitter (default 1000). */
  baseDelayMs?: number;
  /** The longest backoff (default 30000). */
  maxDelayMs?: number;
  /** The longest time spent retrying one call (default 300000). */
  maxElapsedMs?: number;
}

/** What every publish function takes besides the media. */
export interface PublishInput extends PublishSettings, SigningInput {
  config: InstagateConfig;
  /** Instagram Login: the Instagram User token. Facebook Login: the Page token. */
  accessToken: string;
  /** The professional account's ID (`connectAccount(...).accounts[i].igUserId`). */
  igUserId: string;
  /** Each step as it happens; a throwing callback is ignored. */
  onProgress?: (event: PublishProgress) => void;
  /**
   * Stops the publish between calls (never during one: an aborted publish
   * call would leave it unknown whether the post exists). The `aborted`
   * error carries the job as `error.job`.
   */
  signal?: AbortSignal;
  /** Per HTTP call, in milliseconds (default 30000). */
  timeoutMs?: number;
}

/** A catalog product tagged on the media (needs `instagram_shopping_tag_products`); x, y from 0 to 1 on images, none on videos. */
export interface ProductTag {
  productId: string;
  x?: number;
  y?: number;
}

/**
 * What a feed post (image, reel, carousel) may carry besides its media:
 * Instagram's AI label, and a caption add-on (Facebook Login only): a poll of
 * 2 to 4 options or a comment prompt, whose question is the caption.
 */
export interface PostExtras {
  /** `true` applies the "AI info" label (`is_ai_generated`). */
  isAiGenerated?: boolean;
  /** A caption poll's 2 to 4 options (Facebook Login; needs a caption). */
  pollOptions?: string[];
  /** Keep the poll open indefinitely instead of 3 days. */
  pollDurationExtended?: boolean;
  /** Turn the caption into a comment prompt (Facebook Login; not with a poll). */
  commentPrompt?: boolean;
}

export interface ImageMedia extends PostExtras {
  /** A public https URL of a JPEG. */
  imageUrl: string;
  /** Up to 2,200 characters, 30 hashtags and 20 @mentions. */
  caption?: string;
  altText?: string;
  userTags?: UserTag[];
  /** Up to 5 products, each with x and y. */
  productTags?: ProductTag[];
  locationId?: string;
  /** Up to 3 usernames. */
  collaborators?: string[];
}

/** A video: a public URL Meta downloads, or the bytes to upload (exactly one). */
export type VideoSource =
  | { /** A public https URL of an MP4/MOV. */ videoUrl: string; video?: undefined }
  | { video: VideoBytes; videoUrl?: undefined };

export type ReelMedia = VideoSource & ReelDetails;

export interface ReelDetails extends PostExtras {
  caption?: string;
  /** A cover image URL; or `thumbOffset`, in milliseconds into the video. */
  coverUrl?: string;
  thumbOffset?: number;
  /** Also show the reel in the feed grid. */
  shareToFeed?: boolean;
  audioName?: string;
  collaborators?: string[];
  locationId?: string;
  userTags?: UserTag[];
  /** Up to 5 products, without x and y. */
  productTags?: ProductTag[];
}

/** A carousel item: an image or a video (a URL, or bytes to upload; `thumbOffset`: its cover frame, in milliseconds). */
export type CarouselItem =
  | { imageUrl: string; altText?: string; userTags?: UserTag[]; productTags?: ProductTag[] }
  | (VideoSource & { thumbOffset?: number; userTags?: UserTag[]; productTags?: ProductTag[] });

/** The AI label and caption add-ons go on the carousel itself, never on its items. */
export interface CarouselMedia extends PostExtras {
  /** 2 to 10 items, shown in this order. */
  items: CarouselItem[];
  caption?: string;
  locationId?: string;
  collaborators?: string[];
}

/** A story: exactly one of `imageUrl`, `videoUrl` and `video`. */
export type StoryMedia =
  | { imageUrl: string; videoUrl?: undefined; video?: undefined; userTags?: UserTag[] }
  | (VideoSource & { imageUrl?: undefined; userTags?: UserTag[] });

/** A video in a job's media: a URL, or a file's header facts (its bytes go to `stepPublishJob({files})`). */
export type JobVideo = { videoUrl: string; videoFile?: undefined } | { videoFile: VideoFile; videoUrl?: undefined };

/** Any media, tagged with its `type` (for `createPublishJob`). */
export type Media =
  | ({ type: 'image' } & ImageMedia)
  | ({ type: 'reel' } & JobVideo & ReelDetails)
  | ({ type: 'carousel'; items: Array<{ imageUrl: string; altText?: string; userTags?: UserTag[]; productTags?: ProductTag[] } | (JobVideo & { thumbOffset?: number; userTags?: UserTag[]; productTags?: ProductTag[] })> } & Omit<CarouselMedia, 'items'>)
  | ({ type: 'story'; userTags?: UserTag[] } & ({ imageUrl: string } | JobVideo));

/** The result of a publish. */
export interface Published {
  /**
   * The new post's ID. Null only when Meta's publish answer was lost and not
   * exactly one recent post fits (e.g. the same caption posted twice within a
   * minute), or for a story with Instagram Login: the post exists, and no
   * other post's ID is ever given instead.
   */
  mediaId: string | null;
  /** The post's URL (null when it could not be read). */
  permalink: string | null;
  /** The container the post was made from. */
  containerId: string;
}

/** The account's publishing limit over Meta's rolling window. */
export interface PublishingQuota {
  /** Posts published in the window (a carousel counts once). */
  usage: number;
  /** The limit (null when Meta did not say). */
  total: number | null;
  /** The window, in seconds (86400). */
  durationSeconds: number | null;
  remaining: number | null;
}

/** A step of a running publish, as reported to `onProgress`. */
export type PublishProgress =
  | { step: 'quotaChecked'; quota: PublishingQuota }
  | { step: 'childCreated'; index: number; count: number; containerId: string }
  | { step: 'created'; containerId: string }
  /** Meta has `sent` of the `total` bytes of a video file (after each upload request, and after reading Meta's offset). */
  | { step: 'uploaded'; containerId: string; sent: number; total: number }
  | { step: 'processing'; containerId: string; elapsedMs: number; checks: number }
  | { step: 'published'; containerId: string; mediaId: string | null }
  | { step: 'retrying'; waitMs: number; errorKind: ErrorKind; message: string };

/**
 * A resumable publish: plain data to save (`JSON.stringify`) after every step
 * and hand back to `stepPublishJob`. Treat it as opaque except `phase.step`;
 * the access token is never in it.
 */
export interface PublishJob {
  igUserId: string;
  phase: { step: PublishPhase };
  /** Calls made so far (against `options.maxCalls`: raise it to resume a job stalled on its budget). */
  calls: number;
  options: { maxCalls: number } & Record<string, unknown>;
  [field: string]: unknown;
}

export type PublishPhase =
  | 'checkingQuota' | 'creatingChildren' | 'creatingContainer' | 'uploading' | 'processing'
  | 'publishing' | 'recoveringMedia' | 'fetchingPermalink' | 'done' | 'failed';

export interface CreatePublishJobInput extends PublishSettings {
  igUserId: string;
  media: Media;
}

export interface StepPublishJobInput extends SigningInput {
  config: InstagateConfig;
  accessToken: string;
  /** A job from `createPublishJob` or a previous step (object or its JSON). */
  job: PublishJob | string;
  /** The bytes of the job's video files (`videoFile` media), in order: the reel's or story's, then carousel items'. */
  files?: VideoBytes[];
  /** Per HTTP call, in milliseconds (default 30000). */
  timeoutMs?: number;
  /** Checked before the step only: a step is never cut halfway. */
  signal?: AbortSignal;
}

export interface PublishStep {
  /** The job to save, whatever the status. */
  job: PublishJob;
  /**
   * `continue`: step again at `nextAt`. `done`: see `published`. `failed`:
   * nothing was posted, see `error`. `stalled`: this step could not progress
   * (call budget used up, a publish outcome not yet confirmed); the job is
   * intact, step it again later.
   */
  status: 'continue' | 'done' | 'failed' | 'stalled';
  /** ISO time of the next step (`continue`, `stalled`). */
  nextAt: string | null;
  waitMs: number | null;
  progress: PublishProgress[];
  published: Published | null;
  error: InstagateError | null;
}

export interface QuotaInput extends TokenInput {
  igUserId: string;
  /** Count the usage from this time on (within the last 24 hours; Meta's `since`). */
  since?: string | Date | number;
}

/** Every `kind` an `InstagateError` can have. */
export type ErrorKind =
  | 'invalid_token' | 'token_expired' | 'refresh_too_early' | 'rate_limited'
  | 'permission_denied' | 'missing_permission' | 'invalid_request' | 'invalid_code'
  | 'oauth_denied' | 'state_mismatch' | 'invalid_callback' | 'personal_account'
  | 'no_linked_account' | 'media' | 'publish_limit' | 'account_restricted' | 'transient' | 'transport'
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
  /** From a publish function: the job where it stopped, to inspect or resume with `stepPublishJob`. */
  readonly job?: PublishJob;
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

/**
 * Returns `config` unchanged: it only gives the object literal its type where
 * it is written, so TypeScript keeps `product: 'instagram'` instead of
 * widening it to `string` (`satisfies InstagateConfig` does the same).
 * The config is validated by every function that takes it.
 */
export function defineConfig(config: InstagateConfig): InstagateConfig;

/** State, PKCE pair and consent URL. Keep `state` and `codeVerifier` for the callback. */
export function createLogin(config: InstagateConfig, options?: LoginOptions): CreatedLogin;

/**
 * Checks a callback URL: exact redirect URI, no repeated parameter (and at
 * most 64), `state` (constant time), Meta's denial (`oauth_denied`), then
 * returns the code.
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
 * Facebook Login, every Page linked to an Instagram account the person
 * granted, each with its Page token (or those named by `accounts`).
 * Instagram Login: 3 requests in 2 round trips. Facebook Login: 5 requests in
 * 3 round trips (the long-lived exchange, permissions and user ID go out
 * together after the code exchange; then the Pages list, one more request per
 * further page of it). Both products answer a `ConnectedLogin`:
 * `const [account] = (await connectAccount(input)).accounts` for one.
 */
export function connectAccount(input: ConnectAccountInput): Promise<ConnectedLogin>;

/** Server side: the code for a short-lived token (step 1 of connectAccount). */
export function exchangeCode(input: ExchangeCodeInput): Promise<CodeExchange>;

/** Server side: a short-lived token for a long-lived one (`ig_exchange_token` / `fb_exchange_token`). */
export function getLongLivedToken(input: LongLivedInput): Promise<TokenRecord>;

/**
 * A long-lived Instagram Login token for a fresh 60-day one (`ig_refresh_token`).
 * Checked locally first: `refresh_too_early` (with `retryAfter`) under 24 h,
 * `token_expired` once expired, `invalid_input` for kinds Meta cannot refresh.
 */
export function refreshToken(input: RefreshInput): Promise<TokenRecord>;

/** The professional account behind a token; `personal_account` for a personal one. */
export function getProfile(input: ProfileInput): Promise<Profile>;

/** Facebook Login: the permissions granted and declined (`/me/permissions`). */
export function getPermissions(input: TokenInput): Promise<Permissions>;

/** Facebook Login: the person's Pages linked to an Instagram account, with Page tokens. */
export function getFacebookPages(input: TokenInput): Promise<FacebookPages>;

/** Facebook Login: the Page for `igUserId` (or the only linked one); `no_linked_account` otherwise. */
export function resolveInstagramAccount(input: ResolveAccountInput): Promise<LinkedPage>;

/** Expiry and refresh advice for a token record, computed locally (no network). */
export function tokenStatus(record: TokenRecordInput, options?: TokenStatusOptions): TokenStatus;

/** Publishes one image and waits for the post: `{mediaId, permalink, containerId}`. */
export function publishImage(input: PublishInput & ImageMedia): Promise<Published>;

/** Publishes a reel (single feed videos are reels; `shareToFeed` keeps it in the grid). */
export function publishReel(input: PublishInput & ReelMedia): Promise<Published>;

/** Publishes a carousel of 2 to 10 images and videos (one post, one quota unit). */
export function publishCarousel(input: PublishInput & CarouselMedia): Promise<Published>;

/** Publishes a story (an image or a video). */
export function publishStory(input: PublishInput & StoryMedia): Promise<Published>;

/** The account's publishing quota (`content_publishing_limit`). */
export function getPublishingQuota(input: QuotaInput): Promise<PublishingQuota>;

/** A resumable publish job, validated; no call is made. */
export function createPublishJob(input: CreatePublishJobInput): PublishJob;

/**
 * What an MP4/MOV file's header says (`{size, durationMs}`), for a job's
 * `videoFile`. Throws `invalid_input` (naming `field`, default `video`) for an
 * empty, truncated or non-MP4 file.
 */
export function inspectVideo(bytes: Uint8Array, field?: string): VideoFile;

/**
 * One step of a job (at most one call to Meta; two when a FINISHED status
 * allows the publish). A `media_publish` whose answer is lost is never sent
 * again blindly: the container's status decides on the next step.
 */
export function stepPublishJob(input: StepPublishJobInput): Promise<PublishStep>;
