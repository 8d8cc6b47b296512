// Loaded as a module dedicated, shared and service worker by login.test.mjs:
// tries connectAccount with an app secret and reports what happened on the
// MessagePort it is given. No top-level await (a service worker refuses it),
// so the wasm is initialised on the first message.
import init from '/pkg/instagate.js';
import * as instagate from '/pkg/api.js';

let ready = null;

async function attempt(allow) {
  ready ??= init({ module_or_path: '/pkg/instagate_bg.wasm' });
  await ready;
  const input = {
    // Port 9 refuses connections: without the refusal the exchange fails as a transport error.
    config: { product: 'instagram', clientId: '1000000000000001', redirectUri: 'http://127.0.0.1:9/cb', standinOrigin: 'http://127.0.0.1:9' },
    clientSecret: 'standin-app-secret', callbackUrl: 'http://127.0.0.1:9/cb?code=abc&state=s', expectedState: 's',
    ...(allow ? { dangerouslyAllowBrowser: true } : {}),
  };
  try {
    await instagate.connectAccount(input);
    return { kind: null, field: null };
  } catch (e) {
    return { kind: e.kind ?? null, field: e.field ?? null };
  }
}

// Each message carries the port to answer on (a shared worker gets it through its connection).
function reply(event) {
  const answered = attempt(event.data.allow).then((outcome) => event.ports[0].postMessage(outcome));
  event.waitUntil?.(answered);
}
self.addEventListener('message', reply);
self.addEventListener('connect', (event) => {
  event.ports[0].onmessage = reply;
});
