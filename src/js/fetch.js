// The JavaScript half of the package's Transport (src/js/fetch.rs): one HTTP
// call through globalThis.fetch, bounded by a timeout and the caller's
// AbortSignal. Failures reject with {kind, message}; the URL is never put in a
// message (it can carry a token). `bytes` (a Uint8Array) is the body of a video upload.
export async function send(method, url, headers, body, bytes, timeoutMs, signal) {
  if (signal?.aborted) throw failure('aborted', 'the call was aborted before it started');
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const init = { method, headers: Object.fromEntries(headers), signal: controller.signal };
    if (body != null) init.body = body;
    else if (bytes != null) init.body = bytes;
    const response = await globalThis.fetch(url, init);
    // The body is read inside the timeout too: a stalled body is a timeout.
    const text = await response.text();
    const flat = [];
    response.headers.forEach((value, name) => { flat.push(name, value); });
    return { status: response.status, headers: flat, body: text };
  } catch (error) {
    if (timedOut) throw failure('timeout', `no complete answer within ${timeoutMs} ms`);
    if (signal?.aborted) throw failure('aborted', 'the call was aborted');
    throw failure('transport', `the connection failed (${error?.message ?? error})`);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function failure(kind, message) {
  return { kind, message };
}

// A wait between calls; the caller's AbortSignal ends it early (the caller
// then sees the signal and stops).
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) { resolve(); return; }
    const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal?.addEventListener?.('abort', done, { once: true });
  });
}
