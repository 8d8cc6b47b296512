//! The publish routes: `POST /api/accounts/{id}/publish`, `GET
//! /api/jobs/{id}` and `GET /api/accounts/{id}/quota`. The request body is
//! read by `publish_body.rs`; the job is stepped by [`super::runner`].

use std::time::Duration;

use serde_json::{json, Value};

use super::record::{job_account_key, job_queue_key, valid_job_id, JobRecord};
use super::runner::READ_ADVANCE;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::Transport;
use crate::core::publish::{publishing_quota, Phase, PollPolicy, PublishJob, PublishOptions};
use crate::core::retry::RetryPolicy;
use crate::core::time::Timestamp;
use crate::service::auth::{authenticate, Caller};
use crate::service::crypto::random_id;
use crate::service::error::{status_for, ApiError};
use crate::service::http::{Background, HttpRequest, HttpResponse};
use crate::service::publish_body::media_spec_from_body;
use crate::service::router::LogFields;
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
    pub(super) fn job_response(&self, job: &JobRecord, created: bool) -> HttpResponse {
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
        // `?since=UNIX_SECONDS`: usage from then on (Meta's own parameter).
        let since = match req.query_all("since").first() {
            None => None,
            Some(s) => Some(s.parse::<u64>().map(Timestamp::from_secs).map_err(|_| {
                ApiError::invalid_input("since", "since must be a Unix time in seconds")
            })?),
        };
        let q = publishing_quota(
            self.transport,
            &settings.config,
            &record.token.access_token,
            &record.id,
            since,
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
}
