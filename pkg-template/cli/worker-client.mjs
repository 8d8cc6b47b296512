// Talking to an instagate Worker from the CLI (`publish ... --worker URL`):
// which Worker, key and account a command targets, and the Worker's answers
// turned into CliErrors (docs/worker-api.md, "Errors"). The Worker's API key
// comes from INSTAGATE_WORKER_API_KEY only (never a flag: it would show in `ps`).
import { EXIT, CliError, usage } from './errors.mjs';

/** `{worker, account, auth}` for a command run with --worker, or a usage error. */
export function workerTarget(ctx) {
  const worker = ctx.settings.workerUrl.replace(/\/+$/, '');
  const key = ctx.env.INSTAGATE_WORKER_API_KEY;
  if (!key) throw usage('publishing through a Worker needs its API key', 'set INSTAGATE_WORKER_API_KEY (the Worker\'s API_KEY secret)');
  const account = ctx.flags.account ?? ctx.env.INSTAGATE_IG_USER_ID;
  if (!account || !/^\d+$/.test(account)) {
    throw usage('which of the Worker\'s accounts?', 'give --account IG_USER_ID (the numeric ID the Worker lists at GET /api/accounts)');
  }
  return {
    worker, account, auth: { authorization: `Bearer ${key}` },
    partTimeoutMs: millisecondsFrom(ctx.env, 'INSTAGATE_UPLOAD_PART_TIMEOUT_MS', PART_TIMEOUT_MS),
    requestTimeoutMs: millisecondsFrom(ctx.env, 'INSTAGATE_WORKER_TIMEOUT_MS', REQUEST_TIMEOUT_MS),
  };
}

/** How long one part of a video upload may take before it counts as
 * interrupted and is sent again (a connection that stalls without closing
 * would otherwise wait forever): 2 minutes for 8 MiB is ~70 KB/s. */
export const PART_TIMEOUT_MS = 120_000;

/** How long any other call to the Worker may take, its answer read
 * (publishing waits for the job's first steps: tens of seconds at most). */
export const REQUEST_TIMEOUT_MS = 120_000;

function millisecondsFrom(env, name, fallback) {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) === 0) throw usage(`${name} must be a whole number of milliseconds, got "${v}"`);
  return Number(v);
}

/** The deadline of one call to the Worker (a target built by hand, as
 * scripts/bench-upload.mjs does, gets the default). */
export const requestTimeout = (target) => target.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;

/**
 * One call to the Worker and its answer as JSON (see `answer`), within
 * `target.requestTimeoutMs`: a connection that stalls without closing
 * would otherwise wait forever. `what` names the step in errors;
 * `unanswered` is the hint when no answer came (did the step happen?).
 */
export async function callWorker(target, url, init, what, unanswered = null) {
  const timeoutMs = requestTimeout(target);
  const seconds = `${(timeoutMs / 1000).toFixed(1)} s`;
  const noAnswer = (e) => new CliError(
    e?.name === 'TimeoutError'
      ? `${what}: the Worker did not answer within ${seconds}`
      : `${what}: the Worker could not be reached (${e?.cause?.code ?? e?.cause?.message ?? e?.message})`,
    { exit: EXIT.FAILED, hint: unanswered ?? `try again (INSTAGATE_WORKER_TIMEOUT_MS raises the ${seconds} limit)` },
  );
  const signal = AbortSignal.timeout(timeoutMs);
  let res;
  try {
    res = await fetch(url, { ...init, signal });
  } catch (e) {
    throw noAnswer(e);
  }
  // The deadline covers the body too: an answer cut off by it is no answer.
  let text;
  try {
    text = await res.text();
  } catch (e) {
    throw noAnswer(signal.aborted ? signal.reason : e);
  }
  return answer(res, what, text);
}

/** The Worker's answer as JSON, or a CliError carrying its error (4xx but 429: a usage error). */
export async function answer(res, what, text = undefined) {
  let body;
  try {
    body = JSON.parse(text ?? await res.text());
  } catch {
    body = {};
  }
  if (res.ok || res.status === 202) return body;
  const e = body.error ?? body.job?.error ?? {};
  throw new CliError(`${what}: the Worker answered ${res.status}${e.kind ? ` ${e.kind}` : ''}: ${e.message ?? res.statusText}`, {
    exit: res.status >= 400 && res.status < 500 && res.status !== 429 ? EXIT.USAGE : EXIT.FAILED,
    hint: res.status === 401 ? 'set INSTAGATE_WORKER_API_KEY to the Worker\'s API_KEY secret' : null,
  });
}

/** JSON request headers with the Worker's key. */
export const jsonHeaders = (auth) => ({ ...auth, 'content-type': 'application/json' });
