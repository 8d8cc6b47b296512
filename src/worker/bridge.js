// The JavaScript half of the Worker's request and response conversion
// (src/worker/exchange.rs): one call from wasm per direction, instead of one
// per URL part, header and response field (each a boundary crossing and a
// string copy; scripts/profile-worker.mjs).
//
// Lines are separated by "\n": header names and values never contain one
// (the Fetch standard forbids CR, LF and NUL in them), nor does a serialized
// URL.

/** "METHOD\norigin\npathname\nsearch\nname\nvalue\n..." of a request; header
 * names come lower-cased, as `Headers` iterates them. */
export function requestHead(request) {
  const url = new URL(request.url);
  let head = `${request.method}\n${url.origin}\n${url.pathname}\n${url.search}`;
  for (const [name, value] of request.headers) head += `\n${name}\n${value}`;
  return head;
}

/** The `Headers` of a head "name\nvalue\n..." (a name may repeat). */
function headersOf(head) {
  const headers = new Headers();
  if (head) {
    const parts = head.split('\n');
    for (let i = 0; i + 1 < parts.length; i += 2) headers.append(parts[i], parts[i + 1]);
  }
  return headers;
}

/** A Response: `head` is "name\nvalue\n..." (a name may repeat, e.g.
 * Set-Cookie); the body is `stream`, else `text`, else a copy of `bytes`,
 * else none. */
export function makeResponse(status, head, text, bytes, stream) {
  const headers = headersOf(head);
  const body = stream ?? text ?? (bytes === undefined ? null : new Uint8Array(bytes));
  return new Response(body, { status, headers });
}

/** A Response whose body is `stream` (a staged R2 object's), passed through. */
export function makeStreamResponse(status, head, stream) {
  return makeResponse(status, head, undefined, undefined, stream);
}

/** Sends a request (to Meta) and reads the whole answer as text. `head` is
 * "name\nvalue\n..."; the body is `text`, else a copy of `bytes` (taken
 * before the first await, while the wasm memory it views is unchanged),
 * else none. Resolves [`"status\nname\nvalue..."`, body text]. Rejects with
 * a `TimeoutError` once `timeoutMs` pass (sending or reading), an
 * `InvalidRequest` error when the URL, method or a header cannot make a
 * request, and the runtime's error when the connection fails. */
export async function fetchText(url, method, head, text, bytes, timeoutMs) {
  let request;
  try {
    const headers = headersOf(head);
    const body = text ?? (bytes === undefined ? undefined : new Uint8Array(bytes));
    request = new Request(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const error = new Error(`the request cannot be made: ${e?.message ?? e}`);
    error.name = 'InvalidRequest';
    throw error;
  }
  const response = await fetch(request);
  let answer = String(response.status);
  for (const [name, value] of response.headers) answer += `\n${name}\n${value}`;
  return [answer, await response.text()];
}

/** Resolves after `ms` milliseconds (the transport's sleeps). */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Workers KV with plain arguments: no options object built in wasm, no
// method looked up per call (src/worker/kv.rs).
export const kvGet = (kv, key) => kv.get(key);
export const kvPut = (kv, key, value, ttl) => kv.put(key, value, ttl === undefined ? undefined : { expirationTtl: ttl });
export const kvDelete = (kv, key) => kv.delete(key);

/** One page of key names under `prefix`: [names, cursor or undefined when complete]. */
export async function kvList(kv, prefix, cursor, limit) {
  const page = await kv.list({ prefix, cursor, limit });
  return [page.keys.map((k) => k.name), page.list_complete ? undefined : page.cursor];
}

/** Sends one message (JSON text) to the account object named `name` and
 * resolves its answer's text (src/worker/objects.rs): a Workers RPC call of
 * the object's `work` method, a string each way. */
export async function callObject(namespace, name, message) {
  // `async`: the stub's answer is a thenable, not a `Promise` (wasm
  // awaits it as one).
  return namespace.get(namespace.idFromName(name)).work(message);
}
