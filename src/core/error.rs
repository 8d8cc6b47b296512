//! The one error type of instagate, and which kind each of Meta's error
//! codes is. Reading an error out of a response lives in
//! [`crate::core::meta_body`].
//!
//! Meta answers errors in two shapes: the Graph API's
//! `{"error":{"message","type","code","error_subcode","fbtrace_id","is_transient"}}`
//! (<https://developers.facebook.com/docs/graph-api/guides/error-handling/>)
//! and api.instagram.com's flat `{"error_type","code","error_message"}`
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login>).
//! Both become an [`Error`] whose [`ErrorKind`] says what to do next. A body
//! that is neither (an HTML error page from a proxy, a truncated read) is
//! `UnexpectedResponse` with the HTTP status; parsing never panics.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What went wrong, as a caller decides on it. Serialized in `snake_case`
/// (`"invalid_token"`), which is also the `kind` JavaScript sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The access token is invalid or was revoked (Graph code 190): log in again.
    InvalidToken,
    /// The access token has expired (190 / subcode 463, or known locally).
    TokenExpired,
    /// A long-lived token cannot be refreshed yet (it is under 24 hours old).
    RefreshTooEarly,
    /// Too many calls (codes 4, 17, 32, 613, 80001–80014, HTTP 429): wait `retry_after`.
    RateLimited,
    /// The app or user lacks a permission (codes 3, 10, 200–299).
    PermissionDenied,
    /// The user did not grant a permission the app requires; `field` names it.
    MissingPermission,
    /// Meta rejected the request's parameters (code 100 and other 4xx).
    InvalidRequest,
    /// The authorization code is invalid, expired or already used: start a new login.
    InvalidCode,
    /// The user declined the consent screen.
    #[serde(rename = "oauth_denied")]
    OAuthDenied,
    /// The callback's `state` does not match the pending login (possible CSRF).
    StateMismatch,
    /// The callback URL is malformed: wrong redirect URI, missing or repeated parameters.
    InvalidCallback,
    /// The account is a personal Instagram account; the API needs a professional one.
    PersonalAccount,
    /// Facebook Login: no Page of the user is linked to an Instagram professional account.
    NoLinkedAccount,
    /// Publishing: the media could not be fetched, processed or published.
    Media,
    /// Publishing: the account reached its rolling 24-hour publishing limit.
    PublishLimit,
    /// The Instagram account is restricted (2207050: inactive, checkpointed
    /// or restricted): the person must open the Instagram app and do what it asks.
    AccountRestricted,
    /// Meta reported a temporary problem (5xx, `is_transient`, codes 1 and 2): retry later.
    Transient,
    /// The request did not reach Meta or the connection broke.
    Transport,
    /// No answer in time.
    Timeout,
    /// Meta answered something that is not the documented shape (HTML, truncated JSON).
    UnexpectedResponse,
    /// An argument was rejected before any call; `field` names it.
    InvalidInput,
    /// The configuration is incomplete or malformed; `field` names the setting.
    Config,
    /// The caller cancelled (an `AbortSignal`).
    Aborted,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 23] = [
        ErrorKind::InvalidToken,
        ErrorKind::TokenExpired,
        ErrorKind::RefreshTooEarly,
        ErrorKind::RateLimited,
        ErrorKind::PermissionDenied,
        ErrorKind::MissingPermission,
        ErrorKind::InvalidRequest,
        ErrorKind::InvalidCode,
        ErrorKind::OAuthDenied,
        ErrorKind::StateMismatch,
        ErrorKind::InvalidCallback,
        ErrorKind::PersonalAccount,
        ErrorKind::NoLinkedAccount,
        ErrorKind::Media,
        ErrorKind::PublishLimit,
        ErrorKind::AccountRestricted,
        ErrorKind::Transient,
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::UnexpectedResponse,
        ErrorKind::InvalidInput,
        ErrorKind::Config,
        ErrorKind::Aborted,
    ];

    /// The kind named `name` (its [`ErrorKind::as_str`]).
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidToken => "invalid_token",
            ErrorKind::TokenExpired => "token_expired",
            ErrorKind::RefreshTooEarly => "refresh_too_early",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::MissingPermission => "missing_permission",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::InvalidCode => "invalid_code",
            ErrorKind::OAuthDenied => "oauth_denied",
            ErrorKind::StateMismatch => "state_mismatch",
            ErrorKind::InvalidCallback => "invalid_callback",
            ErrorKind::PersonalAccount => "personal_account",
            ErrorKind::NoLinkedAccount => "no_linked_account",
            ErrorKind::Media => "media",
            ErrorKind::PublishLimit => "publish_limit",
            ErrorKind::AccountRestricted => "account_restricted",
            ErrorKind::Transient => "transient",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::UnexpectedResponse => "unexpected_response",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Config => "config",
            ErrorKind::Aborted => "aborted",
        }
    }

    /// Whether the same call may succeed if simply tried again later.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::Transient
                | ErrorKind::Transport
                | ErrorKind::Timeout
                | ErrorKind::UnexpectedResponse
        )
    }

    /// Whether the user has to log in again to recover.
    pub fn needs_reauth(self) -> bool {
        matches!(self, ErrorKind::InvalidToken | ErrorKind::TokenExpired)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields Meta puts in an error body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MetaError {
    /// `code` (Graph) or `code` of the flat shape.
    pub code: Option<i64>,
    /// `error_subcode`.
    pub subcode: Option<i64>,
    /// `type` (Graph) or `error_type` (flat), e.g. `OAuthException`.
    pub error_type: Option<String>,
    /// `fbtrace_id`: quote it when asking Meta for help.
    pub fbtrace_id: Option<String>,
    /// `is_transient`.
    pub is_transient: Option<bool>,
    /// `error_user_title` / `error_user_msg`: text Meta meant for end users.
    pub user_title: Option<String>,
    pub user_message: Option<String>,
}

/// An instagate error. Construct with [`Error::new`] and the `with_*`
/// builders, or [`Error::from_response`] for a failed Meta response.
///
/// Read back (a saved job, a Worker record) by `publish/saved.rs`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// HTTP status of the failed response, when there was one.
    pub status: Option<u16>,
    /// Meta's own error fields, when the body had them.
    pub meta: Option<MetaError>,
    /// How long to wait before retrying, from `Retry-After` or Meta's usage headers.
    pub retry_after: Option<Duration>,
    /// The input field or setting at fault, for `InvalidInput` / `Config` /
    /// `MissingPermission` (the permission name).
    pub field: Option<String>,
    /// Set when trying the same call again cannot work although the kind
    /// usually may (a lost answer to a single-use code's exchange).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_retryable: bool,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            status: None,
            meta: None,
            retry_after: None,
            field: None,
            not_retryable: false,
        }
    }

    /// An `InvalidInput` error naming the offending field.
    pub fn invalid_input(field: &str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidInput, message).with_field(field)
    }

    /// A `Config` error naming the offending setting.
    pub fn config(field: &str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, message).with_field(field)
    }

    pub fn with_status(mut self, status: u16) -> Error {
        self.status = Some(status);
        self
    }

    pub fn with_field(mut self, field: &str) -> Error {
        self.field = Some(field.to_owned());
        self
    }

    /// Marks the call as not worth repeating, whatever its kind, and says why.
    pub fn with_no_retry(mut self, why: &str) -> Error {
        self.not_retryable = true;
        self.retry_after = None;
        self.message = format!("{}; {why}", self.message);
        self
    }

    pub fn with_retry_after(mut self, after: Duration) -> Error {
        self.retry_after = Some(after);
        self
    }

    pub fn with_meta(mut self, meta: MetaError) -> Error {
        self.meta = Some(meta);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether retrying the same call later may succeed.
    pub fn retryable(&self) -> bool {
        !self.not_retryable
            && (self.kind.is_retryable()
                || self.meta.as_ref().and_then(|m| m.is_transient) == Some(true))
    }

    pub fn code(&self) -> Option<i64> {
        self.meta.as_ref().and_then(|m| m.code)
    }

    pub fn subcode(&self) -> Option<i64> {
        self.meta.as_ref().and_then(|m| m.subcode)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(meta) = &self.meta {
            if let Some(code) = meta.code {
                write!(f, " (code {code}")?;
                if let Some(sub) = meta.subcode {
                    write!(f, ", subcode {sub}")?;
                }
                if let Some(trace) = &meta.fbtrace_id {
                    write!(f, ", fbtrace_id {trace}")?;
                }
                f.write_str(")")?;
            }
        }
        Ok(())
    }
}

/// `Debug` is the same as `Display` plus the kind: no field of an error ever
/// holds a secret, but keeping one format avoids surprises in logs.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({}: {self}", self.kind)?;
        if let Some(status) = self.status {
            write!(f, ", HTTP {status}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for Error {}

/// Maps Meta's codes to a kind, per
/// <https://developers.facebook.com/docs/graph-api/guides/error-handling/>
/// and <https://developers.facebook.com/docs/graph-api/overview/rate-limiting/>.
pub(crate) fn classify(status: u16, meta: &MetaError, message: &str) -> ErrorKind {
    let lower = message.to_ascii_lowercase();
    match (meta.code, meta.subcode) {
        (Some(190), Some(463)) => ErrorKind::TokenExpired,
        // 102: "the login status or access token has expired, been revoked,
        // or is otherwise invalid" (Graph API error handling guide).
        (Some(190 | 102), _) => ErrorKind::InvalidToken,
        // Instagram's publishing errors, checked before the generic codes
        // they share (4, 1, -1, -2, 24, 25): 2207051 is a post blocked as
        // spam, not throttling; 2207057 a thumbnail offset past the video;
        // 2207050 an account restricted until the person acts in the
        // Instagram app; 2207001, 2207032, 2207003 and 2207008 say "try
        // again" (2207008: once or twice within 30 s to 2 min, then a new
        // container, which the publish job does)
        // (https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes).
        (_, Some(2_207_050)) => ErrorKind::AccountRestricted,
        (_, Some(2_207_051 | 2_207_057)) => ErrorKind::Media,
        (_, Some(2_207_001 | 2_207_032 | 2_207_003 | 2_207_008)) => ErrorKind::Transient,
        (Some(4 | 17 | 32 | 341 | 368 | 613), _) => ErrorKind::RateLimited,
        (Some(80_001..=80_014), _) => ErrorKind::RateLimited,
        (Some(3 | 10), _) | (Some(200..=299), _) => ErrorKind::PermissionDenied,
        (Some(1 | 2), _) => ErrorKind::Transient,
        _ if meta.is_transient == Some(true) => ErrorKind::Transient,
        // Content publishing limit reached (Graph code 9, subcode 2207042).
        (_, Some(2_207_042)) => ErrorKind::PublishLimit,
        // Media errors: subcodes 2207xxx and codes 9004 / 9007 / 36000-36003 / 352.
        (_, Some(2_207_000..=2_207_999)) | (Some(9004 | 9007 | 352 | 36_000..=36_003), _) => {
            ErrorKind::Media
        }
        // Facebook Login code exchange: 36007 expired, 36008 redirect_uri
        // mismatch, 36009 already used
        // (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow).
        (Some(100), Some(36_007..=36_009)) => ErrorKind::InvalidCode,
        // The flat api.instagram.com shape and Graph's code 100 for a bad,
        // expired or reused authorization code.
        // api.instagram.com says "Matching code was not found or was already used".
        _ if lower.contains("authorization code")
            || lower.contains("verification code")
            || lower.contains("matching code") =>
        {
            ErrorKind::InvalidCode
        }
        _ if status == 429 => ErrorKind::RateLimited,
        _ if status >= 500 => ErrorKind::Transient,
        _ => ErrorKind::InvalidRequest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Response;

    fn graph(status: u16, body: &str) -> Error {
        Error::from_response(&Response::new(status, body))
    }

    #[test]
    fn graph_shape_keeps_every_field() {
        let e = graph(
            400,
            r#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbCdEf","is_transient":false}}"#,
        );
        assert_eq!(e.kind, ErrorKind::TokenExpired);
        assert_eq!(e.code(), Some(190));
        assert_eq!(e.subcode(), Some(463));
        let meta = e.meta.as_ref().unwrap();
        assert_eq!(meta.error_type.as_deref(), Some("OAuthException"));
        assert_eq!(meta.fbtrace_id.as_deref(), Some("AbCdEf"));
        assert_eq!(e.status, Some(400));
        assert!(!e.retryable());
        assert!(e.kind.needs_reauth());
        assert!(e.to_string().contains("fbtrace_id AbCdEf"), "{e}");
    }

    #[test]
    fn flat_instagram_shape() {
        let e = graph(
            400,
            r#"{"error_type": "OAuthException", "code": 400, "error_message": "Invalid authorization code"}"#,
        );
        assert_eq!(e.kind, ErrorKind::InvalidCode);
        assert_eq!(e.code(), Some(400));
        assert_eq!(e.message, "Invalid authorization code");
        // The other message api.instagram.com uses for a used or unknown code.
        let e = Error::from_response(&Response::new(
            400,
            r#"{"error_type":"OAuthException","code":400,"error_message":"Matching code was not found or was already used"}"#,
        ));
        assert_eq!(e.kind, ErrorKind::InvalidCode);
    }

    #[test]
    fn codes_map_to_kinds() {
        let cases = [
            (400, 190, None, ErrorKind::InvalidToken),
            (400, 4, None, ErrorKind::RateLimited),
            (400, 17, None, ErrorKind::RateLimited),
            (400, 32, None, ErrorKind::RateLimited),
            (400, 80_002, None, ErrorKind::RateLimited),
            (403, 10, None, ErrorKind::PermissionDenied),
            (403, 200, None, ErrorKind::PermissionDenied),
            (400, 100, Some(33), ErrorKind::InvalidRequest),
            (500, 2, None, ErrorKind::Transient),
            (400, 9004, Some(2_207_052), ErrorKind::Media),
            (400, 9, Some(2_207_042), ErrorKind::PublishLimit),
            (400, 100, Some(36_009), ErrorKind::InvalidCode),
            (400, 102, None, ErrorKind::InvalidToken),
            (400, 341, None, ErrorKind::RateLimited),
            (400, 368, None, ErrorKind::RateLimited),
            // Instagram's error-codes reference: spam block and thumbnail
            // offset are refusals; "try again" subcodes are transient.
            (400, 4, Some(2_207_051), ErrorKind::Media),
            (400, 1, Some(2_207_057), ErrorKind::Media),
            (400, -1, Some(2_207_001), ErrorKind::Transient),
            (400, -1, Some(2_207_032), ErrorKind::Transient),
            (400, -2, Some(2_207_003), ErrorKind::Transient),
            (400, -2, Some(2_207_020), ErrorKind::Media),
        ];
        for (status, code, sub, kind) in cases {
            let sub = sub
                .map(|s: i64| format!(r#","error_subcode":{s}"#))
                .unwrap_or_default();
            let body = format!(
                r#"{{"error":{{"message":"m","type":"OAuthException","code":{code}{sub}}}}}"#
            );
            assert_eq!(graph(status, &body).kind, kind, "code {code}");
        }
    }

    #[test]
    fn is_transient_flag_makes_it_retryable() {
        let e = graph(
            400,
            r#"{"error":{"message":"x","code":100,"is_transient":true}}"#,
        );
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.retryable());
    }

    #[test]
    fn html_and_truncated_bodies_are_unexpected_responses() {
        let e = graph(502, "<html><body>Bad Gateway</body></html>");
        // A 5xx without a JSON body is still worth retrying.
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(e.status, Some(502));

        let e = graph(400, "<!DOCTYPE html><title>oops</title>");
        assert_eq!(e.kind, ErrorKind::UnexpectedResponse);
        assert!(e.message.contains("HTML"), "{}", e.message);

        let e = graph(400, r#"{"error":{"message":"Invalid OAuth access tok"#);
        assert_eq!(e.kind, ErrorKind::UnexpectedResponse);
        assert!(e.retryable());
    }

    #[test]
    fn truncated_success_body_does_not_leak_into_the_message() {
        let resp = Response::new(200, r#"{"access_token":"IGQVJsecretsecret","tok"#);
        let e = Error::unexpected(&resp, "code exchange");
        assert!(!e.message.contains("IGQVJ"), "{}", e.message);
        assert!(!format!("{e:?}").contains("IGQVJ"));
    }

    #[test]
    fn retry_after_from_header_or_usage() {
        let r = Response::new(429, "").with_header("Retry-After", "17");
        let e = Error::from_response(&r);
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert_eq!(e.retry_after, Some(Duration::from_secs(17)));

        let usage = r#"{"17841400000000001":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":3}]}"#;
        let r = Response::new(400, r#"{"error":{"message":"limit","code":80002}}"#)
            .with_header("X-Business-Use-Case-Usage", usage);
        let e = Error::from_response(&r);
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert_eq!(e.retry_after, Some(Duration::from_secs(180)));
    }

    #[test]
    fn kinds_serialize_in_snake_case() {
        for kind in [
            ErrorKind::OAuthDenied,
            ErrorKind::StateMismatch,
            ErrorKind::UnexpectedResponse,
            ErrorKind::RefreshTooEarly,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }
}
