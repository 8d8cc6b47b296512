// graph.mjs — the two Graph hosts, graph.instagram.com and graph.facebook.com,
// versioned (/v21.0/...) or not. It sends the token endpoints to oauth.mjs, works out
// who the access token speaks for, resolves the node in the path (me, an Instagram
// user, a Facebook user, a Page, a container, a media object), checks the token may
// see it, and answers reads with ?fields= selection. Publishing edges go to publish.mjs.
//
// Nodes and their documented fields:
//   IG user   https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user
//   IG media  https://developers.facebook.com/documentation/instagram-platform/reference/instagram-media
//   Page / user / accounts / permissions: Graph API reference (Page, User, /me/accounts,
//   /me/permissions) and the Facebook Login get-started guide,
//   https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-facebook-login/get-started

import { createHmac, timingSafeEqual } from 'node:crypto';
import { graph, tokenProblem } from './errors.mjs';
import { json } from './http.mjs';
import { debugToken, facebookAccessToken, instagramExchange, instagramRefresh, tokenOf } from './oauth.mjs';
import * as publish from './publish.mjs';

const IG = 'instagram';
const FB = 'facebook';

export function graphRoute(state, ctx, product) {
  const segs = ctx.path.split('/').filter(Boolean);
  if (segs[0] && /^v\d+\.\d+$/.test(segs[0])) ctx.version = segs.shift();
  const route = segs.join('/');

  if (product === IG && route === 'access_token') return instagramExchange(state, ctx);
  if (product === IG && route === 'refresh_access_token') return instagramRefresh(state, ctx);
  if (product === FB && route === 'oauth/access_token') return facebookAccessToken(state, ctx);
  if (product === FB && route === 'debug_token') return debugToken(state, ctx);
  if (segs.length === 0 || segs.length > 2) return graph.unsupported(ctx.method, segs.join('/'));

  const [id, edge] = segs;
  const check = state.checkToken(tokenOf(ctx), product);
  if (check.problem) return tokenProblem(check, state.now(), id === 'me');
  if (product === FB) {
    const problem = proofProblem(state, ctx, tokenOf(ctx));
    if (problem) return problem;
  }
  const viewer = viewerOf(state, check.record);
  const node = resolve(state, viewer, id);
  if (!node) return graph.unsupported(ctx.method, id);

  const ask = { state, ctx, viewer, node, product };
  const handler = ROUTES[`${node.type} ${ctx.method} ${edge ?? ''}`];
  if (!handler) return graph.unsupported(ctx.method, edge ? `${id}/${edge}` : id);
  return handler(ask);
}

const ROUTES = {
  'ig_user GET ': (a) => fieldsResponse(a, igUserFields(a.state, a.node.value, a.product)),
  'ig_user GET media': (a) => publish.listMedia(a),
  'ig_user GET stories': (a) => publish.listStories(a),
  'ig_user POST media': (a) => publish.createContainer(a),
  'ig_user POST media_publish': (a) => publish.publishContainer(a),
  'ig_user GET content_publishing_limit': (a) => publish.publishingLimit(a),
  'fb_user GET ': (a) => fieldsResponse(a, fbUserFields(a)),
  'fb_user GET permissions': (a) => permissions(a),
  'fb_user GET accounts': (a) => accounts(a),
  'page GET ': (a) => fieldsResponse(a, pageFields(a, a.node.value)),
  'container GET ': (a) => fieldsResponse(a, publish.containerFields(a.state, a.node.value)),
  'media GET ': (a) => fieldsResponse(a, publish.mediaFields(a.state, a.node.value)),
  'media GET children': (a) => publish.mediaChildren(a),
};

// appsecret_proof on graph.facebook.com: a given proof must be the hex
// HMAC-SHA256 of the token under the app secret; with the app's "Require App
// Secret" (config requireAppSecretProof) it must be given.
function proofProblem(state, ctx, token) {
  const given = ctx.params.appsecret_proof;
  if (given == null || given === '') return state.config.requireAppSecretProof ? graph.proofMissing() : null;
  const want = Buffer.from(createHmac('sha256', state.app.clientSecret).update(token).digest('hex'));
  const got = Buffer.from(String(given));
  return got.length === want.length && timingSafeEqual(got, want) ? null : graph.proofInvalid();
}

// ---- who the token speaks for ---------------------------------------------------------

// A viewer lists what the token may see: its scopes, the IG user IDs it may act on,
// and (Facebook) the user and the Pages.
function viewerOf(state, record) {
  if (record.product === IG) {
    const account = state.igAccount(record.subject);
    return { record, scopes: record.scopes, me: { type: 'ig_user', value: account }, igIds: [account.user_id], pageIds: [] };
  }
  if (record.kind === 'page') {
    const page = state.page(record.subject);
    const igIds = page.instagram_business_account ? [page.instagram_business_account] : [];
    return { record, scopes: record.scopes, me: { type: 'page', value: page }, igIds, pageIds: [page.id] };
  }
  const user = state.fbUser(record.subject);
  const igIds = user.pages.map((id) => state.page(id).instagram_business_account).filter(Boolean);
  return { record, scopes: record.scopes, user, me: { type: 'fb_user', value: user }, igIds, pageIds: user.pages };
}

// The container `id` if the token (its state record) may act on it, else null.
export function containerForViewer(state, record, id) {
  const container = state.containers.get(String(id));
  return container && viewerOf(state, record).igIds.includes(container.owner) ? container : null;
}

function resolve(state, viewer, id) {
  if (id === 'me') return viewer.me;
  const account = state.igAccount(id);
  if (account && (account.user_id === id || account.scoped_id === id)) {
    // The app-scoped ID only exists for Instagram Login.
    if (account.scoped_id === id && viewer.record.product !== IG) return null;
    return viewer.igIds.includes(account.user_id) ? { type: 'ig_user', value: account } : null;
  }
  if (viewer.user && viewer.user.id === id) return { type: 'fb_user', value: viewer.user };
  if (viewer.pageIds.includes(id)) return { type: 'page', value: state.page(id) };
  const container = state.containers.get(id);
  if (container) return viewer.igIds.includes(container.owner) ? { type: 'container', value: container } : null;
  const media = state.media.get(id);
  if (media) return viewer.igIds.includes(media.owner) ? { type: 'media', value: media } : null;
  return null;
}

export function hasScope(viewer, scope) {
  return viewer.scopes.includes(scope);
}

// ---- ?fields= ---------------------------------------------------------------------------

// "a,b{c,d},e" -> [{name:'a'}, {name:'b', sub:'c,d'}, {name:'e'}]
export function parseFields(fields) {
  const out = [];
  let depth = 0;
  let cur = '';
  for (const ch of String(fields)) {
    if (ch === ',' && depth === 0) {
      push(cur);
      cur = '';
      continue;
    }
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    cur += ch;
  }
  push(cur);
  return out;

  function push(s) {
    const t = s.trim();
    if (!t) return;
    const m = /^([^{]+)(?:\{(.*)\})?$/.exec(t);
    out.push({ name: m[1].trim(), sub: m[2] ?? null });
  }
}

// spec = { nodeType, id, defaults: [...], fields: { name: (sub) => value } }
// Graph answers the requested fields plus the id; absent values are left out.
export function selectFields(spec, fieldsParam) {
  const requested = fieldsParam ? parseFields(fieldsParam) : spec.defaults.map((name) => ({ name, sub: null }));
  const out = {};
  for (const { name, sub } of requested) {
    const getter = spec.fields[name];
    if (!getter) return { error: graph.nonexistingField(name, spec.nodeType) };
    const value = getter(sub);
    if (value && typeof value === 'object' && value.error) return value;
    if (value !== undefined && value !== null) out[name] = value;
  }
  if (!('id' in out)) out.id = spec.id;
  return { value: out };
}

function fieldsResponse(a, spec) {
  const r = selectFields(spec, a.ctx.params.fields);
  return r.error ?? json(200, r.value);
}

// ---- node field specs --------------------------------------------------------------------

export function igUserFields(state, account, product) {
  const feed = [...state.media.values()].filter((m) => m.owner === account.user_id && !m.parent && m.productType !== 'STORY');
  const picture = `${state.origin}/www.instagram.com/static/profile/${account.username}.svg`;
  const common = {
    username: () => account.username,
    name: () => account.name,
    profile_picture_url: () => picture,
    followers_count: () => account.followers_count,
    follows_count: () => account.follows_count,
    media_count: () => feed.length,
    biography: () => account.biography,
    website: () => `${state.origin}/www.instagram.com/${account.username}/`,
  };
  if (product === IG) {
    // Instagram Login: `id` is the app-scoped user ID, `user_id` the professional
    // account ID, and account_type is available.
    return {
      nodeType: 'User',
      id: account.scoped_id,
      defaults: ['id'],
      fields: { id: () => account.scoped_id, user_id: () => account.user_id, account_type: () => account.account_type, ...common },
    };
  }
  return {
    nodeType: 'IGUser',
    id: account.user_id,
    defaults: ['id'],
    fields: { id: () => account.user_id, ...common },
  };
}

function fbUserFields(a) {
  const user = a.node.value;
  return {
    nodeType: 'User',
    id: user.id,
    defaults: ['id', 'name'],
    fields: {
      id: () => user.id,
      name: () => user.name,
      email: () => (hasScope(a.viewer, 'email') ? `${user.key}@standin.invalid` : undefined),
    },
  };
}

function pageFields(a, page) {
  const { state, viewer } = a;
  return {
    nodeType: 'Page',
    id: page.id,
    defaults: ['id', 'name'],
    fields: {
      id: () => page.id,
      name: () => page.name,
      category: () => page.category,
      category_list: () => [{ id: String(2200 + page.name.length), name: page.category }],
      tasks: () => ['ADVERTISE', 'ANALYZE', 'CREATE_CONTENT', 'MESSAGING', 'MODERATE', 'MANAGE'],
      // ASSUMPTION: without instagram_basic the field is left out rather than refused.
      instagram_business_account: (sub) => {
        if (!page.instagram_business_account || !hasScope(viewer, 'instagram_basic')) return undefined;
        const spec = igUserFields(state, state.igAccount(page.instagram_business_account), FB);
        const r = selectFields(spec, sub ?? 'id');
        return r.error ? r : r.value;
      },
      access_token: () => (viewer.user ? pageToken(state, viewer.record, page).token : viewer.record.token),
    },
  };
}

// ---- Facebook user edges ---------------------------------------------------------------------

// {"data":[{"permission":"...","status":"granted"|"declined"}]}
function permissions(a) {
  const { record } = a.viewer;
  const data = [
    ...record.scopes.map((permission) => ({ permission, status: 'granted' })),
    ...record.declined.map((permission) => ({ permission, status: 'declined' })),
  ];
  return json(200, { data });
}

// /me/accounts: the Pages the user manages, each with a Page access token.
// Page tokens got from a long-lived user token do not expire; from a short-lived one
// they expire with it (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
// ASSUMPTION: without pages_show_list the list is empty rather than an error.
// Cursor-paged as https://developers.facebook.com/docs/graph-api/results documents:
// `limit` (default 25, at most config.accountsPageMax), `after` / `before` cursors,
// `paging.cursors`, and `paging.next` / `paging.previous` (full URLs keeping the
// request's parameters) only when there is a page that way.
function accounts(a) {
  const { state, viewer, ctx } = a;
  if (!hasScope(viewer, 'pages_show_list')) return json(200, { data: [] });
  const p = ctx.params;
  const limit = p.limit == null ? 25 : Number(p.limit);
  if (!Number.isInteger(limit) || limit < 1) return graph.invalidParam('The parameter limit must be a positive integer');
  const size = Math.min(limit, state.config.accountsPageMax);
  const ids = viewer.user.pages;
  const cursor = (id) => Buffer.from(`standin:${id}`).toString('base64url');
  const position = (c) => ids.findIndex((id) => cursor(id) === c);
  let start = 0;
  let end;
  if (p.after != null) {
    const i = position(String(p.after));
    if (i < 0) return graph.invalidParam('The after cursor is invalid');
    start = i + 1;
  } else if (p.before != null) {
    const i = position(String(p.before));
    if (i < 0) return graph.invalidParam('The before cursor is invalid');
    end = i;
    start = Math.max(0, i - size);
  }
  end = Math.min(ids.length, end ?? start + size);
  const data = [];
  for (const pageId of ids.slice(start, end)) {
    const spec = pageFields(a, state.page(pageId));
    spec.defaults = ['access_token', 'category', 'category_list', 'name', 'id', 'tasks'];
    const r = selectFields(spec, p.fields);
    if (r.error) return r.error;
    data.push(r.value);
  }
  const body = { data };
  if (data.length) {
    body.paging = { cursors: { before: cursor(ids[start]), after: cursor(ids[end - 1]) } };
    const link = (key, value) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(p)) if (k !== 'after' && k !== 'before') q.set(k, v);
      q.set('limit', String(size));
      q.set(key, value);
      const version = ctx.version ? `/${ctx.version}` : '';
      return `${state.origin}/graph.facebook.com${version}/${viewer.user.id}/accounts?${q}`;
    };
    if (end < ids.length) body.paging.next = link('after', body.paging.cursors.after);
    if (start > 0) body.paging.previous = link('before', body.paging.cursors.before);
  }
  return json(200, body);
}

function pageToken(state, userRecord, page) {
  const key = `${userRecord.token}|${page.id}`;
  const existing = state.pageTokens.get(key);
  if (existing && state.tokens.has(existing)) return state.tokens.get(existing);
  const record = state.issueToken({
    product: 'facebook',
    kind: 'page',
    subject: page.id,
    scopes: userRecord.scopes,
    declined: userRecord.declined,
    lifetimeMs: userRecord.kind === 'long' ? 0 : Math.max(1, userRecord.expiresAt - state.now()),
  });
  record.ownerUser = userRecord.subject;
  record.viaUserToken = userRecord.token;
  state.pageTokens.set(key, record.token);
  return record;
}
