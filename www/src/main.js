// The demo page: connect accounts (single-page flow through the npm package,
// or the Worker's redirect flow), list them with their token status, refresh
// or forget them, publish now with a live view of the publish job, or
// schedule a post (schedule.js lists and cancels scheduled posts).
import { api, WORKER, WorkerError } from './worker-api.js';
import { startSpaLogin } from './spa-login.js';
import { $, el } from './dom.js';
import { checkVideo, uploadVideo } from './video-upload.js';
import { loadScheduled, publishAtFromInput, rememberCaption } from './schedule.js';

// Errors say what to do, keyed by the Worker's error kinds.
const ADVICE = {
  oauth_denied: 'The login was cancelled on the consent page. Try again and press Allow.',
  state_mismatch: 'This login did not start in this browser (or was already used). Start it again.',
  invalid_code: 'The login code expired or was already used. Start the login again.',
  personal_account: 'Personal Instagram accounts cannot use the API: switch it to a professional account in the Instagram app.',
  no_linked_account: 'No Facebook Page of yours is linked to an Instagram professional account.',
  missing_permission: 'A required permission was not granted. Reconnect and keep every permission ticked.',
  invalid_token: 'Instagram no longer accepts this account\'s token. Reconnect the account.',
  token_expired: 'The token expired. Reconnect the account.',
  rate_limited: 'Instagram is rate limiting this app. Wait a little and try again.',
  publish_limit: 'This account reached its publishing limit for the last 24 hours.',
  media: 'Instagram could not use the media: check the URL and the format.',
  invalid_input: 'Check the highlighted field.',
  unauthorized: 'Your session ended. Connect the account again.',
};

function notice(text, kind = 'info') {
  const box = $('#notice');
  box.hidden = false;
  box.className = `notice ${kind}`;
  box.textContent = text;
}

function describe(error) {
  const kind = error.kind ?? 'error';
  return `${error.message}${ADVICE[kind] ? ` — ${ADVICE[kind]}` : ''} (${kind})`;
}

// After a login the browser comes back with ?connected=<id>,<id>,... (every
// account it brought: a Facebook login connects each Page-linked account the
// person granted) or ?error=. Returns the connected IDs.
function readReturnParams() {
  const params = new URLSearchParams(location.search);
  const connected = (params.get('connected') ?? '').split(',').filter(Boolean);
  if (connected.length) notice(`${connected.length} account${connected.length === 1 ? '' : 's'} connected.`, 'ok');
  if (params.has('error')) {
    const kind = params.get('error');
    notice(`The login failed: ${ADVICE[kind] ?? kind} (${kind})`, 'error');
  }
  if (params.has('connected') || params.has('error')) {
    params.delete('connected');
    params.delete('error');
    const rest = params.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}`);
  }
  return connected;
}

// Names every account the login just brought, and marks them in the list.
function announceConnected(ids) {
  if (!ids.length) return;
  const names = ids.map((id) => accounts.find((a) => a.id === id)).filter(Boolean).map((a) => `@${a.username}`);
  if (names.length) notice(`Connected ${names.join(', ')}.`, 'ok');
  for (const id of ids) {
    document.querySelector(`#accounts li.account[data-id="${CSS.escape(id)}"] b`)
      ?.after(' ', el('span', { className: 'badge new' }, 'just connected'));
  }
}

let accounts = [];

async function loadAccounts() {
  const list = $('#accounts');
  try {
    accounts = await api.accounts();
  } catch (e) {
    accounts = [];
    if (!(e instanceof WorkerError && e.status === 401)) {
      list.replaceChildren(el('li', { className: 'error' }, describe(e)));
      return;
    }
  }
  list.replaceChildren(
    ...(accounts.length
      ? accounts.map(accountItem)
      : [el('li', { className: 'muted' }, 'No account connected in this browser yet.')]),
  );
  const select = $('#account');
  // A reload (after a refresh, say) keeps the account the person chose.
  const chosen = select.value;
  select.replaceChildren(...accounts.filter((a) => !a.needs_reauth).map((a) => el('option', { value: a.id }, `@${a.username}`)));
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  $('#publish-card').hidden = select.options.length === 0;
  if (select.options.length) loadQuota(select.value);
  showScheduled(select.value);
}

function showScheduled(accountId) {
  return loadScheduled(accountId, { describe, report: notice });
}

function accountItem(account) {
  const t = account.token;
  const expiry = t.expires_at
    ? `token expires ${new Date(t.expires_at).toLocaleDateString()} (${t.days_left} days left)`
    : 'token does not expire';
  const status = account.needs_reauth
    ? el('span', { className: 'badge bad' }, 'needs reconnect')
    : t.needs_refresh
      ? el('span', { className: 'badge warn' }, 'refresh due')
      : el('span', { className: 'badge ok' }, 'healthy');
  const refresh = el('button', { className: 'ghost', textContent: 'Refresh now' });
  refresh.addEventListener('click', () => act(refresh, () => api.refresh(account.id), 'Token refreshed.'));
  const forget = el('button', { className: 'ghost', textContent: 'Forget' });
  forget.addEventListener('click', () => act(forget, () => api.forget(account.id), 'Account forgotten.'));
  const reconnect = el('button', { className: 'primary', textContent: 'Reconnect' });
  reconnect.addEventListener('click', () => location.assign(api.loginUrl(account.product)));
  return el(
    'li',
    { className: 'account', dataset: { id: account.id } },
    el('div', {},
      el('b', {}, `@${account.username}`), ' ', status,
      el('div', { className: 'muted small' },
        `${account.account_type ?? ''} · ${account.product === 'facebook' ? `Facebook Login${account.page_name ? ` via ${account.page_name}` : ''}` : 'Instagram Login'} · ${expiry}`),
      account.needs_reauth && account.reauth_reason ? el('div', { className: 'small error' }, account.reauth_reason) : null),
    el('div', { className: 'row' }, account.needs_reauth ? reconnect : refresh, forget),
  );
}

async function act(button, fn, done) {
  button.disabled = true;
  try {
    await fn();
    notice(done, 'ok');
  } catch (e) {
    notice(describe(e), 'error');
  } finally {
    button.disabled = false;
    await loadAccounts();
  }
}

async function loadQuota(id) {
  try {
    const { quota } = await api.quota(id);
    $('#quota').textContent = `Publishing quota: ${quota.quota_usage} of ${quota.quota_total} posts used in the last 24 hours.`;
  } catch (e) {
    $('#quota').textContent = `Quota unavailable: ${describe(e)}`;
  }
}

// ---- publish form ----------------------------------------------------------

function kind() {
  return new FormData($('#publish')).get('kind');
}

function showKindFields() {
  for (const block of document.querySelectorAll('[data-kind]')) {
    block.hidden = !block.dataset.kind.split(' ').includes(kind());
  }
  if (kind() === 'carousel' && $('#items').children.length === 0) {
    addItem('image');
    addItem('image');
  }
}

function addItem(type) {
  const items = $('#items');
  if (items.children.length >= 10) return notice('A carousel holds at most 10 items.', 'error');
  const input = el('input', { type: 'url', required: true, placeholder: `https://…/${type === 'image' ? 'photo.jpg' : 'clip.mp4'}` });
  input.dataset.type = type;
  const remove = el('button', { type: 'button', className: 'ghost', textContent: '×', title: 'Remove' });
  const item = el('li', {}, el('span', { className: 'muted small' }, type), input, remove);
  remove.addEventListener('click', () => item.remove());
  items.append(item);
}

function countCaption() {
  const text = $('#publish').caption.value;
  const hashtags = (text.match(/(^|\s)#[\p{L}\p{N}_]+/gu) ?? []).length;
  const mentions = (text.match(/(^|\s)@[\w.]+/g) ?? []).length;
  const count = $('#caption-count');
  count.textContent = `${[...text].length.toLocaleString()} / 2,200 characters · ${hashtags} / 30 hashtags · ${mentions} / 20 mentions`;
  count.classList.toggle('error', [...text].length > 2200 || hashtags > 30 || mentions > 20);
}

function mediaFromForm(form) {
  const caption = form.caption.value || undefined;
  switch (kind()) {
    case 'image':
      return { kind: 'image', image_url: form.image_url.value, caption };
    case 'reel':
      return { kind: 'reel', video_url: form.video_url.value, caption };
    case 'story':
      if (form.video_file.files.length) return { kind: 'story' };
      return form.video_url.value
        ? { kind: 'story', video_url: form.video_url.value }
        : { kind: 'story', image_url: form.image_url.value };
    case 'carousel':
      return {
        kind: 'carousel',
        caption,
        items: [...$('#items').querySelectorAll('input')].map((i) =>
          i.dataset.type === 'image' ? { image_url: i.value } : { video_url: i.value }),
      };
  }
}

function progress(text, cls = '') {
  const list = $('#progress');
  list.hidden = false;
  list.append(el('li', { className: cls }, text));
}

// A video from this computer (reel, story): checked here, uploaded in parts
// with a progress bar, staged; returns the staged media.
async function stageVideo(accountId, video, use) {
  await checkVideo(video, use);
  progress(`uploading ${video.name} (${(video.size / (1024 * 1024)).toFixed(1)} MB) to the Worker…`, 'muted');
  const bar = el('progress', { id: 'upload-progress', max: video.size, value: 0 });
  const label = el('span', { className: 'muted small' }, '');
  $('#progress').append(el('li', {}, bar, ' ', label));
  const staged = await uploadVideo(accountId, video, use, ({ sent, total, part, parts, retry }) => {
    bar.value = sent;
    label.textContent = `${Math.floor((sent / total) * 100)}% · part ${part} of ${parts}`;
    if (retry) progress(`part ${part} was interrupted: sending it again (try ${retry + 1})`, 'warn');
  });
  progress(`staged as ${staged.id} (${(staged.duration_ms / 1000).toFixed(1)} s), kept until ${new Date(staged.expires_at).toLocaleString()}`);
  return staged;
}

// The form input behind a field the Worker (or the page's check) names.
const INPUT_OF_FIELD = {
  body: 'image_file', image_media_id: 'image_file', video_media_id: 'video_file', size: 'video_file', content_type: 'video_file',
};

// Marks the input the Worker named as wrong (`field`), clearing the others.
function markInvalid(form, field) {
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  if (field && form.elements[field]) form.elements[field].setAttribute('aria-invalid', 'true');
}

async function publish(event) {
  event.preventDefault();
  const form = event.target;
  const submit = form.querySelector('[type=submit]');
  submit.disabled = true;
  $('#progress').replaceChildren();
  markInvalid(form, null);
  const started = Date.now();
  try {
    const publishAt = publishAtFromInput(form.publish_at.value);
    const media = mediaFromForm(form);
    const video = form.video_file.files[0];
    if (video && (media.kind === 'reel' || media.kind === 'story')) {
      delete media.video_url;
      media.video_media_id = (await stageVideo(form.account.value, video, media.kind)).id;
    }
    const file = form.image_file.files[0];
    if (file && (media.kind === 'image' || (media.kind === 'story' && !media.video_url && !media.video_media_id))) {
      progress(`staging ${file.name} (${Math.ceil(file.size / 1024)} KB)…`, 'muted');
      const staged = await api.stage(form.account.value, file, media.kind === 'story' ? 'story' : 'feed');
      progress(`staged as ${staged.id} (${staged.width}×${staged.height}), kept until ${new Date(staged.expires_at).toLocaleString()}`);
      delete media.image_url;
      media.image_media_id = staged.id;
    }
    let { job } = await api.publish(form.account.value, { ...media, publish_at: publishAt });
    if (job.status === 'scheduled') {
      rememberCaption(job.id, media.caption);
      progress(`scheduled for ${new Date(job.publish_at).toLocaleString()} (job ${job.id}): see Scheduled posts`, 'ok');
      form.publish_at.value = '';
      showPublishAt();
      await showScheduled(form.account.value);
      return;
    }
    progress(`created (job ${job.id})`);
    while (job.status === 'processing') {
      const elapsed = `${Math.round((Date.now() - started) / 1000)} s`;
      // A stalled job is waiting out Meta (throttling, no answer): say why and when it goes on.
      const waiting = job.stalled
        ? ` — waiting: ${job.stalled.message}${job.next_check_at ? `; next try ${new Date(job.next_check_at).toLocaleTimeString()}` : ''}`
        : '';
      progress(`processing… ${elapsed} (${job.phase})${waiting}`, job.stalled ? 'warn' : 'muted');
      await new Promise((r) => setTimeout(r, 1000));
      ({ job } = await api.job(job.id));
    }
    if (job.status === 'failed') throw Object.assign(new Error(job.error?.message ?? 'publish failed'), job.error ?? {});
    const link = el('a', { href: job.permalink, target: '_blank', rel: 'noopener', textContent: job.permalink });
    const done = el('li', { className: 'ok' }, 'published: ', link);
    $('#progress').append(done);
  } catch (e) {
    progress(describe(e), 'error');
    markInvalid(form, INPUT_OF_FIELD[e.field] ?? e.field);
  } finally {
    submit.disabled = false;
    loadQuota(form.account.value);
  }
}

// The submit button says whether it publishes now or schedules.
function showPublishAt() {
  $('#publish-submit').textContent = $('#publish').publish_at.value ? 'Schedule' : 'Publish now';
}

// ---- wiring ------------------------------------------------------------------

$('#worker-url').textContent = WORKER;
$('#connect-instagram').addEventListener('click', () =>
  startSpaLogin('instagram').catch((e) => notice(describe(e), 'error')));
$('#connect-facebook').addEventListener('click', () => location.assign(api.loginUrl('facebook')));
$('#reload').addEventListener('click', loadAccounts);
$('#publish').addEventListener('change', (e) => {
  if (e.target.name === 'kind') showKindFields();
  if (e.target.name === 'account') {
    loadQuota(e.target.value);
    showScheduled(e.target.value);
  }
});
$('#publish').publish_at.addEventListener('input', showPublishAt);
$('#reload-scheduled').addEventListener('click', () => showScheduled($('#account').value));
$('#publish').caption.addEventListener('input', countCaption);
$('#add-image').addEventListener('click', () => addItem('image'));
$('#add-video').addEventListener('click', () => addItem('video'));
$('#publish').addEventListener('submit', publish);

const justConnected = readReturnParams();
showKindFields();
loadAccounts().then(() => announceConnected(justConnected));
