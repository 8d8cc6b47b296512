//! Stepping publish jobs: within a request (up to `PUBLISH_WAIT_MS`), in
//! `waitUntil` after a 202, and in the cron (every unfinished job, within
//! the run's budget). The job is saved after every step and leased while a
//! runner holds it (see [`super`]).

use std::time::Duration;

use serde::Serialize;

use super::record::{job_key, JobRecord};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::Transport;
use crate::core::publish::StepOutcome;
use crate::core::time::Timestamp;
use crate::service::accounts::Accounts;
use crate::service::error::ApiError;
use crate::service::store::{CountingStore, KvOps, KvStore};
use crate::service::Service;

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

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// Steps `job` until it finishes, waits past `deadline`, or would pass
    /// `max_calls` calls; saves after every step. `sleep`: wait for the
    /// next step when it falls before the deadline. Returns the calls made.
    pub(super) async fn advance(
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
    pub(super) async fn advance_in<K: KvStore>(
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
            if job.job.phase.post_may_exist() {
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
            let next_step = job.job.phase.calls_of_next_step();
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
            if !job.job.phase.post_may_exist() {
                job.stalled = None;
                job.abandon(error);
                return;
            }
            job.job.grant_calls(STALLED_GRANT);
        }
        job.job.next_step_at = Some(self.transport.now().plus(STALLED_RETRY));
        job.stalled = Some(error);
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
}
