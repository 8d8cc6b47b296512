//! Token records: an access token with its kind, issue and expiry times and
//! granted scopes, and the rules for when it may and should be refreshed.
//!
//! Lifetimes, from Meta's documentation:
//! - Instagram Login: short-lived tokens last 1 hour; long-lived ones 60 days
//!   and can be refreshed once they are at least 24 hours old and unexpired,
//!   for another 60 days
//!   (<https://developers.facebook.com/documentation/instagram-platform/reference/access_token>,
//!   <https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token>);
//! - Facebook Login: short-lived user tokens last hours, long-lived ones about
//!   60 days, and a Page token got with a long-lived user token has no
//!   expiry date. There is no refresh endpoint: a user token ends with a new
//!   login (`fb_exchange_token` only turns a valid short-lived token into a
//!   long-lived one)
//!   (<https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived>).
//!
//! [`TokenStatus`] is what JSON APIs show about a token: never the token.

use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};

use crate::core::config::Product;
use crate::core::error::{Error, ErrorKind};
use crate::core::secret::AccessToken;
use crate::core::time::Timestamp;

/// Meta refreshes a long-lived Instagram token only once it is this old.
pub const MIN_REFRESH_AGE: Duration = Duration::from_secs(24 * 3600);

/// A short-lived token's lifetime when Meta's answer does not say: 1 hour,
/// Instagram's documented lifetime (Facebook documents "hours").
pub const SHORT_LIVED: Duration = Duration::from_secs(3600);

/// A long-lived token's documented lifetime (60 days), used when Meta's
/// answer leaves out `expires_in`.
pub const LONG_LIVED: Duration = Duration::from_secs(60 * 86_400);

const DAY_MS: i64 = 86_400_000;

/// What a token is, which decides whether and how it can be renewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Instagram Login, from the code exchange: 1 hour; exchange it for a long-lived one.
    InstagramShortLived,
    /// Instagram Login, from `ig_exchange_token` or a refresh: 60 days, refreshable.
    InstagramLongLived,
    /// Facebook Login, from the code exchange: hours.
    FacebookUserShortLived,
    /// Facebook Login, from `fb_exchange_token`: about 60 days, not refreshable.
    FacebookUserLongLived,
    /// Facebook Login: a Page token; from a long-lived user token it does not expire.
    FacebookPage,
}

impl TokenKind {
    /// The `snake_case` name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::InstagramShortLived => "instagram_short_lived",
            TokenKind::InstagramLongLived => "instagram_long_lived",
            TokenKind::FacebookUserShortLived => "facebook_user_short_lived",
            TokenKind::FacebookUserLongLived => "facebook_user_long_lived",
            TokenKind::FacebookPage => "facebook_page",
        }
    }

    /// The login product whose hosts accept this token.
    pub fn product(self) -> Product {
        match self {
            TokenKind::InstagramShortLived | TokenKind::InstagramLongLived => Product::Instagram,
            _ => Product::Facebook,
        }
    }

    /// Only long-lived Instagram tokens have a refresh endpoint.
    pub fn is_refreshable(self) -> bool {
        self == TokenKind::InstagramLongLived
    }
}

/// An access token and what is known about it. Serializable (with the
/// token, for encrypted storage); `Debug` shows everything but the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The token itself (redacted in `Debug`).
    pub access_token: AccessToken,
    /// What it is; decides how it is renewed.
    pub kind: TokenKind,
    /// When Meta issued it (when its answer arrived).
    pub issued_at: Timestamp,
    /// `None`: the token does not expire (a Page token from a long-lived user token).
    pub expires_at: Option<Timestamp>,
    /// The permissions granted with it, when known.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The Instagram professional account it acts for, when known.
    #[serde(default)]
    pub ig_user_id: Option<String>,
}

/// When a refreshable token should be refreshed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Refresh once less than this remains before expiry (default 30 days).
    pub refresh_when_remaining: Duration,
    /// Never before the token is this old (default 24 hours; Meta's
    /// 24-hour minimum applies even if this is set lower).
    pub min_age: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> RefreshPolicy {
        RefreshPolicy {
            refresh_when_remaining: Duration::from_secs(30 * 86_400),
            min_age: MIN_REFRESH_AGE,
        }
    }
}

/// What a JSON API shows about a token (snake_case fields, RFC 3339 times);
/// it never holds the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenStatus {
    /// There is a token at all.
    pub has_token: bool,
    /// Its kind.
    pub kind: Option<TokenKind>,
    /// When it was issued.
    #[serde(serialize_with = "rfc3339")]
    pub issued_at: Option<Timestamp>,
    /// `None`: never expires (or no token).
    #[serde(serialize_with = "rfc3339")]
    pub expires_at: Option<Timestamp>,
    /// Whole days until expiry, rounded down (negative once expired).
    pub days_left: Option<i64>,
    /// The refresh policy says refresh now.
    pub needs_refresh: bool,
    /// It has expired: only a new login helps.
    pub expired: bool,
    /// Meta would accept a refresh now.
    pub refreshable: bool,
    /// When a long-lived Instagram token becomes old enough to refresh.
    #[serde(serialize_with = "rfc3339")]
    pub refreshable_at: Option<Timestamp>,
}

impl TokenStatus {
    /// The status of an account without a token.
    pub fn missing() -> TokenStatus {
        TokenStatus {
            has_token: false,
            kind: None,
            issued_at: None,
            expires_at: None,
            days_left: None,
            needs_refresh: false,
            expired: false,
            refreshable: false,
            refreshable_at: None,
        }
    }
}

fn rfc3339<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339()),
        None => s.serialize_none(),
    }
}

impl TokenRecord {
    /// How long ago it was issued.
    pub fn age(&self, now: Timestamp) -> Duration {
        now.since(self.issued_at)
    }

    /// Time left before expiry; `None` when it never expires.
    pub fn remaining(&self, now: Timestamp) -> Option<Duration> {
        self.expires_at.map(|e| e.since(now))
    }

    /// Whole days until expiry at `now`, rounded down (negative once
    /// expired); `None` when it never expires.
    pub fn days_left(&self, now: Timestamp) -> Option<i64> {
        self.expires_at
            .map(|e| (e.as_millis() as i64 - now.as_millis() as i64).div_euclid(DAY_MS))
    }

    /// Whether it has expired at `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }

    /// When Meta starts accepting a refresh (24 hours after issue), for
    /// refreshable kinds.
    pub fn refreshable_at(&self) -> Option<Timestamp> {
        self.kind
            .is_refreshable()
            .then(|| self.issued_at.plus(MIN_REFRESH_AGE))
    }

    /// Whether Meta would accept `ig_refresh_token` for this token now; the
    /// error says exactly why not and, when it is only too young, from when
    /// (also as `retry_after`).
    pub fn can_refresh(&self, now: Timestamp) -> Result<(), Error> {
        match self.kind {
            TokenKind::InstagramLongLived => {}
            TokenKind::InstagramShortLived => {
                return Err(Error::invalid_input(
                    "token",
                    "a short-lived Instagram token cannot be refreshed: exchange it for a long-lived one (ig_exchange_token) within its first hour",
                ))
            }
            TokenKind::FacebookPage => {
                return Err(Error::invalid_input(
                    "token",
                    "Facebook Login has no refresh endpoint, and a Page token got with a long-lived user token does not expire: there is nothing to refresh",
                ))
            }
            TokenKind::FacebookUserShortLived | TokenKind::FacebookUserLongLived => {
                return Err(Error::invalid_input(
                    "token",
                    "Facebook Login has no refresh endpoint: a user token lasts about 60 days at most, then the person must log in again (fb_exchange_token only turns a valid short-lived token into a long-lived one)",
                ))
            }
        }
        if let Some(expires_at) = self.expires_at.filter(|e| *e <= now) {
            return Err(Error::new(
                ErrorKind::TokenExpired,
                format!("the token expired at {expires_at} and can no longer be refreshed: log in again"),
            ));
        }
        let ready_at = self.issued_at.plus(MIN_REFRESH_AGE);
        if now < ready_at {
            let age = self.age(now).as_secs();
            return Err(Error::new(
                ErrorKind::RefreshTooEarly,
                format!(
                    "the token is only {}h {:02}m old; Meta refreshes long-lived tokens once they are at least 24 hours old: it becomes refreshable at {ready_at}",
                    age / 3600,
                    (age % 3600) / 60
                ),
            )
            .with_retry_after(ready_at.since(now)));
        }
        Ok(())
    }

    /// When `policy` first says to refresh: `refresh_when_remaining` before
    /// expiry, but not before the token is old enough. `None` for tokens
    /// that cannot be refreshed or do not expire.
    pub fn refresh_due_at(&self, policy: &RefreshPolicy) -> Option<Timestamp> {
        let min_age = policy.min_age.max(MIN_REFRESH_AGE);
        let expires_at = self.expires_at.filter(|_| self.kind.is_refreshable())?;
        Some(
            expires_at
                .minus(policy.refresh_when_remaining)
                .max(self.issued_at.plus(min_age)),
        )
    }

    /// Whether `policy` says to refresh now: a refreshable token, old enough,
    /// unexpired, with less than `refresh_when_remaining` left.
    pub fn needs_refresh(&self, now: Timestamp, policy: &RefreshPolicy) -> bool {
        let min_age = policy.min_age.max(MIN_REFRESH_AGE);
        self.kind.is_refreshable()
            && !self.is_expired(now)
            && self.age(now) >= min_age
            && self
                .remaining(now)
                .is_some_and(|left| left < policy.refresh_when_remaining)
    }

    /// The summary a JSON API shows (no token).
    pub fn status(&self, now: Timestamp, policy: &RefreshPolicy) -> TokenStatus {
        TokenStatus {
            has_token: !self.access_token.expose_secret().is_empty(),
            kind: Some(self.kind),
            issued_at: Some(self.issued_at),
            expires_at: self.expires_at,
            days_left: self.days_left(now),
            needs_refresh: self.needs_refresh(now, policy),
            expired: self.is_expired(now),
            refreshable: self.can_refresh(now).is_ok(),
            refreshable_at: self.refreshable_at(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(86_400);
    const T0: Timestamp = Timestamp::from_secs(1_800_000_000);

    fn long_lived(issued: Timestamp) -> TokenRecord {
        TokenRecord {
            access_token: AccessToken::new("IGAAlonglived"),
            kind: TokenKind::InstagramLongLived,
            issued_at: issued,
            expires_at: Some(issued.plus(60 * DAY)),
            scopes: vec!["instagram_business_basic".into()],
            ig_user_id: Some("17841400000000001".into()),
        }
    }

    #[test]
    fn refresh_needs_24_hours() {
        let t = long_lived(T0);
        let e = t.can_refresh(T0.plus(23 * HOUR)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::RefreshTooEarly);
        assert!(e.message.contains("23h 00m old"), "{}", e.message);
        assert!(
            e.message.contains(&T0.plus(DAY).to_rfc3339()),
            "{}",
            e.message
        );
        assert_eq!(e.retry_after, Some(HOUR));
        assert!(t.can_refresh(T0.plus(DAY)).is_ok());
    }

    #[test]
    fn expired_and_other_kinds_cannot_refresh() {
        let t = long_lived(T0);
        let e = t.can_refresh(T0.plus(60 * DAY)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TokenExpired);
        assert!(e.message.contains("log in again"), "{}", e.message);
        for kind in [
            TokenKind::InstagramShortLived,
            TokenKind::FacebookUserShortLived,
            TokenKind::FacebookUserLongLived,
            TokenKind::FacebookPage,
        ] {
            let other = TokenRecord { kind, ..t.clone() };
            let e = other.can_refresh(T0.plus(2 * DAY)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{kind:?}");
            assert_eq!(e.field.as_deref(), Some("token"));
        }
        let page = TokenRecord {
            kind: TokenKind::FacebookPage,
            expires_at: None,
            ..t
        };
        let e = page.can_refresh(T0).unwrap_err();
        assert!(e.message.contains("no refresh endpoint"), "{}", e.message);
        assert!(e.message.contains("does not expire"), "{}", e.message);
    }

    #[test]
    fn needs_refresh_follows_the_policy() {
        let policy = RefreshPolicy::default();
        let t = long_lived(T0);
        // 31 days left: not yet; 29 days left: yes; expired: no.
        assert!(!t.needs_refresh(T0.plus(29 * DAY), &policy));
        assert!(t.needs_refresh(T0.plus(31 * DAY), &policy));
        assert!(!t.needs_refresh(T0.plus(60 * DAY), &policy));
        // A token with little life left but under 24 h old waits.
        let short_life = TokenRecord {
            expires_at: Some(T0.plus(2 * DAY)),
            ..long_lived(T0)
        };
        assert!(!short_life.needs_refresh(T0.plus(23 * HOUR), &policy));
        assert!(short_life.needs_refresh(T0.plus(25 * HOUR), &policy));
        // A policy cannot go under Meta's 24 hours.
        let eager = RefreshPolicy {
            refresh_when_remaining: 61 * DAY,
            min_age: Duration::ZERO,
        };
        assert!(!t.needs_refresh(T0.plus(HOUR), &eager));
        let page = TokenRecord {
            kind: TokenKind::FacebookPage,
            expires_at: None,
            ..long_lived(T0)
        };
        assert!(!page.needs_refresh(T0.plus(365 * DAY), &eager));
        assert_eq!(page.refresh_due_at(&eager), None);
        // refresh_due_at is the first moment needs_refresh says yes.
        assert_eq!(t.refresh_due_at(&policy), Some(T0.plus(30 * DAY)));
        assert_eq!(short_life.refresh_due_at(&policy), Some(T0.plus(DAY)));
        assert_eq!(t.refresh_due_at(&eager), Some(T0.plus(DAY)));
    }

    #[test]
    fn status_is_json_without_the_token() {
        let t = long_lived(T0);
        let s = t.status(T0.plus(31 * DAY), &RefreshPolicy::default());
        assert!(s.has_token && s.needs_refresh && s.refreshable && !s.expired);
        assert_eq!(s.days_left, Some(29));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["expires_at"], T0.plus(60 * DAY).to_rfc3339());
        assert_eq!(json["refreshable_at"], T0.plus(DAY).to_rfc3339());
        assert_eq!(json["kind"], "instagram_long_lived");
        assert!(!json.to_string().contains("IGAAlonglived"));

        let s = t.status(T0.plus(60 * DAY + HOUR), &RefreshPolicy::default());
        assert!(s.expired && !s.refreshable && !s.needs_refresh);
        assert_eq!(s.days_left, Some(-1));
        let missing = serde_json::to_value(TokenStatus::missing()).unwrap();
        assert_eq!(missing["has_token"], false);
        assert!(missing["expires_at"].is_null());
    }

    #[test]
    fn record_round_trips_and_debug_is_redacted() {
        let t = long_lived(T0);
        let json = serde_json::to_string(&t).unwrap();
        let back: TokenRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert!(!format!("{t:?}").contains("IGAAlonglived"));
    }
}
