//! `Idempotency-Key` on `POST /api/accounts/{id}/publish`: a client that
//! retries a publish (a timeout, a lost answer) sends the same key, and the
//! account's object answers with the job the first request made instead of
//! posting twice. The same key with another body is a 409: the key names
//! one request, as in payment APIs. Keys are remembered for
//! [`IDEMPOTENCY_WINDOW`] in the object's own (strongly consistent) storage.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::core::time::Timestamp;
use crate::service::crypto::{b64url, sha256};
use crate::service::error::ApiError;
use crate::service::http::HttpRequest;

/// How long a key is remembered after its first request.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The longest key accepted (Stripe's limit).
pub const MAX_KEY_LEN: usize = 255;
/// The request header.
pub const HEADER: &str = "idempotency-key";

/// A publish request's key and a digest of its body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Idempotency {
    pub key: String,
    pub body_sha256: String,
}

/// What the object keeps per key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub body_sha256: String,
    pub job_id: String,
    pub expires_at: Timestamp,
}

/// The request's `Idempotency-Key`, checked: 1 to 255 visible ASCII
/// characters. `None` when the header is absent.
pub fn idempotency_of(req: &HttpRequest) -> Result<Option<Idempotency>, ApiError> {
    let Some(key) = req.header(HEADER) else {
        return Ok(None);
    };
    let key = key.trim();
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid_input(
            HEADER,
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
        ));
    }
    Ok(Some(Idempotency {
        key: key.to_owned(),
        body_sha256: b64url(&sha256(&req.body)),
    }))
}

/// The object-storage key for a client key (hashed: keys are the client's
/// text, storage keys stay short and plain).
pub fn storage_key(key: &str) -> String {
    format!("idem:{}", b64url(&sha256(key.as_bytes())))
}

/// The answer for a key reused with another body.
pub fn conflict() -> ApiError {
    ApiError::new(
        409,
        "idempotency_conflict",
        "this Idempotency-Key was used with a different request body; use a new key for a new post",
    )
    .with_field(HEADER)
}
