// publish.mjs — content publishing on both Graph hosts:
//   POST /{ig-user-id}/media                     create a container
//   GET  /{container-id}?fields=status_code,...  IN_PROGRESS / FINISHED / ERROR / EXPIRED / PUBLISHED
//                                                (video_status: a resumable upload's bytes_transferred)
//   upload_type=resumable containers get their bytes through rupload.mjs
//   POST /{ig-user-id}/media_publish             publish a container (counts against the quota)
//   GET  /{ig-user-id}/content_publishing_limit  rolling 24 h usage
//   GET  /{ig-user-id}/media, /{ig-user-id}/stories (graph.facebook.com), /{media-id}, /{media-id}/children
//
// Docs:
//   Content Publishing guide  https://developers.facebook.com/documentation/instagram-platform/content-publishing
//   IG User Media (create)    https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media
//   IG User Media Publish     https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media_publish
//   Publishing limit          https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit
//   Error codes               https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes
//
// Media on this machine (http(s)://127.0.0.1, localhost, [::1]) is really fetched, as
// Meta cURLs every URL it is given: a network error, a non-2xx answer or a timeout
// fails like a URL Meta cannot fetch (9004 / 2207052), an image that is not a JPEG
// like a bad image format (36001 / 2207005), a video that is not an MP4/MOV like a
// bad video format (container ERROR, 2207026). Every fetch is recorded in
// state.mediaFetches. Other hosts cannot be reached offline, so their URLs are taken
// as fetchable except that a URL containing
//   "fail-download"      cannot be fetched   (9004 / 2207052)
//   "unsupported-format" has a bad format     (images 36001 / 2207005, videos 352 / 2207026)
//   "processing-error"   fails in processing  (container ends in ERROR)
// Images are fetched while the container is created, so their download and format
// errors answer the POST; videos are processed later, so theirs show up as an ERROR
// status_code.

import { graph, graphError, publishing } from './errors.mjs';
import { json } from './http.mjs';
import { hasScope, selectFields } from './graph.mjs';
import { checkMp4 } from './mp4.mjs';
import { videoStatus } from './rupload.mjs';
import { CONTAINER_TTL_MS, DAY, randomToken } from './state.mjs';

const CAPTION_MAX = 2200;
const HASHTAGS_MAX = 30;
const MENTIONS_MAX = 20;

// ---- create ------------------------------------------------------------------------------

export async function createContainer({ state, ctx, viewer, node, product }) {
  const account = node.value;
  const denied = publishDenied(viewer, account, product);
  if (denied) return denied;
  const p = ctx.params;
  // "Upload Video to Meta Servers": Facebook Login only; REELS, STORIES, or VIDEO
  // with is_carousel_item=true.
  const resumable = p.upload_type === 'resumable';
  if (p.upload_type != null && !resumable) return graph.invalidParam(`upload_type must be resumable, not ${p.upload_type}`);
  if (resumable && product !== 'facebook') {
    // ASSUMPTION: the wording is not documented; the guide says the upload is
    // "available only for apps that have implemented Facebook Login for Business".
    return graph.invalidParam('upload_type=resumable is only available with Facebook Login for Business (graph.facebook.com)');
  }

  const mediaType = p.media_type ? String(p.media_type).toUpperCase() : null;
  const isItem = p.is_carousel_item === 'true' || p.is_carousel_item === '1';
  let kind;
  let mediaKind; // IMAGE or VIDEO: what gets fetched
  if (mediaType === null) {
    kind = 'IMAGE';
    mediaKind = 'IMAGE';
  } else if (mediaType === 'REELS') {
    kind = 'REELS';
    mediaKind = 'VIDEO';
  } else if (mediaType === 'STORIES') {
    kind = 'STORIES';
    mediaKind = p.video_url ? 'VIDEO' : 'IMAGE';
  } else if (mediaType === 'CAROUSEL') {
    kind = 'CAROUSEL';
  } else if (mediaType === 'VIDEO' && isItem) {
    kind = 'VIDEO'; // a carousel video item still uses media_type=VIDEO
    mediaKind = 'VIDEO';
  } else {
    return publishing.unknownMediaType(mediaType);
  }
  if (resumable) {
    if (kind === 'STORIES' && p.image_url) return graph.invalidParam('upload_type=resumable uploads videos; a story image takes image_url');
    if (!['REELS', 'STORIES', 'VIDEO'].includes(kind)) {
      return graph.invalidParam('upload_type=resumable needs media_type REELS, STORIES, or VIDEO with is_carousel_item=true');
    }
    if (p.video_url) return graph.invalidParam('give video_url or upload_type=resumable, not both');
    mediaKind = 'VIDEO';
  }
  if (kind !== 'CAROUSEL' && isItem && kind !== 'IMAGE' && kind !== 'VIDEO') {
    return graph.invalidParam(`is_carousel_item cannot be used with media_type=${mediaType}`);
  }

  // Captions: 2,200 characters, 30 hashtags, 20 @ tags (36004 / 2207010).
  const caption = p.caption ?? null;
  if (caption != null && kind !== 'STORIES' && !isItem) {
    const tags = caption.match(/#[\p{L}\p{N}_]+/gu) ?? [];
    const mentions = caption.match(/@[\p{L}\p{N}_.]+/gu) ?? [];
    if ([...caption].length > CAPTION_MAX || tags.length > HASHTAGS_MAX || mentions.length > MENTIONS_MAX) {
      return publishing.captionTooLong();
    }
  }

  const extras = parseExtras(p, kind, { product, isItem, caption });
  if (extras.error) return extras.error;

  const now = state.now();
  const container = {
    id: state.newContainerId(),
    owner: account.user_id,
    product,
    kind,
    mediaKind: mediaKind ?? null,
    isCarouselItem: isItem,
    caption: kind === 'STORIES' || isItem ? null : caption,
    imageUrl: null,
    videoUrl: null,
    children: [],
    createdAt: now,
    readyAt: now,
    failure: null,
    publishedMediaId: null,
    ...extras.value,
  };

  if (resumable) {
    // Nothing to process until the bytes arrive at rupload.facebook.com (rupload.mjs).
    container.upload = { size: null, received: 0, chunks: [], complete: false };
    container.readyAt = Infinity;
    state.containers.set(container.id, container);
    const version = ctx.version ? `${ctx.version}/` : '';
    return json(200, { id: container.id, uri: `${state.origin}/rupload.facebook.com/ig-api-upload/${version}${container.id}` });
  }
  if (kind === 'CAROUSEL') {
    const problem = attachChildren(state, container, p.children, account);
    if (problem) return problem;
    container.readyAt = now + state.config.processingMs.CAROUSEL;
  } else {
    const field = mediaKind === 'VIDEO' ? 'video_url' : 'image_url';
    const url = p[field];
    if (!url) return graph.missingParam(field);
    if (!isHttpUrl(url)) return publishing.fetchFailed(url);
    const failure = isLocal(url) ? await fetchMedia(state, url, mediaKind) : mediaFailure(url, mediaKind);
    if (failure?.sync) return failure.sync;
    container.failure = failure;
    container[mediaKind === 'VIDEO' ? 'videoUrl' : 'imageUrl'] = url;
    container.readyAt = now + processingMs(state, kind, mediaKind);
  }

  state.containers.set(container.id, container);
  return json(200, { id: container.id });
}

function processingMs(state, kind, mediaKind) {
  const ms = state.config.processingMs;
  if (kind === 'STORIES') return mediaKind === 'VIDEO' ? ms.STORIES_VIDEO : ms.STORIES_IMAGE;
  return ms[kind] ?? 0;
}

function publishDenied(viewer, account, product) {
  const needed = product === 'instagram'
    ? ['instagram_business_basic', 'instagram_business_content_publish']
    : ['instagram_basic', 'instagram_content_publish'];
  if (!needed.every((s) => hasScope(viewer, s))) return graph.permission();
  // ASSUMPTION: a personal account cannot publish through the API; the error wording
  // is not documented, the stand-in answers the generic permission error.
  if (account.account_type === 'PERSONAL') return graph.permission();
  return null;
}

function isHttpUrl(s) {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function isLocal(url) {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

// Fetches a local media URL the way Meta would; the same answers as mediaFailure.
// An image in one GET; a video in Range requests (`Range: bytes=a-b`, each
// answer a 206 whose Content-Range matches, or a 200 with the whole file from
// a server that ignores Range), as video fetchers read a large file.
async function fetchMedia(state, url, mediaKind) {
  const record = { url, status: null, bytes: 0, contentType: null, error: null, ranges: [] };
  state.mediaFetches.push(record);
  const cannotFetch = mediaKind === 'IMAGE'
    ? { sync: publishing.fetchFailed(url) }
    : { statusText: 'Error: Media upload has failed with error code 2207052' };
  let body;
  try {
    body = mediaKind === 'IMAGE' ? await fetchWhole(state, url, record) : await fetchRanges(state, url, record);
    if (!body) return cannotFetch;
    record.bytes = body.length;
  } catch (e) {
    record.error = e.name === 'TimeoutError' ? 'timeout' : String(e.cause?.code ?? e.message);
    return cannotFetch;
  }
  if (mediaKind === 'IMAGE') {
    const jpeg = body.length > 3 && body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff;
    return jpeg ? null : { sync: publishing.imageFormat() };
  }
  return checkMp4(body) ? { statusText: 'Error: Media upload has failed with error code 2207026' } : null;
}

const fetchOptions = (state, headers = {}) =>
  ({ redirect: 'follow', headers, signal: AbortSignal.timeout(state.config.mediaFetchTimeoutMs) });

// One GET; null when it is not a 2xx.
async function fetchWhole(state, url, record) {
  const res = await fetch(url, fetchOptions(state));
  record.status = res.status;
  record.contentType = res.headers.get('content-type');
  const body = Buffer.from(await res.arrayBuffer());
  return res.ok ? body : null;
}

// Range requests until the whole file arrived; null on an answer that is not
// a 200/206, or a 206 whose Content-Range is not the range asked.
async function fetchRanges(state, url, record) {
  const chunks = [];
  let at = 0;
  let total = null;
  while (total === null || at < total) {
    const last = at + state.config.mediaRangeBytes - 1;
    const res = await fetch(url, fetchOptions(state, { range: `bytes=${at}-${last}` }));
    record.status = res.status;
    record.contentType ??= res.headers.get('content-type');
    const body = Buffer.from(await res.arrayBuffer());
    record.ranges.push({ range: `${at}-${last}`, status: res.status, bytes: body.length });
    if (res.status === 200) return body; // Range ignored: the whole file
    if (res.status !== 206) return null;
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== at || Number(m[2]) - at + 1 !== body.length) return null;
    total = Number(m[3]);
    chunks.push(body);
    at += body.length;
  }
  return Buffer.concat(chunks);
}

// Returns null (fine), {sync: response} (fails the POST) or {statusText} (container ERROR).
function mediaFailure(url, mediaKind) {
  if (url.includes('fail-download')) {
    return mediaKind === 'IMAGE'
      ? { sync: publishing.fetchFailed(url) }
      : { statusText: 'Error: Media upload has failed with error code 2207052' };
  }
  if (url.includes('unsupported-format')) {
    return mediaKind === 'IMAGE'
      ? { sync: publishing.imageFormat() }
      : { statusText: 'Error: Media upload has failed with error code 2207026' };
  }
  if (url.includes('processing-error')) {
    return { statusText: `Error: Media upload has failed with error code ${mediaKind === 'IMAGE' ? '2207001' : '2207053'}` };
  }
  return null;
}

// Optional parameters from the IG User Media reference, lightly checked.
function parseExtras(p, kind, { product, isItem, caption }) {
  const value = {
    altText: kind === 'IMAGE' ? p.alt_text ?? null : null, // images only (March 24, 2025)
    locationId: p.location_id ?? null,
    userTags: null,
    collaborators: null,
    coverUrl: kind === 'REELS' ? p.cover_url ?? null : null,
    thumbOffset: null,
    shareToFeed: kind === 'REELS' ? p.share_to_feed !== 'false' : null,
    audioName: kind === 'REELS' ? p.audio_name ?? null : null,
  };
  if (p.user_tags != null) {
    try {
      value.userTags = JSON.parse(p.user_tags);
      if (!Array.isArray(value.userTags)) throw new Error();
    } catch {
      return { error: graph.invalidParam('Param user_tags must be a JSON array of {username, x, y} objects') };
    }
  }
  if (p.collaborators != null) {
    let list;
    try {
      list = JSON.parse(p.collaborators);
    } catch {
      list = String(p.collaborators).split(',').map((s) => s.trim()).filter(Boolean);
    }
    if (!Array.isArray(list)) return { error: graph.invalidParam('Param collaborators must be a list of usernames') };
    if (list.length > 3) return { error: graph.invalidParam('You can add up to 3 collaborators') };
    value.collaborators = list.map(String);
  }
  if (p.thumb_offset != null) {
    const n = Number(p.thumb_offset);
    if (!Number.isInteger(n) || n < 0) {
      return {
        error: graphError({
          message: 'Thumbnail offset must be greater than or equal to 0 and less than video duration',
          code: 1,
          subcode: 2207057,
          isTransient: false,
        }),
      };
    }
    value.thumbOffset = n;
  }
  const post = kind !== 'STORIES' && !isItem; // a feed post or a carousel container
  const flag = (name) => {
    if (p[name] == null) return { value: null };
    if (p[name] !== 'true' && p[name] !== 'false') return { error: graph.invalidParam(`Param ${name} must be a boolean`) };
    return { value: p[name] === 'true' };
  };
  // The AI info label: on the post (the carousel container, not its items)
  // (Instagram Platform changelog, June 22, 2026).
  const ai = flag('is_ai_generated');
  if (ai.error) return ai;
  if (ai.value != null && !post) return { error: graph.invalidParam('is_ai_generated is set on the post (for a carousel, on the carousel container only)') };
  value.isAiGenerated = ai.value;
  // Caption add-ons, Facebook Login only: a poll of 2-4 options or a comment
  // prompt, never both, on a non-empty caption, not on stories or items
  // (https://developers.facebook.com/documentation/instagram-platform/content-publishing/caption-add-ons).
  const extended = flag('is_poll_duration_extended');
  if (extended.error) return extended;
  const prompt = flag('is_comment_prompt_used');
  if (prompt.error) return prompt;
  let poll = null;
  if (p.poll_attachment != null) {
    try {
      poll = JSON.parse(p.poll_attachment);
    } catch {
      poll = null;
    }
    const keys = poll && typeof poll === 'object' ? Object.keys(poll) : [];
    const options = ['option_a', 'option_b', 'option_c', 'option_d'];
    if (keys.length < 2 || keys.length > 4 || keys.some((k, i) => k !== options[i] || typeof poll[k] !== 'string' || !poll[k])) {
      return { error: graph.invalidParam('Param poll_attachment must be a JSON object of 2 to 4 options, option_a to option_d') };
    }
  }
  if (poll || prompt.value === true || extended.value != null) {
    if (product !== 'facebook') return { error: graph.invalidParam('Caption add-ons are only available for Instagram API with Facebook Login') };
    if (!post) return { error: graph.invalidParam('Caption add-ons are supported on feed photos, carousels and reels, not stories or carousel items') };
    if (poll && prompt.value === true) return { error: graph.invalidParam('A media can carry at most one caption add-on') };
    if (extended.value != null && !poll) return { error: graph.invalidParam('is_poll_duration_extended needs poll_attachment') };
    if (!caption || !String(caption).trim()) return { error: graph.invalidParam('An add-on requires a non-empty caption') };
  }
  value.pollAttachment = poll;
  value.pollDurationExtended = extended.value;
  value.commentPromptUsed = prompt.value;
  // Product tags: at most 5, {product_id, x, y} (no x/y on videos).
  if (p.product_tags != null) {
    let tags;
    try {
      tags = JSON.parse(p.product_tags);
    } catch {
      tags = null;
    }
    if (!Array.isArray(tags) || tags.length > 5 || tags.some((t) => !t || typeof t.product_id !== 'string')) {
      return { error: graph.invalidParam('Param product_tags must be a JSON array of at most 5 {product_id, x, y} objects') };
    }
    value.productTags = tags;
  }
  return { value };
}

function attachChildren(state, carousel, childrenParam, account) {
  if (!childrenParam) return graph.missingParam('children');
  const ids = String(childrenParam).split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length < 2 || ids.length > 10) return publishing.carouselSize();
  for (const [i, id] of ids.entries()) {
    const child = state.containers.get(id);
    if (!child || child.owner !== account.user_id || !child.isCarouselItem || child.publishedMediaId) {
      // ASSUMPTION: wording for an unusable child is not documented.
      return graph.invalidParam(`Param children[${i}] (${id}) is not a carousel item container of this account`);
    }
  }
  carousel.children = ids;
  return null;
}

// ---- status --------------------------------------------------------------------------------

// status_code values from the Content Publishing guide ("Troubleshooting"):
// EXPIRED, ERROR, FINISHED, IN_PROGRESS, PUBLISHED.
export function containerStatus(state, c) {
  if (c.publishedMediaId) return { code: 'PUBLISHED', text: 'Published: Media has been successfully published.' };
  const now = state.now();
  if (now < c.readyAt) return inProgress();
  if (c.failure) return { code: 'ERROR', text: c.failure.statusText };
  if (now >= c.createdAt + CONTAINER_TTL_MS) {
    return { code: 'EXPIRED', text: 'Expired: Media has not been published within 24 hours and has expired.' };
  }
  if (c.kind === 'CAROUSEL') {
    const kids = c.children.map((id) => containerStatus(state, state.containers.get(id)));
    const failed = kids.find((k) => k.code === 'ERROR' || k.code === 'EXPIRED');
    if (failed) return { code: 'ERROR', text: `Error: A carousel item failed. ${failed.text}` };
    if (kids.some((k) => k.code === 'IN_PROGRESS')) return inProgress();
  }
  return { code: 'FINISHED', text: 'Finished: Media has been uploaded and it is ready to be published.' };
}

function inProgress() {
  return { code: 'IN_PROGRESS', text: 'In Progress: Media is still being processed.' };
}

export function containerFields(state, c) {
  return {
    nodeType: 'ShadowIGMediaBuilder',
    id: c.id,
    defaults: ['id'],
    fields: {
      id: () => c.id,
      status_code: () => containerStatus(state, c).code,
      status: () => containerStatus(state, c).text,
      video_status: () => videoStatus(c),
    },
  };
}

// ---- publish -------------------------------------------------------------------------------

export function publishContainer({ state, ctx, viewer, node, product }) {
  const account = node.value;
  const denied = publishDenied(viewer, account, product);
  if (denied) return denied;
  const id = ctx.params.creation_id;
  if (!id) return graph.missingParam('creation_id');
  const c = state.containers.get(String(id));
  if (!c || c.owner !== account.user_id) return publishing.notFound(id);
  if (c.isCarouselItem) return publishing.carouselItemAlone();

  const status = containerStatus(state, c).code;
  if (status === 'PUBLISHED') return publishing.alreadyPublished(c.publishedMediaId);
  if (status === 'EXPIRED') return publishing.expired();
  if (status !== 'FINISHED') return publishing.notReady(); // IN_PROGRESS or ERROR
  // "This limit is enforced on the POST /<IG_ID>/media_publish endpoint" (guide, Rate Limit).
  if (state.publishesInWindow(account.user_id) >= state.config.publishQuota) return publishing.quota();

  const media = makeMedia(state, c, account);
  c.publishedMediaId = media.id;
  state.recordPublish(account.user_id);
  return json(200, { id: media.id });
}

function makeMedia(state, c, account) {
  const now = state.now();
  const id = state.newMediaId();
  const shortcode = shortcodeOf();
  const productType = c.kind === 'REELS' ? 'REELS' : c.kind === 'STORIES' ? 'STORY' : 'FEED';
  const web = `${state.origin}/www.instagram.com`;
  const permalink = productType === 'REELS'
    ? `${web}/reel/${shortcode}/`
    : productType === 'STORY'
      ? `${web}/stories/${account.username}/${id}/`
      : `${web}/p/${shortcode}/`;
  const media = {
    id,
    owner: account.user_id,
    username: account.username,
    containerId: c.id,
    kind: c.kind,
    // A published reel reports media_type VIDEO, a story IMAGE or VIDEO (guide,
    // "Reels posts" and "Story posts"); a carousel is CAROUSEL_ALBUM.
    mediaType: c.kind === 'CAROUSEL' ? 'CAROUSEL_ALBUM' : c.mediaKind,
    productType,
    caption: c.caption,
    altText: c.altText,
    mediaUrl: c.imageUrl ?? c.videoUrl,
    thumbnailUrl: c.coverUrl ?? null,
    shareToFeed: c.shareToFeed,
    collaborators: c.collaborators,
    userTags: c.userTags,
    locationId: c.locationId,
    isAiGenerated: c.isAiGenerated ?? false,
    pollAttachment: c.pollAttachment ?? null,
    commentPromptUsed: c.commentPromptUsed ?? false,
    productTags: c.productTags ?? null,
    shortcode,
    permalink,
    timestamp: graphTimestamp(now),
    publishedAt: now,
    children: [],
    parent: null,
  };
  if (c.kind === 'CAROUSEL') {
    for (const childId of c.children) {
      const child = state.containers.get(childId);
      const childMedia = {
        ...makeMediaChild(state, child, account, now),
        parent: id,
        permalink,
      };
      state.media.set(childMedia.id, childMedia);
      child.publishedMediaId = childMedia.id;
      media.children.push(childMedia.id);
    }
    media.mediaUrl = state.media.get(media.children[0]).mediaUrl;
  }
  state.media.set(id, media);
  return media;
}

function makeMediaChild(state, child, account, now) {
  return {
    id: state.newMediaId(),
    owner: account.user_id,
    username: account.username,
    containerId: child.id,
    kind: child.kind,
    mediaType: child.mediaKind,
    productType: 'FEED',
    caption: null,
    altText: child.altText,
    mediaUrl: child.imageUrl ?? child.videoUrl,
    thumbnailUrl: null,
    shortcode: shortcodeOf(),
    timestamp: graphTimestamp(now),
    publishedAt: now,
    children: [],
  };
}

function shortcodeOf() {
  return ('C' + randomToken(12)).slice(0, 11);
}

// Graph timestamps look like 2025-11-22T10:15:30+0000.
function graphTimestamp(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

// ---- reads ------------------------------------------------------------------------------------

export function mediaFields(state, m) {
  return {
    nodeType: 'IGMedia',
    id: m.id,
    defaults: ['id'],
    fields: {
      id: () => m.id,
      caption: () => m.caption ?? undefined,
      media_type: () => m.mediaType,
      media_product_type: () => m.productType,
      media_url: () => m.mediaUrl,
      thumbnail_url: () => m.thumbnailUrl ?? undefined,
      permalink: () => m.permalink,
      shortcode: () => m.shortcode,
      timestamp: () => m.timestamp,
      username: () => m.username,
      owner: () => ({ id: m.owner }),
      alt_text: () => m.altText ?? undefined,
      // GET /{ig_media_id}?fields=is_ai_generated (Instagram Platform changelog, June 22, 2026).
      is_ai_generated: () => m.isAiGenerated ?? false,
      is_shared_to_feed: () => (m.productType === 'REELS' ? m.shareToFeed : undefined),
      like_count: () => 0,
      comments_count: () => 0,
      is_comment_enabled: () => true,
      children: (sub) => {
        if (m.children.length === 0) return undefined;
        const data = [];
        for (const childId of m.children) {
          const r = selectFields(mediaFields(state, state.media.get(childId)), sub ?? 'id');
          if (r.error) return r;
          data.push(r.value);
        }
        return { data };
      },
    },
  };
}

export function mediaChildren({ state, ctx, node }) {
  const data = [];
  for (const childId of node.value.children) {
    const r = selectFields(mediaFields(state, state.media.get(childId)), ctx.params.fields);
    if (r.error) return r.error;
    data.push(r.value);
  }
  return json(200, { data });
}

// GET /{ig-user-id}/media — the account's published feed media (not stories, not
// carousel children), newest first.
export function listMedia(ask) {
  return listOwnMedia(ask, (m) => !m.parent && m.productType !== 'STORY');
}

// GET /{ig-user-id}/stories — the account's stories of the last 24 hours, newest
// first. Documented on graph.facebook.com only (a Facebook User token with
// instagram_basic + pages_read_engagement):
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/stories
// so graph.instagram.com answers it as an unsupported request.
export function listStories(ask) {
  const { state, ctx, product } = ask;
  if (product === 'instagram') return graph.unsupported(ctx.method, `${ask.node.value.user_id}/stories`);
  if (!hasScope(ask.viewer, 'pages_read_engagement')) return graph.permission();
  return listOwnMedia(ask, (m) => m.productType === 'STORY' && m.publishedAt > state.now() - DAY);
}

function listOwnMedia({ state, ctx, viewer, node, product }, keep) {
  const basic = product === 'instagram' ? 'instagram_business_basic' : 'instagram_basic';
  if (!hasScope(viewer, basic)) return graph.permission();
  const account = node.value;
  const items = [...state.media.values()]
    .filter((m) => m.owner === account.user_id && keep(m))
    .sort((a, b) => b.publishedAt - a.publishedAt || (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
  const data = [];
  for (const m of items) {
    const r = selectFields(mediaFields(state, m), ctx.params.fields);
    if (r.error) return r.error;
    data.push(r.value);
  }
  return json(200, { data });
}

// GET /{ig-user-id}/content_publishing_limit
// {"data":[{"quota_usage":2,"config":{"quota_total":50,"quota_duration":86400}}]}
// "If omitted, the quota_usage field will be returned by default"; `since` is a Unix
// timestamp no older than 24 hours.
export function publishingLimit({ state, ctx, viewer, node, product }) {
  const needed = product === 'instagram'
    ? ['instagram_business_basic', 'instagram_business_content_publish']
    : ['instagram_basic', 'instagram_content_publish'];
  if (!needed.every((s) => hasScope(viewer, s))) return graph.permission();
  const account = node.value;
  const p = ctx.params;
  let since = state.now() - DAY;
  if (p.since != null) {
    const s = Number(p.since) * 1000;
    if (!Number.isFinite(s) || s < state.now() - DAY) {
      return graph.invalidParam('Param since must be a Unix timestamp no older than 24 hours');
    }
    since = s;
  }
  const fields = p.fields ? String(p.fields).split(',').map((s) => s.trim()).filter(Boolean) : ['quota_usage'];
  const entry = {};
  for (const f of fields) {
    if (f === 'quota_usage') entry.quota_usage = state.publishesInWindow(account.user_id, since);
    else if (f === 'config' || f === 'rate_limit_settings') {
      entry.config = { quota_total: state.config.publishQuota, quota_duration: DAY / 1000 };
    } else return graph.nonexistingField(f, 'ContentPublishingLimitResponse');
  }
  return json(200, { data: [entry] });
}
