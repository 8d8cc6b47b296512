//! Publish jobs: `POST /api/accounts/{id}/publish`, `GET /api/jobs/{id}`,
//! `GET /api/accounts/{id}/quota`, and the cron / `waitUntil` work that
//! advances unfinished jobs.
//!
//! Keys: `job:{job_id}` (the job: account, times, lease and the resumable
//! [`PublishState`]), `jobq:{job_id}` (present while the job is unfinished:
//! the cron lists only these, so its cost follows unfinished jobs),
//! `jobacct:{account}:{job_id}` (to forget an account's jobs). Finished
//! jobs are kept 30 days.
//!
//! The job is saved after every step of the state machine, so a Worker
//! that stops between two steps loses nothing: the next runner (the cron,
//! `waitUntil`, or a status read) loads it and goes on, and a publish whose
//! outcome was not saved is confirmed from the container, never resent
//! blindly. A lease in the job keeps two runners from stepping the same job
//! at once (best effort: KV has no compare-and-set, and is eventually
//! consistent across locations).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::http::Transport;
use crate::core::time::Timestamp;
use crate::service::accounts::Accounts;
use crate::service::auth::authenticate;
use crate::service::crypto::random_id;
use crate::service::error::{status_for, ApiError};
use crate::service::http::{Background, HttpRequest, HttpResponse};
use crate::service::publishing::{quota, MediaSpec, Phase, PublishState, Publisher};
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

/// What the cron's job phase did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobStats {
    pub listed: u32,
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
    pub state: PublishState,
}

impl JobRecord {
    /// What the API shows.
    pub fn view(&self) -> Value {
        let s = &self.state;
        let status = match s.phase {
            Phase::Published => "published",
            Phase::Failed => "failed",
            _ => "processing",
        };
        json!({
            "id": self.id,
            "account_id": self.account_id,
            "kind": s.spec.kind(),
            "status": status,
            "phase": s.phase,
            "container_id": s.container_id,
            "children": s.children,
            "media_id": s.media_id,
            "permalink": s.permalink,
            "error": s.error,
            "polls": s.polls,
            "calls": s.calls,
            "publish_sends": s.publish_sends,
            "created_at": self.created_at.to_rfc3339(),
            "updated_at": self.updated_at.to_rfc3339(),
            "finished_at": s.finished_at.map(|t| t.to_rfc3339()),
            "next_check_at": s.not_before.map(|t| t.to_rfc3339()),
        })
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
        let body: Value = req.json()?;
        let spec = MediaSpec::from_json(&body)?;
        let now = self.transport.now();
        let job_id = random_id(self.transport, 16);
        fields.job_id = Some(job_id.clone());
        let mut job = JobRecord {
            id: job_id.clone(),
            account_id: id.to_owned(),
            created_at: now,
            updated_at: now,
            lease_until: None,
            state: PublishState::new(spec, now),
        };
        self.store
            .put(
                &format!("{}{job_id}", job_account_prefix(id)),
                "1",
                Some(FINISHED_JOB_TTL),
            )
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
        match job.state.phase {
            Phase::Published => HttpResponse::json(200, &view),
            Phase::Failed => {
                let status = job
                    .state
                    .error
                    .as_ref()
                    .and_then(|e| serde_json::from_value(json!(e.kind)).ok())
                    .map_or(502, status_for);
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
        fields.account_id = Some(job.account_id.clone());
        if !job.state.is_finished() {
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
        let who = Publisher {
            config: &settings.config,
            ig_user_id: &record.id,
            token: &record.token.access_token,
        };
        let q = quota(self.transport, &who).await?;
        Ok(HttpResponse::json(200, &json!({ "quota": q })))
    }

    pub(crate) async fn load_job(&self, id: &str) -> Result<Option<JobRecord>, ApiError> {
        load_job_from(self.store, id).await
    }

    async fn save_job<K: KvStore>(&self, store: &K, job: &JobRecord) -> Result<(), ApiError> {
        let value = serde_json::to_string(job)
            .map_err(|e| ApiError::storage(format!("could not encode job: {e}")))?;
        let ttl = job.state.is_finished().then_some(FINISHED_JOB_TTL);
        store.put(&job_key(&job.id), &value, ttl).await
    }

    /// Steps `job` until it finishes, waits past `deadline`, or made
    /// `max_calls` calls; saves after every step. `sleep`: wait for the
    /// next poll when it falls before the deadline. Returns the calls made.
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
        let calls_before = job.state.calls;
        let Some(account) = account else {
            job.state.phase = Phase::Failed;
            job.state.error = Some(crate::service::publishing::PublishError {
                kind: "not_found".into(),
                message: "the account was removed before the publish finished".into(),
                code: None,
                subcode: None,
            });
            self.finish_job(store, job).await?;
            return Ok(0);
        };
        let settings = self.config.product(account.product).ok_or_else(|| {
            ApiError::invalid_input(
                "product",
                "this Worker no longer serves the account's product",
            )
        })?;
        let who = Publisher {
            config: &settings.config,
            ig_user_id: &account.id,
            token: &account.token.access_token,
        };
        // Take the lease before the first step, so a second runner that
        // loads the job now leaves it alone; it is renewed at every save.
        job.lease_until = Some(self.lease(job, sleep, deadline));
        self.save_job(store, job).await?;
        loop {
            if job.state.is_finished() || job.state.calls - calls_before >= max_calls {
                break;
            }
            let now = self.transport.now();
            if let Some(next) = job.state.not_before {
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
            job.state.step(self.transport, &who).await;
            job.updated_at = self.transport.now();
            if job.state.is_finished() {
                break;
            }
            job.lease_until = Some(self.lease(job, sleep, deadline));
            self.save_job(store, job).await?;
        }
        job.lease_until = None;
        job.updated_at = self.transport.now();
        if job.state.is_finished() {
            self.finish_job(store, job).await?;
        } else {
            self.save_job(store, job).await?;
        }
        Ok(job.state.calls - calls_before)
    }

    /// Until when this runner holds `job`: its next step (if it will wait
    /// for it) plus [`LEASE_SLACK`].
    fn lease(&self, job: &JobRecord, sleep: bool, deadline: Timestamp) -> Timestamp {
        let now = self.transport.now();
        let next = job
            .state
            .not_before
            .filter(|n| sleep && *n > now && *n <= deadline)
            .unwrap_or(now);
        next.plus(LEASE_SLACK)
    }

    async fn finish_job<K: KvStore>(&self, store: &K, job: &mut JobRecord) -> Result<(), ApiError> {
        job.lease_until = None;
        if job.state.finished_at.is_none() {
            job.state.finished_at = Some(self.transport.now());
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
            if !job.state.is_finished() {
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
                _ => None,
            };
            let Some(mut job) = job else {
                let _ = counted.delete(&key).await;
                continue;
            };
            if job.state.is_finished() {
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
                    if job.state.is_finished() {
                        stats.finished += 1;
                    }
                }
                Err(_) => continue,
            }
        }
        stats.kv_ops = counted.ops();
        stats
    }

    /// Removes every job of `account`.
    pub(crate) async fn delete_jobs_of(&self, account: &str) -> Result<(), ApiError> {
        let prefix = job_account_prefix(account);
        loop {
            let page = self.store.list(&prefix, None, 1000).await?;
            if page.keys.is_empty() {
                return Ok(());
            }
            for key in &page.keys {
                if let Some(job) = key.strip_prefix(&prefix) {
                    self.store.delete(&job_queue_key(job)).await?;
                    self.store.delete(&job_key(job)).await?;
                }
                self.store.delete(key).await?;
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
