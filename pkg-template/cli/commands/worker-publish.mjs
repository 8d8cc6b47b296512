// `publish image|story ./photo.jpg --worker URL` and `publish reel|story
// ./clip.mp4 --worker URL`: a local file goes through an instagate Worker,
// which stages it in its R2 bucket and publishes it by reference, handing Meta
// a short-lived signed URL it serves itself (docs/worker-api.md, "Staged
// media"). A JPEG is staged in one request (POST /api/accounts/{id}/media); a
// video in parts, resumable (worker-upload.mjs). Then the publish job is
// followed to its end, as for any Worker publish.
import { readFile } from 'node:fs/promises';
import { EXIT, CliError, usage } from '../errors.mjs';
import { out, err, progressLine } from '../output.mjs';
import { answer, jsonHeaders, workerTarget } from '../worker-client.mjs';
import { checkLocalVideo, isLocalVideo, stageVideoInParts } from './worker-upload.mjs';

export const isLocalJpeg = (path) => /\.(jpe?g)$/i.test(path) && !/^https?:\/\//i.test(path);
export { isLocalVideo };

// The flags each local file takes through the Worker (the publish body's fields).
const FLAGS = {
  image: { caption: 'caption', 'alt-text': 'alt_text' },
  reel: { caption: 'caption', 'cover-url': 'cover_url', 'share-to-feed': 'share_to_feed' },
  story: {},
};

export async function publishThroughWorker(ctx, kind, file) {
  const target = workerTarget(ctx);
  const { worker, account, auth } = target;
  const video = isLocalVideo(file);
  for (const f of ['cover-url', 'share-to-feed', 'item', 'video', 'url', 'caption', 'alt-text']) {
    if (ctx.flags[f] !== undefined && !Object.hasOwn(FLAGS[kind], f)) throw usage(`--${f} does not apply to a local ${video ? 'video' : 'image'} ${kind === 'story' ? 'story' : ''}`.trimEnd());
  }
  let bytes;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw usage(`cannot read the file ${file}: ${e.code ?? e.message}`);
  }
  if (video) checkLocalVideo(bytes, file, kind, account);
  const line = progressLine();
  err(`Publishing ${kind === 'image' ? 'an image' : `a ${kind}`} to account ${account} through ${worker}…`);
  try {
    const body = { kind };
    if (video) {
      const staged = await stageVideoInParts(target, { bytes, file, kind, line });
      line.update(`staged as ${staged.id} (${(staged.duration_ms / 1000).toFixed(1)} s)`);
      body.video_media_id = staged.id;
    } else {
      line.update(`staging ${file} (${bytes.length} bytes)`);
      const { media } = await answer(await fetch(`${worker}/api/accounts/${account}/media?use=${kind === 'story' ? 'story' : 'feed'}`, {
        method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body: bytes,
      }), 'staging the image');
      line.update(`staged as ${media.id} (${media.width}x${media.height})`);
      body.image_media_id = media.id;
    }
    for (const [flag, field] of Object.entries(FLAGS[kind])) {
      if (ctx.flags[flag] !== undefined) body[field] = ctx.flags[flag];
    }
    const job = await followJob(target, await answer(await fetch(`${worker}/api/accounts/${account}/publish`, {
      method: 'POST', headers: jsonHeaders(auth), body: JSON.stringify(body),
    }), 'publishing'), line);
    line.done(`published as ${job.media_id}`);
    if (ctx.flags.json) out(JSON.stringify({ kind, igUserId: account, mediaId: job.media_id, permalink: job.permalink, jobId: job.id }));
    else out(`${job.media_id} ${job.permalink ?? ''}`.trimEnd());
    return EXIT.OK;
  } finally {
    line.done();
  }
}

// Reads the job until it is published or failed (at most 10 minutes).
async function followJob({ worker, auth }, { job: first }, line) {
  let job = first;
  const deadline = Date.now() + 10 * 60_000;
  while (job.status === 'processing' || job.status === 'scheduled') {
    if (Date.now() > deadline) throw new CliError(`job ${job.id} is still ${job.status}; follow it at ${worker}/api/jobs/${job.id}`);
    line.update(`job ${job.id}: ${job.phase}…`);
    await new Promise((r) => setTimeout(r, 1000));
    ({ job } = await answer(await fetch(`${worker}/api/jobs/${job.id}`, { headers: auth }), 'reading the job'));
  }
  if (job.status === 'failed') {
    throw new CliError(`Instagram refused the post: ${job.error?.message} (kind ${job.error?.kind}${job.error?.code ? `, code ${job.error.code}` : ''})`);
  }
  return job;
}
