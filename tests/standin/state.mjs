// state.mjs — everything the stand-in remembers, in one object:
//   * the app registry and the seeded accounts (from seeds.mjs),
//   * the controllable clock (stand-in time = real time + offset),
//   * the stores: authorization codes, access tokens, media containers, media,
//     publish history (for the rolling 24 h quota),
//   * the knobs tests turn through the control API: consent decision, faults,
//     latency, config, and the request log.
// reset() puts all of it back to the seeded start.

import { randomBytes } from 'node:crypto';
import {
  APP_NAME, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
  seedFbUsers, seedIgAccounts, seedPages,
} from './seeds.mjs';

export const SECOND = 1000;
export const HOUR = 3600 * SECOND;
export const DAY = 24 * HOUR;

// Token lifetimes.
//   Instagram: short-lived 1 hour, long-lived 60 days (Business Login guide,
//   https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login).
//   Facebook: short-lived about 1 hour, long-lived about 60 days
//   (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
export const SHORT_TOKEN_MS = HOUR;
export const LONG_TOKEN_MS = 60 * DAY;
// Data access expiry reported by debug_token (90 days).
export const DATA_ACCESS_MS = 90 * DAY;
// Instagram codes are "valid for 1 hour and can only be used once" (Business Login guide).
export const IG_CODE_MS = HOUR;
// Facebook Login codes: ASSUMPTION — about ten minutes (not stated in the current docs).
export const FB_CODE_MS = 10 * 60 * SECOND;
// Containers "expire after 24 hours"
// (https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media).
export const CONTAINER_TTL_MS = DAY;

export function defaultConfig() {
  return {
    // Simulated processing time per container kind, in ms of stand-in time.
    processingMs: {
      IMAGE: 300,
      VIDEO: 3000, // carousel video items
      REELS: 3000,
      STORIES_IMAGE: 300,
      STORIES_VIDEO: 3000,
      CAROUSEL: 0, // plus the slowest child
    },
    // Posts per rolling 24 h. The Content Publishing guide says 100; some
    // reference pages still say 50 (media_publish) or show 50 (content_publishing_limit).
    publishQuota: 100,
    // Shape of the api.instagram.com/oauth/access_token success body:
    //   "data" — {"data":[{"access_token","user_id","permissions":"a,b"}]} (current Business Login page)
    //   "flat" — {"access_token","user_id","permissions":["a","b"]} (older pages / observed responses)
    igTokenShape: 'data',
    // user_id in that body: "number" (raw JSON number, as Meta's servers send) or
    // "string" (as the current doc example prints it).
    igTokenUserId: 'number',
    // When true, ig_refresh_token hands back the same token string with a new expiry
    // instead of a new string.
    refreshReturnsSameToken: false,
    // Exact redirect URIs allowed for the app; null = any http(s) URI on
    // 127.0.0.1, localhost or [::1].
    redirectUris: null,
    // The app setting "Require App Secret": graph.facebook.com calls with a
    // user or Page token must carry appsecret_proof. (A proof that is given
    // is always checked.)
    requireAppSecretProof: false,
    // The most Pages one /me/accounts answer holds, whatever `limit` asks.
    // Meta documents that "some edges may also have a maximum on the limit
    // value" and that the paging links are right in all cases
    // (https://developers.facebook.com/docs/graph-api/results); the cap is
    // small so every login with several Pages reads more than one page.
    accountsPageMax: 2,

    // Facebook Login for Business configurations (App Dashboard > Facebook
    // Login for Business > Configurations): config_id -> the permissions it
    // asks for. The dialog takes config_id instead of scope
    // (https://developers.facebook.com/docs/facebook-login/facebook-login-for-business/).
    loginConfigurations: {
      '9100000000000001': ['instagram_basic', 'instagram_content_publish', 'pages_show_list', 'pages_read_engagement', 'ads_read'],
    },
    // How long a fetch of a local media URL may take before it counts as one Meta
    // could not download (publish.mjs).
    mediaFetchTimeoutMs: 5000,
    // A video_url is fetched in Range requests of this many bytes, as video
    // fetchers do (publish.mjs fetchMedia).
    mediaRangeBytes: 4 * 1024 * 1024,
  };
}

export function randomToken(bytes = 24) {
  return randomBytes(bytes).toString('base64url');
}

export class StandinState {
  constructor(options = {}) {
    this.options = options;
    this.origin = 'http://127.0.0.1';
    this.reset();
  }

  // ---- lifecycle ---------------------------------------------------------

  reset() {
    const o = this.options;
    this.offsetMs = 0;
    this.app = {
      clientId: String(o.clientId ?? DEFAULT_CLIENT_ID),
      clientSecret: String(o.clientSecret ?? DEFAULT_CLIENT_SECRET),
      name: APP_NAME,
    };
    this.config = defaultConfig();
    this.applyConfig(o.config ?? {});
    if (o.redirectUris) this.config.redirectUris = [...o.redirectUris];
    if (o.publishQuota != null) this.config.publishQuota = Number(o.publishQuota);
    if (o.processingMs) Object.assign(this.config.processingMs, o.processingMs);
    this.latencyMs = Number(o.latencyMs ?? 0);

    this.igAccounts = seedIgAccounts();
    this.pages = seedPages();
    this.fbUsers = seedFbUsers();

    this.codes = new Map(); // code -> record
    this.tokens = new Map(); // token string -> record
    this.pageTokens = new Map(); // `${userToken}|${pageId}` -> page token string
    this.containers = new Map(); // id -> container
    this.media = new Map(); // id -> media
    this.publishes = new Map(); // ig user_id -> [stand-in ms of each publish]
    this.consent = null; // automatic consent decision, or null for the HTML page
    // Facebook user key -> permissions the person declined: the dialog asks
    // for them again only with auth_type=rerequest (Manually Build a Login
    // Flow, "Re-asking for Declined Permissions").
    this.fbDeclined = new Map();
    this.faults = []; // fault rules (faults.mjs)
    this.log = []; // recorded requests
    this.mediaFetches = []; // local media URLs fetched at container creation: {url, status, bytes, error}
    this.seq = { log: 0, container: 0, media: 0, fault: 0 };
  }

  applyConfig(patch) {
    for (const [k, v] of Object.entries(patch)) {
      if (k === 'processingMs') Object.assign(this.config.processingMs, v);
      else if (k in this.config) this.config[k] = v;
      else throw new Error(`unknown config key: ${k}`);
    }
  }

  // ---- clock -------------------------------------------------------------

  now() {
    return Date.now() + this.offsetMs;
  }

  advance(seconds) {
    this.offsetMs += Number(seconds) * SECOND;
    return this.now();
  }

  // ---- IDs ---------------------------------------------------------------

  // Container IDs start at 17900000000000001, media IDs at 17950000000000001.
  newContainerId() {
    return String(17900000000000000n + BigInt(++this.seq.container));
  }

  newMediaId() {
    return String(17950000000000000n + BigInt(++this.seq.media));
  }

  // ---- accounts ----------------------------------------------------------

  // Finds an Instagram account by seed key, user_id, app-scoped id or username.
  igAccount(ref) {
    if (ref == null) return null;
    const r = String(ref);
    return this.igAccounts.find((a) => a.key === r || a.user_id === r || a.scoped_id === r || a.username === r) ?? null;
  }

  fbUser(ref) {
    if (ref == null) return null;
    const r = String(ref);
    return this.fbUsers.find((u) => u.key === r || u.id === r) ?? null;
  }

  page(id) {
    return this.pages.find((p) => p.id === String(id)) ?? null;
  }

  // The Page an Instagram account is linked to, if any.
  pageOfIg(userId) {
    return this.pages.find((p) => p.instagram_business_account === userId) ?? null;
  }

  // ---- tokens ------------------------------------------------------------

  // Records and returns a new token.
  //   product: 'instagram' (graph.instagram.com) | 'facebook' (graph.facebook.com)
  //   kind:    'short' | 'long' | 'page'
  //   subject: IG account key (instagram), FB user key (facebook), page id (page)
  issueToken({ product, kind, subject, scopes, declined = [], lifetimeMs, issuedAt, viaUserToken = null }) {
    const prefix = product === 'instagram' ? 'IGAA' : kind === 'page' ? 'EAAP' : 'EAAU';
    const token = prefix + randomToken(36);
    const at = issuedAt ?? this.now();
    const record = {
      token,
      product,
      kind,
      subject: String(subject),
      scopes: [...scopes],
      declined: [...declined],
      issuedAt: at,
      expiresAt: lifetimeMs === 0 ? 0 : at + lifetimeMs, // 0 = never expires
      dataAccessExpiresAt: at + DATA_ACCESS_MS,
      appId: this.app.clientId,
      viaUserToken,
      revoked: false,
    };
    this.tokens.set(token, record);
    return record;
  }

  // Looks a token up. Returns {record} or {problem: 'parse' | 'expired' | 'invalid', record?}.
  checkToken(token, product) {
    if (!token) return { problem: 'missing' };
    const record = this.tokens.get(token);
    if (!record || record.product !== product) return { problem: 'parse' };
    if (record.revoked) return { problem: 'invalid', record };
    if (record.expiresAt !== 0 && this.now() >= record.expiresAt) return { problem: 'expired', record };
    return { record };
  }

  // ---- publishing quota --------------------------------------------------

  publishesInWindow(userId, sinceMs = this.now() - DAY) {
    const list = this.publishes.get(userId) ?? [];
    const from = Math.max(sinceMs, this.now() - DAY);
    return list.filter((t) => t > from && t <= this.now()).length;
  }

  recordPublish(userId) {
    const list = this.publishes.get(userId) ?? [];
    list.push(this.now());
    this.publishes.set(userId, list);
  }
}
