//! Keeping a token alive: refreshing a long-lived Instagram Login token,
//! and checking that a token which cannot be refreshed still works.
//!
//! `GET {graph_base}/refresh_access_token?grant_type=ig_refresh_token&access_token`
//! refreshes "a long-lived access token that is at least 24 hours old but
//! has not expired"; the new token is valid for 60 days from the refresh
//! (<https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token>).
//! The rules are checked locally first ([`TokenRecord::can_refresh`]), so a
//! call Meta would refuse is never made and the error says when it will work.
//!
//! Facebook Login has no refresh endpoint. A Page token got with a
//! long-lived user token does not expire; a user token lasts about 60 days
//! and then needs a new login
//! (<https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived>).
//! For those, `GET {graph_base}/{version}/me?fields=id` is the cheapest call
//! that proves the token still works; a dead one answers code 190
//! (<https://developers.facebook.com/docs/graph-api/guides/error-handling/>).

use super::exchange::BearerGrant;
use crate::core::config::Config;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::meta_body::parse_success;
use crate::core::secret::AccessToken;
use crate::core::time::Timestamp;
use crate::core::token::{TokenKind, TokenRecord, LONG_LIVED};

/// The refresh request for `token`, or why Meta would refuse it at `now`.
pub fn refresh_request(
    config: &Config,
    token: &TokenRecord,
    now: Timestamp,
) -> Result<Request, Error> {
    if token.kind.product() != config.product {
        return Err(Error::invalid_input(
            "token",
            format!(
                "a {} token does not belong to this {} Login configuration",
                token.kind.as_str(),
                config.product.as_str()
            ),
        ));
    }
    // Only long-lived Instagram tokens pass: the request below is Instagram's.
    token.can_refresh(now)?;
    Ok(Request::get(
        &format!("{}/refresh_access_token", config.endpoints.graph_base),
        &[
            ("grant_type", "ig_refresh_token"),
            ("access_token", token.access_token.expose_secret()),
        ],
    ))
}

/// Reads the answer into the new record (issued at `now`), keeping the
/// previous record's scopes and account.
pub fn process_refresh(
    response: &Response,
    previous: &TokenRecord,
    now: Timestamp,
) -> Result<TokenRecord, Error> {
    let grant = parse_success(response, "token refresh", BearerGrant::read).map_err(too_new)?;
    let mut record = grant.into_record(TokenKind::InstagramLongLived, now, LONG_LIVED);
    record.scopes = previous.scopes.clone();
    record.ig_user_id = previous.ig_user_id.clone();
    Ok(record)
}

/// Meta's own refusal of a token it finds too young to refresh comes as an
/// invalid parameter (`(#100) ... too new`), code 100 without subcode: the
/// request is built here from fixed parameters and a token the local check
/// found refreshable, so that refusal can only be about the token's age (a
/// record whose `issued_at` is later than Meta's). It is the same kind as
/// the local 24-hour check, `RefreshTooEarly`, keeping Meta's message.
fn too_new(error: Error) -> Error {
    let refused_as_invalid_parameter = error.kind == ErrorKind::InvalidRequest
        && error.code() == Some(100)
        && error.subcode().is_none();
    if !refused_as_invalid_parameter {
        return error;
    }
    Error {
        kind: ErrorKind::RefreshTooEarly,
        message: format!(
            "Meta refused to refresh the token as too new ({}): it refreshes long-lived tokens once they are at least 24 hours old; try again later",
            error.message
        ),
        ..error
    }
}

/// Refreshes `token` if Meta allows it now. Store the new record before
/// dropping the old one (Meta does not document whether the old token
/// keeps working, so it is never thrown away first).
pub async fn refresh_token<T: Transport>(
    transport: &T,
    config: &Config,
    token: &TokenRecord,
) -> Result<TokenRecord, Error> {
    let request = refresh_request(config, token, transport.now())?;
    let response = transport.send(request).await?;
    process_refresh(&response, token, transport.now())
}

/// The check request: `/me?fields=id` with `token`.
pub fn token_check_request(config: &Config, token: &AccessToken) -> Request {
    Request::get(
        &config.graph_url("me"),
        &[("fields", "id"), ("access_token", token.expose_secret())],
    )
}

/// Reads the check's answer: the ID the token speaks for, or Meta's error.
pub fn process_token_check(response: &Response) -> Result<String, Error> {
    parse_success(response, "token check", |me| me.id("id"))
}

/// Checks that `token` still works (a Page token, which does not expire
/// but dies when the person removes the app or loses the Page); returns
/// the ID it speaks for.
pub async fn check_token<T: Transport>(
    transport: &T,
    config: &Config,
    token: &AccessToken,
) -> Result<String, Error> {
    let response = transport.send(token_check_request(config, token)).await?;
    process_token_check(&response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

    #[test]
    fn token_check_reads_the_id_or_the_error() {
        assert_eq!(
            process_token_check(&Response::new(200, r#"{"id":17841400000000001}"#)).unwrap(),
            "17841400000000001"
        );
        let dead = Response::new(
            400,
            r#"{"error":{"message":"Session expired","type":"OAuthException","code":190}}"#,
        );
        assert_eq!(
            process_token_check(&dead).unwrap_err().kind,
            ErrorKind::InvalidToken
        );
        let e = process_token_check(&Response::new(200, "<html>")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnexpectedResponse);
    }
}
