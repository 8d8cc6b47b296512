// oauth.mjs — the token endpoints of both login products:
//   Instagram Login
//     POST /api.instagram.com/oauth/access_token          code -> short-lived token (flat errors)
//     GET  /graph.instagram.com[/{v}]/access_token         ig_exchange_token -> long-lived
//     GET  /graph.instagram.com[/{v}]/refresh_access_token ig_refresh_token -> new 60 days
//   Facebook Login
//     GET|POST /graph.facebook.com[/{v}]/oauth/access_token
//          code (+ PKCE code_verifier) -> short-lived user token
//          grant_type=fb_exchange_token -> long-lived user token
//          grant_type=client_credentials -> app token "{app-id}|{app-secret}"
//     GET /graph.facebook.com[/{v}]/debug_token             token introspection

import { pkceMatches } from './consent.mjs';
import { graph, graphError, igFlatError, tokenErrors, tokenProblem } from './errors.mjs';
import { json, raw } from './http.mjs';
import { DAY, LONG_TOKEN_MS, SHORT_TOKEN_MS } from './state.mjs';

const seconds = (ms) => Math.floor(ms / 1000);

// ---- Instagram: code -> short-lived token ------------------------------------------
// https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login
// "Step 2. Exchange the Code For a Token". Errors use the flat shape shown there
// ("Sample Rejected Response").
export function instagramCodeExchange(state, ctx) {
  if (ctx.method !== 'POST') {
    // ASSUMPTION: message for a non-POST request is not documented.
    return igFlatError('Invalid request: the request method must be POST', { status: 405 });
  }
  const p = ctx.params;
  for (const field of ['client_id', 'client_secret', 'grant_type', 'redirect_uri', 'code']) {
    if (!p[field]) return igFlatError(`You must provide a ${field}`);
  }
  if (p.client_id !== state.app.clientId) return igFlatError('Invalid platform app');
  if (p.client_secret !== state.app.clientSecret) return igFlatError('Error validating client secret.');
  if (p.grant_type !== 'authorization_code') return igFlatError(`Unsupported grant_type: ${p.grant_type}`);

  const code = state.codes.get(p.code);
  if (!code || code.product !== 'instagram') return igFlatError('Matching code was not found or was already used');
  if (code.usedAt != null) return igFlatError('This authorization code has been used');
  // ASSUMPTION: the message for an expired code (codes live 1 hour per the guide).
  if (state.now() >= code.expiresAt) return igFlatError('This authorization code has expired');
  if (code.redirectUri !== p.redirect_uri) {
    return igFlatError('Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request');
  }

  code.usedAt = state.now();
  const account = state.igAccount(code.subject);
  const token = state.issueToken({
    product: 'instagram', kind: 'short', subject: account.key,
    scopes: code.scopes, declined: code.declined, lifetimeMs: SHORT_TOKEN_MS,
  });

  // Written by hand: user_id must be an exact JSON number above 2^53.
  const tok = JSON.stringify(token.token);
  const uid = state.config.igTokenUserId === 'string' ? JSON.stringify(account.scoped_id) : account.scoped_id;
  if (state.config.igTokenShape === 'flat') {
    return raw(200, `{"access_token":${tok},"user_id":${uid},"permissions":${JSON.stringify(token.scopes)}}`);
  }
  return raw(200, `{"data":[{"access_token":${tok},"user_id":${uid},"permissions":${JSON.stringify(token.scopes.join(','))}}]}`);
}

// ---- Instagram: short-lived -> long-lived ----------------------------------------------
// https://developers.facebook.com/documentation/instagram-platform/reference/access_token
export function instagramExchange(state, ctx) {
  const p = ctx.params;
  if (!p.grant_type) return graph.missingParam('grant_type');
  if (p.grant_type !== 'ig_exchange_token') return graph.invalidParam(`Unsupported grant_type: ${p.grant_type}`);
  if (!p.client_secret) return graph.missingParam('client_secret');
  if (p.client_secret !== state.app.clientSecret) return graph.clientSecret();
  const check = state.checkToken(tokenOf(ctx), 'instagram');
  if (check.problem) return tokenProblem(check, state.now());
  const old = check.record;
  if (old.kind !== 'short') {
    // ASSUMPTION: not documented what Meta does with a long-lived token here.
    return graph.invalidParam('The access token is not a short-lived Instagram User access token.');
  }
  const token = state.issueToken({
    product: 'instagram', kind: 'long', subject: old.subject,
    scopes: old.scopes, declined: old.declined, lifetimeMs: LONG_TOKEN_MS,
  });
  return json(200, { access_token: token.token, token_type: 'bearer', expires_in: seconds(token.expiresAt - state.now()) });
}

// ---- Instagram: refresh a long-lived token -------------------------------------------------
// https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token
// "Refresh a long-lived access token that is at least 24 hours old but has not expired.
//  Refreshed tokens are valid for 60 days from the date at which they are refreshed."
// The old token is left alone (valid until its own expiry): the docs do not say it is revoked.
export function instagramRefresh(state, ctx) {
  const p = ctx.params;
  if (!p.grant_type) return graph.missingParam('grant_type');
  if (p.grant_type !== 'ig_refresh_token') return graph.invalidParam(`Unsupported grant_type: ${p.grant_type}`);
  const check = state.checkToken(tokenOf(ctx), 'instagram');
  if (check.problem) return tokenProblem(check, state.now());
  const old = check.record;
  if (old.kind !== 'long') {
    // ASSUMPTION: message not documented.
    return graph.invalidParam('Only long-lived Instagram User access tokens can be refreshed.');
  }
  const age = state.now() - (old.refreshedAt ?? old.issuedAt);
  if (age < DAY) {
    // ASSUMPTION: message and code for a too-young token are not documented; code 100
    // (invalid parameter) keeps a still-valid token from looking revoked.
    return graph.invalidParam('The access token can only be refreshed when it is at least 24 hours old.');
  }
  if (!old.scopes.includes('instagram_business_basic')) return graph.permission();

  let token;
  if (state.config.refreshReturnsSameToken) {
    old.refreshedAt = state.now();
    old.expiresAt = state.now() + LONG_TOKEN_MS;
    token = old;
  } else {
    token = state.issueToken({
      product: 'instagram', kind: 'long', subject: old.subject,
      scopes: old.scopes, declined: old.declined, lifetimeMs: LONG_TOKEN_MS,
    });
    token.refreshedFrom = old.token;
  }
  return json(200, { access_token: token.token, token_type: 'bearer', expires_in: seconds(token.expiresAt - state.now()) });
}

// ---- Facebook: /oauth/access_token -----------------------------------------------------------
// Code exchange: https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
// PKCE:          https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token
// Long-lived:    https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
export function facebookAccessToken(state, ctx) {
  const p = ctx.params;
  if (p.grant_type === 'client_credentials') {
    const bad = checkApp(state, p, true);
    if (bad) return bad;
    return json(200, { access_token: `${state.app.clientId}|${state.app.clientSecret}`, token_type: 'bearer' });
  }
  if (p.grant_type === 'fb_exchange_token') return facebookLongLived(state, p);
  if (p.grant_type && p.grant_type !== 'authorization_code') {
    return graph.invalidParam(`Unsupported grant_type: ${p.grant_type}`);
  }
  return facebookCodeExchange(state, p);
}

function checkApp(state, p, secretRequired) {
  if (!p.client_id) return graphError({ message: 'Missing client_id parameter.', code: 101 });
  if (p.client_id !== state.app.clientId) return graph.appId();
  if (secretRequired || p.client_secret != null) {
    if (!p.client_secret) return graphError({ message: 'Missing client_secret parameter.', code: 1 });
    if (p.client_secret !== state.app.clientSecret) return graph.clientSecret();
  }
  return null;
}

function facebookCodeExchange(state, p) {
  const appProblem = checkApp(state, p, false);
  if (appProblem) return appProblem;
  if (!p.redirect_uri) return graphError({ message: 'Missing redirect_uri parameter.', code: 191 });
  if (!p.code) return graph.missingParam('code');

  const code = state.codes.get(p.code);
  if (!code || code.product !== 'facebook') return graphError({ message: 'Invalid verification code format.', code: 100 });
  if (code.usedAt != null) return graphError({ message: 'This authorization code has been used.', code: 100, subcode: 36009 });
  if (state.now() >= code.expiresAt) return graphError({ message: 'This authorization code has expired.', code: 100, subcode: 36007 });
  if (code.redirectUri !== p.redirect_uri) {
    return graphError({
      message: 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
      code: 100,
      subcode: 36008,
    });
  }
  if (code.challenge) {
    // A challenge was sent to the dialog: the verifier is required and must match.
    // ASSUMPTION: Meta's exact wording for a missing/mismatched verifier is not documented.
    if (!p.code_verifier) return graphError({ message: 'Missing code_verifier parameter. The authorization request contained a code_challenge.', code: 100 });
    if (!pkceMatches(code.challenge, code.challengeMethod, p.code_verifier)) {
      return graphError({ message: 'Invalid code_verifier. It does not match the code_challenge sent to the login dialog.', code: 100 });
    }
  } else if (!p.client_secret) {
    return graphError({ message: 'Missing client_secret parameter.', code: 1 });
  }

  code.usedAt = state.now();
  const user = state.fbUser(code.subject);
  const token = state.issueToken({
    product: 'facebook', kind: 'short', subject: user.key,
    scopes: code.scopes, declined: code.declined, lifetimeMs: SHORT_TOKEN_MS,
  });
  return json(200, { access_token: token.token, token_type: 'bearer', expires_in: seconds(token.expiresAt - state.now()) });
}

function facebookLongLived(state, p) {
  const appProblem = checkApp(state, p, true);
  if (appProblem) return appProblem;
  if (!p.fb_exchange_token) return graph.missingParam('fb_exchange_token');
  const check = state.checkToken(p.fb_exchange_token, 'facebook');
  if (check.problem) return tokenProblem(check, state.now());
  const old = check.record;
  if (old.kind === 'page') return graph.invalidParam('fb_exchange_token must be a User access token.');
  const token = state.issueToken({
    product: 'facebook', kind: 'long', subject: old.subject,
    scopes: old.scopes, declined: old.declined, lifetimeMs: LONG_TOKEN_MS,
  });
  return json(200, { access_token: token.token, token_type: 'bearer', expires_in: seconds(token.expiresAt - state.now()) });
}

// ---- Facebook: debug_token -------------------------------------------------------------------
// https://developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging
// {"data":{"app_id","type","application","data_access_expires_at","expires_at",
//          "is_valid","scopes","granular_scopes","user_id"}}; issued_at for long-lived
// tokens; expires_at 0 means the token never expires (Page tokens from a long-lived
// user token).
export function debugToken(state, ctx) {
  const p = ctx.params;
  if (!p.input_token) return graph.missingParam('input_token');
  const caller = tokenOf(ctx);
  if (!caller) return tokenErrors.missing(false);
  if (caller.includes('|')) {
    if (caller !== `${state.app.clientId}|${state.app.clientSecret}`) {
      return graphError({ message: 'Invalid OAuth access token signature.', code: 190 });
    }
  } else {
    const check = state.checkToken(caller, 'facebook');
    if (check.problem) return tokenProblem(check, state.now());
  }

  const record = state.tokens.get(p.input_token);
  if (!record || record.product !== 'facebook') {
    return json(200, { data: { error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }, is_valid: false, scopes: [] } });
  }
  const data = {
    app_id: record.appId,
    type: record.kind === 'page' ? 'PAGE' : 'USER',
    application: state.app.name,
    data_access_expires_at: seconds(record.dataAccessExpiresAt),
    expires_at: record.expiresAt === 0 ? 0 : seconds(record.expiresAt),
    is_valid: true,
  };
  if (record.kind !== 'short') data.issued_at = seconds(record.issuedAt);
  if (record.kind === 'page') data.profile_id = record.subject;
  data.scopes = record.scopes;
  data.granular_scopes = granularScopes(state, record);
  data.user_id = record.kind === 'page' ? state.fbUser(record.ownerUser).id : state.fbUser(record.subject).id;

  const check = state.checkToken(p.input_token, 'facebook');
  if (check.problem === 'expired') {
    data.is_valid = false;
    data.error = {
      code: 190,
      message: JSON.parse(tokenErrors.expired(record.expiresAt, state.now()).body).error.message,
      subcode: 463,
    };
  } else if (check.problem === 'invalid') {
    data.is_valid = false;
    data.error = { code: 190, message: 'Error validating access token: The session is invalid because the user logged out.', subcode: 467 };
  }
  return json(200, { data });
}

function granularScopes(state, record) {
  const user = state.fbUser(record.kind === 'page' ? record.ownerUser : record.subject);
  const pages = record.kind === 'page' ? [record.subject] : user.pages;
  const igIds = pages.map((id) => state.page(id).instagram_business_account).filter(Boolean);
  const out = [];
  for (const scope of record.scopes) {
    if (scope.startsWith('pages_')) out.push({ scope, target_ids: pages });
    else if (scope.startsWith('instagram_')) out.push({ scope, target_ids: igIds });
    else if (scope === 'business_management') out.push({ scope });
  }
  return out;
}

// ---- shared -----------------------------------------------------------------------------------

// Graph tokens come as an access_token parameter or an Authorization header
// ("Bearer <token>" in the Instagram guides, "OAuth <token>" in older Graph docs).
export function tokenOf(ctx) {
  if (ctx.params.access_token) return ctx.params.access_token;
  const auth = ctx.headers.authorization;
  const m = auth && /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(auth);
  return m ? m[1] : null;
}
