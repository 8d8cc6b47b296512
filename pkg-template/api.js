// The public API, shared by every main entry (index.js, node.js, worker.js):
// the wasm bindings plus the browser login helpers (browser-login.js).
import * as wasm from './instagate.js';
import { InstagateError } from './error.js';
import { browserLogin } from './browser-login.js';
import { takeVideoFiles, toBytes } from './video-files.js';

export { InstagateError };
export const {
  createLogin, validateCallback, connectAccount, exchangeCode, getLongLivedToken, refreshToken,
  getProfile, getPermissions, getFacebookPages, resolveInstagramAccount, tokenStatus,
  getPublishingQuota, createPublishJob, inspectVideo,
} = wasm;

// One wasm export publishes every kind (one async export less to ship per
// kind); the named functions say which kind the input describes. A `video`
// (bytes, Blob or stream) instead of `videoUrl` is uploaded to Meta with the
// resumable upload (Facebook Login); `video-files.js` reads it first.
const publish = async (type, input) => {
  const { input: media, files } = await takeVideoFiles(input, wasm.inspectVideo);
  return wasm.publishMedia(type, media, files);
};
/** Publishes one image: `{config, accessToken, igUserId, imageUrl, caption?, ...}`. */
export const publishImage = (input) => publish('image', input);
/** Publishes a reel (single feed videos are reels): `{..., videoUrl | video, shareToFeed?, ...}`. */
export const publishReel = (input) => publish('reel', input);
/** Publishes a carousel of 2 to 10 images and videos: `{..., items: [{imageUrl} | {videoUrl} | {video}]}`. */
export const publishCarousel = (input) => publish('carousel', input);
/** Publishes a story: `{..., imageUrl}`, `{..., videoUrl}` or `{..., video}`. */
export const publishStory = (input) => publish('story', input);

/** One step of a saved job; `files` are the bytes of its video files (any form `video` takes). */
export const stepPublishJob = async (input) => {
  const files = [];
  for (const [i, f] of (input?.files ?? []).entries()) files.push(await toBytes(f, `files[${i}]`));
  return wasm.stepPublishJob({ ...input, files });
};

export const { startLogin, completeLogin } = browserLogin(wasm, InstagateError);
export { defineConfig } from './browser-login.js';
