// The public API, shared by every main entry (index.js, node.js, worker.js):
// the wasm bindings plus the browser login helpers (browser-login.js).
import * as wasm from './instagate.js';
import { InstagateError } from './error.js';
import { browserLogin } from './browser-login.js';

export { InstagateError };
export const {
  createLogin, validateCallback, connectAccount, exchangeCode, getLongLivedToken, refreshToken,
  getProfile, getPermissions, getFacebookPages, resolveInstagramAccount, tokenStatus,
  getPublishingQuota, createPublishJob, stepPublishJob,
} = wasm;

// One wasm export publishes every kind (one async export less to ship per
// kind); the named functions say which kind the input describes.
/** Publishes one image: `{config, accessToken, igUserId, imageUrl, caption?, ...}`. */
export const publishImage = (input) => wasm.publishMedia('image', input);
/** Publishes a reel (single feed videos are reels): `{..., videoUrl, shareToFeed?, ...}`. */
export const publishReel = (input) => wasm.publishMedia('reel', input);
/** Publishes a carousel of 2 to 10 images and videos: `{..., items: [{imageUrl} | {videoUrl}]}`. */
export const publishCarousel = (input) => wasm.publishMedia('carousel', input);
/** Publishes a story: `{..., imageUrl}` or `{..., videoUrl}`. */
export const publishStory = (input) => wasm.publishMedia('story', input);

export const { startLogin, completeLogin } = browserLogin(wasm, InstagateError);
export { defineConfig } from './browser-login.js';
