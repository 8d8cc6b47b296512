// Where the demo's pieces live. The defaults match scripts/demo.mjs; a query
// parameter of the same name (`?worker=…&standin=…&clientId=…`) overrides one
// for the rest of the browser session, so it survives the login redirects.
const params = new URLSearchParams(location.search);

function setting(name, fallback) {
  const given = params.get(name);
  if (given) sessionStorage.setItem(`instagate-demo-${name}`, given);
  return given ?? sessionStorage.getItem(`instagate-demo-${name}`) ?? fallback;
}

export const WORKER = setting('worker', 'http://127.0.0.1:8787');
const CLIENT_ID = setting('clientId', '1000000000000001');
// Without Meta reachable, every Meta host is played by the local stand-in;
// `?standin=meta` talks to Meta itself.
const STANDIN = setting('standin', 'http://127.0.0.1:8790');

/** The npm package's configuration for the single-page login flow. */
export function loginConfig(product) {
  const config = {
    product,
    clientId: CLIENT_ID,
    redirectUri: new URL('./callback.html', location.href).href.split('?')[0],
  };
  if (STANDIN !== 'meta') config.standinOrigin = STANDIN;
  return config;
}
