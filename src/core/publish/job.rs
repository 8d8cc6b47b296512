//! A publish as an explicit, serializable state machine. [`PublishJob::step`]
//! makes one call to Meta (two when a status read that says FINISHED is
//! followed by the `media_publish` it allows) and moves on, so a Worker can save the job
//! (JSON, camelCase) after every step and resume it in another invocation,
//! even after a crash. The access token is never part of the job: it is
//! passed to each step.
//!
//! ```text
//! [CheckingQuota] → CreatingChildren (carousels, one item per step) → CreatingContainer
//!   (a video file: → Uploading, one upload or offset read per step, after
//!   its container; a carousel's back to CreatingChildren)
//!   → Processing (status reads; FINISHED → media_publish in the same step)
//!   → FetchingPermalink → Done
//! Processing ⇄ Publishing (a send's outcome is unknown: the status decides)
//! Processing / Publishing → RecoveringMedia (PUBLISHED, media id unknown) → Done
//! any phase → Failed (a permanent error, or transient ones past the retry bound)
//! ```
//! (<https://developers.facebook.com/documentation/instagram-platform/content-publishing>)
//!
//! # Video files
//! A video given as a file ([`VideoFile`]) is sent to Meta with the
//! resumable upload (`upload.rs`) right after its container is created. The
//! job saves how many bytes Meta has (`offset`); after an interruption (a
//! failed or cut upload, a restart) the offset is unknown, and the next step
//! reads it from Meta before sending the rest, so nothing Meta already has
//! is sent again. The bytes are never saved: each step gets them
//! ([`PublishJob::step_with_files`]).
//!
//! # Never twice
//! `media_publish` is the one call that must not be repeated blindly, so it
//! is only ever sent in the same step as, and right after, a status read
//! that said FINISHED. No saved state ever means "send now":
//! - `Processing`: read the status; FINISHED → send `media_publish` at once;
//! - after a send whose outcome is unknown (transport error, timeout, lost
//!   answer, 5xx, throttling, an unexpected body), the job waits
//!   (`publish_settle_ms`, or `Retry-After`) in `Publishing`, and that
//!   step reads the status again: PUBLISHED means done (the media is then
//!   found among the account's newest media when exactly one fits,
//!   `recover.rs`), FINISHED means the publish did not happen and may be
//!   sent again (at most `max_publish_attempts` sends in all), IN_PROGRESS
//!   means not ready yet;
//! - a job saved before a crash in the middle of a send is in `Processing`
//!   or `Publishing`, so its next step reads the status first as well.
//!
//! This is the check Meta's troubleshooting section describes for a
//! `media_publish` that "does not return the published media ID". Answers
//! that certainly refused the publish (invalid token, missing permission,
//! publishing limit, expired or unknown container) fail the job at once;
//! "not ready" (9007 / 2207027) goes back to polling.
//!
//! Two answers ask for another try, per Meta's error table
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes>):
//! 2207008 after `media_publish` (certainly not published; retry once or
//! twice within 30 s to 2 min, then generate a new container) and a
//! container that ends in ERROR with 2207053 ("unknown upload error":
//! generate a new container). The job then creates a new container, once.
//!
//! When the outcome of a publish cannot be confirmed (the status reads keep
//! failing), `step` returns `Err` and leaves the job in `Publishing`: the
//! job is never marked failed while its post might exist.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::json::{self, Fields};
use crate::core::publish::calls::{
    carousel_item_params, container_params, container_status_request, create_container_request,
    media_publish_request, permalink_request, process_container_status, process_created,
    process_permalink, process_published, process_recent_media, recent_media_request, StatusCode,
};
use crate::core::publish::poll::PollPolicy;
use crate::core::publish::quota::{process_quota, quota_request, PublishingQuota};
use crate::core::publish::recover::find_published;
use crate::core::publish::spec::{CarouselItem, MediaSpec};
use crate::core::publish::upload::{
    process_bytes_transferred, process_upload, upload_request, upload_status_request,
};
use crate::core::publish::validate::check_ig_user_id;
use crate::core::retry::{is_transient, random_u64, CallKind, RetryDecision, RetryPolicy};
use crate::core::secret::AccessToken;
use crate::core::time::Timestamp;

/// How a publish behaves; saved with the job so a resumed job keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishOptions {
    /// Read the publishing quota first and refuse when it is used up.
    pub check_quota: bool,
    /// Calls this publish may make in all (every create, status read,
    /// publish, permalink and quota read counts). Past it, `step` returns a
    /// `Timeout` error and the job stays resumable (`grant_calls`).
    pub max_calls: u32,
    /// `media_publish` sends in all, each one only after the container's
    /// status said the previous one did not take effect.
    pub max_publish_attempts: u32,
    /// After a `media_publish` with an unknown outcome, wait this long (or
    /// Meta's `Retry-After`, if longer) before the status decides.
    pub publish_settle_ms: u64,
    pub poll: PollPolicy,
    pub retry: RetryPolicy,
    /// Bytes of a video file sent per upload request; 0 (the default) sends
    /// the rest of the file in one request, as Meta's guide does. Smaller
    /// pieces report progress more often and lose less to an interruption.
    pub upload_chunk_bytes: u64,
}

impl Default for PublishOptions {
    fn default() -> PublishOptions {
        PublishOptions {
            check_quota: false,
            max_calls: 100,
            max_publish_attempts: 3,
            publish_settle_ms: 5_000,
            poll: PollPolicy::default(),
            retry: RetryPolicy::default(),
            upload_chunk_bytes: 0,
        }
    }
}

impl PublishOptions {
    pub fn validate(&self) -> Result<(), Error> {
        if self.max_calls == 0 {
            return Err(Error::invalid_input(
                "maxCalls",
                "maxCalls must be at least 1",
            ));
        }
        if self.max_publish_attempts == 0 {
            return Err(Error::invalid_input(
                "maxPublishAttempts",
                "maxPublishAttempts must be at least 1",
            ));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::invalid_input(
                "retry.maxAttempts",
                "retry.maxAttempts must be at least 1",
            ));
        }
        self.poll.validate()
    }
}

/// The result of a publish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    /// The new media's ID. `None` only when the publish answer was lost and
    /// the media could not be told apart among the account's newest media;
    /// the post exists all the same (its container is PUBLISHED).
    pub media_id: Option<String>,
    pub permalink: Option<String>,
    pub container_id: String,
}

/// Where a publish is. Written as `{"step": "processing", ...fields}`; read
/// back by the core's field reader (`saved.rs`), not serde's buffered reader
/// for an internally tagged enum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "step",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    try_from = "serde_json::Value"
)]
pub enum Phase {
    /// Reading the publishing quota (when asked).
    CheckingQuota,
    /// Creating carousel item containers; `done` holds those created.
    CreatingChildren {
        done: Vec<String>,
    },
    /// Creating the container (a carousel's with its `children`).
    CreatingContainer {
        #[serde(default)]
        children: Vec<String>,
    },
    /// Sending a video file to the container `container_id`: Meta has
    /// `offset` bytes (`None`: unknown since an interruption, to be read
    /// from Meta first). `item` is the carousel item the video belongs to
    /// (`done` then holds the item containers created so far, this one too).
    Uploading {
        container_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<usize>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        done: Vec<String>,
    },
    /// Waiting for `status_code` FINISHED (`polls` reads so far); the step
    /// that reads FINISHED sends `media_publish`.
    Processing {
        container_id: String,
        polls: u32,
    },
    /// A `media_publish` was sent and its outcome is unknown: the next
    /// step reads the status, which decides.
    Publishing {
        container_id: String,
        /// What the last send answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_error: Option<Error>,
    },
    /// Published, but the media ID never arrived: looking it up.
    RecoveringMedia {
        container_id: String,
    },
    /// Published; reading the permalink.
    FetchingPermalink {
        container_id: String,
        media_id: String,
    },
    Done {
        published: Published,
    },
    Failed {
        error: Error,
    },
}

impl Phase {
    /// The phase's name as it appears in JSON (`"processing"`).
    pub fn name(&self) -> &'static str {
        match self {
            Phase::CheckingQuota => "checkingQuota",
            Phase::CreatingChildren { .. } => "creatingChildren",
            Phase::CreatingContainer { .. } => "creatingContainer",
            Phase::Uploading { .. } => "uploading",
            Phase::Processing { .. } => "processing",
            Phase::Publishing { .. } => "publishing",
            Phase::RecoveringMedia { .. } => "recoveringMedia",
            Phase::FetchingPermalink { .. } => "fetchingPermalink",
            Phase::Done { .. } => "done",
            Phase::Failed { .. } => "failed",
        }
    }

    /// The calls the next step may make: a status read may be followed by
    /// the `media_publish` it allows.
    pub fn calls_of_next_step(&self) -> u32 {
        match self {
            Phase::Processing { .. } | Phase::Publishing { .. } => 2,
            _ => 1,
        }
    }

    /// Whether a post may already exist (a `media_publish` may have been
    /// sent): such a job must not be failed or dropped without saying so.
    pub fn post_may_exist(&self) -> bool {
        !matches!(
            self,
            Phase::CheckingQuota
                | Phase::CreatingChildren { .. }
                | Phase::CreatingContainer { .. }
                | Phase::Uploading { .. }
        )
    }

    /// The container the phase works on (or published), once there is one.
    pub fn container_id(&self) -> Option<&str> {
        match self {
            Phase::Uploading { container_id, .. }
            | Phase::Processing { container_id, .. }
            | Phase::Publishing { container_id, .. }
            | Phase::RecoveringMedia { container_id }
            | Phase::FetchingPermalink { container_id, .. } => Some(container_id),
            Phase::Done { published } => Some(&published.container_id),
            Phase::CheckingQuota
            | Phase::CreatingChildren { .. }
            | Phase::CreatingContainer { .. }
            | Phase::Failed { .. } => None,
        }
    }
}

/// Something worth telling the user while a publish runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    QuotaChecked {
        quota: PublishingQuota,
    },
    /// Carousel item `index` (of `count`) has its container.
    ChildCreated {
        index: usize,
        count: usize,
        container_id: String,
    },
    /// Meta has `sent` of the `total` bytes of a video file.
    Uploaded {
        container_id: String,
        sent: u64,
        total: u64,
    },
    /// The container exists; Instagram is processing the media.
    Created {
        container_id: String,
    },
    /// A status read found the container still processing (or FINISHED).
    Processing {
        container_id: String,
        elapsed: Duration,
        checks: u32,
    },
    /// The post exists (`media_id` is `None` until a lost answer's media is found).
    Published {
        container_id: String,
        media_id: Option<String>,
    },
    /// A call failed and will be tried again after `wait`.
    Retrying {
        wait: Duration,
        error: Error,
    },
}

/// What a step achieved.
#[derive(Clone, Debug, PartialEq)]
pub enum StepOutcome {
    /// More to do: save the job, then step again at `next_at` (which may be now).
    Continue {
        next_at: Timestamp,
        progress: Vec<Progress>,
    },
    /// Published.
    Done(Published),
    /// Failed for good; nothing was published.
    Failed(Error),
}

/// One publish, resumable. Read back by `saved.rs` (its `Deserialize` too).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "serde_json::Value")]
pub struct PublishJob {
    pub ig_user_id: String,
    pub spec: MediaSpec,
    pub options: PublishOptions,
    pub phase: Phase,
    pub created_at: Timestamp,
    /// When the first container was created (processing time counts from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_since: Option<Timestamp>,
    /// Calls made so far (against `options.max_calls`).
    #[serde(default)]
    pub calls: u32,
    /// Video file bytes sent so far (a resent byte counts again).
    #[serde(default)]
    pub bytes_sent: u64,
    /// `media_publish` sends so far.
    #[serde(default)]
    pub publish_attempts: u32,
    /// When the first `media_publish` was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_publish_at: Option<Timestamp>,
    /// No call before this (polling schedule, backoff, `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step_at: Option<Timestamp>,
    /// Failed attempts of the current call, and since when.
    #[serde(default)]
    pub failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<Timestamp>,
    /// Whether the job already made a new container after one Meta asked
    /// to replace (2207008 / 2207053): it does so once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recreated: bool,
}

/// Meta's wait before publishing again after 2207008 ("retry once or twice
/// within 30 seconds to 2 minutes").
pub const CONTAINER_RETRY_WAIT: Duration = Duration::from_secs(30);

/// What a step does when a call fails and will not be retried.
enum GiveUp {
    /// Fail the job with the error (nothing can have been published).
    Fail,
    /// Return the error and keep the job as it is: a publish may exist.
    Resumable,
    /// The post exists: finish without what could not be read.
    Finish(Published),
}

impl PublishJob {
    /// A new job for `spec` on the account `ig_user_id`, validated; no call yet.
    pub fn new(
        ig_user_id: &str,
        spec: MediaSpec,
        options: PublishOptions,
        now: Timestamp,
    ) -> Result<PublishJob, Error> {
        check_ig_user_id(ig_user_id)?;
        spec.validate()?;
        options.validate()?;
        let phase = if options.check_quota {
            Phase::CheckingQuota
        } else {
            creation_phase(&spec)
        };
        Ok(PublishJob {
            ig_user_id: ig_user_id.to_owned(),
            spec,
            options,
            phase,
            created_at: now,
            processing_since: None,
            calls: 0,
            bytes_sent: 0,
            publish_attempts: 0,
            first_publish_at: None,
            next_step_at: None,
            failures: 0,
            failing_since: None,
            recreated: false,
        })
    }

    /// A saved job (`serde_json::to_string` of a `PublishJob`), checked again.
    pub fn from_json(text: &str) -> Result<PublishJob, Error> {
        let not_a_job =
            |why: &str| Error::invalid_input("job", format!("not a saved publish job ({why})"));
        let value = json::parse(text).ok_or_else(|| not_a_job("not JSON"))?;
        let job = Fields::root(&value, "job")
            .and_then(|f| PublishJob::read_saved(&f))
            .map_err(|e| not_a_job(&e.message))?;
        check_ig_user_id(&job.ig_user_id)?;
        job.spec.validate()?;
        job.options.validate()?;
        Ok(job)
    }

    pub fn to_json(&self) -> String {
        // A job holds only strings, numbers and booleans: this cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Done { .. } | Phase::Failed { .. })
    }

    /// Allows `extra` more calls (after a budget error).
    pub fn grant_calls(&mut self, extra: u32) {
        self.options.max_calls = self.options.max_calls.saturating_add(extra);
    }

    /// Makes at most one call to Meta and moves the job on. `Err` means the
    /// step could not make progress but the job is intact and can be
    /// stepped again later (call budget used up; a publish whose outcome
    /// could not be confirmed yet); a failed publish is `Ok(Failed)`.
    pub async fn step<T: Transport>(
        &mut self,
        transport: &T,
        config: &Config,
        token: &AccessToken,
    ) -> Result<StepOutcome, Error> {
        self.step_with_files(transport, config, token, &[]).await
    }

    /// [`step`](Self::step) for a job that uploads video files: `files` are
    /// their bytes, in the order of [`MediaSpec::video_files`].
    pub async fn step_with_files<T: Transport>(
        &mut self,
        transport: &T,
        config: &Config,
        token: &AccessToken,
        files: &[&[u8]],
    ) -> Result<StepOutcome, Error> {
        match &self.phase {
            Phase::Done { published } => return Ok(StepOutcome::Done(published.clone())),
            Phase::Failed { error } => return Ok(StepOutcome::Failed(error.clone())),
            _ => {}
        }
        if !self.spec.video_files().is_empty() {
            // Refused before any container is made on a host without uploads.
            config.rupload_url(&self.ig_user_id)?;
        }
        let now = transport.now();
        if let Some(at) = self.next_step_at.filter(|at| *at > now) {
            return Ok(StepOutcome::Continue {
                next_at: at,
                progress: Vec::new(),
            });
        }
        // Rules that depend on the login product (caption add-ons are
        // Facebook Login's), checked before anything is created.
        if matches!(
            self.phase,
            Phase::CheckingQuota | Phase::CreatingChildren { .. } | Phase::CreatingContainer { .. }
        ) && self.calls == 0
        {
            if let Err(e) = self.spec.validate_for(config.product) {
                return Ok(self.fail(e));
            }
        }
        let needed = self.phase.calls_of_next_step();
        if self.calls + needed > self.options.max_calls {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "the publish used its budget of {} calls while {}; the job is intact: grant more calls and step it again",
                    self.options.max_calls,
                    self.phase.name()
                ),
            ));
        }
        let call = Call {
            transport,
            config,
            token,
        };
        match self.phase.clone() {
            Phase::CheckingQuota => self.check_quota(&call).await,
            Phase::CreatingChildren { done } => self.create_child(&call, done).await,
            Phase::CreatingContainer { children } => self.create_container(&call, children).await,
            Phase::Uploading {
                container_id,
                offset,
                item,
                done,
            } => {
                let at = Uploading {
                    container_id,
                    item,
                    done,
                };
                match offset {
                    Some(offset) => self.upload(&call, at, offset, files).await,
                    None => self.read_offset(&call, at).await,
                }
            }
            Phase::Processing {
                container_id,
                polls,
            } => self.read_status(&call, container_id, polls, None).await,
            Phase::Publishing {
                container_id,
                last_error,
            } => {
                let unknown = Some(last_error);
                self.read_status(&call, container_id, 0, unknown).await
            }
            Phase::RecoveringMedia { container_id } => self.recover(&call, container_id).await,
            Phase::FetchingPermalink {
                container_id,
                media_id,
            } => self.fetch_permalink(&call, container_id, media_id).await,
            Phase::Done { .. } | Phase::Failed { .. } => unreachable_phase(),
        }
    }

    async fn check_quota<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
    ) -> Result<StepOutcome, Error> {
        let request = quota_request(call.config, call.token, &self.ig_user_id, None);
        match call.send(self, request).await.and_then(|r| process_quota(&r)) {
            Ok(quota) if quota.is_exhausted() => Ok(self.fail(
                Error::new(
                    ErrorKind::PublishLimit,
                    format!(
                        "the account has published {} of the {} posts Instagram allows in its rolling window; try again later",
                        quota.usage,
                        quota.total.unwrap_or(quota.usage)
                    ),
                ),
            )),
            Ok(quota) => {
                let next = creation_phase(&self.spec);
                Ok(self.advance(call, next, None, vec![Progress::QuotaChecked { quota }]))
            }
            Err(e) => self.retry_or(call, CallKind::Read, e, GiveUp::Fail),
        }
    }

    async fn create_child<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        mut done: Vec<String>,
    ) -> Result<StepOutcome, Error> {
        let items = self.spec.carousel_items();
        let count = items.len();
        let Some(item) = items.get(done.len()) else {
            let next = Phase::CreatingContainer { children: done };
            return Ok(self.advance(call, next, None, Vec::new()));
        };
        let upload = is_video_file(item);
        let request = create_container_request(
            call.config,
            call.token,
            &self.ig_user_id,
            &carousel_item_params(item),
        );
        match call
            .send(self, request)
            .await
            .and_then(|r| process_created(&r))
        {
            Ok(id) => {
                let index = done.len();
                self.processing_since.get_or_insert(call.transport.now());
                done.push(id.clone());
                let next = if upload {
                    Phase::Uploading {
                        container_id: id.clone(),
                        offset: Some(0),
                        item: Some(index),
                        done,
                    }
                } else {
                    after_child(done, count)
                };
                let progress = Progress::ChildCreated {
                    index,
                    count,
                    container_id: id,
                };
                Ok(self.advance(call, next, None, vec![progress]))
            }
            Err(e) => self.retry_or(call, CallKind::CreateContainer, e, GiveUp::Fail),
        }
    }

    async fn create_container<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        children: Vec<String>,
    ) -> Result<StepOutcome, Error> {
        let params = container_params(&self.spec, &children);
        let request = create_container_request(call.config, call.token, &self.ig_user_id, &params);
        match call
            .send(self, request)
            .await
            .and_then(|r| process_created(&r))
        {
            Ok(container_id) => {
                let now = call.transport.now();
                let since = *self.processing_since.get_or_insert(now);
                // Carousel items started processing when they were created.
                let wait = self
                    .options
                    .poll
                    .first_check(self.spec.class())
                    .saturating_sub(now.since(since));
                let progress = Progress::Created {
                    container_id: container_id.clone(),
                };
                if self
                    .spec
                    .video_files()
                    .iter()
                    .any(|(item, _)| item.is_none())
                {
                    let next = Phase::Uploading {
                        container_id,
                        offset: Some(0),
                        item: None,
                        done: Vec::new(),
                    };
                    return Ok(self.advance(call, next, None, vec![progress]));
                }
                let next = Phase::Processing {
                    container_id,
                    polls: 0,
                };
                Ok(self.advance(call, next, Some(wait), vec![progress]))
            }
            Err(e) => self.retry_or(call, CallKind::CreateContainer, e, GiveUp::Fail),
        }
    }

    /// The bytes of the file being uploaded, checked against what its header said.
    fn file_of<'f>(&self, at: &Uploading, files: &[&'f [u8]]) -> Result<&'f [u8], Error> {
        let listed = self.spec.video_files();
        let position = listed.iter().position(|(item, _)| *item == at.item);
        let (Some(position), Some(expected)) = (
            position,
            listed
                .iter()
                .find(|(item, _)| *item == at.item)
                .map(|(_, f)| f.size),
        ) else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the job is uploading a video its spec does not have",
            ));
        };
        let Some(bytes) = files.get(position) else {
            return Err(Error::invalid_input(
                "videoFile",
                format!(
                    "this job uploads {} video file(s) and is at file {}: step it with the files' bytes",
                    listed.len(),
                    position + 1
                ),
            ));
        };
        if bytes.len() as u64 != expected {
            return Err(Error::invalid_input(
                "videoFile",
                format!(
                    "the video file has {} bytes but the job was made for one of {expected}: give the same file",
                    bytes.len()
                ),
            ));
        }
        Ok(bytes)
    }

    /// Sends the next piece of a video file from `offset`.
    async fn upload<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        at: Uploading,
        offset: u64,
        files: &[&[u8]],
    ) -> Result<StepOutcome, Error> {
        let file = self.file_of(&at, files)?;
        let total = file.len() as u64;
        if offset >= total {
            return Ok(self.uploaded(call, at, total));
        }
        let chunk = match self.options.upload_chunk_bytes {
            0 => total,
            n => n,
        };
        let end = offset.saturating_add(chunk).min(total);
        let request = upload_request(call.config, call.token, &at.container_id, file, offset, end)?;
        self.bytes_sent += end - offset;
        match call
            .send(self, request)
            .await
            .and_then(|r| process_upload(&r))
        {
            Ok(()) if end == total => Ok(self.uploaded(call, at, total)),
            Ok(()) => {
                let progress = Progress::Uploaded {
                    container_id: at.container_id.clone(),
                    sent: end,
                    total,
                };
                Ok(self.advance(call, at.phase(Some(end)), None, vec![progress]))
            }
            Err(e) => {
                // Meta may hold part of what was sent: its count decides
                // where the next upload starts.
                self.phase = at.phase(None);
                self.retry_or(call, CallKind::Read, e, GiveUp::Fail)
            }
        }
    }

    /// After an interruption: reads how many bytes Meta has.
    async fn read_offset<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        at: Uploading,
    ) -> Result<StepOutcome, Error> {
        let request = upload_status_request(call.config, call.token, &at.container_id);
        match call
            .send(self, request)
            .await
            .and_then(|r| process_bytes_transferred(&r))
        {
            Ok(offset) => {
                let total = self
                    .spec
                    .video_files()
                    .iter()
                    .find(|(item, _)| *item == at.item)
                    .map_or(0, |(_, f)| f.size);
                let offset = offset.min(total);
                let progress = Progress::Uploaded {
                    container_id: at.container_id.clone(),
                    sent: offset,
                    total,
                };
                Ok(self.advance(call, at.phase(Some(offset)), None, vec![progress]))
            }
            Err(e) => self.retry_or(call, CallKind::Read, e, GiveUp::Fail),
        }
    }

    /// The whole file is at Meta: on to the next carousel item, or to
    /// waiting for the container's processing.
    fn uploaded<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        at: Uploading,
        total: u64,
    ) -> StepOutcome {
        let progress = Progress::Uploaded {
            container_id: at.container_id.clone(),
            sent: total,
            total,
        };
        let next = match at.item {
            Some(_) => after_child(at.done, self.spec.carousel_items().len()),
            None => Phase::Processing {
                container_id: at.container_id,
                polls: 0,
            },
        };
        let wait = match next {
            Phase::Processing { .. } => Some(self.options.poll.first_check(self.spec.class())),
            _ => None,
        };
        self.advance(call, next, wait, vec![progress])
    }

    /// Reads the container's status and acts on it: waits while it is
    /// IN_PROGRESS, sends `media_publish` right away when it is FINISHED.
    /// `unknown` is `Some` in `Publishing` (a send's outcome is unknown,
    /// with its error).
    async fn read_status<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        container_id: String,
        polls: u32,
        unknown: Option<Option<Error>>,
    ) -> Result<StepOutcome, Error> {
        let request = container_status_request(call.config, call.token, &container_id);
        let status = match call
            .send(self, request)
            .await
            .and_then(|r| process_container_status(&r))
        {
            Ok(status) => status,
            Err(e) => {
                let give_up = if unknown.is_some() {
                    GiveUp::Resumable
                } else {
                    GiveUp::Fail
                };
                return self.retry_or(call, CallKind::Read, e, give_up);
            }
        };
        let now = call.transport.now();
        let elapsed = self.elapsed(now);
        let checks = polls + 1;
        let processing = Progress::Processing {
            container_id: container_id.clone(),
            elapsed,
            checks,
        };
        match status.code {
            StatusCode::InProgress => {
                let wait = self.options.poll.next_check(elapsed);
                let next = Phase::Processing {
                    container_id,
                    polls: checks,
                };
                Ok(self.advance(call, next, Some(wait), vec![processing]))
            }
            StatusCode::Error if asks_new_container(&status.to_error()) => {
                Ok(self.recreate_or_fail(call, status.to_error(), vec![processing]))
            }
            StatusCode::Error | StatusCode::Expired => Ok(self.fail(status.to_error())),
            StatusCode::Published => {
                let progress = Progress::Published {
                    container_id: container_id.clone(),
                    media_id: None,
                };
                let next = Phase::RecoveringMedia { container_id };
                Ok(self.advance(call, next, None, vec![progress]))
            }
            StatusCode::Finished => {
                let last_error = unknown.flatten();
                // Not published. A definite refusal would only repeat itself.
                if let Some(e) = last_error.as_ref().filter(|e| !is_transient(e)) {
                    return Ok(self.fail(e.clone()));
                }
                if self.publish_attempts >= self.options.max_publish_attempts {
                    if let Some(e) = last_error.as_ref().filter(|e| asks_new_container(e)) {
                        return Ok(self.recreate_or_fail(call, e.clone(), vec![processing]));
                    }
                    let mut e = last_error.unwrap_or_else(|| {
                        Error::new(ErrorKind::Media, "Instagram refused media_publish")
                    });
                    e.message = format!(
                        "media_publish did not take effect after {} attempts and the container is still FINISHED, so nothing was published: {}",
                        self.publish_attempts, e.message
                    );
                    return Ok(self.fail(e));
                }
                self.publish(call, container_id, checks, processing).await
            }
        }
    }

    /// Sends `media_publish`; only ever called right after a FINISHED read.
    async fn publish<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        container_id: String,
        polls: u32,
        processing: Progress,
    ) -> Result<StepOutcome, Error> {
        let now = call.transport.now();
        self.publish_attempts += 1;
        self.first_publish_at.get_or_insert(now);
        let request =
            media_publish_request(call.config, call.token, &self.ig_user_id, &container_id);
        let error = match call
            .send(self, request)
            .await
            .and_then(|r| process_published(&r))
        {
            Ok(media_id) => {
                let published = Progress::Published {
                    container_id: container_id.clone(),
                    media_id: Some(media_id.clone()),
                };
                let next = Phase::FetchingPermalink {
                    container_id,
                    media_id,
                };
                return Ok(self.advance(call, next, None, vec![processing, published]));
            }
            Err(error) => error,
        };
        if is_not_ready(&error) {
            // Certainly not published: back to waiting.
            let wait = self.options.poll.next_check(self.elapsed(now));
            let next = Phase::Processing {
                container_id,
                polls,
            };
            return Ok(self.advance(call, next, Some(wait), vec![processing]));
        }
        let settle = if error.subcode() == Some(2_207_008) {
            // Certainly not published, and Meta asks to try again in 30 s to
            // 2 min: the status is read first, as after any failed publish;
            // past `max_publish_attempts` a new container is made (once).
            CONTAINER_RETRY_WAIT
        } else if is_refusal(&error) {
            return Ok(self.fail(error));
        } else {
            // The outcome is unknown: let Meta settle, then the status decides.
            Duration::from_millis(self.options.publish_settle_ms)
        };
        let wait = error.retry_after.unwrap_or(settle).max(settle);
        let retrying = Progress::Retrying {
            wait,
            error: error.clone(),
        };
        let next = Phase::Publishing {
            container_id,
            last_error: Some(error),
        };
        Ok(self.advance(call, next, Some(wait), vec![processing, retrying]))
    }

    async fn recover<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        container_id: String,
    ) -> Result<StepOutcome, Error> {
        let stories = matches!(self.spec, MediaSpec::Story(_));
        let unknown = Published {
            media_id: None,
            permalink: None,
            container_id: container_id.clone(),
        };
        // `/stories` is documented on graph.facebook.com only (recover.rs):
        // with Instagram Login a story is done with its media unknown.
        if stories && call.config.product == Product::Instagram {
            return Ok(self.finish(unknown));
        }
        let request = recent_media_request(call.config, call.token, &self.ig_user_id, stories);
        match call
            .send(self, request)
            .await
            .and_then(|r| process_recent_media(&r))
        {
            Ok(recent) => {
                let since = self
                    .first_publish_at
                    .or(self.processing_since)
                    .unwrap_or(self.created_at);
                let published = match find_published(&self.spec, &recent, since) {
                    Some(media) => Published {
                        media_id: Some(media.id.clone()),
                        permalink: media.permalink.clone(),
                        container_id,
                    },
                    None => unknown,
                };
                Ok(self.finish(published))
            }
            Err(e) => {
                let give_up = if is_transient(&e) {
                    GiveUp::Resumable
                } else {
                    GiveUp::Finish(unknown)
                };
                self.retry_or(call, CallKind::Read, e, give_up)
            }
        }
    }

    async fn fetch_permalink<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        container_id: String,
        media_id: String,
    ) -> Result<StepOutcome, Error> {
        let request = permalink_request(call.config, call.token, &media_id);
        let result = call
            .send(self, request)
            .await
            .and_then(|r| process_permalink(&r));
        let mut published = Published {
            media_id: Some(media_id),
            permalink: None,
            container_id,
        };
        match result {
            Ok(permalink) => {
                published.permalink = permalink;
                Ok(self.finish(published))
            }
            Err(e) => self.retry_or(call, CallKind::Read, e, GiveUp::Finish(published)),
        }
    }

    /// Time since processing started.
    fn elapsed(&self, now: Timestamp) -> Duration {
        now.since(self.processing_since.unwrap_or(self.created_at))
    }

    /// A successful call: move to `next`, after `wait` if any.
    fn advance<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        next: Phase,
        wait: Option<Duration>,
        progress: Vec<Progress>,
    ) -> StepOutcome {
        let now = call.transport.now();
        self.phase = next;
        self.failures = 0;
        self.failing_since = None;
        let next_at = now.plus(wait.unwrap_or(Duration::ZERO));
        self.next_step_at = (next_at > now).then_some(next_at);
        StepOutcome::Continue { next_at, progress }
    }

    /// Meta asked for a new container (2207008 that kept coming back,
    /// 2207053): start over from the creation step, once; a second time
    /// fails the job with that error. Nothing was published by the old one.
    fn recreate_or_fail<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        error: Error,
        mut progress: Vec<Progress>,
    ) -> StepOutcome {
        if self.recreated {
            let mut error = error;
            error.message = format!(
                "{} (a new container failed the same way; nothing was published)",
                error.message
            );
            return self.fail(error);
        }
        self.recreated = true;
        self.publish_attempts = 0;
        self.first_publish_at = None;
        self.processing_since = None;
        progress.push(Progress::Retrying {
            wait: Duration::ZERO,
            error,
        });
        let next = creation_phase(&self.spec);
        self.advance(call, next, None, progress)
    }

    fn fail(&mut self, error: Error) -> StepOutcome {
        self.phase = Phase::Failed {
            error: error.clone(),
        };
        self.next_step_at = None;
        StepOutcome::Failed(error)
    }

    fn finish(&mut self, published: Published) -> StepOutcome {
        self.phase = Phase::Done {
            published: published.clone(),
        };
        self.next_step_at = None;
        self.failures = 0;
        self.failing_since = None;
        StepOutcome::Done(published)
    }

    /// A failed call: retry per the policy, else give up as `give_up` says.
    fn retry_or<T: Transport>(
        &mut self,
        call: &Call<'_, T>,
        kind: CallKind,
        error: Error,
        give_up: GiveUp,
    ) -> Result<StepOutcome, Error> {
        let now = call.transport.now();
        let failures = self.failures + 1;
        let since = self.failing_since.unwrap_or(now);
        let decision = self.options.retry.decide(
            kind,
            &error,
            failures,
            now.since(since),
            random_u64(call.transport),
        );
        if let RetryDecision::RetryAfter(wait) = decision {
            self.failures = failures;
            self.failing_since = Some(since);
            let next_at = now.plus(wait);
            self.next_step_at = Some(next_at);
            return Ok(StepOutcome::Continue {
                next_at,
                progress: vec![Progress::Retrying { wait, error }],
            });
        }
        self.failures = 0;
        self.failing_since = None;
        match give_up {
            GiveUp::Fail => Ok(self.fail(error)),
            GiveUp::Finish(published) => Ok(self.finish(published)),
            GiveUp::Resumable => {
                let mut error = error;
                error.message = format!(
                    "the post may already be published and its status could not be read ({}); the job is intact in its {} step: step it again later and the container's status will decide",
                    error.message,
                    self.phase.name()
                );
                Err(error)
            }
        }
    }
}

/// Where an upload is, but for its offset.
struct Uploading {
    container_id: String,
    item: Option<usize>,
    done: Vec<String>,
}

impl Uploading {
    fn phase(&self, offset: Option<u64>) -> Phase {
        Phase::Uploading {
            container_id: self.container_id.clone(),
            offset,
            item: self.item,
            done: self.done.clone(),
        }
    }
}

/// After a carousel item's container (and upload): the next item, or the
/// carousel's own container.
fn after_child(done: Vec<String>, count: usize) -> Phase {
    if done.len() == count {
        Phase::CreatingContainer { children: done }
    } else {
        Phase::CreatingChildren { done }
    }
}

fn is_video_file(item: &CarouselItem) -> bool {
    matches!(item, CarouselItem::Video(v) if v.video_file.is_some())
}

/// The transport, configuration and token of one step.
struct Call<'a, T> {
    transport: &'a T,
    config: &'a Config,
    token: &'a AccessToken,
}

impl<T: Transport> Call<'_, T> {
    /// Sends `request`, counting it against the job's budget.
    async fn send(&self, job: &mut PublishJob, request: Request) -> Result<Response, Error> {
        job.calls += 1;
        self.transport.send(request).await
    }
}

/// The first phase that creates something.
fn creation_phase(spec: &MediaSpec) -> Phase {
    if spec.carousel_items().is_empty() {
        Phase::CreatingContainer {
            children: Vec::new(),
        }
    } else {
        Phase::CreatingChildren { done: Vec::new() }
    }
}

/// Answers after which Meta's error table says to generate a new container:
/// 2207008 (after retrying) and 2207053.
fn asks_new_container(error: &Error) -> bool {
    matches!(error.subcode(), Some(2_207_008 | 2_207_053))
}

/// "The media is not ready for publishing" (9007 / 2207027): certainly not published.
fn is_not_ready(error: &Error) -> bool {
    error.code() == Some(9007) || error.subcode() == Some(2_207_027)
}

/// Answers that refuse a publish before it happens: a bad token, a missing
/// permission, the publishing limit (9 / 2207042), a restricted account
/// (25 / 2207050), an expired container
/// (2207020) or one that cannot be found (24 / 2207006).
fn is_refusal(error: &Error) -> bool {
    matches!(
        error.kind,
        ErrorKind::InvalidToken
            | ErrorKind::TokenExpired
            | ErrorKind::PermissionDenied
            | ErrorKind::MissingPermission
            | ErrorKind::PublishLimit
            | ErrorKind::AccountRestricted
    ) || matches!(error.subcode(), Some(2_207_020 | 2_207_006 | 2_207_042))
        || error.code() == Some(24)
}

/// Terminal phases return before the dispatch; kept out of line so the
/// match above stays exhaustive without a panic on outside data.
fn unreachable_phase() -> Result<StepOutcome, Error> {
    Err(Error::new(
        ErrorKind::InvalidInput,
        "the job is already finished",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error() -> Error {
        Error::new(
            ErrorKind::Media,
            "Error: Media upload has failed with error code 2207052",
        )
        .with_status(400)
    }

    #[test]
    fn phases_know_their_container_calls_and_whether_a_post_may_exist() {
        let c = || "17900000000000001".to_owned();
        let before = [
            Phase::CheckingQuota,
            Phase::CreatingChildren { done: vec![c()] },
            Phase::CreatingContainer {
                children: vec![c()],
            },
        ];
        for phase in &before {
            assert!(!phase.post_may_exist(), "{phase:?}");
            assert_eq!(phase.container_id(), None);
            assert_eq!(phase.calls_of_next_step(), 1);
        }
        let processing = Phase::Processing {
            container_id: c(),
            polls: 3,
        };
        let publishing = Phase::Publishing {
            container_id: c(),
            last_error: None,
        };
        for phase in [&processing, &publishing] {
            assert!(phase.post_may_exist());
            assert_eq!(phase.container_id(), Some("17900000000000001"));
            assert_eq!(
                phase.calls_of_next_step(),
                2,
                "a status read, then the publish"
            );
        }
        let done = Phase::Done {
            published: Published {
                media_id: None,
                permalink: None,
                container_id: c(),
            },
        };
        assert_eq!(done.container_id(), Some("17900000000000001"));
        assert_eq!(Phase::Failed { error: error() }.container_id(), None);
    }

    #[test]
    fn every_phase_reads_back_as_written() {
        let published = Published {
            media_id: Some("17950000000000001".into()),
            permalink: Some("https://www.instagram.com/p/abc/".into()),
            container_id: "17900000000000001".into(),
        };
        let id = || "17900000000000001".to_owned();
        let phases = [
            Phase::CheckingQuota,
            Phase::CreatingChildren {
                done: vec![id(), "17900000000000002".into()],
            },
            Phase::CreatingContainer { children: vec![] },
            Phase::Uploading {
                container_id: id(),
                offset: Some(1_024),
                item: None,
                done: vec![],
            },
            Phase::Uploading {
                container_id: id(),
                offset: None,
                item: Some(1),
                done: vec!["17900000000000002".into(), id()],
            },
            Phase::Processing {
                container_id: id(),
                polls: 7,
            },
            Phase::Publishing {
                container_id: id(),
                last_error: None,
            },
            Phase::Publishing {
                container_id: id(),
                last_error: Some(error()),
            },
            Phase::RecoveringMedia { container_id: id() },
            Phase::FetchingPermalink {
                container_id: id(),
                media_id: "17950000000000001".into(),
            },
            Phase::Done {
                published: published.clone(),
            },
            Phase::Failed { error: error() },
        ];
        for phase in phases {
            let json = serde_json::to_string(&phase).unwrap();
            assert!(
                json.contains(&format!("\"step\":\"{}\"", phase.name())),
                "{json}"
            );
            let back: Phase = serde_json::from_str(&json).unwrap();
            assert_eq!(back, phase, "{json}");
        }
    }

    #[test]
    fn a_phase_missing_its_fields_or_unknown_is_refused() {
        for (json, why) in [
            (
                r#"{"step":"processing","polls":1}"#,
                "containerId is required",
            ),
            (
                r#"{"step":"processing","containerId":"1"}"#,
                "polls is required",
            ),
            (r#"{"step":"done"}"#, "published is required"),
            (r#"{"step":"failed"}"#, "error is required"),
            (
                r#"{"step":"fetchingPermalink","containerId":"1"}"#,
                "mediaId is required",
            ),
            (r#"{"step":"posting"}"#, "unknown phase step"),
            (r#"{"containerId":"1"}"#, "step is required"),
        ] {
            let e = serde_json::from_str::<Phase>(json).unwrap_err().to_string();
            assert!(e.contains(why), "{json}: {e}");
        }
    }
}
