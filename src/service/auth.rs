//! Who may call the API.
//!
//! - `Authorization: Bearer <API_KEY>`: server-to-server; every account.
//!   Compared in constant time (both sides hashed first, so the key's length
//!   does not leak either). A wrong bearer is refused outright, never
//!   retried as a cookie.
//! - The browser session cookie set by a login: only the accounts that
//!   browser connected, while their records still admit it (same Meta
//!   user, let in after the record's `sessions_valid_after`). Another account's ID answers 404, exactly like an
//!   unknown one, so a session cannot probe which accounts exist. Unsafe
//!   methods with a cookie must come from the Worker's own origin or an
//!   allowed one (`Origin`), on top of SameSite=Lax.

use crate::core::time::Timestamp;
use crate::service::accounts::AccountRecord;
use crate::service::config::ServiceConfig;
use crate::service::cookies::{CookieSigner, Session, SESSION_COOKIE, SESSION_PURPOSE};
use crate::service::crypto::secret_eq;
use crate::service::error::ApiError;
use crate::service::http::HttpRequest;

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// Holds the API key: may act on every account.
    ApiKey,
    /// A browser session: may act on its own accounts.
    Session(Session),
}

impl Caller {
    /// Ok when the caller may act on `account_id`; a session asking for an
    /// account it did not log in gets the same 404 as a missing account.
    pub fn require_account(&self, account_id: &str) -> Result<(), ApiError> {
        match self {
            Caller::ApiKey => Ok(()),
            Caller::Session(s) if s.allows(account_id) => Ok(()),
            Caller::Session(_) => Err(ApiError::not_found(format!(
                "no account {account_id} in this session"
            ))),
        }
    }

    /// Ok when the caller may still act on the account `record` holds: a
    /// session must have been let in by the Meta user who connected it, no
    /// earlier than its `sessions_valid_after`. Otherwise the same 404.
    pub fn require_current(&self, record: &AccountRecord) -> Result<(), ApiError> {
        match self {
            Caller::ApiKey => Ok(()),
            Caller::Session(s) if record.admits(s) => Ok(()),
            Caller::Session(_) => Err(ApiError::not_found(format!(
                "no account {} in this session",
                record.id
            ))),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Caller::ApiKey => "api_key",
            Caller::Session(_) => "session",
        }
    }
}

/// Authenticates `req`.
pub fn authenticate(
    config: &ServiceConfig,
    req: &HttpRequest,
    now: Timestamp,
) -> Result<Caller, ApiError> {
    if let Some(header) = req.header("authorization") {
        let key = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthorized("Authorization must be 'Bearer <API key>'"))?;
        let Some(expected) = &config.api_key else {
            return Err(ApiError::unauthorized(
                "API keys are not enabled on this Worker (set the API_KEY secret)",
            ));
        };
        return if secret_eq(key, expected.expose_secret()) {
            Ok(Caller::ApiKey)
        } else {
            Err(ApiError::unauthorized("the API key is not valid"))
        };
    }
    let signer = CookieSigner::new(&config.session_key);
    let session = req
        .cookie(SESSION_COOKIE)
        .and_then(|v| signer.verify::<Session>(SESSION_PURPOSE, v, now))
        .filter(|s| !s.accounts.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "log in first (session cookie) or send Authorization: Bearer <API key>",
            )
        })?;
    if !matches!(req.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        check_same_or_allowed_origin(config, req)?;
    }
    Ok(Caller::Session(session))
}

/// For cookie-authenticated writes: the `Origin` must be the Worker's own
/// or an allowed front end.
pub fn check_same_or_allowed_origin(
    config: &ServiceConfig,
    req: &HttpRequest,
) -> Result<(), ApiError> {
    match req.header("origin") {
        Some(origin) if origin == req.origin || config.origin_allowed(origin) => Ok(()),
        Some(_) => Err(ApiError::forbidden(
            "this origin may not use the session (not in ALLOWED_ORIGINS)",
        )),
        None => Err(ApiError::forbidden(
            "a cookie-authenticated write must carry an Origin header",
        )),
    }
}
