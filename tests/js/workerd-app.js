// A Worker that uses the package through its Workers entry (pkg/worker.js:
// the .wasm imported as a compiled module). Driven by workerd.test.mjs.
import {
  createLogin, connectAccount, publishCarousel, publishReel, createPublishJob, stepPublishJob, InstagateError,
} from '../../pkg/worker.js';
// The login-only entry's workerd loader (its own wasm module, imported as a module).
import * as loginOnly from '../../pkg/login-worker.js';

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === '/reel') {
      // A video uploaded to this Worker goes on to Meta as a stream: the
      // request body is the file, the rest of the input is in a header.
      const input = JSON.parse(request.headers.get('x-input'));
      const progress = [];
      const published = await publishReel({ ...input, video: request.body, onProgress: (e) => progress.push(e) });
      return Response.json({ published, progress });
    }
    const { step, config, ...input } = await request.json();
    try {
      if (step === 'createLogin') return Response.json(createLogin(config));
      if (step === 'loginEntry') {
        const created = loginOnly.createLogin(config);
        let foreignStateKind = null;
        try { loginOnly.validateCallback(config, input.callbackUrl, 'x'.repeat(43)); } catch (e) {
          foreignStateKind = e instanceof loginOnly.InstagateError ? e.kind : `not an InstagateError: ${e}`;
        }
        return Response.json({ created, foreignStateKind, checked: loginOnly.validateCallback(config, input.callbackUrl, input.expectedState) });
      }
      if (step === 'connectAccount') {
        return Response.json(await connectAccount({ config, clientSecret: env.CLIENT_SECRET, ...input }));
      }
      if (step === 'publishCarousel') {
        const progress = [];
        const published = await publishCarousel({ config, ...input, onProgress: (e) => progress.push(e.step) });
        return Response.json({ published, progress });
      }
      if (step === 'stepPublishJob') {
        // One step per request, the job round-tripped as JSON (as a Worker
        // would keep it in KV between invocations).
        const job = input.job ?? createPublishJob({ igUserId: input.igUserId, media: input.media, poll: input.poll });
        const result = await stepPublishJob({ config, accessToken: input.accessToken, job: JSON.stringify(job) });
        return Response.json({ ...result, error: result.error && { kind: result.error.kind, message: result.error.message } });
      }
      return new Response('unknown step', { status: 404 });
    } catch (e) {
      return Response.json({
        isError: e instanceof Error, isInstagateError: e instanceof InstagateError,
        kind: e.kind, code: e.code, status: e.status, message: e.message,
      }, { status: 400 });
    }
  },
};
