// The npm package in headless Chromium (Debian's, through playwright-core),
// imported three ways: (a) a plain <script type="module"> page with an import
// map onto pkg/index.js, (b) a page bundled by Vite from `import 'instagate'`,
// (c) the login-only entry `instagate/login` (pkg/login.js, its own small wasm).
// Each runs a real login against the stand-in's consent page (clicking Allow),
// startLogin/completeLogin through sessionStorage, and fetch calls to Meta.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { startStandin } from '../standin/server.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
let standin, site, siteUrl, browser, viteOut;

before(async () => {
  viteOut = await mkdtemp(join(tmpdir(), 'instagate-vite-'));
  const app = join(root, 'tests/browser/vite-app');
  await build({ root: app, configFile: join(app, 'vite.config.mjs'), base: './', build: { outDir: viteOut, emptyOutDir: true } });
  standin = await startStandin({ port: 0 });
  // /pkg/ and /tests/browser/ from the repository, /vite/ from the Vite build.
  site = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = path.startsWith('/vite/') ? join(viteOut, path.slice('/vite/'.length))
      : (path.startsWith('/pkg/') || path.startsWith('/tests/browser/')) ? join(root, path) : null;
    try {
      if (!file) throw new Error('not served');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch { res.writeHead(404); res.end(); }
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (site ? site.close(r) : r()));
  await standin?.close();
  if (viteOut) await rm(viteOut, { recursive: true, force: true });
});

const pages = {
  'plain module page': '/tests/browser/page.html',
  'Vite-built page': '/vite/index.html',
  // instagate/login: the small login-only module a web page needs.
  'login entry page': '/tests/browser/login-page.html',
};
// Pages with the whole API (the login entry has no server functions by design).
const fullApi = new Set(['plain module page', 'Vite-built page']);

async function open(pagePath) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  const pageUrl = `${siteUrl}${pagePath}`;
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.instagateReady === true);
  return { page, pageUrl, errors };
}

for (const [name, pagePath] of Object.entries(pages)) {
  for (const product of ['instagram', 'facebook']) {
    test(`${name}, ${product}: startLogin → Allow on the consent page → completeLogin`, async () => {
      const { page, pageUrl, errors } = await open(pagePath);
      const config = { product, clientId: '1000000000000001', redirectUri: pageUrl, standinOrigin: standin.url };
      // Instagram: the page navigates itself ({redirect: true}); Facebook: the test follows the URL.
      const redirect = product === 'instagram';
      const [started] = await Promise.all([
        page.evaluate(([c, redirect]) => window.instagate.startLogin(c, { redirect }), [config, redirect]),
        redirect ? page.waitForURL((u) => u.href.startsWith(standin.url)) : null,
      ]);
      assert.ok(started.url.startsWith(standin.url), started.url);
      assert.equal(started.codeVerifier, undefined, 'the verifier stays in sessionStorage');
      if (redirect) assert.equal(page.url(), started.url);
      else await page.goto(started.url);
      await Promise.all([page.waitForURL((u) => u.href.startsWith(pageUrl)), page.click('#allow')]);
      assert.match(page.url(), /[?&]code=/);
      await page.waitForFunction(() => window.instagateReady === true);
      const done = await page.evaluate((c) => window.instagate.completeLogin(c), config);
      assert.equal(done.state, started.state);
      assert.ok(done.code.length > 0);
      assert.match(done.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(page.url(), pageUrl, 'code and state removed from the address bar');
      // A replay of the same callback is refused with a real InstagateError.
      const replay = await page.evaluate(([c, href]) => {
        try { window.instagate.completeLogin(c, href); return null; } catch (e) {
          return { isError: e instanceof Error, isInstagate: e instanceof window.instagate.InstagateError, kind: e.kind };
        }
      }, [config, `${pageUrl}?code=${done.code}&state=${done.state}`]);
      assert.deepEqual(replay, { isError: true, isInstagate: true, kind: 'state_mismatch' });
      assert.deepEqual(errors, []);
      await page.close();
    });
  }

  test(`${name}: clicking Deny → completeLogin throws oauth_denied and forgets the attempt`, async () => {
    const { page, pageUrl } = await open(pagePath);
    const config = { product: 'instagram', clientId: '1000000000000001', redirectUri: pageUrl, standinOrigin: standin.url };
    const started = await page.evaluate((c) => window.instagate.startLogin(c), config);
    await page.goto(started.url);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(pageUrl)), page.click('#deny')]);
    await page.waitForFunction(() => window.instagateReady === true);
    const outcome = await page.evaluate((c) => {
      let error = null;
      try { window.instagate.completeLogin(c); } catch (e) { error = { kind: e.kind, isInstagate: e instanceof window.instagate.InstagateError }; }
      return { error, left: sessionStorage.length };
    }, config);
    assert.deepEqual(outcome, { error: { kind: 'oauth_denied', isInstagate: true }, left: 0 });
    await page.close();
  });

  if (fullApi.has(name)) test(`${name}: the app secret is refused in a page; with dangerouslyAllowBrowser connectAccount, getProfile (fetch) and tokenStatus run in Chromium`, async () => {
    const { page, pageUrl } = await open(pagePath);
    const config = { product: 'facebook', clientId: '1000000000000001', redirectUri: pageUrl, standinOrigin: standin.url };
    const login = await page.evaluate((c) => window.instagate.createLogin(c), config);
    // The consent step from Node: the stand-in's consent host sends no CORS headers.
    standin.control.consent({ decision: 'allow' });
    let callbackUrl;
    try {
      callbackUrl = (await fetch(login.url, { redirect: 'manual' })).headers.get('location');
    } finally {
      standin.control.consent(null);
    }
    const outcome = await page.evaluate(async ([c, login, callbackUrl]) => {
      const input = { config: c, clientSecret: 'standin-app-secret', callbackUrl, expectedState: login.state, codeVerifier: login.codeVerifier };
      let refused = null;
      try { await window.instagate.connectAccount(input); } catch (e) { refused = { kind: e.kind, field: e.field }; }
      const { accounts: [account] } = await window.instagate.connectAccount({ ...input, dangerouslyAllowBrowser: true });
      const profile = await window.instagate.getProfile({ config: c, accessToken: account.token.accessToken, igUserId: account.igUserId });
      const status = window.instagate.tokenStatus(account.token);
      return { refused, igUserId: account.igUserId, pageId: account.page?.pageId, expiresAt: account.token.expiresAt,
        username: profile.username, expired: status.expired };
    }, [config, login, callbackUrl]);
    assert.deepEqual(outcome.refused, { kind: 'invalid_input', field: 'clientSecret' });
    assert.equal(outcome.igUserId, '17841400000000001');
    assert.equal(outcome.pageId, '10300000000000001');
    assert.equal(outcome.expiresAt, null);
    assert.equal(outcome.username, 'standin_bakery');
    assert.equal(outcome.expired, false);
    await page.close();
  });
}

// A worker in a browser is as readable as a page: the app secret is refused
// in each kind (not only where `document` exists), and allowed on request.
test('the app secret is refused in a dedicated, a shared and a service worker; dangerouslyAllowBrowser lets it through', async () => {
  const { page, errors } = await open(pages['plain module page']);
  const seen = await page.evaluate(async () => {
    const script = '/tests/browser/secret-worker.js';
    const ask = (target, allow, start = (port) => target.postMessage({ allow }, [port])) => new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = ({ data }) => resolve(data);
      start(channel.port2);
    });
    const dedicated = new Worker(script, { type: 'module' });
    const shared = new SharedWorker(script, { type: 'module' });
    const askShared = (allow) => ask(null, allow, (port) => shared.port.postMessage({ allow }, [port]));
    const registration = await navigator.serviceWorker.register(script, { type: 'module', scope: '/tests/browser/' });
    const service = registration.installing ?? registration.waiting ?? registration.active;
    await new Promise((resolve) => {
      if (service.state === 'activated') resolve();
      else service.addEventListener('statechange', () => service.state === 'activated' && resolve());
    });
    const result = {};
    for (const [name, askIt] of [['dedicated', (a) => ask(dedicated, a)], ['shared', askShared], ['service', (a) => ask(service, a)]]) {
      result[name] = { refused: await askIt(false), allowed: await askIt(true) };
    }
    await registration.unregister();
    dedicated.terminate();
    return result;
  });
  for (const kind of ['dedicated', 'shared', 'service']) {
    assert.deepEqual(seen[kind].refused, { kind: 'invalid_input', field: 'clientSecret' }, kind);
    // Allowed: the exchange is attempted and fails on the closed port instead.
    assert.equal(seen[kind].allowed.kind, 'transport', `${kind}: ${JSON.stringify(seen[kind].allowed)}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('login entry: exactly the login helpers and the error class, from its own small wasm', async () => {
  const { page, errors } = await open(pages['login entry page']);
  const seen = await page.evaluate(() => ({
    names: Object.keys(window.instagate).sort(),
    wasm: performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname).filter((p) => p.endsWith('.wasm')),
  }));
  assert.deepEqual(seen.names, ['InstagateError', 'completeLogin', 'createLogin', 'defineConfig', 'startLogin', 'validateCallback']);
  assert.deepEqual(seen.wasm, ['/pkg/instagate_login_bg.wasm']);
  assert.deepEqual(errors, []);
  await page.close();
});
