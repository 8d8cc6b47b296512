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
  return { worker, account, auth: { authorization: `Bearer ${key}` }, partTimeoutMs: partTimeout(ctx.env) };
}

/** How long one part of a video upload may take before it counts as
 * interrupted and is sent again (a connection that stalls without closing
 * would otherwise wait forever): 2 minutes for 8 MiB is ~70 KB/s. */
export const PART_TIMEOUT_MS = 120_000;

function partTimeout(env) {
  const v = env.INSTAGATE_UPLOAD_PART_TIMEOUT_MS;
  if (v === undefined || v === '') return PART_TIMEOUT_MS;
  if (!/^\d+$/.test(v) || Number(v) === 0) throw usage(`INSTAGATE_UPLOAD_PART_TIMEOUT_MS must be a whole number of milliseconds, got "${v}"`);
  return Number(v);
}

/** The Worker's answer as JSON, or a CliError carrying its error (4xx but 429: a usage error). */
export async function answer(res, what) {
  let body;
  try {
    body = await res.json();
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
