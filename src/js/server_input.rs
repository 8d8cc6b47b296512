//! What the server-side functions share: the input object and its access
//! token, the app secret (refused in a web page), and the transport that
//! signs Facebook Login's Graph calls with it; [`open_call`] is the opening
//! every network binding makes.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

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

/// `clientSecret` from `input`. In a web page (`globalThis.document`
/// exists) it is refused unless `dangerouslyAllowBrowser: true`: anything a
/// page holds, its visitors can read, and the app secret lets anyone mint
/// tokens for the app. Deno, Node, Bun and Workers have no `document`.
pub fn client_secret(input: &Obj) -> Result<ClientSecret, Error> {
    let secret = input.string("clientSecret")?;
    if secret.is_empty() {
        return Err(input.error("clientSecret", "must not be empty"));
    }
    if in_web_page() && input.opt_bool("dangerouslyAllowBrowser")? != Some(true) {
        return Err(input.error(
            "clientSecret",
            "must not be used in a web page: do the code exchange on a server or in the Worker \
             (pass dangerouslyAllowBrowser: true only for a local test page)",
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

fn in_web_page() -> bool {
    let document = Reflect::get(&js_sys::global(), &JsValue::from_str("document"))
        .unwrap_or(JsValue::UNDEFINED);
    !(document.is_undefined() || document.is_null())
}
