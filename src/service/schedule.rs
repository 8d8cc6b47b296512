//! Scheduled publishing: `publish_at` on `POST /api/accounts/{id}/publish`.
//!
//! A scheduled job is stored at once and waits in its account's object: the
//! object's alarm starts it [`lead`] before `publish_at` (the quota read and
//! the container, so a video has time to process), then the job holds
//! before its first status read until `publish_at`, and publishes as soon
//! as Meta says the container is FINISHED. So a post goes live within one
//! status read and one `media_publish` of its time, unless processing takes
//! longer than the lead (then it goes live when processing ends).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::core::publish::recover::parse_graph_time;
use crate::core::publish::spec::{MediaClass, MediaSpec};
use crate::core::time::Timestamp;
use crate::service::error::ApiError;

/// The furthest ahead a post may be scheduled.
pub const MAX_SCHEDULE_AHEAD: Duration = Duration::from_secs(30 * 86_400);
/// How long before `publish_at` an image job starts.
pub const IMAGE_LEAD: Duration = Duration::from_secs(20);
/// How long before `publish_at` a job with a video starts (Meta processes
/// most short videos within a few minutes).
pub const VIDEO_LEAD: Duration = Duration::from_secs(5 * 60);

/// When a job for `spec` starts, to be published at `publish_at`.
pub fn lead(spec: &MediaSpec) -> Duration {
    match spec.class() {
        MediaClass::Image => IMAGE_LEAD,
        MediaClass::Video => VIDEO_LEAD,
    }
}

/// Takes `publish_at` out of a publish body: `None` when absent (publish
/// now); an RFC 3339 time after `now` and at most [`MAX_SCHEDULE_AHEAD`]
/// later; anything else is a 400 naming `publish_at`.
pub fn take_publish_at(
    body: &mut Map<String, Value>,
    now: Timestamp,
) -> Result<Option<Timestamp>, ApiError> {
    let bad = |message: String| ApiError::invalid_input("publish_at", message);
    let at = match body.remove("publish_at") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => parse_graph_time(&text).ok_or_else(|| {
            bad(format!(
                "publish_at {text:?} is not an RFC 3339 time such as 2026-12-24T18:00:00Z"
            ))
        })?,
        Some(_) => {
            return Err(bad(
                "publish_at must be an RFC 3339 time string such as 2026-12-24T18:00:00Z".into(),
            ))
        }
    };
    if at <= now {
        return Err(bad(format!(
            "publish_at {} is not in the future (now is {})",
            at.to_rfc3339(),
            now.to_rfc3339()
        )));
    }
    if at > now.plus(MAX_SCHEDULE_AHEAD) {
        return Err(bad(format!(
            "publish_at may be at most {} days ahead",
            MAX_SCHEDULE_AHEAD.as_secs() / 86_400
        )));
    }
    Ok(Some(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn take(v: Value, now: Timestamp) -> Result<Option<Timestamp>, ApiError> {
        let mut body = v.as_object().unwrap().clone();
        let r = take_publish_at(&mut body, now);
        assert!(!body.contains_key("publish_at"));
        r
    }

    #[test]
    fn publish_at_must_be_a_future_rfc3339_time_within_the_window() {
        let now = Timestamp::from_secs(1_795_000_000);
        assert_eq!(take(json!({}), now).unwrap(), None);
        let at = now.plus(Duration::from_secs(3600));
        assert_eq!(
            take(json!({"publish_at": at.to_rfc3339()}), now).unwrap(),
            Some(at)
        );
        for bad in [
            json!({"publish_at": "tomorrow"}),
            json!({"publish_at": 1795003600}),
            json!({"publish_at": now.to_rfc3339()}),
            json!({"publish_at": now.plus(MAX_SCHEDULE_AHEAD + Duration::from_secs(60)).to_rfc3339()}),
        ] {
            let e = take(bad, now).unwrap_err();
            assert_eq!((e.status, e.field.as_deref()), (400, Some("publish_at")));
        }
    }
}
