// server.mjs — the local Instagram stand-in: one HTTP server on 127.0.0.1 that plays
// every Meta host. The host is the first path segment, so a library configured with
// base URL http://127.0.0.1:PORT/graph.instagram.com talks to "graph.instagram.com".
//
//   /www.instagram.com/...   consent window (consent.mjs) and public pages (web.mjs)
//   /api.instagram.com/...   Instagram code exchange (oauth.mjs)
//   /graph.instagram.com/... Graph for Instagram Login (graph.mjs, publish.mjs)
//   /www.facebook.com/...    Facebook Login dialog (consent.mjs)
//   /graph.facebook.com/...  Graph for Facebook Login (graph.mjs, publish.mjs)
//   /rupload.facebook.com/... video uploads to resumable containers (rupload.mjs)
//   /__control/...           test control API (control.mjs)
//
// Every Meta-host request is logged, waits the configured latency, may be bent by a
// fault rule (faults.mjs), then reaches its handler.
//
// Library use:  const s = await startStandin({ port: 0 }); ... await s.close();
// CLI:          node tests/standin/server.mjs --port 8790 [--latency-ms N]
//                 [--client-id ID] [--client-secret S] [--redirect-uri URI ...]
//                 [--publish-quota N]

import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { facebookDialog, instagramAuthorize } from './consent.mjs';
import { controlRoute, createControl } from './control.mjs';
import { afterHandler, beforeHandler, takeFault } from './faults.mjs';
import { graphRoute } from './graph.mjs';
import { escapeHtml, html, page, parseBody, readBody, searchToObject, send, text } from './http.mjs';
import { instagramCodeExchange } from './oauth.mjs';
import { RUPLOAD_HOST, ruploadRoute } from './rupload.mjs';
import { StandinState } from './state.mjs';
import { webRoute } from './web.mjs';

export const HOSTS = ['www.instagram.com', 'api.instagram.com', 'graph.instagram.com', 'www.facebook.com', 'graph.facebook.com', RUPLOAD_HOST];

export async function startStandin(options = {}) {
  const state = new StandinState(options);
  const control = createControl(state);
  const server = createServer((req, res) => {
    handle(state, control, req, res).catch((err) => {
      if (!res.headersSent) send(res, text(500, `stand-in internal error: ${err.stack ?? err}`));
      else res.destroy();
    });
  });
  // Idle keep-alive connections stay open longer than any client here keeps
  // them (undici 4 s, workerd's pool): a client must close first. With 1 s,
  // a pooled connection reused at the moment the stand-in closed it reset
  // the request (bench-callback saw a callback fail with `transport`, three
  // Workers taking turns leaving each one's connections idle ~1 s).
  // server.close() still closes idle connections at once (Node >= 19).
  server.keepAliveTimeout = 65_000;

  const host = '127.0.0.1';
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(options.port ?? 0), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();
  const url = `http://${host}:${port}`;
  state.origin = url;

  let closed = false;
  return {
    url,
    port,
    control,
    state,
    hosts: Object.fromEntries(HOSTS.map((h) => [h, `${url}/${h}`])),
    async close() {
      if (closed) return;
      closed = true;
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // hung requests and keep-alive sockets
      });
    },
  };
}

async function handle(state, control, req, res) {
  const url = new URL(req.url, 'http://stand-in');
  const segments = url.pathname.split('/');
  const host = decodeURIComponent(segments[1] ?? '');
  const path = '/' + segments.slice(2).join('/');
  const query = searchToObject(url.searchParams);
  if (host === RUPLOAD_HOST) return uploadRequest(state, req, res, path, query);
  const buf = await readBody(req);

  // Graph answers cross-origin calls (Access-Control-Allow-Origin: *, observed on
  // both Graph hosts), so browser code can call it; api.instagram.com's code exchange
  // carries the app secret and is meant for servers, so it gets no CORS headers.
  const cors = CORS_HOSTS.has(host);
  if (cors && req.method === 'OPTIONS') return send(res, preflight(req));
  if (cors) res.setHeader('access-control-allow-origin', '*');

  if (host === '__control') {
    let jsonBody = {};
    if (buf.length) {
      try {
        jsonBody = JSON.parse(buf.toString('utf8'));
      } catch {
        return send(res, text(400, 'control bodies are JSON'));
      }
    }
    return send(res, controlRoute(control, { method: req.method, path, query, jsonBody }));
  }
  if (!HOSTS.includes(host)) return send(res, host === '' ? indexPage(state) : text(404, `unknown host ${host}`));

  const form = parseBody(req.headers, buf);
  const params = { ...query, ...form };
  const ctx = {
    method: req.method,
    host,
    path,
    pathname: url.pathname,
    query,
    form,
    params,
    headers: req.headers,
  };
  const entry = await logged(state, req, { host, path, query, form });

  const rule = takeFault(state, { host, path, method: req.method, params });
  if (rule) {
    entry.fault = rule.fault.type;
    const early = await beforeHandler(rule, host, path.split('/').filter(Boolean).find((s) => /^\d+$/.test(s)));
    if (early === 'hang') return; // never answered; close() destroys the socket
    if (early) {
      entry.status = early.status;
      return send(res, early);
    }
  }

  const response = await route(state, ctx); // container creation may fetch media
  entry.status = response.status;
  if (rule && afterHandler(rule, response, res)) return;
  send(res, response);
}

// Records a Meta-host request in the log (its entry gets the status and fault
// later), then waits the configured latency.
async function logged(state, req, fields) {
  const entry = {
    seq: ++state.seq.log,
    at: new Date(state.now()).toISOString(),
    method: req.method,
    ...fields,
    authorization: req.headers.authorization ?? null,
    status: null,
    fault: null,
  };
  state.log.push(entry);
  if (state.latencyMs > 0) await sleep(state.latencyMs);
  return entry;
}

// An upload's body is streamed into its container (it may be large, and what
// arrives before an interruption is kept), so it skips the generic body parsing.
async function uploadRequest(state, req, res, path, query) {
  const entry = await logged(state, req, {
    host: RUPLOAD_HOST,
    path,
    query,
    form: {},
    headers: { offset: req.headers.offset ?? null, file_size: req.headers.file_size ?? null },
  });
  const rule = takeFault(state, { host: RUPLOAD_HOST, path, method: req.method, params: query });
  if (rule) {
    entry.fault = rule.fault.type;
    const early = await beforeHandler(rule, RUPLOAD_HOST, null);
    if (early === 'hang') return;
    if (early) {
      entry.status = early.status;
      req.resume();
      return send(res, early);
    }
  }
  const outcome = await ruploadRoute(state, req, res, path, rule);
  entry.status = typeof outcome === 'number' ? outcome : outcome === 'ok' ? 200 : null;
}

const CORS_HOSTS = new Set(['graph.instagram.com', 'graph.facebook.com', '__control']);

function preflight(req) {
  return {
    status: 204,
    headers: {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST, DELETE',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'authorization, content-type',
      'access-control-max-age': '86400',
    },
    body: '',
  };
}

function route(state, ctx) {
  const { host, path, method } = ctx;
  const p = path.replace(/\/+$/, '');
  switch (host) {
    case 'www.instagram.com':
      if (p === '/oauth/authorize' && (method === 'GET' || method === 'POST')) return instagramAuthorize(state, ctx);
      return webRoute(state, ctx) ?? notFound(ctx);
    case 'api.instagram.com':
      if (p === '/oauth/authorize' && (method === 'GET' || method === 'POST')) return instagramAuthorize(state, ctx);
      if (p === '/oauth/access_token') return instagramCodeExchange(state, ctx);
      return notFound(ctx);
    case 'www.facebook.com':
      if (/^(\/v\d+\.\d+)?\/dialog\/oauth$/.test(p) && (method === 'GET' || method === 'POST')) return facebookDialog(state, ctx);
      return notFound(ctx);
    case 'graph.instagram.com':
      return graphRoute(state, ctx, 'instagram');
    case 'graph.facebook.com':
      return graphRoute(state, ctx, 'facebook');
    default:
      return notFound(ctx);
  }
}

function notFound(ctx) {
  return html(404, page('Not found (stand-in)', `<h1>Not found</h1><p>The stand-in has no page at <code>${escapeHtml(ctx.method)} /${escapeHtml(ctx.host)}${escapeHtml(ctx.path)}</code>.</p>`));
}

function indexPage(state) {
  const links = HOSTS.map((h) => `<li><code>${escapeHtml(`${state.origin}/${h}`)}</code></li>`).join('');
  const feeds = state.igAccounts.map((a) => `<li><a href="/www.instagram.com/${escapeHtml(a.username)}/">@${escapeHtml(a.username)}</a> (${escapeHtml(a.account_type)})</li>`).join('');
  return html(200, page('Local Instagram stand-in', `<h1>Local Instagram stand-in</h1>
<p>Base URLs:</p><ul>${links}</ul>
<p>Feeds:</p><ul>${feeds}</ul>
<p>Control API: <code>/__control/state</code>, <code>/__control/log</code>, ... (see tests/standin/README.md).</p>`));
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- CLI -----------------------------------------------------------------------------------

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--port': options.port = Number(value()); break;
      case '--latency-ms': options.latencyMs = Number(value()); break;
      case '--client-id': options.clientId = value(); break;
      case '--client-secret': options.clientSecret = value(); break;
      case '--redirect-uri': (options.redirectUris ??= []).push(value()); break;
      case '--publish-quota': options.publishQuota = Number(value()); break;
      case '--help':
        process.stdout.write('usage: node tests/standin/server.mjs [--port N] [--latency-ms N] [--client-id ID] [--client-secret S] [--redirect-uri URI]... [--publish-quota N]\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument: ${arg}`);
    }
  }
  return options;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = parseArgs(process.argv.slice(2));
  const standin = await startStandin({ port: 8790, ...options });
  process.stdout.write(`standin listening on ${standin.url}\n`);
  const stop = async () => {
    await standin.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
