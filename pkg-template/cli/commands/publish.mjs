// `publish image|reel|carousel|story`: builds the library input from the
// flags, shows the container's progress on stderr, prints the post.
import { publishImage, publishReel, publishCarousel, publishStory, getProfile } from '../../node.js';
import { EXIT, usage } from '../errors.mjs';
import { libraryConfig } from '../settings.mjs';
import { label } from '../store.mjs';
import { out, err, progressLine } from '../output.mjs';

const isVideoUrl = (url) => /\.(mp4|mov|m4v)(\?|#|$)/i.test(url);

// Which flags each kind takes (anything else given is a usage error).
const KIND_FLAGS = {
  image: ['url', 'caption', 'alt-text'],
  reel: ['url', 'caption', 'cover-url', 'share-to-feed'],
  carousel: ['item', 'caption'],
  story: ['url', 'video'],
};
const MEDIA_FLAGS = ['url', 'item', 'video', 'caption', 'alt-text', 'cover-url', 'share-to-feed'];

function mediaInput(kind, flags) {
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
  const caption = flags.caption !== undefined ? { caption: flags.caption } : {};
  switch (kind) {
    case 'image':
      return { fn: publishImage, media: { imageUrl: need('url'), ...caption, ...(flags['alt-text'] ? { altText: flags['alt-text'] } : {}) } };
    case 'reel':
      return { fn: publishReel, media: {
        videoUrl: need('url'), ...caption,
        ...(flags['cover-url'] ? { coverUrl: flags['cover-url'] } : {}),
        ...(flags['share-to-feed'] ? { shareToFeed: true } : {}),
      } };
    case 'carousel': {
      const items = (flags.item ?? []).map((raw) => {
        const m = /^(image|video):(.*)$/.exec(raw);
        const [type, url] = m ? [m[1], m[2]] : [isVideoUrl(raw) ? 'video' : 'image', raw];
        return type === 'video' ? { videoUrl: url } : { imageUrl: url };
      });
      if (items.length < 2 || items.length > 10) throw usage(`a carousel takes 2 to 10 --item, got ${items.length}`);
      return { fn: publishCarousel, media: { items, ...caption } };
    }
    case 'story': {
      const url = need('url');
      return { fn: publishStory, media: flags.video || isVideoUrl(url) ? { videoUrl: url } : { imageUrl: url } };
    }
    default:
      throw new Error(`unreachable: ${kind}`);
  }
}

// Test/dev: the first status read (Meta's processing is seconds to minutes,
// the stand-in's a fraction of a second).
function pollSettings(env) {
  const v = env.INSTAGATE_POLL_FIRST_CHECK_MS;
  if (v === undefined) return {};
  if (!/^\d+$/.test(v)) throw usage(`INSTAGATE_POLL_FIRST_CHECK_MS must be milliseconds, got "${v}"`);
  return { poll: { firstCheckImageMs: Number(v), firstCheckVideoMs: Number(v) } };
}

export async function publish(ctx) {
  const [kind, ...extra] = ctx.positionals;
  if (extra.length) throw usage(`unexpected argument "${extra[0]}"`, 'give media URLs with --url / --item');
  const { fn, media } = mediaInput(kind, ctx.flags);
  const store = await ctx.openStore();
  const account = store.find(ctx.flags.account);
  const config = libraryConfig(ctx.settings, { account });
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
      ...(ctx.flags['check-quota'] ? { checkQuota: true } : {}), ...pollSettings(ctx.env), onProgress, ...ctx.call,
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
