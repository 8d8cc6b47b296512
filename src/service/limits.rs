//! Per-client budgets for the routes anyone may call that write to KV.
//!
//! `POST /auth/pending` must store the single-page login it registers (the
//! front end may be on another site, so no cookie can carry it): each call
//! is a KV write, and the free plan allows 1,000 a day. The Worker counts
//! these calls per client IP (`CF-Connecting-IP`) with Cloudflare's Rate
//! Limiting binding (`PENDING_RATE_LIMITER` in wrangler.toml; see
//! `src/worker`), and answers 429 past the budget (which routes, and the
//! key: `client_budget_key` in `router.rs`). Every other route that
//! writes either needs a credential (API key, session, Meta's signature) or
//! writes only after Meta accepted a code (the login callback).

use std::time::Duration;

use crate::service::error::ApiError;

/// Says whether a client may make one more call under `key`.
#[allow(async_fn_in_trait)]
pub trait ClientLimiter {
    async fn allow(&self, key: &str) -> bool;
}

/// No budget (native tests, and a Worker without the binding).
pub struct NoLimit;

impl ClientLimiter for NoLimit {
    async fn allow(&self, _key: &str) -> bool {
        true
    }
}

/// 429: this client used its budget; the window is a minute.
pub fn over_budget() -> ApiError {
    let mut e = ApiError::new(
        429,
        "rate_limited",
        "too many login registrations from this client; try again in a minute",
    );
    e.retryable = true;
    e.retry_after = Some(Duration::from_secs(60));
    e
}
