//! Reading a saved [`PublishJob`] back: the camelCase JSON its `Serialize`
//! wrote (`PublishJob::to_json`, a Worker's job record), read through the
//! core's field reader ([`Fields`]) rather than derived `Deserialize`
//! code: the job's derived reader, with its options, phase and error, was
//! one of the largest pieces of the npm package's wasm. The types'
//! `Deserialize` (used by the Worker's records) goes through these same
//! readers (`try_from = "serde_json::Value"`), so there is one reader.
//!
//! What is read is only checked for shape here; `PublishJob::from_json`
//! then validates it as a new job is.

use std::time::Duration;

use serde_json::Value;

use crate::core::error::{Error, ErrorKind, MetaError};
use crate::core::json::Fields;
use crate::core::publish::job::{Phase, PublishJob, PublishOptions, Published};
use crate::core::publish::poll::PollPolicy;
use crate::core::publish::spec::MediaSpec;
use crate::core::retry::RetryPolicy;
use crate::core::time::Timestamp;

impl PublishJob {
    /// The job in `job`, its shape checked (not its values).
    pub(crate) fn read_saved(job: &Fields) -> Result<PublishJob, Error> {
        let spec = job
            .get("spec")
            .ok_or_else(|| job.error("spec", "is required"))?;
        let time = |key: &str| Ok::<_, Error>(job.opt_u64(key)?.map(Timestamp::from_millis));
        Ok(PublishJob {
            ig_user_id: job.string("igUserId")?,
            spec: MediaSpec::read_json(spec)?,
            options: PublishOptions::read_saved(&job.object("options")?)?,
            phase: Phase::read_saved(&job.object("phase")?)?,
            created_at: Timestamp::from_millis(job.u64("createdAt")?),
            processing_since: time("processingSince")?,
            calls: job.opt_u32("calls")?.unwrap_or(0),
            bytes_sent: job.opt_u64("bytesSent")?.unwrap_or(0),
            publish_attempts: job.opt_u32("publishAttempts")?.unwrap_or(0),
            first_publish_at: time("firstPublishAt")?,
            next_step_at: time("nextStepAt")?,
            failures: job.opt_u32("failures")?.unwrap_or(0),
            failing_since: time("failingSince")?,
            recreated: job.opt_bool("recreated")?.unwrap_or(false),
        })
    }
}

impl PublishOptions {
    /// Every field may be left out (its default).
    fn read_saved(o: &Fields) -> Result<PublishOptions, Error> {
        let d = PublishOptions::default();
        Ok(PublishOptions {
            check_quota: o.opt_bool("checkQuota")?.unwrap_or(d.check_quota),
            max_calls: o.opt_u32("maxCalls")?.unwrap_or(d.max_calls),
            max_publish_attempts: o
                .opt_u32("maxPublishAttempts")?
                .unwrap_or(d.max_publish_attempts),
            publish_settle_ms: o.opt_u64("publishSettleMs")?.unwrap_or(d.publish_settle_ms),
            poll: match o.opt_object("poll")? {
                Some(poll) => PollPolicy::read_saved(&poll)?,
                None => d.poll,
            },
            retry: match o.opt_object("retry")? {
                Some(retry) => RetryPolicy::read_saved(&retry)?,
                None => d.retry,
            },
            upload_chunk_bytes: o
                .opt_u64("uploadChunkBytes")?
                .unwrap_or(d.upload_chunk_bytes),
        })
    }
}

impl PollPolicy {
    fn read_saved(p: &Fields) -> Result<PollPolicy, Error> {
        Ok(PollPolicy {
            first_check_image_ms: p.u64("firstCheckImageMs")?,
            first_check_video_ms: p.u64("firstCheckVideoMs")?,
            growth_percent: required(p, "growthPercent", p.opt_u32("growthPercent")?)?,
            min_interval_ms: p.u64("minIntervalMs")?,
            max_interval_ms: p.u64("maxIntervalMs")?,
        })
    }
}

impl RetryPolicy {
    fn read_saved(r: &Fields) -> Result<RetryPolicy, Error> {
        Ok(RetryPolicy {
            max_attempts: required(r, "maxAttempts", r.opt_u32("maxAttempts")?)?,
            base_delay_ms: r.u64("baseDelayMs")?,
            max_delay_ms: r.u64("maxDelayMs")?,
            max_elapsed_ms: r.u64("maxElapsedMs")?,
        })
    }
}

fn required<T>(fields: &Fields, key: &str, value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| fields.error(key, "is required"))
}

impl Phase {
    /// `{"step": "processing", ...}`: the fields each step needs.
    fn read_saved(p: &Fields) -> Result<Phase, Error> {
        let step = p.string("step")?;
        let container_id = || p.string("containerId");
        Ok(match step.as_str() {
            "checkingQuota" => Phase::CheckingQuota,
            "creatingChildren" => Phase::CreatingChildren {
                done: p.strings("done")?,
            },
            "creatingContainer" => Phase::CreatingContainer {
                children: p.strings("children")?,
            },
            "uploading" => Phase::Uploading {
                container_id: container_id()?,
                offset: p.opt_u64("offset")?,
                item: p.opt_u64("item")?.map(|i| i as usize),
                done: p.strings("done")?,
            },
            "processing" => Phase::Processing {
                container_id: container_id()?,
                polls: required(p, "polls", p.opt_u32("polls")?)?,
            },
            "publishing" => Phase::Publishing {
                container_id: container_id()?,
                last_error: p
                    .opt_object("lastError")?
                    .map(|e| Error::read_saved(&e))
                    .transpose()?,
            },
            "recoveringMedia" => Phase::RecoveringMedia {
                container_id: container_id()?,
            },
            "fetchingPermalink" => Phase::FetchingPermalink {
                container_id: container_id()?,
                media_id: p.string("mediaId")?,
            },
            "done" => Phase::Done {
                published: Published::read_saved(&p.object("published")?)?,
            },
            "failed" => Phase::Failed {
                error: Error::read_saved(&p.object("error")?)?,
            },
            _ => return Err(p.error("step", &format!("is an unknown phase step {step:?}"))),
        })
    }
}

impl Published {
    fn read_saved(p: &Fields) -> Result<Published, Error> {
        Ok(Published {
            media_id: p.opt_string("mediaId")?,
            permalink: p.opt_string("permalink")?,
            container_id: p.string("containerId")?,
        })
    }
}

impl Error {
    /// An error as its `Serialize` wrote it (snake_case fields, `kind` by
    /// name, `retry_after` as `{"secs","nanos"}`).
    pub(crate) fn read_saved(e: &Fields) -> Result<Error, Error> {
        let name = e.string("kind")?;
        let kind = ErrorKind::from_name(&name)
            .ok_or_else(|| e.error("kind", &format!("is an unknown error kind {name:?}")))?;
        let meta = match e.opt_object("meta")? {
            None => None,
            Some(m) => Some(MetaError {
                code: m.opt_i64("code")?,
                subcode: m.opt_i64("subcode")?,
                error_type: m.opt_string("error_type")?,
                fbtrace_id: m.opt_string("fbtrace_id")?,
                is_transient: m.opt_bool("is_transient")?,
                user_title: m.opt_string("user_title")?,
                user_message: m.opt_string("user_message")?,
            }),
        };
        let retry_after = match e.opt_object("retry_after")? {
            None => None,
            Some(d) => Some(Duration::new(
                d.u64("secs")?,
                d.opt_u32("nanos")?.unwrap_or(0).min(999_999_999),
            )),
        };
        let status = match e.opt_u64("status")? {
            None => None,
            Some(s) => Some(u16::try_from(s).map_err(|_| e.error("status", "is too large"))?),
        };
        Ok(Error {
            kind,
            message: e.string("message")?,
            status,
            meta,
            retry_after,
            field: e.opt_string("field")?,
            not_retryable: e.opt_bool("not_retryable")?.unwrap_or(false),
        })
    }
}

/// `Deserialize` of a type through its reader (`try_from = "serde_json::Value"`).
macro_rules! from_value {
    ($($t:ty => $name:literal),*) => {$(
        impl TryFrom<Value> for $t {
            type Error = String;
            fn try_from(value: Value) -> Result<$t, String> {
                Fields::root(&value, $name)
                    .and_then(|f| <$t>::read_saved(&f))
                    .map_err(|e| e.message)
            }
        }
    )*};
}
from_value!(PublishJob => "job", Phase => "phase", Error => "error");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_reads_back_by_its_serialized_name() {
        for kind in ErrorKind::ALL {
            let name = serde_json::to_value(kind).unwrap();
            assert_eq!(name, kind.as_str());
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(ErrorKind::from_name("nope"), None);
    }

    #[test]
    fn a_saved_error_reads_back_with_every_field() {
        let mut error = Error::new(ErrorKind::RateLimited, "slow down")
            .with_status(429)
            .with_field("x")
            .with_meta(MetaError {
                code: Some(4),
                subcode: Some(2_207_051),
                error_type: Some("OAuthException".into()),
                fbtrace_id: Some("Abc".into()),
                is_transient: Some(true),
                user_title: Some("t".into()),
                user_message: Some("m".into()),
            })
            .with_no_retry("because");
        error.retry_after = Some(Duration::from_millis(1_500));
        let json = serde_json::to_string(&error).unwrap();
        let back: Error = serde_json::from_str(&json).unwrap();
        assert_eq!(back, error, "{json}");
        let e = serde_json::from_str::<Error>(r#"{"kind":"weird","message":"m"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown error kind"), "{e}");
        assert!(serde_json::from_str::<Error>(r#"{"kind":"media"}"#).is_err());
    }
}
