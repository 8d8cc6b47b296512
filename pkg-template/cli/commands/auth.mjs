// Getting a token into the store: auth-url + exchange (manual), login (the
// loopback flow), import (an existing token). Each ends with account records
// written to the store: one, or for a Facebook login every account the person
// granted (or the one --account names).
import {
  createLogin, connectAccount, getProfile, refreshToken, resolveInstagramAccount, getLongLivedToken, InstagateError,
} from '../../node.js';
import { CliError, EXIT, usage } from '../errors.mjs';
import { DEFAULT_REDIRECT_URI, libraryConfig, requireSecret } from '../settings.mjs';
import { startLoopback, openBrowser } from '../loopback.mjs';
import { now, nowIso } from '../clock.mjs';
import { out, err, when } from '../output.mjs';
import { intFlag, secretFlag } from '../args.mjs';
import { label } from '../store.mjs';

const DAY_MS = 86_400_000;

/** The stored record of an account from connectAccount's result. */
function accountRecord(connected, config, source) {
  return {
    product: connected.product,
    igUserId: connected.igUserId,
    username: connected.username,
    name: connected.name,
    accountType: connected.accountType,
    page: connected.page,
    grantedScopes: connected.grantedScopes,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    token: connected.token,
    expiryUnknown: false,
    connectedAt: nowIso(),
    source,
    lastRefresh: null,
    lastValidate: null,
  };
}

/**
 * `--account` of login / exchange: an ID (Instagram user or Page) is
 * connectAccount's `accounts`; a username is matched once the accounts are in.
 */
function accountChoice(flags) {
  const wanted = flags.account?.trim();
  if (wanted === undefined) return { input: {}, username: null };
  if (!wanted) throw usage('--account needs an Instagram user ID, Page ID or username');
  if (/^\d+$/.test(wanted)) return { input: { accounts: [wanted] }, username: null };
  return { input: {}, username: wanted.replace(/^@/, '').toLowerCase() };
}

/** Stores the accounts of a completed login (those --account names); returns them. */
async function storeLogin(ctx, store, config, connected, choice, source) {
  const kept = choice.username
    ? connected.accounts.filter((a) => a.username.toLowerCase() === choice.username)
    : connected.accounts;
  if (kept.length === 0) {
    throw new CliError(`this login did not grant @${choice.username}`, {
      exit: EXIT.LOGIN,
      hint: `it granted: ${connected.accounts.map((a) => `@${a.username}`).join(', ')}; log in again and select the Page linked to that account`,
    });
  }
  const records = kept.map((c) => accountRecord(c, config, source));
  for (const record of records) store.upsert(record);
  await store.save();
  for (const record of records) report(ctx, record, 'connected');
  for (const s of connected.skipped) {
    if (s.reason === 'not_chosen') continue;
    err(`not connected: @${s.username} (Page ${s.pageName ?? s.pageId}): ${SKIP_REASONS[s.reason] ?? s.reason}`);
  }
  return records;
}

const SKIP_REASONS = {
  no_page_token: 'Meta gave no Page token; the person needs a task such as Create content on that Page',
  over_limit: 'past the limit of accounts per login',
};

function report(ctx, account, verb) {
  if (ctx.flags.json) {
    const { token, ...rest } = account;
    out(JSON.stringify({ ...rest, token: { kind: token.kind, issuedAt: token.issuedAt, expiresAt: token.expiresAt } }));
    return;
  }
  const expiry = account.token.expiresAt ? `expires ${when(account.token.expiresAt)}` : 'does not expire';
  out(`${verb} ${label(account)}: ${account.token.kind} token, ${expiry}${account.expiryUnknown ? ' (expiry unknown)' : ''}`);
}

function needFileStore(store, command) {
  if (store.mode !== 'file') {
    throw usage(`\`${command}\` keeps a pending login in the token store file, and this run has none (headless mode)`,
      'unset INSTAGATE_TOKEN / INSTAGATE_STORE_DATA, or run it where the store lives');
  }
}

const loginOptions = (flags, product) => {
  if (!flags['force-reauth']) return undefined;
  if (product !== 'instagram') throw usage('--force-reauth is for Instagram Login only');
  return { forceReauth: true };
};

export async function authUrl(ctx) {
  const store = await ctx.openStore();
  needFileStore(store, 'auth-url');
  const config = libraryConfig(ctx.settings, { forLogin: true, redirectUri: ctx.settings.redirectUri ?? DEFAULT_REDIRECT_URI });
  const login = createLogin(config, loginOptions(ctx.flags, config.product));
  store.addPending({
    state: login.state, codeVerifier: login.codeVerifier, product: config.product,
    clientId: config.clientId, redirectUri: config.redirectUri, createdAt: nowIso(),
  }, now());
  await store.save();
  out(login.url);
  err('Open the URL, allow access, then run `instagate exchange --code -` and paste the URL the browser lands on (Ctrl-D to end)');
  return EXIT.OK;
}

/** `CODE#_` as copied from the address bar: Meta appends `#_` (Instagram) or `#_=_` (Facebook). */
const stripFragment = (s) => s.replace(/#.*$/, '');

export async function exchange(ctx) {
  const input = secretFlag(ctx.flags, 'code');
  if (!input) throw usage('exchange needs --code - (the code or the whole redirect URL on stdin), --code-file FILE or --code CODE', 'run `instagate auth-url` first, open its URL, and pass what the browser lands on');
  const store = await ctx.openStore();
  needFileStore(store, 'exchange');
  const isUrl = /^https?:\/\//i.test(input);
  let urlState = null;
  if (isUrl) {
    try {
      urlState = new URL(input).searchParams.get('state');
    } catch {
      throw usage('--code looks like a URL but does not parse');
    }
  }
  const pending = store.takePending(ctx.flags.state ?? urlState, now());
  if (!pending && (isUrl || ctx.flags.state)) {
    throw new CliError('no pending login matches this callback\'s state (it is older than an hour, was used, or came from another login)',
      { exit: EXIT.LOGIN, hint: 'start again with `instagate auth-url`' });
  }
  const product = pending?.product ?? ctx.settings.product;
  if (!pending && product === 'facebook') {
    throw new CliError('no pending login: Facebook Login needs the PKCE verifier `auth-url` kept', { exit: EXIT.LOGIN, hint: 'start again with `instagate auth-url`' });
  }
  const config = libraryConfig(ctx.settings, { product, account: pending, forLogin: true, redirectUri: pending?.redirectUri });
  const clientSecret = requireSecret(ctx.settings);
  const source = isUrl
    ? { callbackUrl: input, expectedState: pending.state }
    : { code: stripFragment(input) };
  const choice = accountChoice(ctx.flags);
  const connected = await connectAccount({
    config, clientSecret, ...source, ...(product === 'facebook' ? { codeVerifier: pending.codeVerifier } : {}),
    ...choice.input, ...ctx.call,
  });
  await storeLogin(ctx, store, config, connected, choice, 'exchange');
  return EXIT.OK;
}

/** The loopback redirect URI and port `login` uses. */
function loopbackTarget(settings, flags) {
  const portFlag = flags.port === undefined ? undefined : intFlag(flags, 'port', 0);
  if (portFlag !== undefined && portFlag > 65535) throw usage('--port must be at most 65535');
  const redirectUri = settings.redirectUri ?? DEFAULT_REDIRECT_URI;
  let url;
  try {
    url = new URL(redirectUri);
  } catch {
    throw usage(`the redirect URI "${redirectUri}" is not a URL`);
  }
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(url.hostname)) {
    throw usage(`login needs a loopback redirect URI (http://127.0.0.1:PORT/...), and the configured one is ${redirectUri}`,
      `register ${DEFAULT_REDIRECT_URI} with the app and set it as the redirect URI, or use \`auth-url\` + \`exchange\``);
  }
  const port = portFlag ?? (url.port ? Number(url.port) : 80);
  return { host: url.hostname, path: url.pathname, port };
}

export async function login(ctx) {
  const { flags, settings } = ctx;
  const timeoutS = intFlag(flags, 'timeout', 300, { min: 1 });
  const target = loopbackTarget(settings, flags);
  // Everything that can fail without the browser fails before it opens.
  const store = await ctx.openStore();
  if (store.mode !== 'file') throw usage('`login` stores the token in the store file, and this run is headless', 'unset INSTAGATE_TOKEN / INSTAGATE_STORE_DATA');
  const clientSecret = requireSecret(settings);
  const choice = accountChoice(flags);
  libraryConfig(settings, { forLogin: true, redirectUri: `http://${target.host}/callback` });
  let server;
  try {
    server = await startLoopback({ port: target.port, path: target.path });
  } catch (e) {
    throw usage(e.message, 'choose another --port (it must match a redirect URI registered with the app)');
  }
  let timer;
  try {
    const redirectUri = `http://${target.host}:${server.port}${target.path}`;
    const config = libraryConfig(settings, { forLogin: true, redirectUri });
    const created = createLogin(config, loginOptions(flags, config.product));
    server.expect(created.state);
    err(`Waiting for the login on ${redirectUri} (up to ${timeoutS} s; this redirect URI must be registered with the app).`);
    const opened = !flags['no-browser'] && openBrowser(created.url);
    err(opened ? 'A browser window opened; if it did not, open this URL:' : 'Open this URL in a browser to log in:');
    err(`  ${created.url}`);
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new CliError(`no login came back within ${timeoutS} s`, {
        exit: EXIT.LOGIN, hint: 'run `instagate login` again (raise --timeout), or use `auth-url` + `exchange`',
      })), timeoutS * 1000);
    });
    const path = await Promise.race([server.callback, timeout]);
    clearTimeout(timer);
    const callbackUrl = `http://${target.host}:${server.port}${path}`;
    let records;
    try {
      const connected = await connectAccount({
        config, clientSecret, callbackUrl, expectedState: created.state,
        ...(config.product === 'facebook' ? { codeVerifier: created.codeVerifier } : {}), ...choice.input, ...ctx.call,
      });
      records = await storeLogin(ctx, store, config, connected, choice, 'login');
    } catch (e) {
      server.answer(false, e instanceof InstagateError || e instanceof CliError ? e.message : 'The exchange failed.');
      throw e;
    }
    const names = records.map((a) => `@${a.username}`);
    server.answer(true, `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} connected.`);
    return EXIT.OK;
  } finally {
    clearTimeout(timer);
    await server.close();
  }
}

function readToken(flags) {
  const token = secretFlag(flags, 'token');
  if (token === undefined) throw usage('import needs --token - (the token on stdin), --token-file FILE or --token TOKEN');
  if (!token || /\s/.test(token)) throw usage('the token is empty or contains spaces');
  return token;
}

function timeFlag(flags, name) {
  const v = flags[name];
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw usage(`--${name} must be an ISO-8601 time, got "${v}"`);
  return new Date(ms).toISOString();
}

export async function importToken(ctx) {
  const { flags, settings } = ctx;
  const accessToken = readToken(flags);
  const store = await ctx.openStore();
  if (store.mode !== 'file') throw usage('`import` writes the token store file, and this run is headless', 'unset INSTAGATE_TOKEN / INSTAGATE_STORE_DATA');
  let expiresAt = timeFlag(flags, 'expires-at');
  if (flags['expires-in'] !== undefined) {
    if (expiresAt) throw usage('give --expires-at or --expires-in, not both');
    expiresAt = new Date(now() + intFlag(flags, 'expires-in', 0) * 1000).toISOString();
  }
  const issuedAt = timeFlag(flags, 'issued-at');
  const config = libraryConfig(settings, {});
  const account = config.product === 'instagram'
    ? await importInstagram(ctx, config, accessToken, { expiresAt, issuedAt })
    : await importFacebook(ctx, config, accessToken);
  store.upsert(account);
  await store.save();
  report(ctx, account, 'imported');
  return EXIT.OK;
}

async function importInstagram(ctx, config, accessToken, { expiresAt, issuedAt }) {
  // The real call that validates the token (and says whose it is).
  const profile = await getProfile({ config, accessToken, ...ctx.call });
  const base = {
    product: 'instagram', igUserId: profile.igUserId, username: profile.username, name: profile.name,
    accountType: profile.accountType, page: null, grantedScopes: [], ...appOf(ctx.settings),
    connectedAt: nowIso(), source: 'import', lastRefresh: null, lastValidate: null,
  };
  let token = { accessToken, kind: 'instagram_long_lived', issuedAt: issuedAt ?? new Date(0).toISOString(), expiresAt: expiresAt ?? null, scopes: [], igUserId: profile.igUserId };
  if (expiresAt) {
    // A long-lived Instagram token lives 60 days: its issue time follows from its expiry.
    if (!issuedAt) token.issuedAt = new Date(Date.parse(expiresAt) - 60 * DAY_MS).toISOString();
    return { ...base, token, expiryUnknown: false };
  }
  if (ctx.flags['no-refresh']) {
    err('The token\'s expiry is unknown: `status` flags it and `refresh --if-due` refreshes it (which tells).');
    return { ...base, token, expiryUnknown: true };
  }
  // Meta does not say when an Instagram token expires, but a refresh returns
  // a token with a known 60-day life (the old one stays valid meanwhile).
  try {
    token = { ...(await refreshToken({ config, token, ...ctx.call })), igUserId: profile.igUserId };
    err(`The expiry was unknown, so the token was refreshed: the new one expires ${when(token.expiresAt)}.`);
    return { ...base, token, expiryUnknown: false, lastRefresh: { at: nowIso(), ok: true } };
  } catch (e) {
    if (!(e instanceof InstagateError) || e.kind !== 'refresh_too_early') throw e;
    // Under 24 hours old: it expires in 59 to 60 days; assume the earlier.
    const t = now();
    token = { ...token, issuedAt: new Date(t).toISOString(), expiresAt: new Date(t + 59 * DAY_MS).toISOString() };
    err(`The token is less than 24 hours old (too early to refresh): assumed to expire ${when(token.expiresAt)}.`);
    return { ...base, token, expiryUnknown: false, expiryAssumed: true };
  }
}

async function importFacebook(ctx, config, accessToken) {
  const igUserId = ctx.flags['ig-user-id'];
  let linked;
  try {
    linked = await resolveInstagramAccount({ config, accessToken, ...(igUserId ? { igUserId } : {}), ...ctx.call });
  } catch (e) {
    // A Page token cannot list Pages (`/me` is the Page): read the account directly.
    if (!(e instanceof InstagateError) || e.kind !== 'invalid_request') throw e;
    if (!igUserId) throw usage('this looks like a Page token: say which Instagram account it is for with --ig-user-id');
    const profile = await getProfile({ config, accessToken, igUserId, ...ctx.call });
    err('Imported as a Page token: it does not expire if it came from a long-lived user token.');
    return facebookRecord(ctx.settings, profile, null, { accessToken, kind: 'facebook_page', issuedAt: nowIso(), expiresAt: null, scopes: [], igUserId: profile.igUserId });
  }
  // A user token. Its Page token never expires when the user token is long-lived.
  const secret = ctx.settings.clientSecret();
  if (secret) {
    const long = await getLongLivedToken({
      config, clientSecret: secret, token: { accessToken, kind: 'facebook_user_short_lived', issuedAt: nowIso() }, ...ctx.call,
    });
    linked = await resolveInstagramAccount({ config, accessToken: long.accessToken, igUserId: linked.instagram.igUserId, ...ctx.call });
  } else {
    err('No app secret: the Page token was taken from this user token as it is (it never expires only if the user token was long-lived).');
  }
  if (!linked.pageToken) throw new CliError('Meta gave no Page token for the linked Page', { hint: 'the person needs a task on the Page that allows content creation' });
  return facebookRecord(ctx.settings, linked.instagram, { pageId: linked.pageId, pageName: linked.pageName },
    { accessToken: linked.pageToken, kind: 'facebook_page', issuedAt: nowIso(), expiresAt: null, scopes: [], igUserId: linked.instagram.igUserId });
}

// An imported token came with no login: remember the app only if the settings name it.
const appOf = (settings) => ({ clientId: settings.clientId ?? null, redirectUri: settings.redirectUri ?? null });

const facebookRecord = (settings, profile, page, token) => ({
  product: 'facebook', igUserId: profile.igUserId, username: profile.username, name: profile.name,
  accountType: profile.accountType, page, grantedScopes: [], ...appOf(settings),
  token, expiryUnknown: false, connectedAt: nowIso(), source: 'import', lastRefresh: null, lastValidate: null,
});
