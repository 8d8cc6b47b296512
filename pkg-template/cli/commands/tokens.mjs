// Looking after stored tokens: status (local), validate (a real call per
// account), refresh (due ones, written before the old is dropped), export
// (the variables a headless CI job needs).
import { tokenStatus, refreshToken, getProfile, getPublishingQuota, InstagateError } from '../../node.js';
import { EXIT, usage, adviceFor, metaFields, describeError } from '../errors.mjs';
import { libraryConfig } from '../settings.mjs';
import { label } from '../store.mjs';
import { now, nowIso } from '../clock.mjs';
import { out, err, table, when, shellValue } from '../output.mjs';
import { intFlag } from '../args.mjs';

const errorSummary = (e) => (e instanceof InstagateError
  ? { kind: e.kind, message: e.message, code: e.code, subcode: e.subcode, fbtraceId: e.fbtraceId, retryAfter: e.retryAfter, advice: adviceFor(e.kind) }
  : { kind: 'cli', message: e.message });

/** Status of one account, and why it needs attention (empty: it does not). */
function accountStatus(account, refreshDays) {
  const st = tokenStatus(account.token, { now: now(), refreshWhenDaysLeft: refreshDays });
  const reasons = [];
  if (st.expired) reasons.push('token expired: log in again');
  else if (account.expiryUnknown) reasons.push('expiry unknown: run `refresh`');
  else if (st.needsRefresh) reasons.push('refresh due');
  else if (!st.refreshable && st.daysLeft !== null && st.daysLeft < refreshDays && !account.token.kind.startsWith('instagram')) {
    reasons.push(`cannot be refreshed and expires in ${st.daysLeft} days: log in again`);
  }
  if (account.lastRefresh && !account.lastRefresh.ok) reasons.push(`last refresh failed (${account.lastRefresh.error.kind})`);
  if (account.lastValidate && !account.lastValidate.ok) reasons.push(`last validate failed (${account.lastValidate.error.kind})`);
  return { st, due: !st.expired && (st.needsRefresh || Boolean(account.expiryUnknown)), reasons };
}

export async function status(ctx) {
  const refreshDays = intFlag(ctx.flags, 'refresh-days', 30);
  const store = await ctx.openStore();
  const accounts = store.select(ctx.flags.account);
  const rows = accounts.map((a) => ({ a, ...accountStatus(a, refreshDays) }));
  if (ctx.flags.json) {
    out(JSON.stringify({
      accounts: rows.map(({ a, st, due, reasons }) => ({
        igUserId: a.igUserId, username: a.username, product: a.product, kind: a.token.kind,
        issuedAt: st.issuedAt, expiresAt: st.expiresAt, daysLeft: st.daysLeft, expired: st.expired,
        needsRefresh: due, expiryUnknown: Boolean(a.expiryUnknown), refreshableAt: st.refreshableAt,
        lastRefresh: a.lastRefresh, lastValidate: a.lastValidate, attention: reasons.length > 0, reasons,
      })),
      attention: rows.length === 0 || rows.some((r) => r.reasons.length > 0),
    }, null, 2));
  } else if (rows.length === 0) {
    out('No account is stored: run `instagate login` (or `exchange`, `import`).');
  } else {
    out(table([
      ['ACCOUNT', 'PRODUCT', 'EXPIRES', 'DAYS LEFT', 'NEEDS REFRESH', 'LAST REFRESH', 'ATTENTION'],
      ...rows.map(({ a, st, due, reasons }) => [
        a.username ?? a.igUserId ?? '(from INSTAGATE_TOKEN)', a.product,
        a.expiryUnknown ? 'unknown' : (st.expiresAt ? when(st.expiresAt) : 'never'),
        st.daysLeft ?? '-', due ? 'yes' : 'no',
        a.lastRefresh ? `${when(a.lastRefresh.at)}${a.lastRefresh.ok ? '' : ' (failed)'}` : '-',
        reasons.join('; ') || '-',
      ]),
    ]));
  }
  return rows.length === 0 || rows.some((r) => r.reasons.length > 0) ? EXIT.ATTENTION : EXIT.OK;
}

export async function validate(ctx) {
  const store = await ctx.openStore();
  const accounts = store.select(ctx.flags.account);
  if (accounts.length === 0) throw usage('no account is stored', 'run `instagate login` first');
  const results = [];
  for (const account of accounts) {
    const config = libraryConfig(ctx.settings, { account });
    const accessToken = account.token.accessToken;
    try {
      const profile = await getProfile({ config, accessToken, ...(account.igUserId && account.product === 'facebook' ? { igUserId: account.igUserId } : {}), ...ctx.call });
      Object.assign(account, { igUserId: profile.igUserId, username: profile.username });
      const quota = await getPublishingQuota({ config, accessToken, igUserId: profile.igUserId, ...ctx.call });
      account.lastValidate = { at: nowIso(), ok: true };
      results.push({ account, ok: true, profile, quota });
    } catch (e) {
      if (!(e instanceof InstagateError)) throw e;
      account.lastValidate = { at: nowIso(), ok: false, error: { kind: e.kind, message: e.message } };
      results.push({ account, ok: false, error: e });
    }
    store.upsert(account);
  }
  await store.save();
  if (ctx.flags.json) {
    out(JSON.stringify({
      accounts: results.map((r) => ({
        igUserId: r.account.igUserId, username: r.account.username, product: r.account.product, ok: r.ok,
        ...(r.ok ? { profile: r.profile, quota: r.quota } : { error: errorSummary(r.error) }),
      })),
    }, null, 2));
  } else {
    for (const r of results) {
      if (r.ok) {
        const { profile: p, quota: q } = r;
        out(`ok   ${label(r.account)}: the token works — profile read (${p.accountType ?? 'via Page'}, ${p.mediaCount ?? '?'} posts, ${p.followersCount ?? '?'} followers); publishing quota ${q.usage}/${q.total ?? '?'} used in 24 h`);
      } else {
        out(`FAIL ${label(r.account)}: ${r.error.message}`);
        out(`     (${metaFields(r.error)})`);
        out(`     what to do: ${adviceFor(r.error.kind)}`);
      }
    }
  }
  return results.every((r) => r.ok) ? EXIT.OK : EXIT.ATTENTION;
}

/** NAME=value lines a headless job saves after a refresh. */
function headlessVariables(store, account) {
  if (store.mode === 'token') {
    return {
      INSTAGATE_TOKEN: account.token.accessToken,
      INSTAGATE_TOKEN_ISSUED_AT: account.token.issuedAt,
      ...(account.token.expiresAt ? { INSTAGATE_TOKEN_EXPIRES_AT: account.token.expiresAt } : {}),
    };
  }
  return { INSTAGATE_STORE_DATA: store.sealedForEnv() };
}

export async function refresh(ctx) {
  const { flags } = ctx;
  const refreshDays = intFlag(flags, 'refresh-days', 30);
  if (flags['print-token'] && flags['print-env']) throw usage('choose one of --print-token and --print-env');
  const store = await ctx.openStore();
  const accounts = store.select(flags.account);
  if (accounts.length === 0) {
    err('No account is stored: nothing to refresh (run `instagate login`, `exchange` or `import`).');
    return EXIT.ATTENTION;
  }
  if (flags['print-token'] && accounts.length !== 1) throw usage('--print-token prints one account\'s token: choose it with --account');
  // With --print-*, stdout carries only the new secret; the report goes to stderr.
  const say = flags['print-token'] || flags['print-env'] || flags.json ? err : out;
  const results = [];
  let refreshed = null;
  for (const account of accounts) {
    const { st, due } = accountStatus(account, refreshDays);
    const name = label(account);
    const skip = (why, attention = false) => {
      results.push({ account: name, outcome: 'skipped', why, attention });
      say(`skip ${name}: ${why}`);
    };
    if (account.token.kind === 'facebook_page') { skip('a Page token does not expire'); continue; }
    if (!account.token.kind.startsWith('instagram_')) {
      skip(`${account.token.kind} tokens cannot be refreshed${st.expiresAt ? ` (expires ${when(st.expiresAt)}): log in again before then` : ''}`, st.daysLeft !== null && st.daysLeft < refreshDays);
      continue;
    }
    if (st.expired) {
      skip('the token has expired: it cannot be refreshed; log in again', true);
      continue;
    }
    if (flags['if-due'] && !due) { skip(`not due (${st.daysLeft} days left)`); continue; }
    const config = libraryConfig(ctx.settings, { account });
    try {
      const token = await refreshToken({ config, token: account.token, ...ctx.call });
      // The new record replaces the old in one atomic write; until the rename
      // the file still holds the old token (which Meta keeps valid anyway).
      account.token = { ...token, igUserId: token.igUserId ?? account.igUserId, scopes: token.scopes?.length ? token.scopes : account.token.scopes };
      account.expiryUnknown = false;
      delete account.expiryAssumed;
      account.lastRefresh = { at: nowIso(), ok: true };
      store.upsert(account);
      await store.save();
      refreshed = account;
      results.push({ account: name, outcome: 'refreshed', expiresAt: token.expiresAt });
      say(`refreshed ${name}: new token expires ${when(token.expiresAt)}`);
    } catch (e) {
      if (!(e instanceof InstagateError)) throw e;
      if (e.kind === 'refresh_too_early' && !flags['if-due']) {
        skip(`too early: Instagram refreshes a token once it is 24 hours old${st.refreshableAt ? ` (from ${when(st.refreshableAt)})` : ''}`);
        continue;
      }
      account.lastRefresh = { at: nowIso(), ok: false, error: { kind: e.kind, message: e.message } };
      store.upsert(account);
      await store.save();
      results.push({ account: name, outcome: 'failed', error: errorSummary(e) });
      for (const line of describeError(e)) err(line.replace(/^error:/, `FAIL ${name}:`));
    }
  }
  if (flags.json) out(JSON.stringify({ results }, null, 2));
  if (refreshed && flags['print-token']) out(refreshed.token.accessToken);
  if (refreshed && flags['print-env']) {
    for (const [k, v] of Object.entries(headlessVariables(store, refreshed))) out(`${k}=${shellValue(v)}`);
  }
  const bad = results.some((r) => r.outcome === 'failed' || r.attention);
  return bad ? EXIT.ATTENTION : EXIT.OK;
}

export async function exportEnv(ctx) {
  const store = await ctx.openStore();
  const vars = {};
  if (ctx.flags.sealed) {
    if (ctx.flags.account) throw usage('--sealed exports the whole store; leave out --account');
    if (store.accounts.length === 0) throw usage('no account is stored', 'run `instagate login` first');
    vars.INSTAGATE_STORE_DATA = store.sealedForEnv();
    err(`instagate: the job also needs INSTAGATE_KEY = the store key (${store.keySource}); it is not printed here.`);
  } else {
    const a = store.find(ctx.flags.account);
    Object.assign(vars, {
      INSTAGATE_PRODUCT: a.product,
      ...(a.clientId ? { INSTAGATE_CLIENT_ID: a.clientId } : {}),
      ...(a.igUserId ? { INSTAGATE_IG_USER_ID: a.igUserId } : {}),
      ...(a.username ? { INSTAGATE_USERNAME: a.username } : {}),
      INSTAGATE_TOKEN_KIND: a.token.kind,
      ...(a.expiryUnknown ? {} : { INSTAGATE_TOKEN_ISSUED_AT: a.token.issuedAt }),
      ...(a.token.expiresAt ? { INSTAGATE_TOKEN_EXPIRES_AT: a.token.expiresAt } : {}),
      INSTAGATE_TOKEN: a.token.accessToken,
    });
  }
  err('instagate: this output holds an access token: save it as a CI secret, never in a log.');
  if (ctx.flags.json) out(JSON.stringify(vars, null, 2));
  else for (const [k, v] of Object.entries(vars)) out(`${k}=${shellValue(v)}`);
  return EXIT.OK;
}
