// An HTTP proxy put between a client and an instagate Worker that counts the
// request bytes it receives (to prove what a client re-sent) and can cut the
// connection in the middle of a chosen request's body, as a dropped network
// would. Used by the CLI's Worker tests and scripts/bench-upload.mjs.
import { createServer } from 'node:http';

/**
 * Starts a proxy to `target` (an origin). `cut(match, afterBytes)` makes the
 * next request whose "METHOD path" matches lose its connection once
 * `afterBytes` of its body arrived (once). `requests` lists
 * `{method, path, bytes, cut}` per request, in order.
 */
export async function startCuttingProxy(target) {
  const requests = [];
  const cuts = [];
  const server = createServer((req, res) => {
    const seen = { method: req.method, path: req.url, bytes: 0, cut: false };
    requests.push(seen);
    const at = cuts.findIndex((c) => c.match.test(`${req.method} ${req.url}`));
    const cut = at >= 0 ? cuts.splice(at, 1)[0] : null;
    const chunks = [];
    req.on('data', (chunk) => {
      if (seen.cut) return;
      seen.bytes += chunk.length;
      chunks.push(chunk);
      if (cut && seen.bytes >= cut.afterBytes) {
        seen.cut = true;
        req.socket.destroy();
      }
    });
    req.on('end', async () => {
      if (seen.cut) return;
      try {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length', 'transfer-encoding'].includes(k)));
        const body = ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks);
        const answer = await fetch(new URL(req.url, target), { method: req.method, headers, body, redirect: 'manual' });
        const out = Buffer.from(await answer.arrayBuffer());
        const back = Object.fromEntries([...answer.headers].filter(([k]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)));
        res.writeHead(answer.status, back).end(out);
      } catch (e) {
        res.writeHead(502).end(String(e));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    requests,
    cut: (match, afterBytes) => cuts.push({ match, afterBytes }),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
