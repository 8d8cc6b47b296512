//! The refresh rules through the async calls: a refresh Meta would refuse
//! is never sent, and the error says why and when it will work.

use instagate::core::config::Product;
use instagate::core::error::ErrorKind;
use instagate::core::oauth::long_lived::exchange_for_long_lived;
use instagate::core::oauth::refresh::refresh_token;
use instagate::core::secret::AccessToken;
use instagate::core::testing::{block_on, ScriptedTransport};
use instagate::core::time::Timestamp;
use instagate::core::token::{RefreshPolicy, TokenKind, TokenRecord};

use super::support::*;

fn long_lived(issued_at: Timestamp) -> TokenRecord {
    TokenRecord {
        access_token: AccessToken::new(IG_LONG),
        kind: TokenKind::InstagramLongLived,
        issued_at,
        expires_at: Some(issued_at.plus(60 * DAY)),
        scopes: vec!["instagram_business_basic".into()],
        ig_user_id: Some(IG_USER_ID.into()),
    }
}

#[test]
fn a_23_hour_old_token_is_refused_before_any_call() {
    let t = ScriptedTransport::new(T0.plus(23 * HOUR));
    let e = block_on(refresh_token(
        &t,
        &config(Product::Instagram),
        &long_lived(T0),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::RefreshTooEarly);
    assert!(e.message.contains("23h 00m old"), "{}", e.message);
    assert!(e.message.contains("at least 24 hours"), "{}", e.message);
    assert!(
        e.message.contains(&T0.plus(DAY).to_rfc3339()),
        "{}",
        e.message
    );
    assert_eq!(e.retry_after, Some(HOUR));
    assert!(t.requests().is_empty());
}

#[test]
fn an_expired_token_is_refused_before_any_call() {
    let t = ScriptedTransport::new(T0.plus(61 * DAY));
    let e = block_on(refresh_token(
        &t,
        &config(Product::Instagram),
        &long_lived(T0),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TokenExpired);
    assert!(
        e.message.contains(&T0.plus(60 * DAY).to_rfc3339()),
        "{}",
        e.message
    );
    assert!(e.message.contains("log in again"), "{}", e.message);
    assert!(t.requests().is_empty());
}

#[test]
fn short_lived_and_facebook_tokens_are_not_refreshed() {
    let t = ScriptedTransport::new(T0.plus(2 * DAY));
    let short = TokenRecord {
        kind: TokenKind::InstagramShortLived,
        ..long_lived(T0)
    };
    let e = block_on(refresh_token(&t, &config(Product::Instagram), &short)).unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::InvalidInput, Some("token"))
    );
    assert!(e.message.contains("ig_exchange_token"), "{}", e.message);
    for kind in [TokenKind::FacebookUserLongLived, TokenKind::FacebookPage] {
        let fb = TokenRecord {
            kind,
            ..long_lived(T0)
        };
        let e = block_on(refresh_token(&t, &config(Product::Facebook), &fb)).unwrap_err();
        assert!(
            e.message.contains("Facebook Login has no refresh endpoint"),
            "{}",
            e.message
        );
    }
    assert!(t.requests().is_empty());
}

#[test]
fn a_day_old_token_is_refreshed() {
    let now = T0.plus(40 * DAY);
    let t = ScriptedTransport::new(now);
    t.expect(
        "graph.instagram.com/refresh_access_token",
        200,
        r#"{"access_token":"IGAArefreshed","token_type":"bearer","expires_in":5184000}"#,
    );
    let old = long_lived(T0);
    assert!(old.needs_refresh(now, &RefreshPolicy::default()));
    let new = block_on(refresh_token(&t, &config(Product::Instagram), &old)).unwrap();
    assert_eq!(new.access_token.expose_secret(), "IGAArefreshed");
    assert_eq!(new.expires_at, Some(now.plus(60 * DAY)));
    assert_eq!(new.ig_user_id, old.ig_user_id);
    assert!(!new.needs_refresh(now, &RefreshPolicy::default()));
    assert_eq!(
        param(&t.requests()[0], "access_token").as_deref(),
        Some(IG_LONG)
    );
}

#[test]
fn meta_refusing_a_refresh_is_its_error() {
    let t = ScriptedTransport::new(T0.plus(2 * DAY));
    t.expect(
        "refresh_access_token",
        400,
        r#"{"error":{"message":"Error validating access token: The session has been invalidated because the user changed their password.","type":"OAuthException","code":190,"error_subcode":460}}"#,
    );
    let e = block_on(refresh_token(
        &t,
        &config(Product::Instagram),
        &long_lived(T0),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidToken);
    assert!(e.kind.needs_reauth());
}

/// Meta's own "too new" refusal (`(#100) ...`, for a record whose issued_at
/// is older than Meta's view of the token) is the same kind as the local
/// 24-hour check (developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token:
/// "at least 24 hours old").
#[test]
fn meta_refusing_a_refresh_as_too_new_is_refresh_too_early() {
    let t = ScriptedTransport::new(T0.plus(2 * DAY));
    t.expect(
        "refresh_access_token",
        400,
        r#"{"error":{"message":"(#100) The access token is too new to be refreshed.","type":"OAuthException","code":100,"fbtrace_id":"Ax"}}"#,
    );
    let e = block_on(refresh_token(
        &t,
        &config(Product::Instagram),
        &long_lived(T0),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::RefreshTooEarly);
    assert!(!e.retryable());
    assert!(!e.kind.needs_reauth(), "the token still works");
    assert!(e.message.contains("too new"), "{}", e.message);
    assert_eq!(e.code(), Some(100), "Meta's fields are kept");
    assert_eq!(e.status, Some(400));
}

#[test]
fn an_expired_short_token_is_not_exchanged() {
    let t = ScriptedTransport::new(T0.plus(2 * HOUR));
    let short = TokenRecord {
        access_token: AccessToken::new(IG_SHORT),
        kind: TokenKind::InstagramShortLived,
        issued_at: T0,
        expires_at: Some(T0.plus(HOUR)),
        scopes: vec![],
        ig_user_id: None,
    };
    let e = block_on(exchange_for_long_lived(
        &t,
        &config(Product::Instagram),
        &secret(),
        &short,
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TokenExpired);
    // A long-lived token is not a short-lived one.
    let e = block_on(exchange_for_long_lived(
        &t,
        &config(Product::Instagram),
        &secret(),
        &long_lived(T0),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(t.requests().is_empty());
}
