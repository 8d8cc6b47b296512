//! Turning a short-lived token into a long-lived one.
//!
//! - Instagram Login: `GET {graph_base}/access_token?grant_type=ig_exchange_token
//!   &client_secret&access_token` → `{"access_token","token_type","expires_in"}`,
//!   60 days; the short-lived token must be valid (unexpired)
//!   (<https://developers.facebook.com/documentation/instagram-platform/reference/access_token>).
//! - Facebook Login: `GET {graph_base}/{version}/oauth/access_token?grant_type=fb_exchange_token
//!   &client_id&client_secret&fb_exchange_token` → the same shape, about 60
//!   days; an expired token cannot be exchanged
//!   (<https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived>).
//!
//! Both carry the app secret: server side only.

use super::exchange::BearerGrant;
use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::meta_body::parse_success;
use crate::core::secret::{AccessToken, ClientSecret};
use crate::core::time::Timestamp;
use crate::core::token::{TokenKind, TokenRecord, LONG_LIVED};

/// The long-lived exchange request for `config.product`.
pub fn long_lived_request(
    config: &Config,
    client_secret: &ClientSecret,
    short_lived: &AccessToken,
) -> Request {
    match config.product {
        Product::Instagram => Request::get(
            &format!("{}/access_token", config.endpoints.graph_base),
            &[
                ("grant_type", "ig_exchange_token"),
                ("client_secret", client_secret.expose_secret()),
                ("access_token", short_lived.expose_secret()),
            ],
        ),
        Product::Facebook => Request::get(
            &config.graph_url("oauth/access_token"),
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", &config.client_id),
                ("client_secret", client_secret.expose_secret()),
                ("fb_exchange_token", short_lived.expose_secret()),
            ],
        ),
    }
}

/// Reads the answer into a long-lived record issued at `now` (60 days when
/// Meta leaves `expires_in` out). Scopes and account are the caller's to copy.
pub fn process_long_lived(
    product: Product,
    response: &Response,
    now: Timestamp,
) -> Result<TokenRecord, Error> {
    let kind = match product {
        Product::Instagram => TokenKind::InstagramLongLived,
        Product::Facebook => TokenKind::FacebookUserLongLived,
    };
    let grant = parse_success(response, "long-lived token exchange", BearerGrant::read)?;
    Ok(grant.into_record(kind, now, LONG_LIVED))
}

/// Checks locally what Meta would refuse: a token of the other product, a
/// token that is not a user token, an expired one.
pub fn check_exchangeable(
    config: &Config,
    short_lived: &TokenRecord,
    now: Timestamp,
) -> Result<(), Error> {
    let ok = match config.product {
        Product::Instagram => short_lived.kind == TokenKind::InstagramShortLived,
        Product::Facebook => matches!(
            short_lived.kind,
            TokenKind::FacebookUserShortLived | TokenKind::FacebookUserLongLived
        ),
    };
    if !ok {
        return Err(Error::invalid_input(
            "token",
            format!(
                "a {} token cannot be exchanged for a long-lived {} Login token",
                short_lived.kind.as_str(),
                config.product.as_str()
            ),
        ));
    }
    if short_lived.is_expired(now) {
        return Err(Error::new(
            ErrorKind::TokenExpired,
            "the short-lived token has expired and can no longer be exchanged: log in again",
        ));
    }
    Ok(())
}

/// Exchanges `short_lived` for a long-lived token that keeps its scopes and
/// account.
pub async fn exchange_for_long_lived<T: Transport>(
    transport: &T,
    config: &Config,
    client_secret: &ClientSecret,
    short_lived: &TokenRecord,
) -> Result<TokenRecord, Error> {
    check_exchangeable(config, short_lived, transport.now())?;
    let request = long_lived_request(config, client_secret, &short_lived.access_token);
    let response = transport.send(request).await?;
    let mut long_lived = process_long_lived(config.product, &response, transport.now())?;
    long_lived.scopes = short_lived.scopes.clone();
    long_lived.ig_user_id = short_lived.ig_user_id.clone();
    Ok(long_lived)
}
