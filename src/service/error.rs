//! The service's error: a core [`Error`] or one of the Worker's own
//! failures (unauthorized, not found, storage, keys), each with the HTTP
//! status it answers with and the JSON body `{"error":{kind,message,...}}`.
//!
//! Upstream failures keep Meta's code, subcode and fbtrace_id so an operator
//! can quote them; messages never hold a token or secret (the core's errors
//! never copy bodies, and the service's own messages name settings, not values).

use std::fmt;
use std::time::Duration;

use serde_json::{json, Value};

use crate::core::error::{Error, ErrorKind};

/// What went wrong, as the Worker's API reports it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: u16,
    /// `snake_case` kind: one of the core's kinds or the service's own
    /// (`unauthorized`, `forbidden`, `not_found`, `method_not_allowed`,
    /// `payload_too_large`, `conflict`, `storage`, `key_unavailable`,
    /// `decrypt_failed`, `needs_reauth`).
    pub kind: &'static str,
    pub message: String,
    /// The input field or setting at fault.
    pub field: Option<String>,
    /// Meta's `code`, `error_subcode` and `fbtrace_id` for upstream errors.
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub fbtrace_id: Option<String>,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(status: u16, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            field: None,
            code: None,
            subcode: None,
            fbtrace_id: None,
            retryable: false,
            retry_after: None,
        }
    }

    /// Marks the request as not worth repeating, whatever its kind, and
    /// says why (the core's `Error::with_no_retry` for the service's errors).
    pub fn with_no_retry(mut self, why: &str) -> ApiError {
        self.retryable = false;
        self.retry_after = None;
        self.message = format!("{}; {why}", self.message);
        self
    }

    pub fn with_field(mut self, field: &str) -> ApiError {
        self.field = Some(field.to_owned());
        self
    }

    /// 400: the caller's input is wrong; `field` names it.
    pub fn invalid_input(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalid_input", message).with_field(field)
    }

    /// 401: no credentials, or wrong ones.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(401, "unauthorized", message)
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(403, "forbidden", message)
    }

    /// 404, which is also what a session gets for another account's ID, so
    /// it cannot probe which accounts exist.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "not_found", message)
    }

    pub fn method_not_allowed(method: &str, path: &str) -> ApiError {
        ApiError::new(
            405,
            "method_not_allowed",
            format!("{method} is not allowed on {path}"),
        )
    }

    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            413,
            "payload_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 409: the account cannot be used until its owner logs in again.
    pub fn needs_reauth(account_id: &str) -> ApiError {
        ApiError::new(
            409,
            "needs_reauth",
            format!("account {account_id} must log in again: its token stopped working"),
        )
    }

    /// 503: the key-value store failed; retry later.
    pub fn storage(message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(503, "storage", message);
        e.retryable = true;
        e.retry_after = Some(Duration::from_secs(5));
        e
    }

    /// 500: a stored record names an encryption key that is not configured.
    pub fn key_unavailable(kid: &str) -> ApiError {
        ApiError::new(
            500,
            "key_unavailable",
            format!("a stored record is encrypted with key {kid:?}, which is not in TOKEN_KEYS: add it back (old keys must stay listed until every record is rewritten)"),
        )
        .with_field("TOKEN_KEYS")
    }

    /// 500: a stored record does not decrypt or decode (tampered, or the
    /// key's bytes changed under the same id).
    pub fn decrypt_failed(what: &str) -> ApiError {
        ApiError::new(
            500,
            "decrypt_failed",
            format!("{what} could not be decrypted: the record was altered or its key changed"),
        )
    }

    /// 500: a configuration problem, said generically: which setting is
    /// wrong and why is for the operator's log, not for anonymous callers.
    pub fn config() -> ApiError {
        ApiError::new(
            500,
            "config",
            "this Worker is misconfigured; its operator's log names the setting",
        )
    }

    /// The JSON body `{"error":{...}}`.
    pub fn body(&self) -> Value {
        let mut inner = json!({
            "kind": self.kind,
            "message": self.message,
            "status": self.status,
            "retryable": self.retryable,
        });
        let obj = inner.as_object_mut().expect("a JSON object literal");
        if let Some(field) = &self.field {
            obj.insert("field".into(), json!(field));
        }
        if let Some(code) = self.code {
            obj.insert("code".into(), json!(code));
        }
        if let Some(sub) = self.subcode {
            obj.insert("subcode".into(), json!(sub));
        }
        if let Some(trace) = &self.fbtrace_id {
            obj.insert("fbtrace_id".into(), json!(trace));
        }
        if let Some(after) = self.retry_after {
            obj.insert("retry_after".into(), json!(after.as_secs().max(1)));
        }
        json!({ "error": inner })
    }
}

/// The HTTP status the Worker answers with for a core error kind.
pub fn status_for(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::InvalidInput
        | ErrorKind::InvalidCode
        | ErrorKind::OAuthDenied
        | ErrorKind::StateMismatch
        | ErrorKind::InvalidCallback => 400,
        ErrorKind::PermissionDenied
        | ErrorKind::MissingPermission
        | ErrorKind::AccountRestricted => 403,
        ErrorKind::InvalidToken | ErrorKind::TokenExpired | ErrorKind::RefreshTooEarly => 409,
        ErrorKind::InvalidRequest
        | ErrorKind::PersonalAccount
        | ErrorKind::NoLinkedAccount
        | ErrorKind::Media => 422,
        ErrorKind::RateLimited | ErrorKind::PublishLimit => 429,
        ErrorKind::Transient | ErrorKind::Transport | ErrorKind::UnexpectedResponse => 502,
        ErrorKind::Timeout => 504,
        ErrorKind::Config | ErrorKind::Aborted => 500,
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let retryable = e.retryable();
        let meta = e.meta.clone().unwrap_or_default();
        ApiError {
            status: status_for(e.kind),
            kind: e.kind.as_str(),
            message: e.message.clone(),
            field: e.field.clone(),
            code: meta.code,
            subcode: meta.subcode,
            fbtrace_id: meta.fbtrace_id,
            retryable,
            retry_after: e.retry_after,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.kind, self.status, self.message)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiError({self})")
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Response;

    #[test]
    fn upstream_errors_keep_meta_fields_and_status() {
        let r = Response::new(
            400,
            r#"{"error":{"message":"limit","code":4,"fbtrace_id":"AxY"}}"#,
        )
        .with_header("Retry-After", "30");
        let e = ApiError::from(Error::from_response(&r));
        assert_eq!((e.status, e.kind), (429, "rate_limited"));
        let body = e.body();
        assert_eq!(body["error"]["code"], 4);
        assert_eq!(body["error"]["fbtrace_id"], "AxY");
        assert_eq!(body["error"]["retry_after"], 30);
        assert_eq!(body["error"]["retryable"], true);
    }

    #[test]
    fn kinds_map_to_statuses() {
        assert_eq!(status_for(ErrorKind::Timeout), 504);
        assert_eq!(status_for(ErrorKind::Transient), 502);
        assert_eq!(status_for(ErrorKind::InvalidInput), 400);
        assert_eq!(status_for(ErrorKind::InvalidToken), 409);
        let e = ApiError::invalid_input("caption", "too long");
        assert_eq!(e.body()["error"]["field"], "caption");
        assert_eq!(ApiError::storage("x").status, 503);
    }
}
