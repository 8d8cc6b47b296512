// A video from this computer, staged in the Worker in parts
// (docs/worker-api.md, "Staged video"): the file is first checked in the page
// with the npm package's own rules (`inspectVideo` reads the MP4 header,
// `createPublishJob` applies Meta's size and duration limits), so a file
// Instagram would refuse is never uploaded; then each part goes up with a
// progress report, a part whose request fails without an answer (or with a
// 5xx) is sent again alone, and the finished upload becomes a staged video
// whose id is published as `video_media_id`.
import { WORKER, WorkerError } from './worker-api.js';

const PART_ATTEMPTS = 3;

/** Throws an Error (`kind: 'invalid_input'`, `field: 'video_file'`) when Instagram would refuse `file` as a `use`. */
export async function checkVideo(file, use) {
  // The whole package (its wasm) is loaded only when a video is chosen.
  const { inspectVideo, createPublishJob } = await import('instagate');
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    const videoFile = inspectVideo(bytes, file.name);
    createPublishJob({ igUserId: '0', media: { type: use, videoFile } });
    return videoFile;
  } catch (e) {
    // The core names the job's field (`videoFile lasts ...`); here it is the chosen file.
    throw Object.assign(new Error(String(e.message).replace(/^videoFile /, `${file.name} `)), { kind: e.kind, field: 'video_file' });
  }
}

async function call(method, url, body, headers = {}) {
  const res = await fetch(url, { method, credentials: 'include', headers, body });
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new WorkerError(res.status, json);
  return json;
}

const json = (value) => [JSON.stringify(value), { 'content-type': 'application/json' }];

/**
 * Stages `file` for account `id` as a `use` ('reel' | 'story');
 * `onProgress({sent, total, part, parts, retry?})` after each part and retry.
 * Returns the staged media (`{id, type: 'video', duration_ms, ...}`).
 */
export async function uploadVideo(id, file, use, onProgress) {
  const base = `${WORKER}/api/accounts/${id}/uploads`;
  const contentType = /\.mov$/i.test(file.name) || file.type === 'video/quicktime' ? 'video/quicktime' : 'video/mp4';
  const { upload } = await call('POST', base, ...json({ use, content_type: contentType, size: file.size }));
  const at = `${base}/${encodeURIComponent(upload.id)}`;
  const query = `upload_id=${encodeURIComponent(upload.upload_id)}`;
  try {
    const parts = [];
    let sent = 0;
    for (let n = 1; n <= upload.parts; n += 1) {
      const body = file.slice((n - 1) * upload.part_size, n * upload.part_size);
      parts.push(await sendPart(`${at}/parts/${n}?${query}`, body, (retry) => onProgress({ sent, total: file.size, part: n, parts: upload.parts, retry })));
      sent += body.size;
      onProgress({ sent, total: file.size, part: n, parts: upload.parts });
    }
    const { media } = await call('POST', `${at}/complete`, ...json({ upload_id: upload.upload_id, parts }));
    return media;
  } catch (e) {
    // Nothing half-uploaded stays in the Worker's bucket.
    await fetch(`${at}?${query}`, { method: 'DELETE', credentials: 'include' }).catch(() => {});
    throw e;
  }
}

async function sendPart(url, body, onRetry) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return (await call('PUT', url, body, { 'content-type': 'application/octet-stream' })).part;
    } catch (e) {
      // No answer, a 5xx/429, or a 400 on the body (the Worker got the part cut short).
      const retryable = !(e instanceof WorkerError) || e.status >= 500 || e.status === 429 || (e.status === 400 && e.field === 'body');
      if (!retryable || attempt >= PART_ATTEMPTS) throw e;
      onRetry(attempt);
      await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
    }
  }
}
