// sink-entry.mjs — a benchmark-only entry module loaded by miniflare in front
// of the built Worker (build/index.js), as counting-entry.mjs is: `POST
// /__sink` reads its body to the end and answers 204 (answered here, never by
// the Worker), so a plain fetch POST of a file to the same server is the
// baseline the Worker's parts upload is compared with
// (scripts/bench-upload.mjs); `PUT /__r2part` stores its body as one part of
// an R2 multipart upload from JS, to tell the bucket's cost from the
// Worker's. Everything else goes to the Worker.
import Worker from './index.js';

export { AccountObject } from './index.js';

export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (request.method === 'POST' && path === '/__sink') {
      const bytes = (await request.arrayBuffer()).byteLength;
      return new Response(null, { status: 204, headers: { 'x-bytes': String(bytes) } });
    }
    // The same bytes stored as one R2 multipart part straight from JS (then
    // aborted): what the bucket itself costs, without the Worker.
    if (request.method === 'PUT' && path === '/__r2part') {
      const upload = await env.MEDIA_BUCKET.createMultipartUpload(`bench/${crypto.randomUUID()}`);
      const part = await upload.uploadPart(1, await request.arrayBuffer());
      await upload.abort();
      return new Response(null, { status: 204, headers: { 'x-etag': part.etag } });
    }
    return Worker.fetch(request, env, ctx);
  },
  async scheduled(event, env, ctx) {
    return Worker.scheduled(event, env, ctx);
  },
};
