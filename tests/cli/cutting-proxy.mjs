// An HTTP proxy put between a client and an instagate Worker that counts the
// request bytes it receives (to prove what a client re-sent) and can cut the
// connection in the middle of a chosen request's body, as a dropped network
// would. Used by the CLI's Worker tests and scripts/bench-upload.mjs.
import { createServer } from 'node:http';

/**
 * Starts a proxy to `target` (an origin). `cut(match, afterBytes)` makes the
 * next request whose "METHOD path" matches lose its connection once
 * `afterBytes` of its body arrived (once); `shorten(match, bytes)` forwards
 * only the first `bytes` of the next matching request's body (once), as a
 * body cut short on its way; `stall(match, afterBytes)` stops reading the
 * next matching request after `afterBytes` and never answers, the
 * connection left open (once), as a network that hangs. `requests` lists `{method, path, bytes, cut,
 * shortened, stalled, status}` per request, in order (`status`: the target's answer).
 */
export async function startCuttingProxy(target) {
  const requests = [];
  const cuts = [];
  const shortens = [];
  const stalls = [];
  const take = (list, req) => {
    const at = list.findIndex((c) => c.match.test(`${req.method} ${req.url}`));
    return at >= 0 ? list.splice(at, 1)[0] : null;
  };
  const server = createServer((req, res) => {
    const seen = { method: req.method, path: req.url, bytes: 0, cut: false, shortened: false, stalled: false };
    requests.push(seen);
    const cut = take(cuts, req);
    const shorten = take(shortens, req);
    const stall = take(stalls, req);
    const chunks = [];
    req.on('data', (chunk) => {
      if (seen.cut) return;
      seen.bytes += chunk.length;
      chunks.push(chunk);
      if (cut && seen.bytes >= cut.afterBytes) {
        seen.cut = true;
        req.socket.destroy();
      }
      if (stall && seen.bytes >= stall.afterBytes && !seen.stalled) {
        // The connection stays open and nothing more is read or answered.
        seen.stalled = true;
        req.pause();
      }
    });
    req.on('end', async () => {
      if (seen.cut || seen.stalled) return;
      try {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length', 'transfer-encoding'].includes(k)));
        let body = ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks);
        if (shorten) {
          body = body.subarray(0, shorten.bytes);
          seen.shortened = true;
        }
        const answer = await fetch(new URL(req.url, target), { method: req.method, headers, body, redirect: 'manual' });
        seen.status = answer.status;
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
    shorten: (match, bytes) => shortens.push({ match, bytes }),
    stall: (match, afterBytes) => stalls.push({ match, afterBytes }),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
