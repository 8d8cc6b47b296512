//! `connectAccount`: server-side code exchange → long-lived token → profile
//! (→ Page for Facebook Login), through `service::meta_login` over `fetch`.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::errors::to_js;
use super::fetch::FetchTransport;
use super::login::parse_config;
use crate::core::config::Config;
use crate::core::error::{Error, ErrorKind};
use crate::core::oauth::callback::validate_callback;
use crate::core::secret::{ClientSecret, PkceVerifier};
use crate::service::meta_login::complete_login;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectInput {
    client_secret: String,
    callback_url: Option<String>,
    expected_state: Option<String>,
    code: Option<String>,
    code_verifier: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectedOutput {
    ig_user_id: String,
    username: String,
    name: Option<String>,
    account_type: Option<String>,
    access_token: String,
    token_kind: String,
    scopes: Vec<String>,
    issued_at: String,
    expires_at: Option<String>,
    page_id: Option<String>,
    page_name: Option<String>,
}

fn code_of(config: &Config, input: &ConnectInput) -> Result<String, Error> {
    match (&input.code, &input.callback_url) {
        (Some(code), _) if !code.is_empty() => Ok(code.clone()),
        (_, Some(url)) => {
            let state = input.expected_state.as_deref().ok_or_else(|| {
                Error::invalid_input(
                    "expectedState",
                    "expectedState is required with callbackUrl",
                )
            })?;
            Ok(validate_callback(config, url, state)?
                .code()
                .expose_secret()
                .to_owned())
        }
        _ => Err(Error::invalid_input("code", "give code or callbackUrl")),
    }
}

async fn connect(input: JsValue) -> Result<ConnectedOutput, Error> {
    let config_value = js_sys::Reflect::get(&input, &"config".into())
        .map_err(|_| Error::invalid_input("config", "config is required"))?;
    let config = parse_config(config_value)?;
    let input: ConnectInput = serde_wasm_bindgen::from_value(input)
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad input: {e}")))?;
    let code = code_of(&config, &input)?;
    let secret = ClientSecret::new(input.client_secret);
    let verifier = input.code_verifier.map(PkceVerifier::new);
    let account = complete_login(
        &FetchTransport,
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
        token_kind: format!("{:?}", account.kind),
        scopes: account.scopes,
        issued_at: account.issued_at.to_rfc3339(),
        expires_at: account.expires_at.map(|t| t.to_rfc3339()),
        page_id: account.page_id,
        page_name: account.page_name,
    })
}

/// `connectAccount({config, clientSecret, callbackUrl + expectedState | code, codeVerifier?})`.
#[wasm_bindgen(js_name = connectAccount)]
pub async fn connect_account(input: JsValue) -> Result<JsValue, JsValue> {
    let out = connect(input).await.map_err(|e| to_js(&e))?;
    out.serialize(&serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true))
        .map_err(|e| to_js(&Error::new(ErrorKind::InvalidInput, e.to_string())))
}
