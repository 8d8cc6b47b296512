// Headless Chromium (Debian's, through playwright-core): a plain module page
// imports the package, startLogin → Allow on the stand-in consent page →
// completeLogin on the redirect back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { startStandin } from '../standin/server.mjs';

const root = new URL('../../', import.meta.url).pathname;
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
let standin, site, siteUrl, browser;

before(async () => {
  standin = await startStandin({ port: 0 });
  site = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!path.startsWith('/pkg/') && !path.startsWith('/tests/browser/')) { res.writeHead(404); return res.end(); }
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
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
  await new Promise((r) => site.close(r));
  await standin.close();
});

for (const product of ['instagram', 'facebook']) {
  test(`${product}: startLogin → Allow → completeLogin in Chromium`, async () => {
    const page = await browser.newPage();
    const pageUrl = `${siteUrl}/tests/browser/page.html`;
    const config = { product, clientId: '1000000000000001', redirectUri: pageUrl, standinOrigin: standin.url };
    await page.goto(pageUrl);
    await page.waitForFunction(() => window.instagateReady === true);
    const started = await page.evaluate((c) => window.instagate.startLogin(c), config);
    assert.ok(started.url.startsWith(standin.url));
    await page.goto(started.url);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(pageUrl)), page.click('#allow')]);
    await page.waitForFunction(() => window.instagateReady === true);
    const done = await page.evaluate((c) => window.instagate.completeLogin(c), config);
    assert.equal(done.state, started.state);
    assert.ok(done.code.length > 0);
    assert.match(done.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
    // A replay of the same callback is refused as a real InstagateError.
    const replay = await page.evaluate((c) => {
      try { window.instagate.completeLogin(c); return null; } catch (e) {
        return { isError: e instanceof Error, isInstagate: e instanceof window.instagate.InstagateError, kind: e.kind };
      }
    }, config);
    assert.deepEqual(replay, { isError: true, isInstagate: true, kind: 'state_mismatch' });
    await page.close();
  });
}
