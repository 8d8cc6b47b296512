// `publish image|reel|carousel|story`: builds the library input from the
// flags (a local video file — `publish reel ./clip.mp4`, `--item ./b.mp4` — is
// read and uploaded by the library), shows the upload and the container's
// progress on stderr, prints the post. With a Worker (`--worker`), local
// files go through it instead (worker-publish.mjs).
import { readFile } from 'node:fs/promises';
import { publishImage, publishReel, publishCarousel, publishStory, getProfile } from '../../node.js';
import { EXIT, usage } from '../errors.mjs';
import { libraryConfig } from '../settings.mjs';
import { label } from '../store.mjs';
import { out, err, progressLine, uploadBar } from '../output.mjs';
import { isLocalJpeg, isLocalVideo, publishThroughWorker } from './worker-publish.mjs';

const isVideoUrl = (url) => /\.(mp4|mov|m4v)(\?|#|$)/i.test(url);
const isUrl = (s) => /^https?:\/\//i.test(s);

// A local video file's bytes; a missing file or a local image is a usage error.
async function localVideo(path, what) {
  if (!isVideoUrl(path)) {
    throw usage(`${what} ${path} is not a .mp4/.mov video`, 'local files are uploaded for videos only; give an image as a public --url');
  }
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw usage(`cannot read ${what} ${path}: ${e.code ?? e.message}`);
  }
}

// Which flags each kind takes (anything else given is a usage error).
const KIND_FLAGS = {
  image: ['url', 'caption', 'alt-text'],
  reel: ['url', 'caption', 'cover-url', 'share-to-feed'],
  carousel: ['item', 'caption'],
  story: ['url', 'video'],
};
const MEDIA_FLAGS = ['url', 'item', 'video', 'caption', 'alt-text', 'cover-url', 'share-to-feed'];

async function mediaInput(kind, flags, file) {
  if (!Object.hasOwn(KIND_FLAGS, kind ?? '')) {
    throw usage(`publish what? "${kind ?? ''}" is not image, reel, carousel or story`, 'instagate publish image --url URL');
  }
  for (const f of MEDIA_FLAGS) {
    if (flags[f] !== undefined && !KIND_FLAGS[kind].includes(f)) throw usage(`--${f} does not apply to a ${kind}`, `run \`instagate publish --help\``);
  }
  const need = (f) => {
    if (flags[f] === undefined) throw usage(`publish ${kind} needs --${f}`);
    return flags[f];
  };
  if (file !== undefined && !['reel', 'story'].includes(kind)) {
    throw usage(`unexpected argument "${file}"`, kind === 'carousel' ? 'give each item with --item' : 'give the image with --url, or a local .jpg with --worker URL');
  }
  if (file !== undefined && flags.url !== undefined) throw usage('give a file or --url, not both');
  // The reel's or story's video: the file, or the URL Meta downloads.
  const video = async () => (file !== undefined ? { video: await localVideo(file, 'the file') } : { videoUrl: need('url') });
  const caption = flags.caption !== undefined ? { caption: flags.caption } : {};
  switch (kind) {
    case 'image':
      return { fn: publishImage, media: { imageUrl: need('url'), ...caption, ...(flags['alt-text'] ? { altText: flags['alt-text'] } : {}) } };
    case 'reel':
      return { fn: publishReel, media: {
        ...(await video()), ...caption,
        ...(flags['cover-url'] ? { coverUrl: flags['cover-url'] } : {}),
        ...(flags['share-to-feed'] ? { shareToFeed: true } : {}),
      } };
    case 'carousel': {
      const items = [];
      for (const raw of flags.item ?? []) {
        const m = /^(image|video):(.*)$/.exec(raw);
        const [type, url] = m ? [m[1], m[2]] : [isVideoUrl(raw) ? 'video' : 'image', raw];
        if (!isUrl(url)) items.push({ video: await localVideo(url, 'the item') });
        else items.push(type === 'video' ? { videoUrl: url } : { imageUrl: url });
      }
      if (items.length < 2 || items.length > 10) throw usage(`a carousel takes 2 to 10 --item, got ${items.length}`);
      return { fn: publishCarousel, media: { items, ...caption } };
    }
    case 'story': {
      if (file !== undefined) return { fn: publishStory, media: await video() };
      const url = need('url');
      return { fn: publishStory, media: flags.video || isVideoUrl(url) ? { videoUrl: url } : { imageUrl: url } };
    }
    default:
      throw new Error(`unreachable: ${kind}`);
  }
}

// Whether a carousel `--item` names a local file (not a URL), after any `image:`/`video:` prefix.
const isLocalItem = (raw) => !isUrl(raw.replace(/^(image|video):/, ''));

// Whether `media` holds a local video's bytes (the reel's or story's, or a carousel item's).
const hasVideoBytes = (media) => media.video !== undefined || (media.items ?? []).some((i) => i.video !== undefined);

// Test/dev: the first status read (Meta's processing is seconds to minutes,
// the stand-in's a fraction of a second).
function pollSettings(env) {
  const v = env.INSTAGATE_POLL_FIRST_CHECK_MS;
  if (v === undefined) return {};
  if (!/^\d+$/.test(v)) throw usage(`INSTAGATE_POLL_FIRST_CHECK_MS must be milliseconds, got "${v}"`);
  return { poll: { firstCheckImageMs: Number(v), firstCheckVideoMs: Number(v) } };
}

// Test/dev: bytes per upload request (default: the whole file in one, as Meta's guide).
function uploadSettings(env) {
  const v = env.INSTAGATE_UPLOAD_CHUNK_BYTES;
  if (v === undefined) return {};
  if (!/^\d+$/.test(v)) throw usage(`INSTAGATE_UPLOAD_CHUNK_BYTES must be a number of bytes, got "${v}"`);
  return { uploadChunkBytes: Number(v) };
}

export async function publish(ctx) {
  const [kind, file, ...extra] = ctx.positionals;
  if (extra.length) throw usage(`unexpected argument "${extra[0]}"`, 'give media URLs with --url / --item');
  // A local image: Meta only fetches images by URL, so a Worker stages it.
  if (['image', 'story'].includes(kind) && file !== undefined && isLocalJpeg(file)) {
    if (!ctx.settings.workerUrl) {
      throw usage(`a local image (${file}) is published through an instagate Worker, which serves it to Meta`,
        'set --worker URL (or INSTAGATE_WORKER_URL) and INSTAGATE_WORKER_API_KEY, or give a public --url');
    }
    return publishThroughWorker(ctx, kind, file);
  }
  // A local video with a Worker: staged there in parts, for either login
  // product; without one it goes to Meta's rupload (Facebook Login only).
  if (['reel', 'story'].includes(kind) && file !== undefined && isLocalVideo(file) && ctx.settings.workerUrl) {
    return publishThroughWorker(ctx, kind, file);
  }
  // A carousel with local items and a Worker: each file staged there.
  if (kind === 'carousel' && file === undefined && ctx.settings.workerUrl && (ctx.flags.item ?? []).some(isLocalItem)) {
    return publishThroughWorker(ctx, kind);
  }
  const { fn, media } = await mediaInput(kind, ctx.flags, file);
  const store = await ctx.openStore();
  const account = store.find(ctx.flags.account);
  const config = libraryConfig(ctx.settings, { account });
  if (config.product === 'instagram' && hasVideoBytes(media)) {
    // Meta documents its video upload (rupload.facebook.com) for Facebook Login only.
    throw usage(`${label(account)} uses Instagram Login, which has no video upload at Meta: a local video goes through an instagate Worker`,
      'set --worker URL (or INSTAGATE_WORKER_URL) and INSTAGATE_WORKER_API_KEY, log in with Facebook Login, or give a public --url');
  }
  const accessToken = account.token.accessToken;
  if (!account.igUserId) {
    // Headless INSTAGATE_TOKEN without INSTAGATE_IG_USER_ID: ask whose token it is.
    const profile = await getProfile({ config, accessToken, ...ctx.call });
    Object.assign(account, { igUserId: profile.igUserId, username: profile.username });
  }
  const line = progressLine();
  err(`Publishing ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} to ${label(account)}…`);
  const onProgress = (e) => {
    switch (e.step) {
      case 'quotaChecked': line.update(`quota: ${e.quota.usage}/${e.quota.total ?? '?'} posts used in 24 h`); break;
      case 'childCreated': line.update(`item ${e.index + 1}/${e.count} uploaded (container ${e.containerId})`); break;
      case 'created': line.update(`container ${e.containerId} created`); break;
      case 'uploaded': line.update(`uploading ${uploadBar(e.sent, e.total)}`); break;
      case 'processing': line.update(`processing… ${(e.elapsedMs / 1000).toFixed(1)} s (${e.checks} status check${e.checks === 1 ? '' : 's'})`); break;
      case 'published': line.done(`published${e.mediaId ? ` as ${e.mediaId}` : ''}`); break;
      case 'retrying': line.update(`${retryCause(e)}: retrying in ${(e.waitMs / 1000).toFixed(1)} s`); break;
      default: break;
    }
  };
  let published;
  try {
    published = await fn({
      config, accessToken, igUserId: account.igUserId, ...media,
      ...(ctx.flags['check-quota'] ? { checkQuota: true } : {}), ...pollSettings(ctx.env), ...uploadSettings(ctx.env), onProgress, ...ctx.call,
    });
  } finally {
    line.done();
  }
  if (ctx.flags.json) out(JSON.stringify({ kind, igUserId: account.igUserId, ...published }));
  else out(`${published.mediaId ?? '(media id unknown: the post exists)'} ${published.permalink ?? ''}`.trimEnd());
  return EXIT.OK;
}

// Only an answer from Meta is something "Meta said": a call that never got
// one (no connection, no answer in time) says so instead.
const UNANSWERED = new Set(['transport', 'timeout']);
const retryCause = (e) => (UNANSWERED.has(e.errorKind)
  ? `no answer from Meta (${e.errorKind}: ${e.message})`
  : `Meta said "${e.message}" (${e.errorKind})`);
