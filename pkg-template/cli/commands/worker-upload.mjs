// `publish reel|story ./clip.mp4 --worker URL` (and a carousel's `--item
// ./clip.mp4`): a local video staged in an instagate Worker in parts
// (docs/worker-api.md, "Staged video"): the file is checked here first with
// the package's own rules (wasm `inspectVideo` for the MP4 header,
// `createPublishJob` for Meta's size and duration limits: the core's checks,
// not a copy), then `POST .../uploads` opens an upload, each part goes up
// with `PUT .../parts/{n}`, and `POST .../complete` turns the parts into a
// staged video whose `id` is published as `video_media_id`.
//
// A part whose request got no usable answer (connection cut, no answer
// within the part timeout, 5xx, 429, or a 400 saying the Worker got it cut
// short) is sent again, alone, after a
// backoff (re-sending a part replaces it on the Worker): the parts already
// stored are not sent again. After the last try, or on another 4xx, the
// upload is abandoned (`DELETE`) so nothing stays staged.
import { inspectVideo, createPublishJob, InstagateError } from '../../node.js';
import { CliError, EXIT, usage } from '../errors.mjs';
import { uploadBar } from '../output.mjs';
import { answer, callWorker, jsonHeaders, requestTimeout } from '../worker-client.mjs';

export const isLocalVideo = (path) => /\.(mp4|mov|m4v)$/i.test(path) && !/^https?:\/\//i.test(path);
const contentTypeOf = (path) => (/\.mov$/i.test(path) ? 'video/quicktime' : 'video/mp4');

/** Attempts per part, the first included; waits between them double from `RETRY_BASE_MS`. */
export const PART_ATTEMPTS = 5;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 8_000;

/**
 * Refuses, before any request, a file Meta would refuse as a `kind`
 * (reel/story/carousel): not MP4/MOV, truncated, or outside the size and
 * duration limits.
 */
export function checkLocalVideo(bytes, file, kind, account) {
  try {
    const videoFile = inspectVideo(bytes, file);
    // A carousel item is checked as a carousel of two such videos (a carousel takes 2 to 10).
    const media = kind === 'carousel' ? { type: kind, items: [{ videoFile }, { videoFile }] } : { type: kind, videoFile };
    createPublishJob({ igUserId: account, media });
    return videoFile;
  } catch (e) {
    if (e instanceof InstagateError && e.kind === 'invalid_input') {
      // The core names the job's field (`videoFile ...`); here it is the file.
      throw usage(e.message.replace(/^(items\[\d+\]\.)?videoFile /, `${file} `));
    }
    throw e;
  }
}

/**
 * Stages `bytes` (a checked video) for `account`; `line` shows progress.
 * Returns the Worker's staged media (`{id, type: "video", duration_ms, ...}`).
 */
export async function stageVideoInParts(target, { bytes, file, kind, line, sleep = wait }) {
  const { worker, account, auth, partTimeoutMs } = target;
  const base = `${worker}/api/accounts/${account}/uploads`;
  const { upload } = await callWorker(target, base, {
    method: 'POST',
    headers: jsonHeaders(auth),
    body: JSON.stringify({ use: kind, content_type: contentTypeOf(file), size: bytes.length }),
  }, 'opening the upload');
  const query = `upload_id=${encodeURIComponent(upload.upload_id)}`;
  const at = `${base}/${encodeURIComponent(upload.id)}`;
  try {
    const parts = [];
    let sent = 0;
    line.update(`uploading ${uploadBar(0, bytes.length)} (${upload.parts} part${upload.parts === 1 ? '' : 's'})`);
    for (let n = 1; n <= upload.parts; n += 1) {
      const body = bytes.subarray((n - 1) * upload.part_size, Math.min(n * upload.part_size, bytes.length));
      parts.push(await sendPart(`${at}/parts/${n}?${query}`, body, { auth, n, of: upload.parts, line, sleep, timeoutMs: partTimeoutMs }));
      sent += body.length;
      line.update(`uploading ${uploadBar(sent, bytes.length)} (part ${n}/${upload.parts})`);
    }
    const { media } = await callWorker(target, `${at}/complete`, {
      method: 'POST', headers: jsonHeaders(auth), body: JSON.stringify({ upload_id: upload.upload_id, parts }),
    }, 'completing the upload');
    return media;
  } catch (e) {
    // Nothing half-uploaded is left in the Worker's bucket (best effort: its sweep takes the rest).
    await fetch(`${at}?${query}`, { method: 'DELETE', headers: auth, signal: AbortSignal.timeout(requestTimeout(target)) })
      .then((r) => r.body?.cancel(), () => {});
    line.done(`the upload was abandoned: nothing stays staged on the Worker`);
    throw e;
  }
}

// One part, re-sent alone after a failure without a usable answer.
async function sendPart(url, body, { auth, n, of, line, sleep, timeoutMs }) {
  for (let attempt = 1; ; attempt += 1) {
    let why;
    let retryAfterMs = null;
    try {
      const signal = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
      const res = await fetch(url, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body, signal });
      if (res.ok || !(retryable(res.status) || (await cutShort(res)))) return (await answer(res, `uploading part ${n}/${of}`)).part;
      why = res.status === 400 ? 'the Worker received the part cut short' : `the Worker answered ${res.status}`;
      retryAfterMs = retryAfter(res.headers.get('retry-after'));
      await res.body?.cancel();
    } catch (e) {
      if (e instanceof CliError) throw e;
      why = e.name === 'TimeoutError'
        ? `no answer within ${(timeoutMs / 1000).toFixed(1)} s`
        : `the connection failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    }
    if (attempt >= PART_ATTEMPTS) {
      throw new CliError(`uploading part ${n}/${of}: ${why}, ${PART_ATTEMPTS} times`, { exit: EXIT.FAILED, hint: 'check the connection to the Worker and publish again' });
    }
    const waitMs = retryAfterMs ?? backoff(attempt);
    line.done(`part ${n}/${of} interrupted (${why}): resuming with part ${n} alone in ${(waitMs / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${PART_ATTEMPTS}); the parts before it are kept`);
    await sleep(waitMs);
  }
}

const retryable = (status) => status === 408 || status === 429 || status >= 500;
// A 400 on the body: the Worker got fewer bytes than were sent (cut in
// transit; docs/worker-api.md: "send it again whole").
const cutShort = async (res) => res.status === 400 && (await res.clone().json().catch(() => ({}))).error?.field === 'body';
// Full jitter under a doubling cap, so many clients cut at once do not come back together.
const backoff = (attempt) => Math.round(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
const retryAfter = (v) => (v && /^\d+$/.test(v) ? Math.min(Number(v), 60) * 1000 : null);
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
