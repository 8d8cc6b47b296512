//! `createLogin`, `validateCallback`, and the browser helpers `startLogin` /
//! `completeLogin` that keep state and verifier in `sessionStorage`.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::errors::to_js;
use super::platform::LocalPlatform;
use crate::core::config::{Config, Endpoints, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::oauth::authorize::{start_login, LoginOptions};
use crate::core::oauth::callback::validate_callback as core_validate_callback;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsConfig {
    product: String,
    client_id: String,
    redirect_uri: String,
    scopes: Option<Vec<String>>,
    graph_version: Option<String>,
    standin_origin: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct JsLoginOptions {
    #[serde(default)]
    force_reauth: bool,
    enable_fb_login: Option<bool>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatedLogin {
    url: String,
    state: String,
    code_verifier: String,
    code_challenge: String,
}

fn serializer() -> serde_wasm_bindgen::Serializer {
    serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true)
}

fn output<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serializer())
        .map_err(|e| to_js(&Error::new(ErrorKind::InvalidInput, e.to_string())))
}

/// The core `Config` from the JS config object, validated.
pub fn parse_config(value: JsValue) -> Result<Config, Error> {
    let js: JsConfig = serde_wasm_bindgen::from_value(value)
        .map_err(|e| Error::config("config", format!("bad config object: {e}")))?;
    let product = Product::parse(&js.product)?;
    let mut config = Config::new(product, &js.client_id, &js.redirect_uri)?;
    if let Some(scopes) = js.scopes {
        config.scopes = scopes;
    }
    if let Some(version) = js.graph_version {
        config.graph_version = version;
    }
    if let Some(origin) = js.standin_origin {
        config.endpoints = Endpoints::standin(product, &origin);
    }
    config.validate()?;
    Ok(config)
}

fn parse_options(value: JsValue) -> Result<LoginOptions, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(LoginOptions::default());
    }
    let js: JsLoginOptions = serde_wasm_bindgen::from_value(value)
        .map_err(|e| Error::invalid_input("options", format!("bad login options: {e}")))?;
    Ok(LoginOptions {
        force_reauth: js.force_reauth,
        enable_fb_login: js.enable_fb_login,
    })
}

fn create(config: JsValue, options: JsValue) -> Result<CreatedLogin, Error> {
    let config = parse_config(config)?;
    let options = parse_options(options)?;
    let pending = start_login(&LocalPlatform, &config, &options)?;
    Ok(CreatedLogin {
        url: pending.url,
        state: pending.state,
        code_verifier: pending.code_verifier.expose_secret().to_owned(),
        code_challenge: pending.code_challenge,
    })
}

/// `createLogin(config, options?)` → `{url, state, codeVerifier, codeChallenge}`.
#[wasm_bindgen(js_name = createLogin)]
pub fn create_login(config: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let created = create(config, options).map_err(|e| to_js(&e))?;
    output(&created)
}

#[derive(Serialize)]
struct CallbackResult<'a> {
    code: &'a str,
    state: &'a str,
}

/// `validateCallback(config, callbackUrl, expectedState)` → `{code, state}`.
#[wasm_bindgen(js_name = validateCallback)]
pub fn validate_callback(
    config: JsValue,
    callback_url: &str,
    expected_state: &str,
) -> Result<JsValue, JsValue> {
    let config = parse_config(config).map_err(|e| to_js(&e))?;
    let validated =
        core_validate_callback(&config, callback_url, expected_state).map_err(|e| to_js(&e))?;
    output(&CallbackResult {
        code: validated.code().expose_secret(),
        state: validated.state(),
    })
}
