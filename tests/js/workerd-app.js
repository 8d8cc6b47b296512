// A Worker that uses the package through its Workers entry (pkg/worker.js:
// the .wasm imported as a compiled module). Driven by workerd.test.mjs.
import { createLogin, connectAccount, InstagateError } from '../../pkg/worker.js';

export default {
  async fetch(request, env) {
    const { step, config, ...input } = await request.json();
    try {
      if (step === 'createLogin') return Response.json(createLogin(config));
      if (step === 'connectAccount') {
        return Response.json(await connectAccount({ config, clientSecret: env.CLIENT_SECRET, ...input }));
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
