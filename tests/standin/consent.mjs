// consent.mjs — the two login windows a person sees, as real HTML forms:
//   * Business Login for Instagram:  GET/POST /www.instagram.com/oauth/authorize
//     (also /api.instagram.com/oauth/authorize, the older address)
//   * Facebook Login (for Business): GET/POST /www.facebook.com/{v}/dialog/oauth
// The GET shows the form (pick a seeded account, untick scopes, Allow or Deny); the
// form posts back to the same address, which redirects to redirect_uri with a code
// or with the documented denial parameters. A bad client_id or redirect_uri shows an
// error page and never redirects. POST /__control/consent skips the form.

import { createHash } from 'node:crypto';
import { escapeHtml, html, page, redirect } from './http.mjs';
import { FB_SCOPES, IG_SCOPES } from './seeds.mjs';
import { FB_CODE_MS, IG_CODE_MS, randomToken } from './state.mjs';

const IG = 'instagram';
const FB = 'facebook';

// ---- entry points -------------------------------------------------------------

export function instagramAuthorize(state, ctx) {
  return authorize(state, ctx, IG);
}

export function facebookDialog(state, ctx) {
  return authorize(state, ctx, FB);
}

function authorize(state, ctx, product) {
  const p = ctx.method === 'POST' ? ctx.form : ctx.query;
  const problem = validate(state, p, product);
  if (problem) return errorPage(product, problem);
  const request = describe(p, product, state);

  if (ctx.method === 'POST') {
    const decision = p.decision === 'allow' ? 'allow' : 'deny';
    const subject = product === IG ? state.igAccount(p.account) : state.fbUser(p.account);
    if (decision === 'allow' && !subject) return errorPage(product, 'Choose an account to continue.');
    const kept = new Set([].concat(p.grant ?? []).flatMap((s) => String(s).split(',')));
    const declined = request.scopes.filter((s) => !kept.has(s) && !mandatory(product).includes(s));
    return decide(state, product, request, { decision, subject, declined: declinedBefore(state, product, request, subject, declined) });
  }

  if (state.consent) {
    const c = state.consent;
    const subject = product === IG ? state.igAccount(c.account ?? 'biz') : state.fbUser(c.account ?? 'fb_linked');
    if (c.decision === 'allow' && !subject) {
      return errorPage(product, `The automatic consent names an unknown ${product} account: ${c.account}`);
    }
    const declined = request.scopes.filter((s) => (c.declineScopes ?? []).includes(s) && !mandatory(product).includes(s));
    return decide(state, product, request, { decision: c.decision, subject, declined: declinedBefore(state, product, request, subject, declined) });
  }

  return html(200, consentForm(state, ctx, product, request));
}

// ---- validation ------------------------------------------------------------------

function validate(state, p, product) {
  if (!p.client_id) return product === IG ? 'Invalid Request: Request parameters are invalid: Missing client_id' : 'Missing app ID: The parameter app_id is required.';
  if (p.client_id !== state.app.clientId) {
    return product === IG
      ? 'Invalid Request: Request parameters are invalid: Invalid platform app'
      : 'Invalid App ID: The provided app ID does not look like a valid app ID.';
  }
  if (!p.redirect_uri || !redirectAllowed(state, p.redirect_uri)) {
    return product === IG
      ? 'Invalid Request: Request parameters are invalid: Invalid redirect_uri'
      : "URL Blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings. Make sure Client and Web OAuth Login are on and add all your app domains as Valid OAuth Redirect URIs.";
  }
  const responseType = p.response_type ?? (product === FB ? 'code' : undefined);
  if (responseType !== 'code') {
    return `Invalid Request: response_type must be "code" (got ${JSON.stringify(responseType ?? '')}). The stand-in supports the code flow only.`;
  }
  if (p.config_id != null) {
    if (product !== FB) return 'Invalid Request: Request parameters are invalid: config_id is not a parameter of this dialog';
    if (!state.config.loginConfigurations[p.config_id]) return `Invalid Configuration ID: ${p.config_id} is not a Facebook Login for Business configuration of this app.`;
  }
  if (p.auth_type != null && (product !== FB || !['rerequest', 'reauthenticate', 'reauthorize'].includes(p.auth_type))) {
    return `Invalid Request: auth_type ${JSON.stringify(p.auth_type)} is not supported here`;
  }
  const scopes = splitScopes(p.scope);
  if (product === IG && scopes.length === 0) return 'Invalid Request: Request parameters are invalid: Missing scope';
  const known = product === IG ? IG_SCOPES : FB_SCOPES;
  const bad = scopes.filter((s) => !known.includes(s));
  if (bad.length) return `Invalid Scopes: ${bad.join(', ')}. This message is only shown to developers.`;
  if (product === FB && p.code_challenge) {
    const method = p.code_challenge_method ?? 'plain';
    if (method !== 'S256' && method !== 'plain') return `Invalid code_challenge_method: ${method}`;
    if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(p.code_challenge)) return 'Invalid code_challenge: it must be 43 to 128 characters of [A-Za-z0-9-._~].';
  }
  return null;
}

// Without a configured list, any http(s) redirect on this machine is accepted.
export function redirectAllowed(state, uri) {
  if (state.config.redirectUris) return state.config.redirectUris.includes(uri);
  try {
    const u = new URL(uri);
    return (u.protocol === 'http:' || u.protocol === 'https:')
      && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

// "A comma-separated or URL-encoded space-separated list" (Business Login guide).
export function splitScopes(scope) {
  return [...new Set(String(scope ?? '').split(/[,\s]+/).map((s) => s.trim()).filter(Boolean))];
}

function mandatory(product) {
  // Business Login always grants instagram_business_basic; Facebook always public_profile.
  return product === IG ? ['instagram_business_basic'] : ['public_profile'];
}

// A Facebook user's permissions declined in an earlier login stay declined
// (the dialog does not offer them) unless auth_type=rerequest; what the
// person decides now is remembered for the next dialog.
function declinedBefore(state, product, request, subject, declined) {
  if (product !== FB || !subject) return declined;
  const before = state.fbDeclined.get(subject.key) ?? new Set();
  const now = request.raw.auth_type === 'rerequest'
    ? declined
    : [...new Set([...declined, ...request.scopes.filter((s) => before.has(s))])];
  const remembered = new Set([...before].filter((s) => !request.scopes.includes(s) || now.includes(s)));
  for (const s of now) remembered.add(s);
  state.fbDeclined.set(subject.key, remembered);
  return now;
}

function describe(p, product, state) {
  // Facebook Login for Business: the saved configuration sets the permissions.
  const configured = product === FB && p.config_id != null ? state?.config.loginConfigurations[p.config_id] : null;
  const scopes = configured ? [...configured] : splitScopes(p.scope);
  if (product === FB && !scopes.includes('public_profile')) scopes.unshift('public_profile');
  return {
    clientId: p.client_id,
    redirectUri: p.redirect_uri,
    state: p.state,
    scopes,
    challenge: product === FB ? p.code_challenge ?? null : null,
    challengeMethod: product === FB && p.code_challenge ? p.code_challenge_method ?? 'plain' : null,
    raw: p,
  };
}

// ---- the decision ----------------------------------------------------------------

function decide(state, product, request, { decision, subject, declined }) {
  if (decision !== 'allow') return redirect(denialUrl(product, request));
  const code = 'AQ' + randomToken(48);
  state.codes.set(code, {
    code,
    product,
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    subject: subject.key,
    scopes: request.scopes.filter((s) => !declined.includes(s)),
    declined,
    challenge: request.challenge,
    challengeMethod: request.challengeMethod,
    createdAt: state.now(),
    expiresAt: state.now() + (product === IG ? IG_CODE_MS : FB_CODE_MS),
    usedAt: null,
  });
  const params = new URLSearchParams({ code });
  if (request.state != null) params.set('state', request.state);
  // Instagram appends "#_" ("not part of the code itself, so strip it out", Business
  // Login guide); Facebook appends "#_=_" to its redirects (observed, long-standing).
  return redirect(withQuery(request.redirectUri, params) + (product === IG ? '#_' : '#_=_'));
}

function denialUrl(product, request) {
  const params = new URLSearchParams();
  if (product === IG) {
    // Business Login guide, "Canceled authorization".
    params.set('error', 'access_denied');
    params.set('error_reason', 'user_denied');
    params.set('error_description', 'The user denied your request');
  } else {
    // Manually Build a Login Flow, "Canceled login":
    // https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
    params.set('error', 'access_denied');
    params.set('error_code', '200');
    params.set('error_description', 'Permissions error');
    params.set('error_reason', 'user_denied');
  }
  if (request.state != null) params.set('state', request.state);
  return withQuery(request.redirectUri, params) + (product === IG ? '' : '#_=_');
}

function withQuery(uri, params) {
  return uri + (uri.includes('?') ? '&' : '?') + params.toString();
}

// RFC 7636: S256 = BASE64URL(SHA256(verifier)) without padding; plain = verifier.
export function pkceMatches(challenge, method, verifier) {
  if (!verifier) return false;
  if (method === 'S256') return createHash('sha256').update(verifier).digest('base64url') === challenge;
  return verifier === challenge;
}

// ---- pages -------------------------------------------------------------------------

function consentForm(state, ctx, product, request) {
  const isIg = product === IG;
  const hidden = Object.entries(request.raw)
    .filter(([k]) => !['decision', 'account', 'grant'].includes(k))
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  const accounts = isIg
    ? state.igAccounts.map((a, i) => radio(a.key, i === 0, `@${a.username} — ${a.name} (${a.account_type})`, a.user_id))
    : state.fbUsers.map((u, i) => radio(u.key, i === 0, `${u.name} — manages ${u.pages.map((id) => state.page(id).name).join(', ')}`, u.id));
  const scopes = request.scopes.map((s) => {
    const fixed = mandatory(product).includes(s);
    return `<label><input type="checkbox" name="grant" value="${escapeHtml(s)}" checked${fixed ? ' disabled' : ''}> ${escapeHtml(s)}${fixed ? ' (always granted)' : ''}</label><br>`;
  }).join('\n');
  const title = isIg ? 'Instagram — Allow access' : 'Facebook — Log in with Facebook';
  return page(title, `
<h1>${isIg ? 'Instagram' : 'Facebook'}</h1>
<p><strong>${escapeHtml(state.app.name)}</strong> (app ${escapeHtml(request.clientId)}) wants to connect to your
${isIg ? 'Instagram professional account' : 'Facebook account and Pages'}.</p>
<p>After you choose, you will be sent to <code>${escapeHtml(request.redirectUri)}</code>.</p>
<form method="POST" action="${escapeHtml(ctx.pathname)}">
${hidden}
<fieldset>
<legend>Continue as</legend>
${accounts.join('\n')}
</fieldset>
<fieldset>
<legend>Permissions requested (untick to decline)</legend>
${scopes}
</fieldset>
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">${isIg ? 'Cancel' : 'Not now'}</button>
</form>
`);
}

function radio(key, checked, label, id) {
  return `<label><input type="radio" name="account" value="${escapeHtml(key)}"${checked ? ' checked' : ''}> ${escapeHtml(label)} <small>(${escapeHtml(id)})</small></label><br>`;
}

function errorPage(product, message) {
  const title = product === IG ? 'Instagram — Error' : 'Facebook — Error';
  return html(400, page(title, `<h1>Sorry, something went wrong</h1><p class="error" id="error-message">${escapeHtml(message)}</p>`));
}
