//! When an account's object tries a failed refresh again: the backoff and
//! the bounds on Meta's own hint. Apart from `refresh.rs` so that the object's
//! work (`line.rs`), which the cron's refresh hands accounts to, can use it
//! without an import cycle.

use std::time::Duration;

use crate::core::http::Transport;
use crate::core::retry::{random_u64, RetryPolicy};
use crate::core::time::Timestamp;

/// How an account's object retries a failed refresh: an hour after the
/// first failure, doubling to at most twelve hours, jittered (equal
/// jitter: half the wait plus a random share of the other half, so that
/// accounts that failed together do not retry together). Against a
/// `REFRESH_WINDOW_DAYS` of days this loses hours, and sends Meta at most a
/// call an hour per failing account: never a hot loop.
pub const REFRESH_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: u32::MAX,
    base_delay_ms: 3_600_000,
    max_delay_ms: 12 * 3_600_000,
    max_elapsed_ms: u64::MAX,
};
/// Bounds on Meta's own hint (`Retry-After`, or the usage headers' time to
/// regain access), which replaces the backoff when given.
pub const REFRESH_RETRY_HINT_MIN: Duration = Duration::from_secs(60);
pub const REFRESH_RETRY_HINT_MAX: Duration = Duration::from_secs(24 * 3600);

/// When to try a refresh again after the `failures`-th failure in a row
/// (`hint`: Meta's retry-after, if it gave one).
///
/// The retries end on their own: a success resets the count and moves the
/// due time; an invalid token or a revoked permission marks the account
/// `needs_reauth` (no due time, no alarm); and a token that keeps failing
/// until it expires is marked `needs_reauth` (`token_expired`) at the next
/// try, without a call to Meta.
pub fn refresh_retry_at<T: Transport>(
    transport: &T,
    failures: u32,
    hint: Option<Duration>,
) -> Timestamp {
    let wait = match hint {
        Some(h) => h.clamp(REFRESH_RETRY_HINT_MIN, REFRESH_RETRY_HINT_MAX),
        None => REFRESH_RETRY.backoff(failures.max(1), random_u64(transport)),
    };
    transport.now().plus(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::ScriptedTransport;

    #[test]
    fn refresh_retries_back_off_to_twelve_hours_and_keep_meta_hints_within_bounds() {
        let t = ScriptedTransport::new(Timestamp::from_secs(1_800_000_000));
        let wait = |failures, hint| refresh_retry_at(&t, failures, hint).since(t.now());
        let hour = Duration::from_secs(3600);
        for (failures, full) in [
            (1, hour),
            (2, hour * 2),
            (4, hour * 8),
            (5, hour * 12),
            (40, hour * 12),
        ] {
            let w = wait(failures, None);
            assert!(w >= full / 2 && w <= full, "failure {failures}: {w:?}");
        }
        assert_eq!(
            wait(1, Some(Duration::from_secs(90))),
            Duration::from_secs(90)
        );
        assert_eq!(wait(1, Some(Duration::ZERO)), REFRESH_RETRY_HINT_MIN);
        assert_eq!(wait(1, Some(hour * 100)), REFRESH_RETRY_HINT_MAX);
    }
}
