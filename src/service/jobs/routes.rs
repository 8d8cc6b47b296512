//! The publish routes: `POST /api/accounts/{id}/publish` (now, at
//! `publish_at`, with an `Idempotency-Key`), `GET /api/jobs/{id}`, `DELETE
//! /api/jobs/{id}` (cancel), `GET /api/accounts/{id}/jobs` and `GET
//! /api/accounts/{id}/quota`, and what the account's object does for them
//! (`start_job`, `cancel_job`). The request body is read by
//! `publish_body.rs`; the job is stepped by [`super::runner`].

use std::time::Duration;

use serde_json::{json, Value};

use super::record::{job_account_key, job_account_prefix, job_queue_key, valid_job_id, JobRecord};
use super::runner::READ_ADVANCE;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::Transport;
use crate::core::publish::{
    publishing_quota, Phase, PollPolicy, PublishJob, PublishOptions, PublishingQuota,
};
use crate::core::retry::RetryPolicy;
use crate::core::time::Timestamp;
use crate::service::accounts::AccountRecord;
use crate::service::auth::{authenticate, Caller};
use crate::service::crypto::random_id;
use crate::service::error::{status_for, ApiError};
use crate::service::http::{Background, HttpRequest, HttpResponse};
use crate::service::idempotency::idempotency_of;
use crate::service::line::AccountWork;
use crate::service::publish_body::media_spec_from_body;
use crate::service::router::LogFields;
use crate::service::schedule::{lead, take_publish_at};
use crate::service::store::KvStore;
use crate::service::Service;

/// The options of the Worker's publishes: the core's defaults, except that
/// the first check of a video falls inside the request's wait window (half
/// of `PUBLISH_WAIT_MS`, between 1 s and the core's 3 s), so a short reel
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

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// `POST /api/accounts/{id}/publish`: validate, then hand the job to
    /// the account's object, which saves it and advances it for up to
    /// `PUBLISH_WAIT_MS`: 200 (done), 202 (still processing; `waitUntil`
    /// and the cron go on) or the failure. An `Idempotency-Key` makes a
    /// retried request answer with the job the first one made.
    pub(crate) async fn publish(
        &self,
        req: &HttpRequest,
        id: &str,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        self.admitted_id(req, id).await?;
        let idempotency = idempotency_of(req)?;
        let now = self.transport.now();
        let mut body: Value = req.json()?;
        let publish_at = match body.as_object_mut() {
            Some(fields) => take_publish_at(fields, now)?,
            None => None,
        };
        let staged = self
            .resolve_staged(&mut body, id, publish_at, idempotency.is_some())
            .await?;
        let spec = media_spec_from_body(&body)?;
        let mut options = publish_options(self.config.publish_wait);
        // A scheduled post reads the quota again when it starts: the one
        // read when scheduling may be hours old.
        options.check_quota = publish_at.is_some();
        let mut publish = PublishJob::new(id, spec, options, now)?;
        if let Some(at) = publish_at {
            let start = at.minus(lead(&publish.spec));
            publish.next_step_at = Some(start).filter(|s| *s > now);
        }
        let job_id = random_id(self.transport, 16);
        fields.job_id = Some(job_id.clone());
        let job = JobRecord {
            id: job_id,
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
            publish_at,
            staged,
        };
        let work = AccountWork::Publish {
            job: Box::new(job),
            idempotency,
        };
        let reply = self.hand_off(id, work).await?;
        if let Some(job) = &reply.job_id {
            fields.job_id = Some(job.clone());
        }
        Ok(reply.into_response(id))
    }

    /// Inside the account's object: checks the account can publish, stores
    /// `job` and advances it for up to `PUBLISH_WAIT_MS`.
    pub(crate) async fn start_job(
        &self,
        record: &AccountRecord,
        mut job: JobRecord,
    ) -> Result<JobRecord, ApiError> {
        let id = &record.id;
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
        self.check_staged(&job.staged).await?;
        if job.publish_at.is_some() {
            self.check_quota(record).await?;
        }
        let job_id = job.id.clone();
        // No TTL while the job is unfinished (a scheduled one waits too):
        // it gets the finished job's TTL with it (`save_job`).
        self.store
            .put(&job_account_key(id, &job_id), "1", None)
            .await?;
        self.store.put(&job_queue_key(&job_id), "1", None).await?;
        self.save_job(self.store, &job).await?;
        self.advance(&mut job, now.plus(self.config.publish_wait), true, u32::MAX)
            .await?;
        Ok(job)
    }

    /// Inside the account's object: cancels a job that has not sent its
    /// `media_publish` yet.
    pub(crate) async fn cancel_job(&self, job_id: &str) -> Result<HttpResponse, ApiError> {
        let mut job = self
            .load_job(job_id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no job {job_id}")))?;
        if !job.before_publishing() {
            let what = if job.job.is_finished() {
                "has finished"
            } else {
                "has sent its media_publish (the post may exist)"
            };
            return Err(ApiError::new(
                409,
                "not_cancellable",
                format!("job {job_id} {what}; it cannot be cancelled"),
            ));
        }
        job.abandon(Error::new(
            ErrorKind::Aborted,
            "cancelled through the API before it was published",
        ));
        job.updated_at = self.transport.now();
        self.finish_job(self.store, &mut job).await?;
        Ok(self.job_response(&job, false))
    }

    /// `DELETE /api/jobs/{id}`: cancel a job (scheduled, or still before
    /// its `media_publish`), in its account's object.
    pub(crate) async fn delete_job(
        &self,
        req: &HttpRequest,
        id: &str,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let job = self.authorized_job(req, id, fields).await?;
        let work = AccountWork::CancelJob {
            job_id: id.to_owned(),
        };
        Ok(self
            .hand_off(&job.account_id, work)
            .await?
            .into_response(&job.account_id))
    }

    /// `GET /api/accounts/{id}/jobs[?status=scheduled]`: the account's jobs
    /// (the newest 100 kept), optionally only those with that status.
    pub(crate) async fn list_jobs(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        self.admitted_id(req, id).await?;
        let status = req.query_param("status")?;
        let prefix = job_account_prefix(id);
        let page = self.store.list(&prefix, None, 100).await?;
        let mut jobs = Vec::new();
        for key in page.keys {
            let Some(job_id) = key.strip_prefix(&prefix) else {
                continue;
            };
            if let Some(job) = self.load_job(job_id).await? {
                let view = job.view();
                if status.as_deref().is_none_or(|s| view["status"] == s) {
                    jobs.push(view);
                }
            }
        }
        Ok(HttpResponse::json(200, &json!({ "jobs": jobs })))
    }

    /// The answer for a job: 200 done, 202 processing, or the failure's status.
    pub(crate) fn job_response(&self, job: &JobRecord, created: bool) -> HttpResponse {
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
                // A scheduled job waits for its object's alarm instead.
                if created && job.publish_at.is_none() {
                    r.background.push(Background::AdvanceJob {
                        account: job.account_id.clone(),
                        job: job.id.clone(),
                    });
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
        let job = self.authorized_job(req, id, fields).await?;
        if job.job.is_finished() {
            return Ok(self.job_response(&job, false));
        }
        let work = AccountWork::AdvanceJob {
            job_id: job.id.clone(),
            budget_ms: READ_ADVANCE.as_millis() as u64,
            sleep: false,
            max_calls: 10,
        };
        Ok(self
            .hand_off(&job.account_id, work)
            .await?
            .into_response(&job.account_id))
    }

    /// Authenticates and loads job `id`, if the caller may see its account
    /// (else, as for a job that does not exist, 404).
    async fn authorized_job(
        &self,
        req: &HttpRequest,
        id: &str,
        fields: &mut LogFields,
    ) -> Result<JobRecord, ApiError> {
        let caller = authenticate(self.config, req, self.transport.now())?;
        let not_found = || ApiError::not_found(format!("no job {id}"));
        if !valid_job_id(id) {
            return Err(not_found());
        }
        let job = self.load_job(id).await?.ok_or_else(not_found)?;
        caller
            .require_account(&job.account_id)
            .map_err(|_| not_found())?;
        if let Caller::Session(_) = &caller {
            // The session must still be admitted to the job's account.
            let record = self.accounts().load(&job.account_id).await?;
            if record.is_none_or(|r| caller.require_current(&r).is_err()) {
                return Err(not_found());
            }
        }
        fields.account_id = Some(job.account_id.clone());
        Ok(job)
    }

    /// `GET /api/accounts/{id}/quota`: Meta's publishing limit for the account.
    pub(crate) async fn quota(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        let (_, record) = self.authorized_account(req, id).await?;
        // `?since=UNIX_SECONDS`: usage from then on (Meta's own parameter).
        let since = match req.query_all("since").first() {
            None => None,
            Some(s) => Some(s.parse::<u64>().map(Timestamp::from_secs).map_err(|_| {
                ApiError::invalid_input("since", "since must be a Unix time in seconds")
            })?),
        };
        let q = self.read_quota(&record, since).await?;
        let quota = json!({
            "quota_usage": q.usage,
            "quota_total": q.total,
            "quota_duration": q.duration_secs,
        });
        Ok(HttpResponse::json(200, &json!({ "quota": quota })))
    }

    /// Meta's publishing limit for the account.
    async fn read_quota(
        &self,
        record: &AccountRecord,
        since: Option<Timestamp>,
    ) -> Result<PublishingQuota, ApiError> {
        let settings = self.config.product(record.product).ok_or_else(|| {
            ApiError::invalid_input(
                "product",
                "this Worker no longer serves the account's product",
            )
        })?;
        Ok(publishing_quota(
            self.transport,
            &settings.config,
            &record.token.access_token,
            &record.id,
            since,
            &RetryPolicy::default(),
        )
        .await?)
    }

    /// Refuses to schedule a post when the account's quota is used up now
    /// (the job checks it again when it starts).
    async fn check_quota(&self, record: &AccountRecord) -> Result<(), ApiError> {
        let q = self.read_quota(record, None).await?;
        if q.total.is_some_and(|total| q.usage >= total) {
            return Err(Error::new(
                ErrorKind::PublishLimit,
                format!(
                    "account {} has used its publishing quota ({} of {:?} posts in 24 hours); schedule it later",
                    record.id, q.usage, q.total
                ),
            )
            .into());
        }
        Ok(())
    }
}
