// `publish image|story ./photo.jpg --worker URL`: a local JPEG goes through an
// instagate Worker, since Meta only fetches images from a URL: the Worker
// stages the file (POST /api/accounts/{id}/media, in its R2 bucket) and
// publishes it by reference, handing Meta a short-lived signed URL it serves
// itself (docs/worker-api.md, "Staged media"). The Worker's API key comes from
// INSTAGATE_WORKER_API_KEY only (never a flag: it would show in `ps`).
import { readFile } from 'node:fs/promises';
import { EXIT, CliError, usage } from '../errors.mjs';
import { out, err, progressLine } from '../output.mjs';

export const isLocalJpeg = (path) => /\.(jpe?g)$/i.test(path) && !/^https?:\/\//i.test(path);

/** The Worker's answer as JSON, or a CliError carrying its error. */
async function answer(res, what) {
  let body;
  try {
    body = await res.json();
  } catch {
    body = {};
  }
  if (res.ok || res.status === 202) return body;
  const e = body.error ?? body.job?.error ?? {};
  throw new CliError(`${what}: the Worker answered ${res.status}${e.kind ? ` ${e.kind}` : ''}: ${e.message ?? res.statusText}`, {
    exit: res.status >= 400 && res.status < 500 && res.status !== 429 ? EXIT.USAGE : EXIT.FAILED,
    hint: res.status === 401 ? 'set INSTAGATE_WORKER_API_KEY to the Worker\'s API_KEY secret' : null,
  });
}

export async function publishThroughWorker(ctx, kind, file) {
  const worker = ctx.settings.workerUrl.replace(/\/+$/, '');
  const key = ctx.env.INSTAGATE_WORKER_API_KEY;
  if (!key) throw usage('publishing through a Worker needs its API key', 'set INSTAGATE_WORKER_API_KEY (the Worker\'s API_KEY secret)');
  const account = ctx.flags.account ?? ctx.env.INSTAGATE_IG_USER_ID;
  if (!account || !/^\d+$/.test(account)) {
    throw usage('which of the Worker\'s accounts?', 'give --account IG_USER_ID (the numeric ID the Worker lists at GET /api/accounts)');
  }
  for (const f of ['cover-url', 'share-to-feed', 'item', 'video', 'url']) {
    if (ctx.flags[f] !== undefined) throw usage(`--${f} does not apply to a local image`);
  }
  if (kind === 'story' && ctx.flags.caption !== undefined) throw usage('--caption does not apply to a story');
  let bytes;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw usage(`cannot read the file ${file}: ${e.code ?? e.message}`);
  }
  const auth = { authorization: `Bearer ${key}` };
  const line = progressLine();
  err(`Publishing ${kind === 'image' ? 'an image' : 'a story'} to account ${account} through ${worker}…`);
  try {
    line.update(`staging ${file} (${bytes.length} bytes)`);
    const staged = await answer(await fetch(`${worker}/api/accounts/${account}/media?use=${kind === 'story' ? 'story' : 'feed'}`, {
      method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body: bytes,
    }), 'staging the image');
    line.update(`staged as ${staged.media.id} (${staged.media.width}x${staged.media.height})`);
    const body = { kind, image_media_id: staged.media.id };
    if (ctx.flags.caption !== undefined) body.caption = ctx.flags.caption;
    if (ctx.flags['alt-text'] !== undefined) body.alt_text = ctx.flags['alt-text'];
    let { job } = await answer(await fetch(`${worker}/api/accounts/${account}/publish`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body),
    }), 'publishing');
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
    line.done(`published as ${job.media_id}`);
    if (ctx.flags.json) out(JSON.stringify({ kind, igUserId: account, mediaId: job.media_id, permalink: job.permalink, jobId: job.id }));
    else out(`${job.media_id} ${job.permalink ?? ''}`.trimEnd());
    return EXIT.OK;
  } finally {
    line.done();
  }
}
