// Scheduled posts in the demo: the "publish at" input's local time turned
// into the RFC 3339 UTC time the Worker takes (`publish_at`), and the
// selected account's scheduled posts listed with their time, their outcome
// once due, and a cancel button while pending. The Worker owns the rules
// (future, at most 30 days ahead: docs/worker-api.md); the page shows its
// errors rather than repeating them.
import { api } from './worker-api.js';
import { $, el } from './dom.js';

/**
 * The `datetime-local` input's value (local wall time, no offset) as RFC
 * 3339 UTC without fractional seconds, or undefined when empty (publish now).
 */
export function publishAtFromInput(value) {
  if (!value) return undefined;
  // A date-time string without an offset is read as local time.
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw Object.assign(new Error(`"${value}" is not a date and time`), { kind: 'invalid_input', field: 'publish_at' });
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The job view has no caption, so the page keeps the captions of the posts
// it scheduled (this browser only) to tell the list's rows apart.
const CAPTIONS_KEY = 'instagate-demo:scheduled-captions';

function captions() {
  try {
    return JSON.parse(localStorage.getItem(CAPTIONS_KEY) ?? '{}');
  } catch {
    return {};
  }
}

/** Remembers the caption of the scheduled job `jobId` for the list. */
export function rememberCaption(jobId, caption) {
  if (!caption) return;
  // Only the newest ones are listed: older captions are let go.
  const kept = Object.entries(captions()).slice(-50);
  localStorage.setItem(CAPTIONS_KEY, JSON.stringify(Object.fromEntries([...kept, [jobId, caption]])));
}

// While a listed post is pending or publishing, the list reloads this often.
const POLL_MS = 2000;
// The list shows this many of the account's newest scheduled posts.
const SHOWN = 10;

let pollTimer = null;
let shownAccount = null;

/** Lists `accountId`'s scheduled posts; `report(text, kind)` shows outcomes of cancels. */
export async function loadScheduled(accountId, { describe, report }) {
  clearTimeout(pollTimer);
  shownAccount = accountId;
  const card = $('#scheduled-card');
  const list = $('#scheduled');
  if (!accountId) {
    card.hidden = true;
    return;
  }
  let jobs;
  try {
    jobs = (await api.jobs(accountId)).filter((j) => j.publish_at).slice(0, SHOWN);
  } catch (e) {
    jobs = null;
    list.replaceChildren(el('li', { className: 'error' }, `Scheduled posts unavailable: ${describe(e)}`));
  }
  if (shownAccount !== accountId) return; // another account was selected meanwhile
  card.hidden = false;
  if (jobs === null) return;
  const reload = () => loadScheduled(accountId, { describe, report });
  list.replaceChildren(
    ...(jobs.length
      ? jobs.map((job) => scheduledItem(job, { describe, report, reload }))
      : [el('li', { className: 'muted' }, 'Nothing scheduled.')]),
  );
  if (jobs.some((j) => j.status === 'scheduled' || j.status === 'processing')) {
    pollTimer = setTimeout(reload, POLL_MS);
  }
}

function scheduledItem(job, { describe, report, reload }) {
  const when = el('time', { dateTime: job.publish_at, textContent: new Date(job.publish_at).toLocaleString() });
  const caption = captions()[job.id];
  const what = el('div', {}, el('b', {}, job.kind), ' at ', when,
    caption ? el('div', { className: 'caption' }, caption) : null,
    el('div', { className: 'muted small' }, `job ${job.id}`));
  let state;
  if (job.status === 'scheduled') {
    const cancel = el('button', { className: 'ghost', textContent: 'Cancel' });
    cancel.addEventListener('click', async () => {
      cancel.disabled = true;
      try {
        await api.cancel(job.id);
        report('Scheduled post cancelled: it will not be published.', 'ok');
      } catch (e) {
        report(`Could not cancel: ${describe(e)}`, 'error');
      }
      await reload();
    });
    state = el('div', { className: 'row' }, el('span', { className: 'badge warn' }, 'pending'), cancel);
  } else if (job.status === 'processing') {
    state = el('span', { className: 'badge warn' }, 'publishing…');
  } else if (job.status === 'published') {
    state = el('span', { className: 'ok' }, 'published ',
      job.permalink ? el('a', { href: job.permalink, target: '_blank', rel: 'noopener', textContent: 'open' }) : null);
  } else {
    const cancelled = job.error?.kind === 'aborted';
    state = el('span', { className: cancelled ? 'muted' : 'error' }, cancelled ? 'cancelled' : `failed: ${describe(job.error ?? {})}`);
  }
  return el('li', { dataset: { id: job.id, status: job.status, publishAt: job.publish_at } }, what, state);
}
