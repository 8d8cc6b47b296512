//! The two Meta calls the cron makes that are not part of a login: refresh
//! an Instagram User token, and check that a Page token still works. Each
//! is a request builder plus a response reader over the core's HTTP values.
//!
//! - `GET graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token=…`
//!   → `{"access_token","token_type","expires_in"}`; the token must be at
//!   least 24 hours old and unexpired, and the refreshed one lives 60 days
//!   (<https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token>).
//! - `GET graph.facebook.com/{v}/me?fields=id&access_token=<page token>`:
//!   the cheapest call that proves a Page token works; a dead token answers
//!   code 190 (<https://developers.facebook.com/docs/graph-api/guides/error-handling/>).

use std::time::Duration;

use serde::Deserialize;

use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::http::{Request, Response, Transport};
use crate::core::json::parse_success;
use crate::core::oauth::refresh::too_new;
use crate::core::secret::AccessToken;

/// A refreshed token and how long it lives.
pub struct Refreshed {
    pub access_token: AccessToken,
    pub expires_in: Option<Duration>,
}

pub fn refresh_request(config: &Config, token: &AccessToken) -> Request {
    Request::get(
        &format!("{}/refresh_access_token", config.endpoints.graph_base),
        &[
            ("grant_type", "ig_refresh_token"),
            ("access_token", token.expose_secret()),
        ],
    )
}

pub fn read_refresh(response: &Response) -> Result<Refreshed, Error> {
    #[derive(Deserialize)]
    struct Body {
        access_token: AccessToken,
        expires_in: Option<u64>,
    }
    // Meta's "(#100) ... too new" is the core's RefreshTooEarly, as in the npm package.
    let body: Body = parse_success(response, "token refresh").map_err(too_new)?;
    Ok(Refreshed {
        access_token: body.access_token,
        expires_in: body.expires_in.map(Duration::from_secs),
    })
}

/// Refreshes an Instagram User token.
pub async fn refresh_instagram_token<T: Transport>(
    transport: &T,
    config: &Config,
    token: &AccessToken,
) -> Result<Refreshed, Error> {
    let response = transport.send(refresh_request(config, token)).await?;
    read_refresh(&response)
}

pub fn check_request(config: &Config, token: &AccessToken) -> Request {
    Request::get(
        &config.graph_url("me"),
        &[("fields", "id"), ("access_token", token.expose_secret())],
    )
}

/// Checks that a (Page) token still works; returns the ID it speaks for.
pub async fn check_token<T: Transport>(
    transport: &T,
    config: &Config,
    token: &AccessToken,
) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Me {
        #[serde(deserialize_with = "crate::core::json::id")]
        id: String,
    }
    let response = transport.send(check_request(config, token)).await?;
    let me: Me = parse_success(&response, "token check")?;
    Ok(me.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

    #[test]
    fn meta_s_too_new_refusal_is_refresh_too_early_as_in_the_core() {
        let refused = Response::new(
            400,
            r#"{"error":{"message":"(#100) The access token is too new to be refreshed.","type":"OAuthException","code":100}}"#,
        );
        let e = read_refresh(&refused).err().map(|e| e.kind);
        assert_eq!(e, Some(ErrorKind::RefreshTooEarly));
    }
}
