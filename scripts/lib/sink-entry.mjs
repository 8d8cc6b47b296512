// sink-entry.mjs — a benchmark-only entry module loaded by miniflare in front
// of the built Worker (build/index.js), as counting-entry.mjs is: `POST
// /__sink` reads its body to the end and answers 204 (answered here, never by
// the Worker), so a plain fetch POST of a file to the same server is the
// baseline the Worker's parts upload is compared with
// (scripts/bench-upload.mjs). Everything else goes to the Worker.
import Worker from './index.js';

export { AccountObject } from './index.js';

export default {
  async fetch(request, env, ctx) {
    if (request.method === 'POST' && new URL(request.url).pathname === '/__sink') {
      const bytes = (await request.arrayBuffer()).byteLength;
      return new Response(null, { status: 204, headers: { 'x-bytes': String(bytes) } });
    }
    return Worker.prototype.fetch.call({ env, ctx }, request);
  },
  async scheduled(event, env, ctx) {
    return Worker.prototype.scheduled.call({ env, ctx }, event);
  },
};
