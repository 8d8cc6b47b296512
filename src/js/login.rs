//! `createLogin` and `validateCallback`: the browser-safe half of a login
//! (no secret, no network). `startLogin` / `completeLogin`, which keep the
//! attempt in `sessionStorage`, are JavaScript in `pkg-template/api.js`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::config::parse_config;
use super::input::Obj;
use super::output::finish;
use super::platform::LocalPlatform;
use crate::core::error::{Error, ErrorKind};
use crate::core::oauth::authorize::{start_login, LoginOptions};
use crate::core::oauth::callback::validate_callback as core_validate_callback;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedLogin {
    url: String,
    state: String,
    code_verifier: String,
    code_challenge: String,
}

fn login_options(value: JsValue) -> Result<LoginOptions, Error> {
    let Some(js) = Obj::optional(value, "options", ErrorKind::InvalidInput)? else {
        return Ok(LoginOptions::default());
    };
    Ok(LoginOptions {
        force_reauth: js.opt_bool("forceReauth")?.unwrap_or(false),
        enable_fb_login: js.opt_bool("enableFbLogin")?,
        rerequest: js.opt_bool("rerequest")?.unwrap_or(false),
    })
}

fn create(config: JsValue, options: JsValue) -> Result<CreatedLogin, Error> {
    let config = parse_config(config)?;
    let options = login_options(options)?;
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
    finish(create(config, options))
}

#[derive(Serialize)]
struct CallbackResult {
    code: String,
    state: String,
}

fn validate(
    config: JsValue,
    callback_url: JsValue,
    expected_state: JsValue,
) -> Result<CallbackResult, Error> {
    let config = parse_config(config)?;
    let url = callback_url
        .as_string()
        .ok_or_else(|| Error::invalid_input("callbackUrl", "callbackUrl must be a string"))?;
    let state = expected_state
        .as_string()
        .ok_or_else(|| Error::invalid_input("expectedState", "expectedState must be a string"))?;
    let validated = core_validate_callback(&config, &url, &state)?;
    Ok(CallbackResult {
        code: validated.code().expose_secret().to_owned(),
        state: validated.state().to_owned(),
    })
}

/// `validateCallback(config, callbackUrl, expectedState)` → `{code, state}`.
#[wasm_bindgen(js_name = validateCallback)]
pub fn validate_callback(
    config: JsValue,
    callback_url: JsValue,
    expected_state: JsValue,
) -> Result<JsValue, JsValue> {
    finish(validate(config, callback_url, expected_state))
}
