//! Exchanging the callback's code for a short-lived token.
//!
//! - Instagram Login: `POST {token_base}/oauth/access_token`, a form with
//!   `client_id`, `client_secret`, `grant_type=authorization_code`,
//!   `redirect_uri` and `code`. The success body comes in two shapes: the
//!   Business Login page shows `{"data":[{"access_token","user_id",
//!   "permissions":"a,b"}]}`, the older pages (and what Meta is widely seen
//!   to send) a flat `{"access_token","user_id","permissions":[...]}`, with
//!   `user_id` a bare JSON number above 2^53 in both. Errors are the flat
//!   `{"error_type","code","error_message"}`. The token lasts 1 hour
//!   (<https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login>,
//!   step 2).
//! - Facebook Login: `GET {graph_base}/{version}/oauth/access_token` with
//!   `client_id`, `redirect_uri`, `client_secret`, `code`, and the PKCE
//!   `code_verifier` when the dialog got a `code_challenge`; the answer is
//!   `{"access_token","token_type","expires_in"}`
//!   (<https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow>,
//!   <https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token>).
//!
//! `redirect_uri` is the configuration's: Meta requires the one the dialog
//! was opened with, character for character.

use std::time::Duration;

use super::callback::ValidatedCallback;
use super::response::parse_maybe_wrapped;
use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::json::Fields;
use crate::core::meta_body::parse_success;
use crate::core::secret::{AccessToken, ClientSecret, PkceVerifier};
use crate::core::time::Timestamp;
use crate::core::token::{TokenKind, TokenRecord, SHORT_LIVED};

/// What the code exchange gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeExchange {
    /// The short-lived token (`ig_user_id` unknown yet: the profile says it).
    pub token: TokenRecord,
    /// Instagram Login: the exchange's `user_id`, exact.
    pub user_id: Option<String>,
    /// Instagram Login: the permissions Meta listed as granted; `None` when
    /// the answer had none (Facebook Login: ask `/me/permissions`).
    pub permissions: Option<Vec<String>>,
}

/// The code-exchange request for `config.product`. `code_verifier` is sent
/// to Facebook Login only (Instagram Login takes no PKCE).
pub fn code_exchange_request(
    config: &Config,
    client_secret: &ClientSecret,
    callback: &ValidatedCallback,
    code_verifier: Option<&PkceVerifier>,
) -> Request {
    let code = callback.code().expose_secret();
    match config.product {
        Product::Instagram => Request::post_form(
            &format!("{}/oauth/access_token", config.endpoints.token_base),
            &[
                ("client_id", &config.client_id),
                ("client_secret", client_secret.expose_secret()),
                ("grant_type", "authorization_code"),
                ("redirect_uri", &config.redirect_uri),
                ("code", code),
            ],
        ),
        Product::Facebook => {
            let mut params = vec![
                ("client_id", config.client_id.as_str()),
                ("redirect_uri", config.redirect_uri.as_str()),
                ("client_secret", client_secret.expose_secret()),
                ("code", code),
            ];
            if let Some(verifier) = code_verifier {
                params.push(("code_verifier", verifier.expose_secret()));
            }
            Request::get(&config.graph_url("oauth/access_token"), &params)
        }
    }
}

struct InstagramGrant {
    access_token: AccessToken,
    user_id: String,
    permissions: Option<Vec<String>>,
}

impl InstagramGrant {
    fn read(body: &Fields) -> Result<InstagramGrant, Error> {
        Ok(InstagramGrant {
            access_token: AccessToken::new(body.string("access_token")?),
            user_id: body.id("user_id")?,
            permissions: permission_list(body)?,
        })
    }
}

/// `"a,b"` (data-wrapped shape) or `["a","b"]` (flat shape); missing or
/// `null` is none.
fn permission_list(body: &Fields) -> Result<Option<Vec<String>>, Error> {
    match body.get("permissions") {
        None => Ok(None),
        Some(serde_json::Value::String(csv)) => Ok(Some(
            csv.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        )),
        Some(_) => body.strings("permissions").map(Some),
    }
}

/// The `{"access_token","token_type","expires_in"}` answer of Facebook's
/// token endpoint and of both products' long-lived exchange and refresh.
pub(super) struct BearerGrant {
    pub access_token: AccessToken,
    pub expires_in: Option<u64>,
}

impl BearerGrant {
    pub fn read(body: &Fields) -> Result<BearerGrant, Error> {
        Ok(BearerGrant {
            access_token: AccessToken::new(body.string("access_token")?),
            expires_in: body.opt_u64("expires_in")?,
        })
    }

    /// The record, expiring `expires_in` after `now`, or after `default`
    /// when Meta left `expires_in` out.
    pub fn into_record(self, kind: TokenKind, now: Timestamp, default: Duration) -> TokenRecord {
        let lifetime = self.expires_in.map_or(default, Duration::from_secs);
        TokenRecord {
            access_token: self.access_token,
            kind,
            issued_at: now,
            expires_at: Some(now.plus(lifetime)),
            scopes: Vec::new(),
            ig_user_id: None,
        }
    }
}

/// Reads the code-exchange answer of `product`; `now` is when it arrived.
pub fn process_code_exchange(
    product: Product,
    response: &Response,
    now: Timestamp,
) -> Result<CodeExchange, Error> {
    match product {
        Product::Instagram => {
            let grant = parse_maybe_wrapped(response, "code exchange", InstagramGrant::read)?;
            let permissions = grant.permissions;
            Ok(CodeExchange {
                token: TokenRecord {
                    access_token: grant.access_token,
                    kind: TokenKind::InstagramShortLived,
                    issued_at: now,
                    expires_at: Some(now.plus(SHORT_LIVED)),
                    scopes: permissions.clone().unwrap_or_default(),
                    ig_user_id: None,
                },
                user_id: Some(grant.user_id),
                permissions,
            })
        }
        Product::Facebook => {
            let grant = parse_success(response, "code exchange", BearerGrant::read)?;
            let token = grant.into_record(TokenKind::FacebookUserShortLived, now, SHORT_LIVED);
            Ok(CodeExchange {
                token,
                user_id: None,
                permissions: None,
            })
        }
    }
}

/// Sends the code exchange and reads the answer.
pub async fn exchange_code<T: Transport>(
    transport: &T,
    config: &Config,
    client_secret: &ClientSecret,
    callback: &ValidatedCallback,
    code_verifier: Option<&PkceVerifier>,
) -> Result<CodeExchange, Error> {
    let request = code_exchange_request(config, client_secret, callback, code_verifier);
    let answered = transport.send(request).await;
    answered
        .and_then(|response| process_code_exchange(config.product, &response, transport.now()))
        .map_err(single_use_code)
}

/// An authorization code works once and Meta may have used it before its
/// answer was lost (a timeout, a dropped connection, a 5xx or a cut-off
/// body): sending it again fails at best, so such an error is not retryable
/// and says to start a new login (Business Login for Instagram: the code
/// "is valid for 1 hour and can only be used once",
/// <https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login>;
/// Facebook Login's codes are single-use too,
/// <https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow>).
fn single_use_code(error: Error) -> Error {
    if !error.retryable() || error.kind == ErrorKind::RateLimited {
        return error;
    }
    error.with_no_retry(
        "the authorization code is single-use and Meta may already have used it, so sending it again fails: start a new login",
    )
}
