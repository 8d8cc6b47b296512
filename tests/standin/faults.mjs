// faults.mjs — fault injection. A rule picks requests by host, path substring,
// method and (optionally) parameters, is used `times` times, and bends the answer:
//
//   before the real handler runs (the action does NOT happen):
//     status       {"type":"status","status":503,"body":"...","headers":{}}
//     graph_error  {"type":"graph_error","status":400,"code":190,"subcode":463,"message":"...",
//                   "errorType":"OAuthException","isTransient":false}
//                  (Graph shape; the flat shape on api.instagram.com)
//     rate_limit   {"type":"rate_limit","retryAfter":30,"code":4,"status":429}
//     html         {"type":"html","status":502}
//     hang         {"type":"hang"}                      never answers
//     delay        {"type":"delay","ms":N}              waits, then answers normally
//   after the real handler ran (the action DID happen):
//     truncated    {"type":"truncated"}                 half the body, then the socket closes
//     drop_response {"type":"drop_response"}           socket destroyed, no answer at all
//   while the rupload host reads an upload's body (rupload.mjs):
//     cut_upload   {"type":"cut_upload","afterBytes":N} N bytes are kept, then the socket closes

import { graphError, igFlatError, RATE_LIMIT_MESSAGES } from './errors.mjs';
import { html } from './http.mjs';

const TYPES = ['status', 'graph_error', 'rate_limit', 'html', 'truncated', 'delay', 'hang', 'drop_response', 'cut_upload'];
export const AFTER = new Set(['truncated', 'drop_response']);

// Validates and stores rules. `times` defaults to 1; -1 (or "always") means forever.
export function addFaults(state, rules, { replace = false } = {}) {
  if (!Array.isArray(rules)) throw new Error('rules must be an array');
  const added = rules.map((r) => {
    if (!r || typeof r !== 'object' || !r.fault || !TYPES.includes(r.fault.type)) {
      throw new Error(`each rule needs a fault with type one of ${TYPES.join(', ')}`);
    }
    const times = r.times === 'always' || r.times === -1 ? Infinity : Number(r.times ?? 1);
    if (!(times > 0)) throw new Error('times must be a positive number, -1 or "always"');
    return {
      id: ++state.seq.fault,
      host: r.host ?? null,
      path: r.path ?? null,
      method: r.method ? String(r.method).toUpperCase() : null,
      params: r.params ?? null,
      times,
      used: 0,
      fault: r.fault,
    };
  });
  state.faults = replace ? added : [...state.faults, ...added];
  return added;
}

// The first live rule matching the request, used up by one.
export function takeFault(state, { host, path, method, params }) {
  for (const rule of state.faults) {
    if (rule.used >= rule.times) continue;
    if (rule.host && rule.host !== host) continue;
    if (rule.path && !path.includes(rule.path)) continue;
    if (rule.method && rule.method !== method) continue;
    if (rule.params && !Object.entries(rule.params).every(([k, v]) => params[k] === String(v))) continue;
    rule.used++;
    return rule;
  }
  return null;
}

export function describeFaults(state) {
  return state.faults.map((r) => ({
    id: r.id, host: r.host, path: r.path, method: r.method, params: r.params,
    times: r.times === Infinity ? 'always' : r.times, used: r.used,
    remaining: r.times === Infinity ? 'always' : r.times - r.used,
    fault: r.fault,
  }));
}

// Faults that answer instead of the real handler. Returns a response value,
// 'hang', or null (go on to the real handler, possibly after a delay).
export async function beforeHandler(rule, host, pathId) {
  const f = rule.fault;
  switch (f.type) {
    case 'delay':
      await new Promise((r) => setTimeout(r, Number(f.ms ?? 1000)));
      return null;
    case 'hang':
      return 'hang';
    case 'status': {
      const body = typeof f.body === 'string' ? f.body : f.body == null ? '' : JSON.stringify(f.body);
      const type = typeof f.body === 'object' && f.body !== null ? 'application/json; charset=UTF-8' : 'text/plain; charset=utf-8';
      return { status: Number(f.status ?? 500), headers: { 'content-type': type, ...(f.headers ?? {}) }, body };
    }
    case 'html':
      return html(Number(f.status ?? 502), `<!DOCTYPE html>
<html><head><title>Error</title></head>
<body><h1>Sorry, something went wrong.</h1>
<p>We're working on getting this fixed as soon as we can.</p></body></html>`, f.headers ?? {});
    case 'graph_error':
      if (host === 'api.instagram.com') {
        return igFlatError(f.message ?? 'An unknown error occurred', {
          status: Number(f.status ?? 400), code: Number(f.code ?? 400), headers: f.headers ?? {},
        });
      }
      return graphError({
        status: Number(f.status ?? 400),
        message: f.message ?? 'An unknown error has occurred.',
        type: f.errorType ?? 'OAuthException',
        code: Number(f.code ?? 1),
        subcode: f.subcode,
        isTransient: f.isTransient,
        userTitle: f.userTitle,
        userMsg: f.userMsg,
        headers: f.headers ?? {},
      });
    case 'rate_limit':
      return rateLimit(f, host, pathId);
    default:
      return null;
  }
}

// Graph throttling: codes 4 (app), 17 (user), 32 (Page), 613 (custom), 80002
// (Instagram Business Use Case), from
// https://developers.facebook.com/docs/graph-api/overview/rate-limiting .
// Meta itself answers these with HTTP 400 and usage headers, not 429 + Retry-After;
// the stand-in defaults to 429 + Retry-After (the brief's choice) and "status": 400
// gives Meta's own behaviour. The usage headers are sent either way.
function rateLimit(f, host, pathId) {
  const code = Number(f.code ?? 4);
  const retryAfter = Number(f.retryAfter ?? 60);
  const status = Number(f.status ?? 429);
  const message = f.message ?? RATE_LIMIT_MESSAGES[code] ?? `(#${code}) Rate limit reached`;
  const headers = { ...(f.headers ?? {}) };
  if (f.retryAfter !== null) headers['retry-after'] = String(retryAfter);
  if (code === 80002 || code === 32) {
    const id = /^\d+$/.test(pathId ?? '') ? pathId : '0';
    headers['x-business-use-case-usage'] = JSON.stringify({
      [id]: [{
        type: code === 80002 ? 'instagram' : 'pages',
        call_count: 100,
        total_cputime: 20,
        total_time: 20,
        estimated_time_to_regain_access: Math.ceil(retryAfter / 60),
      }],
    });
  } else {
    headers['x-app-usage'] = JSON.stringify({ call_count: 100, total_cputime: 20, total_time: 20 });
  }
  if (host === 'api.instagram.com') return igFlatError(message.replace(/^\(#\d+\) /, ''), { status, code, headers });
  return graphError({ status, message, code, isTransient: true, headers });
}

// Faults applied to the real response after the action happened. Returns true when
// the fault wrote (or refused to write) the response itself.
export function afterHandler(rule, response, res) {
  if (rule.fault.type === 'drop_response') {
    res.socket?.destroy();
    return true;
  }
  if (rule.fault.type === 'truncated') {
    const body = Buffer.from(response.body ?? '', 'utf8');
    const half = body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
    res.writeHead(response.status, { ...response.headers, 'content-length': body.length });
    res.write(half, () => res.socket?.destroy());
    return true;
  }
  return false;
}
