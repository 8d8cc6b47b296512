// http.mjs — plumbing shared by every route: reading and parsing request bodies
// (query string, urlencoded form, multipart form, JSON), the response values the
// routes return, and writing them to the socket.
//
// Routes never touch `res` directly; they return a response value
//   { status, headers, body }   (body is a string)
// so the dispatcher in server.mjs can log it and bend it with faults
// (truncate it, drop it) after the real work is done.

const MAX_BODY = 16 * 1024 * 1024;

export async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// Graph accepts POST parameters as form fields, multipart fields, a JSON body or
// the query string; the Content Publishing guide's own examples send JSON with an
// Authorization: Bearer header
// (https://developers.facebook.com/documentation/instagram-platform/content-publishing).
export function parseBody(headers, buf) {
  const type = String(headers['content-type'] ?? '').toLowerCase();
  if (buf.length === 0) return {};
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return searchToObject(new URLSearchParams(buf.toString('utf8')));
  }
  if (type.startsWith('multipart/form-data')) {
    const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(headers['content-type']);
    return m ? parseMultipart(buf, (m[1] ?? m[2]).trim()) : {};
  }
  if (type.startsWith('application/json')) {
    let obj;
    try {
      obj = JSON.parse(buf.toString('utf8'));
    } catch {
      return { __invalid_json: buf.toString('utf8') };
    }
    return flattenJson(obj);
  }
  // Unknown content type: try urlencoded, which is what curl -d sends by default.
  return searchToObject(new URLSearchParams(buf.toString('utf8')));
}

// Repeated keys (checkbox groups) are comma-joined.
export function searchToObject(search) {
  const out = {};
  for (const [k, v] of search) out[k] = k in out ? `${out[k]},${v}` : v;
  return out;
}

function parseMultipart(buf, boundary) {
  const out = {};
  const text = buf.toString('latin1');
  for (let part of text.split(`--${boundary}`)) {
    if (part.startsWith('--')) break; // closing delimiter
    if (part.startsWith('\r\n')) part = part.slice(2);
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = part.slice(0, split);
    let value = part.slice(split + 4);
    if (value.endsWith('\r\n')) value = value.slice(0, -2);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name == null) continue;
    const v = Buffer.from(value, 'latin1').toString('utf8');
    out[name] = name in out ? `${out[name]},${v}` : v;
  }
  return out;
}

// JSON bodies become flat string parameters, the way Graph reads them:
// arrays of scalars are comma-joined (children), objects/arrays of objects stay JSON
// text (user_tags), scalars become strings.
function flattenJson(obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return {};
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v == null) continue;
    if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) out[k] = v.join(',');
    else if (typeof v === 'object') out[k] = JSON.stringify(v);
    else out[k] = String(v);
  }
  return out;
}

// ---- response values -----------------------------------------------------

export function json(status, value, headers = {}) {
  return raw(status, JSON.stringify(value), headers);
}

// A JSON body written by hand (used where a number above 2^53 must be exact).
export function raw(status, text, headers = {}) {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
    body: text,
  };
}

export function html(status, text, headers = {}) {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body: text };
}

export function text(status, body, headers = {}) {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

export function redirect(location) {
  return { status: 302, headers: { location, 'content-type': 'text/html; charset=utf-8' }, body: '' };
}

export function send(res, response) {
  const body = Buffer.from(response.body ?? '', 'utf8');
  res.writeHead(response.status, { ...response.headers, 'content-length': body.length });
  res.end(body);
}

export function escapeHtml(s) {
  return String(s ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

// The common page frame, with the banner no one can miss.
export function page(title, bodyHtml) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #fafafa; color: #262626; }
  .standin-banner { background: #b00020; color: #fff; padding: 10px 16px; font-weight: 700; text-align: center; }
  main { max-width: 640px; margin: 24px auto; background: #fff; border: 1px solid #dbdbdb; border-radius: 8px; padding: 24px; }
  fieldset { border: 1px solid #dbdbdb; border-radius: 6px; margin: 12px 0; }
  button { font-size: 1rem; padding: 8px 20px; margin-right: 8px; border-radius: 6px; border: 1px solid #0095f6; cursor: pointer; }
  button[value=allow] { background: #0095f6; color: #fff; }
  button[value=deny] { background: #fff; color: #0095f6; }
  code { word-break: break-all; }
  article { border-top: 1px solid #efefef; padding: 12px 0; }
  .error { color: #b00020; }
</style>
</head>
<body>
<div class="standin-banner" role="banner">Local Instagram stand-in — not Instagram</div>
<main>
${bodyHtml}
</main>
</body>
</html>
`;
}
