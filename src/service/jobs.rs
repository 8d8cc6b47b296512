//! Publish jobs: `POST /api/accounts/{id}/publish`, `GET /api/jobs/{id}`,
//! and the cron / `waitUntil` work that advances unfinished jobs.
//!
//! Keys: `job:{job_id}` (the job record), `jobq:{job_id}` (present while the
//! job is unfinished: the cron lists only these), `jobacct:{account}:{job}`
//! (to forget an account's jobs).
//!
//! Interim: the core's resumable `PublishJob` (issue 3) is not in the tree
//! yet; until it is, publishing answers 503 and the cron has no jobs.

use serde::Serialize;

use crate::core::http::Transport;
use crate::service::error::ApiError;
use crate::service::http::{HttpRequest, HttpResponse};
use crate::service::router::LogFields;
use crate::service::store::{KvOps, KvStore};
use crate::service::Service;

/// What the cron's job phase did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobStats {
    pub listed: u32,
    pub advanced: u32,
    pub finished: u32,
    pub subrequests: u32,
    pub kv_ops: KvOps,
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

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    pub(crate) async fn publish(
        &self,
        req: &HttpRequest,
        id: &str,
        _fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let _ = self.authorized_account(req, id).await?;
        Err(ApiError::new(
            503,
            "unavailable",
            "publishing is not wired into this Worker yet",
        ))
    }

    pub(crate) async fn quota(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        let _ = self.authorized_account(req, id).await?;
        Err(ApiError::new(
            503,
            "unavailable",
            "publishing is not wired into this Worker yet",
        ))
    }

    pub(crate) async fn get_job(
        &self,
        req: &HttpRequest,
        id: &str,
        _fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let _ = crate::service::auth::authenticate(self.config, req, self.transport.now())?;
        Err(ApiError::not_found(format!("no job {id}")))
    }

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

    pub(crate) async fn advance_active_jobs(
        &self,
        _max_subrequests: u32,
        _max_kv_ops: u32,
    ) -> JobStats {
        JobStats::default()
    }

    pub(crate) async fn advance_job_by_id(
        &self,
        _id: &str,
        _budget: std::time::Duration,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}
