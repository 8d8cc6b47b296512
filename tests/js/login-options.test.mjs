// Facebook Login options Meta documents, through the npm package and the
// stand-in: Facebook Login for Business's saved configuration (`configId`
// -> `config_id` instead of `scope`,
// https://developers.facebook.com/docs/facebook-login/facebook-login-for-business/)
// and re-asking declined permissions (`rerequest` -> `auth_type=rerequest`,
// https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow,
// "Re-asking for Declined Permissions").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ig, configFor, standinFor, clientSecret } from './helpers.mjs';

async function connect(standin, config, options, consent) {
  standin.control.consent(consent);
  try {
    const login = ig.createLogin(config, options);
    const response = await fetch(login.url, { redirect: 'manual' });
    assert.equal(response.status, 302, await response.text());
    const callbackUrl = response.headers.get('location');
    const { accounts } = await ig.connectAccount({ config, clientSecret, callbackUrl, expectedState: login.state, codeVerifier: login.codeVerifier });
    assert.equal(accounts.length, 1, 'the default person has one linked account');
    return { login, account: accounts[0] };
  } finally {
    standin.control.consent(null);
  }
}

test('Facebook Login for Business: configId goes to the dialog instead of scope, the configuration sets the permissions', async (t) => {
  const standin = await standinFor(t);
  const config = { ...configFor(standin, 'facebook'), configId: '9100000000000001' };
  const { login, account } = await connect(standin, config, undefined, { decision: 'allow' });
  const params = new URL(login.url).searchParams;
  assert.equal(params.get('config_id'), '9100000000000001');
  assert.equal(params.get('scope'), null);
  assert.ok(account.grantedScopes.includes('ads_read'), account.grantedScopes.join(','));
  assert.equal(account.token.kind, 'facebook_page');
  // The classic scope dialog still works without it.
  const classic = ig.createLogin(configFor(standin, 'facebook'));
  assert.ok(new URL(classic.url).searchParams.get('scope').includes('instagram_basic'));
  // A configuration ID is Facebook Login's, and numeric.
  assert.throws(() => ig.createLogin({ ...configFor(standin, 'instagram'), configId: '9100000000000001' }),
    (e) => e instanceof ig.InstagateError && e.kind === 'config' && e.field === 'configId');
});

test('rerequest: a declined permission comes back only when the dialog gets auth_type=rerequest', async (t) => {
  const standin = await standinFor(t);
  const config = configFor(standin, 'facebook');
  const declined = await connect(standin, config, undefined, { decision: 'allow', declineScopes: ['pages_read_engagement'] });
  assert.ok(!declined.account.grantedScopes.includes('pages_read_engagement'));
  // Logging in again is not enough: the dialog does not offer it again.
  const again = await connect(standin, config, undefined, { decision: 'allow' });
  assert.ok(!again.account.grantedScopes.includes('pages_read_engagement'), 'still declined without rerequest');
  const asked = await connect(standin, config, { rerequest: true }, { decision: 'allow' });
  assert.equal(new URL(asked.login.url).searchParams.get('auth_type'), 'rerequest');
  assert.ok(asked.account.grantedScopes.includes('pages_read_engagement'), asked.account.grantedScopes.join(','));
  // Instagram Login has no such parameter.
  assert.throws(() => ig.createLogin(configFor(standin, 'instagram'), { rerequest: true }),
    (e) => e instanceof ig.InstagateError && e.kind === 'invalid_input');
});
