// `publish image|story ./photo.jpg --worker URL`, `publish reel|story
// ./clip.mp4 --worker URL` and a carousel with local `--item` files: each
// local file goes through an instagate Worker, which stages it in its R2
// bucket and publishes it by reference, handing Meta a short-lived signed URL
// it serves itself (docs/worker-api.md, "Staged media", "Staged video"). A
// JPEG is staged in one request (POST /api/accounts/{id}/media); a video in
// parts, resumable (worker-upload.mjs). Then the publish job is followed to
// its end, as for any Worker publish.
import { readFile } from 'node:fs/promises';
import { EXIT, CliError, usage } from '../errors.mjs';
import { out, err, progressLine } from '../output.mjs';
import { callWorker, jsonHeaders, workerTarget } from '../worker-client.mjs';
import { checkLocalVideo, isLocalVideo, stageVideoInParts } from './worker-upload.mjs';

export const isLocalJpeg = (path) => /\.(jpe?g)$/i.test(path) && !/^https?:\/\//i.test(path);
export { isLocalVideo };
const isUrl = (s) => /^https?:\/\//i.test(s);

// The flags each kind takes through the Worker (the publish body's fields).
const FLAGS = {
  image: { caption: 'caption', 'alt-text': 'alt_text' },
  reel: { caption: 'caption', 'cover-url': 'cover_url', 'share-to-feed': 'share_to_feed' },
  story: {},
  carousel: { caption: 'caption' },
};

/** `publish KIND FILE --worker`, or a carousel whose `--item`s include local files (`file` undefined). */
export async function publishThroughWorker(ctx, kind, file) {
  const target = workerTarget(ctx);
  const { worker, account } = target;
  for (const f of ['cover-url', 'share-to-feed', 'video', 'url', 'caption', 'alt-text']) {
    if (ctx.flags[f] !== undefined && !Object.hasOwn(FLAGS[kind], f)) throw usage(`--${f} does not apply to a local file's ${kind}`);
  }
  if (kind !== 'carousel' && ctx.flags.item !== undefined) throw usage(`--item does not apply to a ${kind}`);
  // Every local file is read and checked before anything is sent.
  const files = kind === 'carousel' ? await carouselItems(ctx.flags.item ?? [], account) : [await localFile(file, kind, account)];
  const line = progressLine();
  err(`Publishing ${kind === 'image' ? 'an image' : `a ${kind}`} to account ${account} through ${worker}…`);
  try {
    const body = { kind };
    if (kind === 'carousel') {
      body.items = [];
      for (const [i, item] of files.entries()) {
        if (item.bytes) line.update(`item ${i + 1}/${files.length}: ${item.file}`);
        body.items.push(item.bytes ? await stage(target, item, line) : item.ref);
      }
    } else {
      Object.assign(body, await stage(target, files[0], line));
    }
    for (const [flag, field] of Object.entries(FLAGS[kind])) {
      if (ctx.flags[flag] !== undefined) body[field] = ctx.flags[flag];
    }
    const job = await followJob(target, await callWorker(target, `${worker}/api/accounts/${account}/publish`, {
      method: 'POST', headers: jsonHeaders(target.auth), body: JSON.stringify(body),
    }, 'publishing', `the post may still be published: see ${worker}/api/accounts/${account}/jobs before publishing again`), line);
    line.done(`published as ${job.media_id}`);
    if (ctx.flags.json) out(JSON.stringify({ kind, igUserId: account, mediaId: job.media_id, permalink: job.permalink, jobId: job.id }));
    else out(`${job.media_id} ${job.permalink ?? ''}`.trimEnd());
    return EXIT.OK;
  } finally {
    line.done();
  }
}

// A local file read and checked for `use`: `{file, bytes, video, use}`.
async function localFile(file, use, account) {
  const video = isLocalVideo(file);
  if (!video && !isLocalJpeg(file)) throw usage(`${file} is not a local .jpg, .mp4 or .mov file`);
  let bytes;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw usage(`cannot read the file ${file}: ${e.code ?? e.message}`);
  }
  if (video) checkLocalVideo(bytes, file, use, account);
  return { file, bytes, video, use };
}

// A carousel's `--item`s: local files (read and checked) or URLs (`{ref}`).
async function carouselItems(raws, account) {
  if (raws.length < 2 || raws.length > 10) throw usage(`a carousel takes 2 to 10 --item, got ${raws.length}`);
  const items = [];
  for (const raw of raws) {
    const m = /^(image|video):(.*)$/.exec(raw);
    const [type, value] = m ? [m[1], m[2]] : [/\.(mp4|mov|m4v)(\?|#|$)/i.test(raw) ? 'video' : 'image', raw];
    if (isUrl(value)) items.push({ ref: type === 'video' ? { video_url: value } : { image_url: value } });
    else items.push(await localFile(value, 'carousel', account));
  }
  return items;
}

// Stages one local file; returns the publish body's reference to it.
async function stage(target, { file, bytes, video, use }, line) {
  const { worker, account, auth } = target;
  if (video) {
    const staged = await stageVideoInParts(target, { bytes, file, kind: use, line });
    line.update(`staged as ${staged.id} (${(staged.duration_ms / 1000).toFixed(1)} s)`);
    return { video_media_id: staged.id };
  }
  line.update(`staging ${file} (${bytes.length} bytes)`);
  const { media } = await callWorker(target, `${worker}/api/accounts/${account}/media?use=${use === 'story' ? 'story' : 'feed'}`, {
    method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body: bytes,
  }, `staging ${file}`);
  line.update(`staged as ${media.id} (${media.width}x${media.height})`);
  return { image_media_id: media.id };
}

// Reads the job until it is published or failed (at most 10 minutes).
async function followJob(target, { job: first }, line) {
  const { worker, auth } = target;
  let job = first;
  const deadline = Date.now() + 10 * 60_000;
  while (job.status === 'processing' || job.status === 'scheduled') {
    if (Date.now() > deadline) throw new CliError(`job ${job.id} is still ${job.status}; follow it at ${worker}/api/jobs/${job.id}`);
    line.update(`job ${job.id}: ${job.phase}…`);
    await new Promise((r) => setTimeout(r, 1000));
    ({ job } = await callWorker(target, `${worker}/api/jobs/${job.id}`, { headers: auth }, 'reading the job'));
  }
  if (job.status === 'failed') {
    throw new CliError(`Instagram refused the post: ${job.error?.message} (kind ${job.error?.kind}${job.error?.code ? `, code ${job.error.code}` : ''})`);
  }
  return job;
}
