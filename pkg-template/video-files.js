// Video files for the resumable upload: the publish functions take a video as
// `video` (bytes) instead of `videoUrl`. This reads each one into a Uint8Array
// (Uint8Array / Buffer, ArrayBuffer, Blob / File, a web ReadableStream, or a Node
// stream / any async iterable of chunks), replaces it with the header facts the
// core checks (`videoFile: {size, durationMs}`, from wasm `inspectVideo`), and
// returns the bytes in the order the core uploads them: the reel's or story's
// own video, then carousel items in order.

import { InstagateError } from './error.js';

export async function takeVideoFiles(input, inspectVideo) {
  const files = [];
  const take = async (obj, field) => {
    if (obj == null || typeof obj !== 'object' || obj.video == null) return obj;
    const bytes = await toBytes(obj.video, field);
    const { video, ...rest } = obj;
    files.push(bytes);
    return { ...rest, videoFile: inspectVideo(bytes, field) };
  };
  let out = await take(input, 'video');
  if (Array.isArray(out?.items)) {
    const items = [];
    for (const [i, item] of out.items.entries()) items.push(await take(item, `items[${i}].video`));
    out = { ...out, items };
  }
  return { input: out, files };
}

// The bytes of a file given in any of the forms above, or a TypeError naming `field`.
export async function toBytes(value, field = 'video') {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof Blob !== 'undefined' && value instanceof Blob) return new Uint8Array(await value.arrayBuffer());
  if (typeof value?.getReader === 'function') return concat(await readAll(value.getReader()));
  if (typeof value?.[Symbol.asyncIterator] === 'function') {
    const chunks = [];
    for await (const chunk of value) chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : await toBytes(chunk, field));
    return concat(chunks);
  }
  throw new InstagateError({
    kind: 'invalid_input',
    field,
    message: `${field} must be a Uint8Array, ArrayBuffer, Blob or stream of the video's bytes`,
  });
}

async function readAll(reader) {
  const chunks = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value instanceof Uint8Array ? value : new Uint8Array(value));
  }
}

function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
