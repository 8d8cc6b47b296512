//! What the server-side functions share: the input object and its access
//! token, the app secret (refused in a web page), and the transport that
//! signs Facebook Login's Graph calls with it; [`open_call`] is the opening
//! every network binding makes.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

use super::config::config_field;
use super::fetch::FetchTransport;
use super::input::Obj;
use crate::core::appsecret_proof::SignedGraph;
use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::secret::{AccessToken, ClientSecret};

/// The one input object every network function takes.
pub fn input_object(input: JsValue) -> Result<Obj, Error> {
    Obj::required(input, "input", ErrorKind::InvalidInput)
}

/// What a network binding opens with: its `config`, and the fetch
/// transport (timeout, `signal`) that signs Facebook Login's Graph calls
/// with the app secret when there is one.
pub struct ServerCall {
    pub config: Config,
    pub transport: SignedGraph<FetchTransport>,
}

/// Reads `config`, the optional `clientSecret` and the transport options.
pub fn open_call(input: &Obj) -> Result<ServerCall, Error> {
    let config = config_field(input)?;
    let secret = optional_client_secret(input)?;
    let transport = signed(FetchTransport::from_input(input)?, &config, secret.as_ref());
    Ok(ServerCall { config, transport })
}

/// [`open_call`] for bindings that need `clientSecret`; returns it too.
pub fn open_call_with_secret(input: &Obj) -> Result<(ServerCall, ClientSecret), Error> {
    let config = config_field(input)?;
    let secret = client_secret(input)?;
    let transport = signed(FetchTransport::from_input(input)?, &config, Some(&secret));
    Ok((ServerCall { config, transport }, secret))
}

/// `accessToken`, which must not be empty.
pub fn access_token_of(input: &Obj) -> Result<AccessToken, Error> {
    let token = input.string("accessToken")?;
    if token.is_empty() {
        return Err(input.error("accessToken", "must not be empty"));
    }
    Ok(AccessToken::new(token))
}

/// `clientSecret` from `input`. In a browser (a page, or a dedicated,
/// shared or service worker: see `in_browser`) it is refused unless
/// `dangerouslyAllowBrowser: true`: anything a browser holds, its visitors
/// can read, and the app secret lets anyone mint tokens for the app.
pub fn client_secret(input: &Obj) -> Result<ClientSecret, Error> {
    let secret = input.string("clientSecret")?;
    if secret.is_empty() {
        return Err(input.error("clientSecret", "must not be empty"));
    }
    if in_browser() && input.opt_bool("dangerouslyAllowBrowser")? != Some(true) {
        return Err(input.error(
            "clientSecret",
            "must not be used in a browser (a web page or a web worker): do the code exchange on a \
             server or in the Worker (pass dangerouslyAllowBrowser: true only for a local test page)",
        ));
    }
    Ok(ClientSecret::new(secret))
}

/// `clientSecret` when given (checked as above), for functions that only
/// need it to sign their calls.
pub fn optional_client_secret(input: &Obj) -> Result<Option<ClientSecret>, Error> {
    match input.opt_string("clientSecret")? {
        None => Ok(None),
        Some(_) => client_secret(input).map(Some),
    }
}

/// `transport`, signing Facebook Login's Graph calls with `appsecret_proof`
/// when the app secret is at hand (needed when the Meta app has "Require
/// App Secret" on; see `core::appsecret_proof`). Instagram Login's hosts
/// are never signed.
pub fn signed(
    transport: FetchTransport,
    config: &Config,
    secret: Option<&ClientSecret>,
) -> SignedGraph<FetchTransport> {
    match secret {
        Some(secret) if config.product == Product::Facebook => {
            SignedGraph::new(transport, secret.clone(), &config.endpoints.graph_base)
        }
        _ => SignedGraph::unsigned(transport),
    }
}

/// A web page (`document` exists) or a browser's dedicated, shared or
/// service worker: the global is a `WorkerGlobalScope` and the user agent a
/// browser's (`Mozilla/5.0 ...`). Server runtimes that also implement web
/// workers name themselves instead (`Deno/2`, `Bun/1`, `Node.js/22`,
/// `Cloudflare-Workers`), so a Deno worker or a Cloudflare Worker passes.
fn in_browser() -> bool {
    let global = js_sys::global();
    let document = global_property(&global, "document");
    if !(document.is_undefined() || document.is_null()) {
        return true;
    }
    let scope = global_property(&global, "WorkerGlobalScope");
    let is_worker_scope = !(scope.is_undefined() || scope.is_null())
        && global_property(&scope.unchecked_into(), "prototype")
            .dyn_into::<js_sys::Object>()
            .is_ok_and(|prototype| prototype.is_prototype_of(&global));
    is_worker_scope && browser_user_agent(&global)
}

fn browser_user_agent(global: &js_sys::Object) -> bool {
    let navigator = global_property(global, "navigator");
    if navigator.is_undefined() || navigator.is_null() {
        return false;
    }
    Reflect::get(&navigator, &JsValue::from_str("userAgent"))
        .ok()
        .and_then(|agent| agent.as_string())
        .is_some_and(|agent| agent.starts_with("Mozilla/"))
}

fn global_property(global: &js_sys::Object, name: &str) -> JsValue {
    Reflect::get(global, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}
