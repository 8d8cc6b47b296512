// The loopback side of `login`: an HTTP server on 127.0.0.1 that waits for
// the one callback request the browser brings back, and the browser opener.
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';

const page = (title, text) => `<!doctype html><meta charset="utf-8"><title>${title}</title>
<body style="font-family:system-ui;max-width:36em;margin:4em auto"><h1>${title}</h1><p>${text}</p></body>\n`;
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Compared as digests, in constant time, so neither length nor content leaks.
const digest = (s) => createHash('sha256').update(String(s)).digest();
const sameState = (a, b) => a !== null && b !== null && timingSafeEqual(digest(a), digest(b));

/**
 * Listens on 127.0.0.1:port (0 = any free port) for the first request to
 * `path` whose `state` is this login's (set by `expect`, once the login URL
is made: its redirect URI needs the port): `callback` resolves
 * with its path and query, and `answer` replies to that tab once the exchange
 * is done. Every other request (a favicon, a probe, or any local page sending
 * a made-up `code` or `error` with another state or none) is answered and
 * otherwise ignored, so it cannot take the login's one slot.
 */
export async function startLoopback({ port, path }) {
  let expectedState = null;
  let deliver;
  const callback = new Promise((resolve) => { deliver = resolve; });
  let handled = false;
  let respond = null;
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (!['code', 'error', 'state'].some((k) => url.searchParams.has(k))) {
      // Not a login answer (a prefetch, someone typing the address): keep waiting.
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('Waiting', 'This address receives the login answer from Instagram or Facebook.'));
      return;
    }
    if (!sameState(url.searchParams.get('state'), expectedState)) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('Not this login', 'This answer does not belong to the login in progress; it was ignored.'));
      return;
    }
    if (handled) {
      res.writeHead(409, { 'content-type': 'text/html; charset=utf-8' }).end(page('Already done', 'This login has already been answered. You can close this tab.'));
      return;
    }
    handled = true;
    // The answer page waits for the exchange, so the tab says how it ended.
    respond = (ok, text) => {
      res.writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(page(ok ? 'Connected' : 'Login failed', `${escapeHtml(text)} You can close this tab.`));
    };
    deliver(req.url);
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  }).catch((e) => {
    throw Object.assign(new Error(e.code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is in use` : `cannot listen on 127.0.0.1:${port}: ${e.message}`), { code: e.code });
  });
  return {
    port: server.address().port,
    /** Accepts answers carrying this state (and no other). */
    expect: (state) => { expectedState = state; },
    /** Resolves with the callback's path and query (the fragment never reaches a server). */
    callback,
    /** Answers the browser's tab. */
    answer: (ok, text) => respond?.(ok, text),
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** Opens `url` in the desktop browser; false when there is no way to (the caller prints it). */
export function openBrowser(url, env = process.env) {
  let command;
  let args;
  if (process.platform === 'darwin') [command, args] = ['open', [url]];
  else if (process.platform === 'win32') [command, args] = ['cmd', ['/c', 'start', '', url]];
  else {
    if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return false;
    [command, args] = ['xdg-open', [url]];
  }
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
