// Where the demo's pieces live. The defaults match scripts/demo.mjs; any of
// them can be overridden with a query parameter of the same name.
const params = new URLSearchParams(location.search);

export const WORKER = params.get('worker') ?? 'http://127.0.0.1:8787';

/** The npm package's configuration for the single-page login flow. */
export function loginConfig(product) {
  const config = {
    product,
    clientId: params.get('clientId') ?? '1000000000000001',
    redirectUri: new URL('./callback.html', location.href).href.split('?')[0],
  };
  // Without Meta reachable, every Meta host is played by the local stand-in.
  const standin = params.get('standin') ?? 'http://127.0.0.1:8790';
  if (standin !== 'meta') config.standinOrigin = standin;
  return config;
}
