//! When to read a container's `status_code` while Instagram processes it.
//!
//! Meta gives no processing estimate; it recommends "querying a container's
//! status once per minute, for no more than 5 minutes"
//! (<https://developers.facebook.com/documentation/instagram-platform/content-publishing>,
//! Troubleshooting). That wastes a minute on an image that is ready in a
//! second. This policy checks first soon (sooner for images than for
//! videos), then waits a fixed share of the time already spent
//! (`growth_percent`) between checks, within a floor and a cap:
//!
//! - the checks form a geometric series, so the call count grows with the
//!   *logarithm* of the processing time instead of linearly (fixed polling);
//! - the time between FINISHED and its detection is at most `growth_percent`
//!   of the time elapsed (about half that on average), once past the first
//!   check and the floor;
//! - videos are checked first after 3 s, then on the same growing schedule:
//!   a reel of a few seconds is often ready by then, and a long video costs
//!   only the few extra early reads of a geometric series (a fixed 10 s first
//!   wait made every short reel wait 10 s, several times its processing);
//! - the cap (one minute, Meta's own cadence) bounds the wait on very long videos.
//!
//! Every check is also counted against the publish's call budget
//! (`PublishOptions::max_calls`), and a `Retry-After` from Meta always wins
//! over this schedule. `benches/poll.rs` measures the result against
//! fixed 3 s and 30 s polling
//! (`cargo bench --bench poll`; growth 18 % keeps the mean delay under 10 %
//! from 30 s of processing on, with fewer reads than 3 s polling from 60 s on).

use std::time::Duration;

use serde::Serialize;

use crate::core::publish::spec::MediaClass;

/// The polling schedule. Milliseconds, so it serializes as plain numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PollPolicy {
    /// First check of an image container, after it was created.
    pub first_check_image_ms: u64,
    /// First check of a container that holds a video.
    pub first_check_video_ms: u64,
    /// The wait before the next check, as a percentage of the time elapsed
    /// since processing started.
    pub growth_percent: u32,
    /// The shortest wait between two checks.
    pub min_interval_ms: u64,
    /// The longest wait between two checks.
    pub max_interval_ms: u64,
}

impl Default for PollPolicy {
    fn default() -> PollPolicy {
        PollPolicy {
            first_check_image_ms: 1_000,
            first_check_video_ms: 3_000,
            growth_percent: 18,
            min_interval_ms: 250,
            max_interval_ms: 60_000,
        }
    }
}

impl PollPolicy {
    /// A fixed interval (first check after one interval), for comparisons.
    pub fn fixed(interval: Duration) -> PollPolicy {
        let ms = interval.as_millis() as u64;
        PollPolicy {
            first_check_image_ms: ms,
            first_check_video_ms: ms,
            growth_percent: 0,
            min_interval_ms: ms,
            max_interval_ms: ms,
        }
    }

    /// The wait between creating the container and its first check.
    pub fn first_check(&self, class: MediaClass) -> Duration {
        Duration::from_millis(match class {
            MediaClass::Image => self.first_check_image_ms,
            MediaClass::Video => self.first_check_video_ms,
        })
    }

    /// The wait after a check that found the container still IN_PROGRESS,
    /// `elapsed` after processing started.
    pub fn next_check(&self, elapsed: Duration) -> Duration {
        let share = elapsed.as_millis() as u64 * u64::from(self.growth_percent) / 100;
        let floor = self.min_interval_ms.min(self.max_interval_ms);
        Duration::from_millis(share.clamp(floor, self.max_interval_ms))
    }

    /// Checks the schedule can make progress (a zero interval would spin).
    pub fn validate(&self) -> Result<(), crate::core::error::Error> {
        if self.min_interval_ms == 0 || self.max_interval_ms < self.min_interval_ms {
            return Err(crate::core::error::Error::invalid_input(
                "poll",
                "poll.minIntervalMs must be > 0 and ≤ poll.maxIntervalMs",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_with_elapsed_time_within_floor_and_cap() {
        let p = PollPolicy::default();
        assert_eq!(p.first_check(MediaClass::Image), Duration::from_secs(1));
        assert_eq!(p.first_check(MediaClass::Video), Duration::from_secs(3));
        assert_eq!(
            p.next_check(Duration::from_millis(500)),
            Duration::from_millis(250)
        );
        assert_eq!(
            p.next_check(Duration::from_secs(10)),
            Duration::from_millis(1_800)
        );
        assert_eq!(
            p.next_check(Duration::from_secs(100)),
            Duration::from_secs(18)
        );
        assert_eq!(
            p.next_check(Duration::from_secs(3_600)),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn fixed_policy_is_fixed() {
        let p = PollPolicy::fixed(Duration::from_secs(3));
        for e in [0, 1, 10, 1_000] {
            assert_eq!(p.next_check(Duration::from_secs(e)), Duration::from_secs(3));
        }
        assert!(p.validate().is_ok());
        let mut bad = p.clone();
        bad.min_interval_ms = 0;
        assert!(bad.validate().is_err());
    }
}
