//! Facebook Login: asking Meta about a token (`/debug_token`).
//!
//! `GET {graph_base}/{version}/debug_token?input_token=...&access_token={app-id}|{app-secret}`
//! answers `{"data":{"app_id","type","application","data_access_expires_at",
//! "expires_at","is_valid","issued_at","scopes","user_id",...}}`;
//! `expires_at` 0 means the token never expires (a Page token got with a
//! long-lived user token), and an invalid token comes back as
//! `is_valid:false` with an `error` inside `data`
//! (<https://developers.facebook.com/docs/graph-api/reference/debug_token>,
//! <https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived>).
//! This is how a server confirms that a stored Page token still works
//! without acting on the account. Instagram Login has no such endpoint.

use crate::core::config::{Config, Product};
use crate::core::error::Error;
use crate::core::http::{Request, Response, Transport};
use crate::core::meta_body::parse_success;
use crate::core::secret::{AccessToken, ClientSecret};
use crate::core::time::Timestamp;

/// What Meta says about a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// Meta still accepts the token.
    pub is_valid: bool,
    /// `USER`, `PAGE` or `APP`.
    pub token_type: Option<String>,
    /// The app it was issued to.
    pub app_id: Option<String>,
    /// The Facebook user the token belongs to (for a Page token, its owner).
    pub user_id: Option<String>,
    /// Page tokens: the Page.
    pub profile_id: Option<String>,
    /// When it was issued (Meta gives it for long-lived tokens).
    pub issued_at: Option<Timestamp>,
    /// `None`: never expires (Meta's `0`).
    pub expires_at: Option<Timestamp>,
    /// When the app's access to the person's data lapses (renewed by a login).
    pub data_access_expires_at: Option<Timestamp>,
    /// The permissions it carries.
    pub scopes: Vec<String>,
    /// Why the token is invalid, classified like any Meta error
    /// (`token_expired`, `invalid_token`, ...).
    pub error: Option<Error>,
}

/// The `/debug_token` request for `input_token`, authenticated with the app
/// token `{client_id}|{client_secret}` (server side only).
pub fn debug_token_request(
    config: &Config,
    client_secret: &ClientSecret,
    input_token: &AccessToken,
) -> Result<Request, Error> {
    if config.product != Product::Facebook {
        return Err(Error::invalid_input(
            "product",
            "debug_token is a Facebook Login endpoint; Instagram Login tokens are checked by calling /me",
        ));
    }
    let app_token = format!("{}|{}", config.client_id, client_secret.expose_secret());
    Ok(Request::get(
        &config.graph_url("debug_token"),
        &[
            ("input_token", input_token.expose_secret()),
            ("access_token", &app_token),
        ],
    ))
}

/// Reads the `/debug_token` answer.
pub fn process_debug_token(response: &Response) -> Result<TokenInfo, Error> {
    let (info, error) = parse_success(response, "debug_token", |body| {
        let d = body.object("data")?;
        let at = |key: &str| -> Result<Option<Timestamp>, Error> {
            Ok(d.opt_u64(key)?.filter(|s| *s > 0).map(Timestamp::from_secs))
        };
        let info = TokenInfo {
            is_valid: d.opt_bool("is_valid")?.unwrap_or(false),
            token_type: d.opt_string("type")?,
            app_id: d.opt_id("app_id")?,
            user_id: d.opt_id("user_id")?,
            profile_id: d.opt_id("profile_id")?,
            issued_at: at("issued_at")?,
            expires_at: at("expires_at")?,
            data_access_expires_at: at("data_access_expires_at")?,
            scopes: d.strings("scopes")?,
            error: None,
        };
        Ok((info, d.get("error").cloned()))
    })?;
    let error = error.map(|mut inner| {
        // A Graph error's fields, except that the subcode is `subcode` here:
        // rename it and classify the error like any other.
        if let Some(fields) = inner.as_object_mut() {
            if let Some(sub) = fields.remove("subcode") {
                fields.entry("error_subcode").or_insert(sub);
            }
        }
        let wrapped = serde_json::json!({ "error": inner }).to_string();
        let mut e = Error::from_response(&Response::new(400, wrapped));
        e.status = None;
        e
    });
    Ok(TokenInfo { error, ..info })
}

/// Asks Meta about `input_token`.
pub async fn debug_token<T: Transport>(
    transport: &T,
    config: &Config,
    client_secret: &ClientSecret,
    input_token: &AccessToken,
) -> Result<TokenInfo, Error> {
    let request = debug_token_request(config, client_secret, input_token)?;
    let response = transport.send(request).await?;
    process_debug_token(&response)
}
