//! `connectAccount`: the whole server side of a login — code exchange,
//! long-lived token, permissions, profile and (Facebook Login) the Page —
//! over `fetch`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::config::config_field;
use super::fetch::FetchTransport;
use super::input::Obj;
use super::output::finish;
use super::server::client_secret;
use crate::core::config::Config;
use crate::core::error::{Error, ErrorKind};
use crate::core::oauth::callback::validate_callback;
use crate::core::secret::PkceVerifier;
use crate::service::accounts::TokenKind;
use crate::service::meta_login::complete_login;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectedOutput {
    ig_user_id: String,
    username: String,
    name: Option<String>,
    account_type: Option<String>,
    access_token: String,
    token_kind: TokenKind,
    scopes: Vec<String>,
    issued_at: String,
    expires_at: Option<String>,
    page_id: Option<String>,
    page_name: Option<String>,
}

/// The code: given directly, or read from the callback URL after checking it
/// against `expectedState`.
fn code_of(config: &Config, input: &Obj) -> Result<String, Error> {
    if let Some(code) = input.opt_string("code")?.filter(|c| !c.is_empty()) {
        return Ok(code);
    }
    let Some(url) = input.opt_string("callbackUrl")? else {
        return Err(input.error("code", "or callbackUrl is required"));
    };
    let state = input
        .opt_string("expectedState")?
        .ok_or_else(|| input.error("expectedState", "is required with callbackUrl"))?;
    Ok(validate_callback(config, &url, &state)?
        .code()
        .expose_secret()
        .to_owned())
}

async fn connect(input: JsValue) -> Result<ConnectedOutput, Error> {
    let input = Obj::required(input, "input", ErrorKind::InvalidInput)?;
    let config = config_field(&input)?;
    let secret = client_secret(&input)?;
    let transport = FetchTransport::from_input(&input)?;
    let code = code_of(&config, &input)?;
    let verifier = input.opt_string("codeVerifier")?.map(PkceVerifier::new);
    let account = complete_login(
        &transport,
        &config,
        &secret,
        &code,
        &config.redirect_uri,
        verifier.as_ref(),
    )
    .await?;
    Ok(ConnectedOutput {
        ig_user_id: account.ig_user_id,
        username: account.username,
        name: account.name,
        account_type: account.account_type,
        access_token: account.token.expose_secret().to_owned(),
        token_kind: account.kind,
        scopes: account.scopes,
        issued_at: account.issued_at.to_rfc3339(),
        expires_at: account.expires_at.map(|t| t.to_rfc3339()),
        page_id: account.page_id,
        page_name: account.page_name,
    })
}

/// `connectAccount({config, clientSecret, callbackUrl + expectedState | code,
/// codeVerifier?, timeoutMs?, signal?})`.
#[wasm_bindgen(js_name = connectAccount)]
pub async fn connect_account(input: JsValue) -> Result<JsValue, JsValue> {
    finish(connect(input).await)
}
