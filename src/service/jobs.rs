//! Publish jobs: `POST /api/accounts/{id}/publish`, `GET /api/jobs/{id}`,
//! `GET /api/accounts/{id}/quota`, and the cron / `waitUntil` work that
//! advances unfinished jobs.
//!
//! Keys: `job:{job_id}` (the job: account, times, lease and the core's
//! resumable [`PublishJob`]), `jobq:{job_id}` (present while the job is
//! unfinished: the cron lists only these, so its cost follows unfinished
//! jobs), `jobacct:{account}:{job_id}` (to forget an account's jobs).
//! Finished jobs are kept 30 days.
//!
//! The job is saved after every step of the core's state machine, so a
//! Worker that stops between two steps loses nothing: the next runner (the
//! cron, `waitUntil`, or a status read) loads it and goes on. The core
//! never saves a state that means "send `media_publish` now": a resumed
//! job whose publish outcome was not saved reads the container's status
//! first, and PUBLISHED means done, so a post is never published twice. A
//! lease in the job keeps two runners from stepping the same job at once
//! (best effort: KV has no compare-and-set, and is eventually consistent
//! across locations).
//!
//! The HTTP shapes are the Worker's own: the request body is read by
//! `publish_body.rs`, and [`JobRecord::view`] shows the job in snake_case
//! with the phase names the API has always used.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::error::{Error, ErrorKind};
use crate::core::http::Transport;
use crate::core::publish::{
    publishing_quota, Phase, PollPolicy, Progress, PublishJob, PublishOptions, StepOutcome,
};
use crate::core::retry::RetryPolicy;
use crate::core::time::Timestamp;
use crate::service::accounts::Accounts;
use crate::service::auth::{authenticate, Caller};
use crate::service::crypto::random_id;
use crate::service::error::{status_for, ApiError};
use crate::service::http::{Background, HttpRequest, HttpResponse};
use crate::service::publish_body::media_spec_from_body;
use crate::service::router::LogFields;
use crate::service::store::{CountingStore, KvOps, KvStore};
use crate::service::Service;

/// How long finished jobs stay readable.
pub const FINISHED_JOB_TTL: Duration = Duration::from_secs(30 * 86_400);
/// How long a runner holds a job past the moment it plans to step it next:
/// a runner that died frees the job this long after its next planned step.
pub const LEASE_SLACK: Duration = Duration::from_secs(5);
/// How long a status read may advance a job (no sleeping).
pub const READ_ADVANCE: Duration = Duration::from_secs(3);
/// When a step could not go on (the core's `Err`: a publish whose outcome
/// could not be read yet, or the call budget used up where a post may
/// exist), the job is kept and tried again this much later.
pub const STALLED_RETRY: Duration = Duration::from_secs(60);
/// Calls granted to a job that used its budget while its post may exist:
/// enough for a few status reads, so the container can still decide.
pub const STALLED_GRANT: u32 = 4;

/// What the cron's job phase did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobStats {
    pub listed: u32,
    /// Queued jobs whose record KV failed to read (they stay queued).
    pub storage_errors: u32,
    pub advanced: u32,
    pub finished: u32,
    pub subrequests: u32,
    pub kv_ops: KvOps,
}

/// A publish job as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub account_id: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default)]
    pub lease_until: Option<Timestamp>,
    /// The core's resumable publish (its own camelCase JSON).
    pub job: PublishJob,
    /// What the core's phases drop once past them, kept for the view: the
    /// carousel items' containers, the container, and the status reads.
    #[serde(default)]
    pub children: Vec<String>,
    #[serde(default)]
    pub container_id: Option<String>,
    #[serde(default)]
    pub polls: u32,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    /// Why the last step could not go on; the job is tried again at its
    /// `next_step_at` (shown in the view as `stalled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stalled: Option<Error>,
}

/// The `phase` the API shows for a core phase. These are the names the
/// Worker's API used before the core's machine: `publish_sent` is a
/// `media_publish` whose outcome the container's status will decide, and
/// `permalink` covers reading the new post (by its id, or among the
/// account's newest media when the publish answer was lost).
pub fn phase_name(phase: &Phase) -> &'static str {
    match phase {
        Phase::CheckingQuota => "quota",
        Phase::CreatingChildren { .. } => "children",
        Phase::CreatingContainer { .. } => "container",
        Phase::Processing { .. } => "processing",
        Phase::Publishing { .. } => "publish_sent",
        Phase::RecoveringMedia { .. } | Phase::FetchingPermalink { .. } => "permalink",
        Phase::Done { .. } => "published",
        Phase::Failed { .. } => "failed",
    }
}

/// The container a phase works on, if it has one yet.
fn container_of(phase: &Phase) -> Option<&str> {
    match phase {
        Phase::Processing { container_id, .. }
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

/// Whether a post may already exist in this phase (a `media_publish` may
/// have been sent), so the job must not be failed for lack of calls.
fn post_may_exist(phase: &Phase) -> bool {
    !matches!(
        phase,
        Phase::CheckingQuota | Phase::CreatingChildren { .. } | Phase::CreatingContainer { .. }
    )
}

/// Calls the next step may make: a status read may be followed by the
/// `media_publish` it allows.
fn calls_of_next_step(phase: &Phase) -> u32 {
    match phase {
        Phase::Processing { .. } | Phase::Publishing { .. } => 2,
        _ => 1,
    }
}

/// The options of the Worker's publishes: the core's defaults, except that
/// the first check of a video falls inside the request's wait window (half
/// of `PUBLISH_WAIT_MS`, between 1 s and the core's 10 s), so a short reel
/// is answered 200 rather than 202 for want of a single status read.
fn publish_options(publish_wait: Duration) -> PublishOptions {
    let poll = PollPolicy::default();
    let half_wait = (publish_wait.as_millis() / 2) as u64;
    PublishOptions {
        poll: PollPolicy {
            first_check_video_ms: half_wait.clamp(1_000, poll.first_check_video_ms.max(1_000)),
            ..poll
        },
        ..PublishOptions::default()
    }
}

fn error_view(error: &Error) -> Value {
    json!({
        "kind": error.kind.as_str(),
        "message": error.message,
        "code": error.code(),
        "subcode": error.subcode(),
    })
}

impl JobRecord {
    /// What the API shows.
    pub fn view(&self) -> Value {
        let job = &self.job;
        let (status, error, published) = match &job.phase {
            Phase::Done { published } => ("published", None, Some(published)),
            Phase::Failed { error } => ("failed", Some(error_view(error)), None),
            _ => ("processing", None, None),
        };
        let media_id = match &job.phase {
            Phase::FetchingPermalink { media_id, .. } => Some(media_id.as_str()),
            _ => published.and_then(|p| p.media_id.as_deref()),
        };
        // A send made in a step whose save was lost (the Worker stopped
        // right after it) is not counted; a published job had at least one.
        let sends = job.publish_attempts.max(u32::from(published.is_some()));
        json!({
            "id": self.id,
            "account_id": self.account_id,
            "kind": job.spec.type_name(),
            "status": status,
            "phase": phase_name(&job.phase),
            "container_id": container_of(&job.phase).or(self.container_id.as_deref()),
            "children": self.children,
            "media_id": media_id,
            "permalink": published.and_then(|p| p.permalink.as_deref()),
            "error": error,
            // Why an unfinished job is waiting (Meta throttling or not
            // answering); it is tried again at `next_check_at`.
            "stalled": self.stalled.as_ref().map(error_view),
            "polls": self.polls,
            "calls": job.calls,
            "publish_sends": sends,
            "created_at": self.created_at.to_rfc3339(),
            "updated_at": self.updated_at.to_rfc3339(),
            "finished_at": self.finished_at.map(|t| t.to_rfc3339()),
            "next_check_at": job.next_step_at.map(|t| t.to_rfc3339()),
        })
    }

    /// Keeps what the view needs from the phase the job just reached and
    /// the step's progress.
    fn note_step(&mut self, progress: &[Progress]) {
        match &self.job.phase {
            Phase::CreatingChildren { done } => self.children = done.clone(),
            Phase::CreatingContainer { children } => self.children = children.clone(),
            _ => {}
        }
        if let Some(container) = container_of(&self.job.phase) {
            self.container_id = Some(container.to_owned());
        }
        let reads = progress
            .iter()
            .filter(|p| matches!(p, Progress::Processing { .. }))
            .count();
        self.polls += reads as u32;
    }

    /// Ends the job without the core (its account is gone).
    fn abandon(&mut self, error: Error) {
        self.job.phase = Phase::Failed { error };
        self.job.next_step_at = None;
    }
}

pub fn job_key(id: &str) -> String {
    format!("job:{id}")
}

pub fn job_queue_key(id: &str) -> String {
    format!("jobq:{id}")
}

pub fn job_account_prefix(account: &str) -> String {
    format!("jobacct:{account}:")
}

pub fn job_account_key(account: &str, job_id: &str) -> String {
    format!("{}{job_id}", job_account_prefix(account))
}

fn valid_job_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// `POST /api/accounts/{id}/publish`: validate, save the job, advance
    /// it for up to `PUBLISH_WAIT_MS`, answer 200 (done), 202 (still
    /// processing; `waitUntil` and the cron go on) or the failure.
    pub(crate) async fn publish(
        &self,
        req: &HttpRequest,
        id: &str,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let (_, record) = self.authorized_account(req, id).await?;
        if record.needs_reauth {
            return Err(ApiError::needs_reauth(id));
        }
        let now = self.transport.now();
        // An expired token would only fail at Meta after the job was saved;
        // say so now (the cron marks the account when it next looks at it).
        if let Some(expired) = record.token.expires_at.filter(|at| *at <= now) {
            return Err(Error::new(
                ErrorKind::TokenExpired,
                format!(
                    "account {id}'s token expired at {}: its owner must log in again",
                    expired.to_rfc3339()
                ),
            )
            .into());
        }
        let body: Value = req.json()?;
        let spec = media_spec_from_body(&body)?;
        let options = publish_options(self.config.publish_wait);
        let publish = PublishJob::new(&record.id, spec, options, now)?;
        let job_id = random_id(self.transport, 16);
        fields.job_id = Some(job_id.clone());
        let mut job = JobRecord {
            id: job_id.clone(),
            account_id: id.to_owned(),
            created_at: now,
            updated_at: now,
            lease_until: None,
            job: publish,
            children: Vec::new(),
            container_id: None,
            polls: 0,
            finished_at: None,
            stalled: None,
        };
        // No TTL while the job is unfinished (nor has the job): it gets the
        // finished job's TTL with it (`save_job`).
        self.store
            .put(&job_account_key(id, &job_id), "1", None)
            .await?;
        self.store.put(&job_queue_key(&job_id), "1", None).await?;
        self.save_job(self.store, &job).await?;
        self.advance(&mut job, now.plus(self.config.publish_wait), true, u32::MAX)
            .await?;
        Ok(self.job_response(&job, true))
    }

    /// The answer for a job: 200 done, 202 processing, or the failure's status.
    fn job_response(&self, job: &JobRecord, created: bool) -> HttpResponse {
        let view = json!({ "job": job.view() });
        match &job.job.phase {
            Phase::Done { .. } => HttpResponse::json(200, &view),
            Phase::Failed { error } => {
                let status = status_for(error.kind);
                HttpResponse::json(if created { status } else { 200 }, &view)
            }
            _ => {
                let mut r = HttpResponse::json(if created { 202 } else { 200 }, &view)
                    .with_header("location", &format!("/api/jobs/{}", job.id));
                if created {
                    r.background.push(Background::AdvanceJob(job.id.clone()));
                }
                r
            }
        }
    }

    /// `GET /api/jobs/{id}`: the job's state; an unfinished job that nobody
    /// is working on is nudged forward first (no waiting).
    pub(crate) async fn get_job(
        &self,
        req: &HttpRequest,
        id: &str,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let caller = authenticate(self.config, req, self.transport.now())?;
        let not_found = || ApiError::not_found(format!("no job {id}"));
        if !valid_job_id(id) {
            return Err(not_found());
        }
        let mut job = self.load_job(id).await?.ok_or_else(not_found)?;
        caller
            .require_account(&job.account_id)
            .map_err(|_| not_found())?;
        if let Caller::Session(_) = &caller {
            // The session must still be admitted to the job's account.
            let record = self.accounts().load(&job.account_id).await?;
            if !record.is_some_and(|r| caller.require_current(&r).is_ok()) {
                return Err(not_found());
            }
        }
        fields.account_id = Some(job.account_id.clone());
        if !job.job.is_finished() {
            let now = self.transport.now();
            let _ = self
                .advance(&mut job, now.plus(READ_ADVANCE), false, 10)
                .await;
        }
        Ok(self.job_response(&job, false))
    }

    /// `GET /api/accounts/{id}/quota`: Meta's publishing limit for the account.
    pub(crate) async fn quota(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        let (_, record) = self.authorized_account(req, id).await?;
        let settings = self.config.product(record.product).ok_or_else(|| {
            ApiError::invalid_input(
                "product",
                "this Worker no longer serves the account's product",
            )
        })?;
        let q = publishing_quota(
            self.transport,
            &settings.config,
            &record.token.access_token,
            &record.id,
            &RetryPolicy::default(),
        )
        .await?;
        let quota = json!({
            "quota_usage": q.usage,
            "quota_total": q.total,
            "quota_duration": q.duration_secs,
        });
        Ok(HttpResponse::json(200, &json!({ "quota": quota })))
    }

    pub(crate) async fn load_job(&self, id: &str) -> Result<Option<JobRecord>, ApiError> {
        load_job_from(self.store, id).await
    }

    async fn save_job<K: KvStore>(&self, store: &K, job: &JobRecord) -> Result<(), ApiError> {
        let value = serde_json::to_string(job)
            .map_err(|e| ApiError::storage(format!("could not encode job: {e}")))?;
        let ttl = job.job.is_finished().then_some(FINISHED_JOB_TTL);
        store.put(&job_key(&job.id), &value, ttl).await?;
        if ttl.is_some() {
            // The account's index of its jobs lives exactly as long as the job.
            store
                .put(&job_account_key(&job.account_id, &job.id), "1", ttl)
                .await?;
        }
        Ok(())
    }

    /// Steps `job` until it finishes, waits past `deadline`, or would pass
    /// `max_calls` calls; saves after every step. `sleep`: wait for the
    /// next step when it falls before the deadline. Returns the calls made.
    async fn advance(
        &self,
        job: &mut JobRecord,
        deadline: Timestamp,
        sleep: bool,
        max_calls: u32,
    ) -> Result<u32, ApiError> {
        self.advance_in(self.store, job, deadline, sleep, max_calls)
            .await
    }

    /// [`Self::advance`] with every KV operation made through `store`.
    async fn advance_in<K: KvStore>(
        &self,
        store: &K,
        job: &mut JobRecord,
        deadline: Timestamp,
        sleep: bool,
        max_calls: u32,
    ) -> Result<u32, ApiError> {
        let now = self.transport.now();
        if job.lease_until.is_some_and(|l| l > now) {
            return Ok(0); // another runner is on it
        }
        let account = Accounts {
            store,
            transport: self.transport,
            config: self.config,
        }
        .load(&job.account_id)
        .await?;
        let calls_before = job.job.calls;
        let Some(account) = account else {
            let mut message = "the account was removed before the publish finished".to_owned();
            if post_may_exist(&job.job.phase) {
                message.push_str(
                    "; a media_publish may have been sent, so the post may exist on Instagram",
                );
            }
            job.abandon(Error::new(ErrorKind::Aborted, message));
            self.finish_job(store, job).await?;
            return Ok(0);
        };
        let settings = self.config.product(account.product).ok_or_else(|| {
            ApiError::invalid_input(
                "product",
                "this Worker no longer serves the account's product",
            )
        })?;
        // Take the lease before the first step, so a second runner that
        // loads the job now leaves it alone; it is renewed at every save.
        job.lease_until = Some(self.lease(job, sleep, deadline));
        self.save_job(store, job).await?;
        loop {
            let made = job.job.calls - calls_before;
            let next_step = calls_of_next_step(&job.job.phase);
            if job.job.is_finished() || made.saturating_add(next_step) > max_calls {
                break;
            }
            let now = self.transport.now();
            if let Some(next) = job.job.next_step_at {
                if next > now {
                    if sleep && next <= deadline {
                        self.transport.sleep(next.since(now)).await;
                    } else {
                        break;
                    }
                }
            }
            if self.transport.now() > deadline {
                break;
            }
            let calls_at_step = job.job.calls;
            let outcome = job
                .job
                .step(
                    self.transport,
                    &settings.config,
                    &account.token.access_token,
                )
                .await;
            job.updated_at = self.transport.now();
            match outcome {
                Ok(StepOutcome::Continue { progress, .. }) => {
                    job.stalled = None;
                    job.note_step(&progress);
                }
                Ok(StepOutcome::Done(_) | StepOutcome::Failed(_)) => {
                    job.stalled = None;
                    job.note_step(&[]);
                    break;
                }
                Err(error) => {
                    let made_a_call = job.job.calls != calls_at_step;
                    self.stall(job, error, made_a_call);
                    break;
                }
            }
            job.lease_until = Some(self.lease(job, sleep, deadline));
            self.save_job(store, job).await?;
        }
        job.lease_until = None;
        job.updated_at = self.transport.now();
        if job.job.is_finished() {
            self.finish_job(store, job).await?;
        } else {
            self.save_job(store, job).await?;
        }
        Ok(job.job.calls - calls_before)
    }

    /// A step that could not go on (the core's `Err`; the job is intact).
    /// Tried again [`STALLED_RETRY`] later, except a job that used its call
    /// budget before anything could be published: that one fails, with the
    /// budget error.
    fn stall(&self, job: &mut JobRecord, error: Error, made_a_call: bool) {
        if !made_a_call {
            // Only the call budget stops a step before its call.
            if !post_may_exist(&job.job.phase) {
                job.stalled = None;
                job.abandon(error);
                return;
            }
            job.job.grant_calls(STALLED_GRANT);
        }
        job.job.next_step_at = Some(self.transport.now().plus(STALLED_RETRY));
        job.stalled = Some(error);
    }

    /// Until when this runner holds `job`: its next step (if it will wait
    /// for it) plus [`LEASE_SLACK`].
    fn lease(&self, job: &JobRecord, sleep: bool, deadline: Timestamp) -> Timestamp {
        let now = self.transport.now();
        let next = job
            .job
            .next_step_at
            .filter(|n| sleep && *n > now && *n <= deadline)
            .unwrap_or(now);
        next.plus(LEASE_SLACK)
    }

    async fn finish_job<K: KvStore>(&self, store: &K, job: &mut JobRecord) -> Result<(), ApiError> {
        job.lease_until = None;
        if job.finished_at.is_none() {
            job.finished_at = Some(self.transport.now());
        }
        self.save_job(store, job).await?;
        store.delete(&job_queue_key(&job.id)).await
    }

    /// `waitUntil` after a 202: keep going for another `PUBLISH_WAIT_MS`.
    pub(crate) async fn advance_job_by_id(
        &self,
        id: &str,
        budget: Duration,
    ) -> Result<(), ApiError> {
        if let Some(mut job) = self.load_job(id).await? {
            if !job.job.is_finished() {
                let deadline = self.transport.now().plus(budget);
                self.advance(&mut job, deadline, true, u32::MAX).await?;
            }
        }
        Ok(())
    }

    /// The cron's job phase: every unfinished job, without waiting, within
    /// the budget.
    pub(crate) async fn advance_active_jobs(
        &self,
        max_subrequests: u32,
        max_kv_ops: u32,
    ) -> JobStats {
        let counted = CountingStore::new(self.store);
        let mut stats = JobStats::default();
        let page = match counted.list("jobq:", None, 100).await {
            Ok(p) => p,
            Err(_) => {
                stats.storage_errors += 1;
                stats.kv_ops = counted.ops();
                return stats;
            }
        };
        let now = self.transport.now();
        for key in page.keys {
            stats.listed += 1;
            let left = max_subrequests.saturating_sub(stats.subrequests);
            if left == 0 || counted.ops().total() as u32 + 4 > max_kv_ops {
                break;
            }
            let Some(id) = key.strip_prefix("jobq:") else {
                continue;
            };
            let job = match counted.get(&job_key(id)).await {
                Ok(Some(v)) => serde_json::from_str::<JobRecord>(&v).ok(),
                Ok(None) => None,
                // KV failed, not the job: keep it queued for the next run
                // (dropping the entry would leave it "processing" forever).
                Err(_) => {
                    stats.storage_errors += 1;
                    continue;
                }
            };
            // Gone, or a record no version of this code can read: unqueue it.
            let Some(mut job) = job else {
                let _ = counted.delete(&key).await;
                continue;
            };
            if job.job.is_finished() {
                let _ = counted.delete(&key).await;
                continue;
            }
            let deadline = now.plus(Duration::from_secs(10));
            match self
                .advance_in(&counted, &mut job, deadline, false, left.min(20))
                .await
            {
                Ok(calls) => {
                    stats.subrequests += calls;
                    if calls > 0 {
                        stats.advanced += 1;
                    }
                    if job.job.is_finished() {
                        stats.finished += 1;
                    }
                }
                Err(_) => continue,
            }
        }
        stats.kv_ops = counted.ops();
        stats
    }

    /// Removes up to `max_jobs` jobs of `account`, walking the
    /// `jobacct:` listing once along its cursor (never from the start
    /// again: KV lists deleted keys for a while). Returns whether the walk
    /// reached the end, and how many jobs it removed.
    pub(crate) async fn delete_jobs_of<K: KvStore>(
        &self,
        store: &K,
        account: &str,
        max_jobs: u32,
    ) -> Result<(bool, u32), ApiError> {
        let prefix = job_account_prefix(account);
        let mut cursor: Option<String> = None;
        let mut deleted = 0;
        loop {
            let page = store.list(&prefix, cursor.as_deref(), 100).await?;
            for key in &page.keys {
                if deleted == max_jobs {
                    return Ok((false, deleted));
                }
                if let Some(job) = key.strip_prefix(&prefix) {
                    store.delete(&job_queue_key(job)).await?;
                    store.delete(&job_key(job)).await?;
                }
                store.delete(key).await?;
                deleted += 1;
            }
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return Ok((true, deleted)),
            }
        }
    }
}

async fn load_job_from<S: KvStore>(store: &S, id: &str) -> Result<Option<JobRecord>, ApiError> {
    match store.get(&job_key(id)).await? {
        None => Ok(None),
        Some(v) => serde_json::from_str(&v)
            .map(Some)
            .map_err(|_| ApiError::storage(format!("job {id} is not readable"))),
    }
}
