// errors.mjs — Meta's two error shapes and the catalogue of errors the stand-in sends.
//
// Graph shape (graph.instagram.com, graph.facebook.com), from "Handling Errors",
// https://developers.facebook.com/docs/graph-api/guides/error-handling :
//   {"error":{"message","type","code","error_subcode","error_user_title",
//             "error_user_msg","fbtrace_id"}}
// plus is_transient as in the Instagram error-codes sample,
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes
//
// Flat shape (api.instagram.com/oauth/access_token), from the Business Login guide,
// https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login :
//   {"error_type":"OAuthException","code":400,"error_message":"..."}

import { randomBytes } from 'node:crypto';
import { json } from './http.mjs';

export function fbtraceId() {
  return randomBytes(17).toString('base64url').slice(0, 23);
}

export function graphError({
  status = 400,
  message,
  type = 'OAuthException',
  code,
  subcode,
  isTransient,
  userTitle,
  userMsg,
  headers = {},
}) {
  const error = { message, type, code };
  if (subcode != null) error.error_subcode = subcode;
  if (isTransient != null) error.is_transient = Boolean(isTransient);
  if (userTitle != null) error.error_user_title = userTitle;
  if (userMsg != null) error.error_user_msg = userMsg;
  error.fbtrace_id = fbtraceId();
  // Graph also names OAuth failures in a WWW-Authenticate header.
  const www = type === 'OAuthException'
    ? { 'www-authenticate': `OAuth "Facebook Platform" "${code === 190 ? 'invalid_token' : 'invalid_request'}" "${String(message).replaceAll('"', "'")}"` }
    : {};
  return json(status, { error }, { ...www, ...headers });
}

export function igFlatError(message, { status = 400, code = 400, headers = {} } = {}) {
  return json(status, { error_type: 'OAuthException', code, error_message: message }, headers);
}

// ---- access tokens (Graph) ----------------------------------------------------
// Code 190 with subcodes from the error-handling page: 463 expired, 467 invalid
// session (the user logged out / token revoked).

// Fri, 21-Nov-25 10:00:00 PST — the format Graph uses in its expiry message.
function graphTime(ms) {
  const d = new Date(ms - 8 * 3600 * 1000);
  const day = d.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
  const mon = d.toLocaleDateString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n) => String(n).padStart(2, '0');
  return `${day}, ${pad(d.getUTCDate())}-${mon}-${pad(d.getUTCFullYear() % 100)} `
    + `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} PST`;
}

export const tokenErrors = {
  missing: (aboutMe) => aboutMe
    ? graphError({ message: 'An active access token must be used to query information about the current user.', code: 2500 })
    : graphError({ message: 'An access token is required to request this resource.', code: 104 }),
  parse: () => graphError({ message: 'Invalid OAuth access token - Cannot parse access token', code: 190 }),
  expired: (expiresAt, now) => graphError({
    message: `Error validating access token: Session has expired on ${graphTime(expiresAt)}. The current time is ${graphTime(now)}.`,
    code: 190,
    subcode: 463,
  }),
  invalid: () => graphError({
    message: 'Error validating access token: The session is invalid because the user logged out.',
    code: 190,
    subcode: 467,
  }),
};

// Maps a state.checkToken() problem to the Graph error.
export function tokenProblem(check, now, aboutMe = false) {
  switch (check.problem) {
    case 'missing': return tokenErrors.missing(aboutMe);
    case 'expired': return tokenErrors.expired(check.record.expiresAt, now);
    case 'invalid': return tokenErrors.invalid();
    default: return tokenErrors.parse();
  }
}

// ---- general Graph errors -------------------------------------------------------

export const graph = {
  unsupported: (method, id) => graphError({
    message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: 'GraphMethodException',
    code: 100,
    subcode: 33,
  }),
  nonexistingField: (field, nodeType) => graphError({
    message: `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})`,
    code: 100,
  }),
  // appsecret_proof (https://developers.facebook.com/docs/graph-api/guides/secure-requests);
  // Meta does not document these answers: the wording is the one widely reported.
  proofMissing: () => graphError({
    message: 'API calls from the server require an appsecret_proof argument',
    type: 'GraphMethodException',
    code: 100,
  }),
  proofInvalid: () => graphError({
    message: 'Invalid appsecret_proof provided in the API argument',
    type: 'GraphMethodException',
    code: 100,
  }),
  missingParam: (name) => graphError({ message: `(#100) The parameter ${name} is required`, code: 100 }),
  invalidParam: (message, extra = {}) => graphError({ message: `(#100) ${message}`, code: 100, ...extra }),
  permission: () => graphError({ status: 403, message: '(#10) Application does not have permission for this action', code: 10 }),
  clientSecret: () => graphError({ message: 'Error validating client secret.', code: 1 }),
  appId: () => graphError({ message: 'Error validating application. Invalid application ID.', code: 101 }),
};

// ---- content publishing errors ----------------------------------------------------
// Codes and subcodes from the Instagram error-codes table,
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes

export const publishing = {
  // 9004 / 2207052 — the media could not be fetched from the URI.
  fetchFailed: (uri) => graphError({
    message: 'Only photo or video can be accepted as media type.',
    code: 9004,
    subcode: 2207052,
    isTransient: false,
    userTitle: 'Media download has failed.',
    userMsg: `The media could not be fetched from this uri: ${uri}`,
  }),
  // 36001 / 2207005 — image format not supported.
  imageFormat: () => graphError({
    message: 'The image format is not supported.',
    code: 36001,
    subcode: 2207005,
    isTransient: false,
    userTitle: 'Unsupported format',
    userMsg: 'The image format is not supported. Supported formats are: JPEG',
  }),
  // 36004 / 2207010 — caption too long (2,200 characters, 30 hashtags, 20 @ tags).
  captionTooLong: () => graphError({
    message: 'The caption was too long.',
    code: 36004,
    subcode: 2207010,
    isTransient: false,
    userTitle: 'Caption too long',
    userMsg: 'The caption is too long. It can have at most 2,200 characters, 30 hashtags and 20 @ tags.',
  }),
  // 100 / 2207023 — unknown media type. Also used for media_type=VIDEO on a single
  // post: "Beginning November 9, 2023, the VIDEO value for media_type will no longer be
  // supported. Use the REELS media type"
  // (https://developers.facebook.com/docs/graph-api/changelog/out-of-cycle-changes/june-28-2022).
  // ASSUMPTION: the exact message for VIDEO is not documented.
  unknownMediaType: (mediaType) => graphError({
    message: mediaType === 'VIDEO'
      ? '(#100) The media_type VIDEO is no longer supported for single posts. Use media_type=REELS to publish a video.'
      : `(#100) The media type ${mediaType} is not expected.`,
    code: 100,
    subcode: 2207023,
    isTransient: false,
    userTitle: 'Unknown media type',
    userMsg: 'The media type entered is not expected.',
  }),
  // 100 / 2207028 — a carousel needs 2 to 10 children.
  carouselSize: () => graphError({
    message: '(#100) The carousel must contain between 2 and 10 items.',
    code: 100,
    subcode: 2207028,
    isTransient: false,
    userTitle: 'Carousel item count',
    userMsg: 'Your post can be shared with 2 to 10 photos or videos.',
  }),
  // 9007 / 2207027 — container not ready. Body as Meta sends it (observed):
  // message "Media ID is not available", user message "The media is not ready for
  // publishing, please wait for a moment".
  notReady: () => graphError({
    message: 'Media ID is not available',
    code: 9007,
    subcode: 2207027,
    isTransient: false,
    userTitle: 'Cannot Publish',
    userMsg: 'The media is not ready for publishing, please wait for a moment',
  }),
  // -2 / 2207020 — the container expired (not published within 24 hours).
  expired: () => graphError({
    message: 'The media you are trying to access has expired. Please try to upload again.',
    code: -2,
    subcode: 2207020,
    isTransient: false,
    userTitle: 'Media expired',
    userMsg: 'The media you are trying to access has expired. Please try to upload again.',
  }),
  // 24 / 2207006 — the container cannot be found.
  notFound: (id) => graphError({
    message: `The media with id ${id} cannot be found.`,
    code: 24,
    subcode: 2207006,
    isTransient: false,
    userTitle: 'Media not found',
    userMsg: 'The media cannot be found. Generate a new container and use it to try again.',
  }),
  // ASSUMPTION: publishing a container a second time. Not documented; the stand-in
  // answers code 100 so the caller must ask the container's status_code (PUBLISHED).
  alreadyPublished: (mediaId) => graphError({
    message: '(#100) Invalid parameter',
    code: 100,
    isTransient: false,
    userTitle: 'Already published',
    userMsg: `This container was already published as media ${mediaId}.`,
  }),
  // ASSUMPTION: publishing a carousel item on its own. Not documented.
  carouselItemAlone: () => graphError({
    message: '(#100) Invalid parameter',
    code: 100,
    isTransient: false,
    userTitle: 'Carousel item',
    userMsg: 'A carousel item can only be published as part of a carousel container.',
  }),
  // 9 / 2207042 — the 24-hour publishing limit is reached.
  quota: () => graphError({
    message: 'Application request limit reached',
    code: 9,
    subcode: 2207042,
    isTransient: false,
    userTitle: 'Cannot publish post',
    userMsg: 'You reached maximum number of posts that is allowed to be published by Content Publishing API.',
  }),
};

// Rate-limit messages by code, from the Graph rate-limiting pages
// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
export const RATE_LIMIT_MESSAGES = {
  4: '(#4) Application request limit reached',
  17: '(#17) User request limit reached',
  32: '(#32) Page request limit reached',
  613: '(#613) Calls to this api have exceeded the rate limit.',
  80002: '(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.',
};
