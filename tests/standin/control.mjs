// control.mjs — the test-only control API, over HTTP under /__control/ and in-process
// as the `control` object returned by startStandin(). Both call the same functions:
//
//   reset()                      restore the seeded state (clock, stores, faults, config, log)
//   now() / advance(seconds)     the stand-in clock (real time + offset)
//   consent(c)                   {decision:"allow"|"deny", account, declineScopes} or null
//   faults(rules, {replace})     add fault rules; clearFaults(); listFaults()
//   latency(ms)                  delay before every Meta-host request
//   config(patch)                processingMs, publishQuota, igTokenShape, ...
//   log(filter) / clearLog()     recorded Meta-host requests
//   state()                      codes, tokens, containers (with status), media, quota use
//   mintToken(spec)              issue a token directly, skipping the login flow
//   accounts()                   the seeded accounts

import { addFaults, describeFaults } from './faults.mjs';
import { json } from './http.mjs';
import { containerStatus } from './publish.mjs';
import { LONG_TOKEN_MS, SECOND, SHORT_TOKEN_MS } from './state.mjs';
import { FB_SCOPES, IG_SCOPES } from './seeds.mjs';

export function createControl(state) {
  const control = {
    reset() {
      state.reset();
      return { ok: true, now: state.now() };
    },

    now() {
      return state.now();
    },

    clock() {
      const now = state.now();
      return { now, iso: new Date(now).toISOString(), offsetSeconds: state.offsetMs / 1000 };
    },

    advance(seconds) {
      if (!Number.isFinite(Number(seconds))) throw new Error('advanceSeconds must be a number');
      state.advance(Number(seconds));
      return control.clock();
    },

    setOffset(seconds) {
      if (!Number.isFinite(Number(seconds))) throw new Error('offsetSeconds must be a number');
      state.offsetMs = Number(seconds) * SECOND;
      return control.clock();
    },

    consent(c) {
      if (c == null || c.decision == null) {
        state.consent = null;
        return { consent: null };
      }
      if (c.decision !== 'allow' && c.decision !== 'deny') throw new Error('decision must be "allow" or "deny"');
      if (c.account != null && !state.igAccount(c.account) && !state.fbUser(c.account)) {
        throw new Error(`unknown account: ${c.account}`);
      }
      state.consent = {
        decision: c.decision,
        account: c.account ?? null,
        declineScopes: [...(c.declineScopes ?? [])],
      };
      return { consent: state.consent };
    },

    faults(rules, options = {}) {
      addFaults(state, rules, options);
      return { faults: describeFaults(state) };
    },

    clearFaults() {
      state.faults = [];
      return { faults: [] };
    },

    listFaults() {
      return { faults: describeFaults(state) };
    },

    latency(ms) {
      const n = Number(ms);
      if (!(n >= 0)) throw new Error('ms must be a number >= 0');
      state.latencyMs = n;
      return { latencyMs: n };
    },

    config(patch = {}) {
      state.applyConfig(patch);
      return { config: state.config };
    },

    log(filter = {}) {
      const entries = state.log.filter((e) => (!filter.host || e.host === filter.host)
        && (!filter.path || e.path.includes(filter.path))
        && (!filter.method || e.method === String(filter.method).toUpperCase()));
      return { entries };
    },

    clearLog() {
      state.log = [];
      return { entries: [] };
    },

    state() {
      const now = state.now();
      // readyAt is Infinity while a resumable container waits for its bytes.
      const iso = (ms) => (ms === 0 ? 0 : Number.isFinite(ms) ? new Date(ms).toISOString() : null);
      return {
        now,
        nowIso: new Date(now).toISOString(),
        app: { clientId: state.app.clientId },
        consent: state.consent,
        latencyMs: state.latencyMs,
        config: state.config,
        codes: [...state.codes.values()].map((c) => ({
          code: c.code, product: c.product, account: c.subject, redirectUri: c.redirectUri,
          scopes: c.scopes, declined: c.declined, pkce: c.challenge ? c.challengeMethod : null,
          createdAt: iso(c.createdAt), expiresAt: iso(c.expiresAt), used: c.usedAt != null,
        })),
        tokens: [...state.tokens.values()].map((t) => ({
          token: t.token, product: t.product, kind: t.kind, subject: t.subject,
          scopes: t.scopes, declined: t.declined, issuedAt: iso(t.issuedAt), expiresAt: iso(t.expiresAt),
          valid: !t.revoked && (t.expiresAt === 0 || now < t.expiresAt),
          refreshedFrom: t.refreshedFrom ?? null, ownerUser: t.ownerUser ?? null,
        })),
        containers: [...state.containers.values()].map((c) => {
          const s = containerStatus(state, c);
          return {
            id: c.id, owner: c.owner, host: c.product === 'instagram' ? 'graph.instagram.com' : 'graph.facebook.com',
            kind: c.kind, isCarouselItem: c.isCarouselItem, children: c.children,
            imageUrl: c.imageUrl, videoUrl: c.videoUrl, caption: c.caption,
            status_code: s.code, status: s.text, publishedMediaId: c.publishedMediaId,
            createdAt: iso(c.createdAt), readyAt: iso(c.readyAt),
            upload: c.upload ? { size: c.upload.size, received: c.upload.received, complete: c.upload.complete } : null,
          };
        }),
        media: [...state.media.values()].map((m) => ({
          id: m.id, owner: m.owner, username: m.username, containerId: m.containerId,
          media_type: m.mediaType, media_product_type: m.productType, caption: m.caption,
          media_url: m.mediaUrl, permalink: m.permalink, shortcode: m.shortcode,
          timestamp: m.timestamp, children: m.children, parent: m.parent ?? null,
          isAiGenerated: m.isAiGenerated ?? false, pollAttachment: m.pollAttachment ?? null,
          commentPromptUsed: m.commentPromptUsed ?? false, productTags: m.productTags ?? null,
        })),
        publishing: Object.fromEntries(state.igAccounts.map((a) => [a.user_id, {
          quota_usage: state.publishesInWindow(a.user_id), quota_total: state.config.publishQuota,
        }])),
        faults: describeFaults(state),
      };
    },

    // {"product":"instagram"|"facebook","account":"biz","kind":"short"|"long",
    //  "scopes":[...], "declined":[...], "ageSeconds": 0}
    mintToken(spec = {}) {
      const product = spec.product ?? 'instagram';
      if (product !== 'instagram' && product !== 'facebook') throw new Error('product must be "instagram" or "facebook"');
      const kind = spec.kind ?? 'long';
      if (kind !== 'short' && kind !== 'long') throw new Error('kind must be "short" or "long"');
      const subject = product === 'instagram' ? state.igAccount(spec.account ?? 'biz') : state.fbUser(spec.account ?? 'fb_linked');
      if (!subject) throw new Error(`unknown ${product} account: ${spec.account}`);
      const scopes = spec.scopes ?? (product === 'instagram'
        ? ['instagram_business_basic', 'instagram_business_content_publish']
        : ['public_profile', 'instagram_basic', 'instagram_content_publish', 'pages_show_list', 'pages_read_engagement', 'ads_read']);
      const known = product === 'instagram' ? IG_SCOPES : FB_SCOPES;
      const bad = scopes.filter((s) => !known.includes(s));
      if (bad.length) throw new Error(`unknown scopes: ${bad.join(', ')}`);
      const age = Number(spec.ageSeconds ?? 0) * SECOND;
      const token = state.issueToken({
        product, kind, subject: subject.key, scopes, declined: spec.declined ?? [],
        lifetimeMs: kind === 'short' ? SHORT_TOKEN_MS : LONG_TOKEN_MS, issuedAt: state.now() - age,
      });
      return {
        access_token: token.token,
        product,
        kind,
        account: subject.key,
        user_id: product === 'instagram' ? subject.user_id : subject.id,
        scoped_id: product === 'instagram' ? subject.scoped_id : undefined,
        scopes: token.scopes,
        issued_at: new Date(token.issuedAt).toISOString(),
        expires_at: new Date(token.expiresAt).toISOString(),
      };
    },

    // Marks a token revoked (as if the person logged out / removed the app).
    revokeToken(token) {
      const record = state.tokens.get(token);
      if (!record) throw new Error('unknown token');
      record.revoked = true;
      return { ok: true };
    },

    accounts() {
      return {
        instagram: state.igAccounts,
        facebook: state.fbUsers.map((u) => ({ ...u, pages: u.pages.map((id) => state.page(id)) })),
        app: { client_id: state.app.clientId },
      };
    },
  };
  return control;
}

// HTTP face of the same functions. Errors answer 400 {"error": "..."}.
export function controlRoute(control, ctx) {
  const route = `${ctx.method} ${ctx.path.replace(/\/+$/, '')}`;
  const body = ctx.jsonBody ?? {};
  try {
    switch (route) {
      case 'POST /reset': return json(200, control.reset());
      case 'GET /clock': return json(200, control.clock());
      case 'POST /clock':
        if (body.offsetSeconds != null) return json(200, control.setOffset(body.offsetSeconds));
        return json(200, control.advance(body.advanceSeconds ?? 0));
      case 'GET /consent': return json(200, { consent: control.state().consent });
      case 'POST /consent': return json(200, control.consent(body));
      case 'DELETE /consent': return json(200, control.consent(null));
      case 'GET /faults': return json(200, control.listFaults());
      case 'POST /faults': return json(200, control.faults(body.rules, { replace: Boolean(body.replace) }));
      case 'DELETE /faults': return json(200, control.clearFaults());
      case 'POST /latency': return json(200, control.latency(body.ms));
      case 'GET /config': return json(200, control.config());
      case 'POST /config': return json(200, control.config(body));
      case 'GET /log': return json(200, control.log(ctx.query));
      case 'DELETE /log': return json(200, control.clearLog());
      case 'GET /state': return json(200, control.state());
      case 'POST /tokens': return json(200, control.mintToken(body));
      case 'POST /tokens/revoke': return json(200, control.revokeToken(body.token));
      case 'GET /accounts': return json(200, control.accounts());
      default: return json(404, { error: `no control route ${route}` });
    }
  } catch (e) {
    return json(400, { error: e.message });
  }
}
