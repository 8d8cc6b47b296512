// Run by runtimes.test.mjs under Node, Deno and Bun, from a project whose
// node_modules/instagate is the built package: imports both entries by their
// package names (so each runtime's export conditions pick the loader), then
// does a whole login → code exchange → publish against the stand-in whose
// URL is in INSTAGATE_STANDIN. Prints one JSON line; any error exits non-zero.
import process from 'node:process';
import * as login from 'instagate/login';
import { connectAccount, publishImage, InstagateError } from 'instagate';

const standinOrigin = process.env.INSTAGATE_STANDIN;
const product = process.env.INSTAGATE_PRODUCT;
const config = { product, clientId: '1000000000000001', redirectUri: 'http://127.0.0.1:8787/auth/callback', standinOrigin };

// The login entry alone: consent URL, the stand-in's redirect, the state check.
const created = login.createLogin(config);
const consent = await fetch(created.url, { redirect: 'manual' });
if (consent.status !== 302) throw new Error(`consent page answered ${consent.status}`);
const callbackUrl = consent.headers.get('location');
let foreignStateKind = null;
try {
  login.validateCallback(config, callbackUrl, 'x'.repeat(43));
} catch (e) {
  if (!(e instanceof login.InstagateError) || !(e instanceof Error)) throw e;
  foreignStateKind = e.kind;
}
const { code } = login.validateCallback(config, callbackUrl, created.state);

// The main entry: the server side of the login, then one post.
const { accounts: [account] } = await connectAccount({
  config, clientSecret: 'standin-app-secret', code, codeVerifier: created.codeVerifier,
});
const published = await publishImage({
  config, accessToken: account.token.accessToken, igUserId: account.igUserId,
  imageUrl: 'https://cdn.example/runtime.jpg', caption: `from ${product}`,
  poll: { firstCheckImageMs: 50, minIntervalMs: 50, maxIntervalMs: 400 },
});

console.log(JSON.stringify({
  loginEntry: import.meta.resolve('instagate/login'),
  mainEntry: import.meta.resolve('instagate'),
  foreignStateKind,
  mainErrorIsClass: typeof InstagateError === 'function',
  igUserId: account.igUserId,
  mediaId: published.mediaId,
}));
