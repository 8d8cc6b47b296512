// The demo's client for the instagate Worker's HTTP API. Every call sends the
// browser's session cookie (set by the Worker after a login) and turns an
// error answer into an Error carrying the Worker's `kind`.

import { WORKER } from './settings.js';

export { WORKER };

export class WorkerError extends Error {
  constructor(status, body) {
    const e = body?.error ?? {};
    super(e.message ?? `the Worker answered HTTP ${status}`);
    this.name = 'WorkerError';
    this.status = status;
    this.kind = e.kind ?? 'unknown';
    this.retryAfter = e.retry_after ?? null;
    // The input at fault for `invalid_input` (e.g. `publish_at`), or null.
    this.field = e.field ?? null;
  }
}

// A JPEG file to stage (`POST /api/accounts/{id}/media`): the file is the
// body, its size the Content-Length; the answer is the media reference.
async function stageFile(id, file, use) {
  const res = await fetch(`${WORKER}/api/accounts/${id}/media?use=${use}`, {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'image/jpeg' },
    body: file,
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new WorkerError(res.status, json);
  return json.media;
}

async function call(method, path, body) {
  const res = await fetch(`${WORKER}${path}`, {
    method,
    credentials: 'include',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new WorkerError(res.status, { error: { kind: 'unexpected_response', message: `not JSON: HTTP ${res.status}` } });
  }
  // A failed publish job still answers with the job, which says why.
  if (!res.ok && !json?.job) throw new WorkerError(res.status, json);
  return { status: res.status, body: json };
}

export const api = {
  accounts: () => call('GET', '/api/accounts').then((r) => r.body.accounts),
  refresh: (id) => call('POST', `/api/accounts/${id}/refresh`).then((r) => r.body),
  forget: (id) => call('DELETE', `/api/accounts/${id}`).then((r) => r.body),
  quota: (id) => call('GET', `/api/accounts/${id}/quota`).then((r) => r.body),
  stage: stageFile,
  publish: (id, media) => call('POST', `/api/accounts/${id}/publish`, media).then((r) => r.body),
  job: (id) => call('GET', `/api/jobs/${id}`).then((r) => r.body),
  jobs: (id) => call('GET', `/api/accounts/${id}/jobs`).then((r) => r.body.jobs),
  cancel: (jobId) => call('DELETE', `/api/jobs/${jobId}`).then((r) => r.body),
  registerLogin: (pending) => call('POST', '/auth/pending', pending).then((r) => r.body),
  exchange: (input) => call('POST', '/auth/exchange', input).then((r) => r.body),
  loginUrl: (product) =>
    `${WORKER}/auth/login?${new URLSearchParams({ product, return_to: new URL('./', location.href).href })}`,
};
