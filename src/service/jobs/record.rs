//! A publish job as the Worker stores it: the record (the core's resumable
//! [`PublishJob`] plus what the view keeps), its KV keys, the lease that
//! keeps two runners apart, and the view the API shows.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::error::Error;
use crate::core::http::Transport;
use crate::core::publish::{Phase, Progress, PublishJob};
use crate::core::time::Timestamp;
use crate::service::error::ApiError;
use crate::service::store::KvStore;
use crate::service::Service;

/// How long finished jobs stay readable.
pub const FINISHED_JOB_TTL: Duration = Duration::from_secs(30 * 86_400);
/// How long a runner holds a job past the moment it plans to step it next:
/// a runner that died frees the job this long after its next planned step.
pub const LEASE_SLACK: Duration = Duration::from_secs(5);
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
    /// A scheduled post: published at this time, not before (schedule.rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<Timestamp>,
    /// Staged media this job hands Meta (`service::media`): deleted when
    /// the job finishes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staged: Vec<String>,
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
        Phase::Uploading { .. } => "uploading",
        Phase::Processing { .. } => "processing",
        Phase::Publishing { .. } => "publish_sent",
        Phase::RecoveringMedia { .. } | Phase::FetchingPermalink { .. } => "permalink",
        Phase::Done { .. } => "published",
        Phase::Failed { .. } => "failed",
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
            _ if self.waits_for_its_time() => ("scheduled", None, None),
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
            "container_id": job.phase.container_id().or(self.container_id.as_deref()),
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
            "publish_at": self.publish_at.map(|t| t.to_rfc3339()),
        })
    }

    /// A scheduled job that has not sent its `media_publish` yet.
    pub fn waits_for_its_time(&self) -> bool {
        self.publish_at.is_some() && self.before_publishing()
    }

    /// Nothing was sent to `media_publish` yet: the job may be cancelled.
    pub fn before_publishing(&self) -> bool {
        self.job.publish_attempts == 0
            && matches!(
                self.job.phase,
                Phase::CheckingQuota
                    | Phase::CreatingChildren { .. }
                    | Phase::CreatingContainer { .. }
                    | Phase::Processing { .. }
            )
    }

    /// Keeps what the view needs from the phase the job just reached and
    /// the step's progress.
    pub(super) fn note_step(&mut self, progress: &[Progress]) {
        match &self.job.phase {
            Phase::CreatingChildren { done } => self.children = done.clone(),
            Phase::CreatingContainer { children } => self.children = children.clone(),
            _ => {}
        }
        if let Some(container) = self.job.phase.container_id() {
            self.container_id = Some(container.to_owned());
        }
        let reads = progress
            .iter()
            .filter(|p| matches!(p, Progress::Processing { .. }))
            .count();
        self.polls += reads as u32;
    }

    /// Ends the job without the core (its account is gone).
    pub(crate) fn abandon(&mut self, error: Error) {
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

pub(crate) fn valid_job_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    pub(crate) async fn load_job(&self, id: &str) -> Result<Option<JobRecord>, ApiError> {
        load_job_from(self.store, id).await
    }

    pub(crate) async fn save_job<K: KvStore>(
        &self,
        store: &K,
        job: &JobRecord,
    ) -> Result<(), ApiError> {
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

    /// Until when this runner holds `job`: its next step (if it will wait
    /// for it) plus [`LEASE_SLACK`].
    pub(super) fn lease(&self, job: &JobRecord, sleep: bool, deadline: Timestamp) -> Timestamp {
        let now = self.transport.now();
        let next = job
            .job
            .next_step_at
            .filter(|n| sleep && *n > now && *n <= deadline)
            .unwrap_or(now);
        next.plus(LEASE_SLACK)
    }

    pub(crate) async fn finish_job<K: KvStore>(
        &self,
        store: &K,
        job: &mut JobRecord,
    ) -> Result<(), ApiError> {
        job.lease_until = None;
        if job.finished_at.is_none() {
            job.finished_at = Some(self.transport.now());
        }
        self.save_job(store, job).await?;
        store.delete(&job_queue_key(&job.id)).await?;
        self.drop_staged(&std::mem::take(&mut job.staged)).await;
        Ok(())
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
