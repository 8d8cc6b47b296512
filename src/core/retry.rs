//! Retrying Meta calls: which calls may be repeated at all, which errors are
//! worth another try, and how long to wait (jittered exponential backoff,
//! `Retry-After` first), within a bound on attempts and on time.
//!
//! The rule for *which calls* is the part that matters most:
//! - **reads** (`GET` of a container's status, a permalink, the quota, the
//!   recent media) are idempotent: retry them;
//! - **creating a container** (`POST /{ig-user-id}/media`) before anything
//!   is published: a repeat can at worst leave an unused container behind,
//!   which expires unpublished after 24 hours
//!   (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media>,
//!   "Containers expire after 24 hours"); nothing is posted twice;
//! - **`media_publish`** is never repeated blindly: after an answer that does
//!   not say what happened, the container's `status_code` decides
//!   (`publish::job`), as Meta's troubleshooting section suggests
//!   (<https://developers.facebook.com/documentation/instagram-platform/content-publishing>,
//!   "Container publishing status").
//!
//! Transient errors (transport failures, timeouts, 5xx, throttling, Meta's
//! `is_transient`, and the publishing subcodes Meta documents as "try
//! again") are retried; permanent ones (a media URL Meta cannot fetch, an
//! unsupported format, a missing permission, an invalid token) fail at once
//! with their cause.

use std::future::Future;
use std::time::Duration;

use serde::Serialize;

use crate::core::error::Error;
use crate::core::http::Transport;
use crate::core::time::Timestamp;

/// Publishing subcodes whose recommended solution in Meta's error table is
/// to try again
/// (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes>):
/// 2207001 "Instagram server error", 2207003 "It takes too long to download
/// the media", 2207008 (retry once or twice within 30 s to 2 min, then a
/// new container: the publish job does both after `media_publish`), 2207032
/// "Create media fail, please try to re-create media". The error parser
/// gives these the kind `transient`.
pub const TRANSIENT_PUBLISH_SUBCODES: [i64; 4] = [2_207_001, 2_207_003, 2_207_008, 2_207_032];

/// What kind of call failed: decides whether it may be repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// An idempotent `GET`.
    Read,
    /// `POST /{ig-user-id}/media`: at worst an unused container is left behind.
    CreateContainer,
    /// `POST /{ig-user-id}/media_publish`: never repeated blindly.
    Publish,
}

/// Whether trying the same call again later may succeed.
pub fn is_transient(error: &Error) -> bool {
    error.retryable()
        || error
            .subcode()
            .is_some_and(|s| TRANSIENT_PUBLISH_SUBCODES.contains(&s))
}

/// Whether `call` may simply be sent again after `error`.
pub fn may_retry(call: CallKind, error: &Error) -> bool {
    match call {
        CallKind::Read | CallKind::CreateContainer => is_transient(error),
        CallKind::Publish => false,
    }
}

/// How often and how long to retry one call. Durations are milliseconds so
/// the policy serializes as plain JSON numbers (it is part of a saved job).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// Attempts of one call in all, the first included.
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles with each further one.
    pub base_delay_ms: u64,
    /// The longest backoff between two attempts (before jitter).
    pub max_delay_ms: u64,
    /// The longest time spent retrying one call, waits included. A
    /// `Retry-After` beyond it ends the retries (the error carries it).
    pub max_elapsed_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay_ms: 1_000,
            max_delay_ms: 30_000,
            max_elapsed_ms: 300_000,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again after this long.
    RetryAfter(Duration),
    /// Stop: the error is permanent, the call may not be repeated, or the
    /// bound is reached.
    GiveUp,
}

impl RetryPolicy {
    /// "Equal jitter" exponential backoff after `failures` failed attempts
    /// (1 = the first): half of `min(max, base * 2^(failures-1))` plus a
    /// random share of the other half, so that many clients failing together
    /// do not retry together.
    pub fn backoff(&self, failures: u32, random: u64) -> Duration {
        let exponent = failures.saturating_sub(1).min(30);
        let full = self
            .base_delay_ms
            .saturating_mul(1u64 << exponent)
            .min(self.max_delay_ms);
        let half = full / 2;
        Duration::from_millis(half + random % (full - half + 1))
    }

    /// Decides after the `failures`-th failed attempt of `call`, `elapsed`
    /// after its first failure. A `Retry-After` (or Meta's usage header) is
    /// honoured as given; otherwise the jittered backoff applies.
    pub fn decide(
        &self,
        call: CallKind,
        error: &Error,
        failures: u32,
        elapsed: Duration,
        random: u64,
    ) -> RetryDecision {
        if !may_retry(call, error) || failures >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let wait = error
            .retry_after
            .unwrap_or_else(|| self.backoff(failures, random));
        if elapsed + wait > Duration::from_millis(self.max_elapsed_ms) {
            return RetryDecision::GiveUp;
        }
        RetryDecision::RetryAfter(wait)
    }
}

/// A random `u64` from the transport's secure randomness (for jitter).
pub fn random_u64<T: Transport>(transport: &T) -> u64 {
    let mut bytes = [0u8; 8];
    transport.fill_random(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// Runs `attempt` until it succeeds, the error is permanent, or the policy's
/// bound is reached; sleeps on the transport between attempts. For one-shot
/// calls (the quota); the publish machine keeps its retry state in the job
/// instead, so that a retry survives a restart.
pub async fn with_retry<T, R, F, Fut>(
    transport: &T,
    policy: &RetryPolicy,
    call: CallKind,
    mut attempt: F,
) -> Result<R, Error>
where
    T: Transport,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    let mut failures = 0;
    let mut first_failure: Option<Timestamp> = None;
    loop {
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        failures += 1;
        let now = transport.now();
        let elapsed = now.since(*first_failure.get_or_insert(now));
        match policy.decide(call, &error, failures, elapsed, random_u64(transport)) {
            RetryDecision::RetryAfter(wait) => transport.sleep(wait).await,
            RetryDecision::GiveUp => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;
    use crate::core::http::Response;
    use crate::core::testing::{block_on, ScriptedTransport};

    fn graph_error(status: u16, code: i64, subcode: Option<i64>) -> Error {
        let sub = subcode
            .map(|s| format!(r#","error_subcode":{s}"#))
            .unwrap_or_default();
        Error::from_response(&Response::new(
            status,
            format!(r#"{{"error":{{"message":"m","type":"OAuthException","code":{code}{sub}}}}}"#),
        ))
    }

    #[test]
    fn backoff_doubles_within_jitter_and_cap() {
        let p = RetryPolicy::default();
        for random in [0, 1, 499, 500, 9_999, u64::MAX] {
            for failures in 1..=8 {
                let full = (1_000u64 << (failures - 1)).min(30_000);
                let wait = p.backoff(failures, random).as_millis() as u64;
                assert!(wait >= full / 2 && wait <= full, "{failures}: {wait}");
            }
        }
        // Different random draws give different waits (jitter is real).
        assert_ne!(p.backoff(3, 1), p.backoff(3, 2_000));
        // A huge failure count does not overflow.
        assert!(p.backoff(u32::MAX, 7) <= Duration::from_secs(30));
    }

    #[test]
    fn transient_and_permanent_errors() {
        // https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes
        assert!(is_transient(&graph_error(400, -1, Some(2_207_001))));
        assert!(is_transient(&graph_error(400, -1, Some(2_207_032))));
        assert!(is_transient(&graph_error(400, -2, Some(2_207_003))));
        assert!(is_transient(&graph_error(503, 2, None)));
        assert!(is_transient(&graph_error(400, 4, None)));
        assert!(is_transient(&Error::new(ErrorKind::Transport, "reset")));
        // Bad media URL, unsupported formats, permissions, tokens: permanent.
        assert!(!is_transient(&graph_error(400, 9004, Some(2_207_052))));
        assert!(!is_transient(&graph_error(400, 36001, Some(2_207_005))));
        assert!(!is_transient(&graph_error(400, 352, Some(2_207_026))));
        assert!(!is_transient(&graph_error(403, 10, None)));
        assert!(!is_transient(&graph_error(400, 190, None)));
    }

    #[test]
    fn media_publish_is_never_retried_blindly() {
        let p = RetryPolicy::default();
        let lost = Error::new(ErrorKind::Timeout, "no answer");
        assert_eq!(
            p.decide(CallKind::Publish, &lost, 1, Duration::ZERO, 0),
            RetryDecision::GiveUp
        );
        assert!(matches!(
            p.decide(CallKind::Read, &lost, 1, Duration::ZERO, 0),
            RetryDecision::RetryAfter(_)
        ));
        assert!(matches!(
            p.decide(CallKind::CreateContainer, &lost, 1, Duration::ZERO, 0),
            RetryDecision::RetryAfter(_)
        ));
    }

    #[test]
    fn retry_after_is_honoured_and_bounds_hold() {
        let p = RetryPolicy::default();
        let limited =
            Error::from_response(&Response::new(429, "").with_header("Retry-After", "42"));
        assert_eq!(
            p.decide(CallKind::Read, &limited, 1, Duration::ZERO, 12_345),
            RetryDecision::RetryAfter(Duration::from_secs(42))
        );
        // Attempts bound.
        assert_eq!(
            p.decide(CallKind::Read, &limited, 4, Duration::ZERO, 0),
            RetryDecision::GiveUp
        );
        // Time bound: a Retry-After beyond the remaining time ends the retries.
        assert_eq!(
            p.decide(CallKind::Read, &limited, 1, Duration::from_secs(270), 0),
            RetryDecision::GiveUp
        );
        let hour = Error::from_response(&Response::new(429, "").with_header("Retry-After", "3600"));
        assert_eq!(
            p.decide(CallKind::Read, &hour, 1, Duration::ZERO, 0),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn with_retry_sleeps_and_stops() {
        let t = ScriptedTransport::new(Timestamp::from_secs(1_000));
        let calls = std::cell::Cell::new(0);
        let result = block_on(with_retry(
            &t,
            &RetryPolicy::default(),
            CallKind::Read,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n < 3 {
                        Err(Error::new(ErrorKind::Transport, "reset"))
                    } else {
                        Ok(n)
                    }
                }
            },
        ));
        assert_eq!(result.unwrap(), 3);
        let sleeps = t.sleeps();
        assert_eq!(sleeps.len(), 2);
        assert!(sleeps[0] >= Duration::from_millis(500) && sleeps[0] <= Duration::from_secs(1));
        assert!(sleeps[1] >= Duration::from_secs(1) && sleeps[1] <= Duration::from_secs(2));

        // A permanent error is returned at once, without sleeping.
        let t = ScriptedTransport::new(Timestamp::from_secs(1_000));
        let result: Result<(), Error> = block_on(with_retry(
            &t,
            &RetryPolicy::default(),
            CallKind::Read,
            || async { Err(graph_error(400, 9004, Some(2_207_052))) },
        ));
        assert_eq!(result.unwrap_err().kind, ErrorKind::Media);
        assert!(t.sleeps().is_empty());
    }
}
