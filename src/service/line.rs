//! One line of work per account: the work the Worker hands to an account's
//! Durable Object ([`AccountWork`]), the object's answer ([`WorkReply`]),
//! the [`AccountLine`] that carries work to the object, and
//! [`Service::perform`], which does the work inside the object.
//!
//! Everything that writes an account's keys after its login goes through
//! here: refresh (cron, "refresh now"), publish (create, every step, the
//! status read's nudge) and delete (API, deauthorize, data deletion). The
//! object runs one piece of work at a time (see `account_object.rs`), so
//! two triggers never refresh one token twice or send one job's
//! `media_publish` twice, and a delete cannot be overtaken by a write.
//!
//! Without a line (native tests of the handlers, and inside the object
//! itself) [`Service::hand_off`] performs the work directly.

use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::http::Transport;
use crate::core::time::Timestamp;
use crate::service::accounts::{parse_due_key, AccountRecord};
use crate::service::delivery::{self, OutboxEvent};
use crate::service::error::ApiError;
use crate::service::http::{Background, HttpResponse};
use crate::service::idempotency::Idempotency;
use crate::service::jobs::record::JobRecord;
use crate::service::refresh_retry::refresh_retry_at;
use crate::service::store::{CountingStore, KvStore};
use crate::service::Service;

/// What an account's object is asked to do.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "work", rename_all = "snake_case")]
pub enum AccountWork {
    /// Refresh (or check) the token. `forced`: the API's "refresh now"
    /// (skips the due check); else the cron's, for its index entry `due_key`.
    Refresh {
        forced: bool,
        #[serde(default)]
        due_key: Option<String>,
    },
    /// Store a new publish job and advance it for up to `wait_ms`.
    Publish {
        job: Box<JobRecord>,
        /// The request's `Idempotency-Key` and a digest of its body.
        #[serde(default)]
        idempotency: Option<Idempotency>,
    },
    /// Advance a stored job for up to `budget_ms`, at most `max_calls`
    /// calls; `sleep`: wait for its next step inside the budget.
    AdvanceJob {
        job_id: String,
        budget_ms: u64,
        sleep: bool,
        max_calls: u32,
    },
    /// Cancel a job that has not sent its `media_publish`.
    CancelJob { job_id: String },
    /// The object's alarm: advance the jobs whose time has come, refresh
    /// the token if it is due, send what waits in the outbox.
    Wake,
    /// A login stored the account: its alarm is set for `due_at`, the
    /// refresh time the login stored, and a tombstone older than
    /// `connected_at` (the login's time: `AccountRecord::last_login`) is
    /// cleared (a later login is a new account). With
    /// `connected_at`, that is all, with no KV read: the record is the one
    /// the login just wrote (which other locations see only within about a
    /// minute anyway, so reading it here could not be relied on), a fresh
    /// token is not due for a day at least, and an unfinished publish job
    /// already set its object's alarm for its next step (every job reply
    /// carries it: `job_reply`), so nothing needs the account's jobs listed.
    /// Without `connected_at`, or when the record predates the tombstone (a
    /// leftover of the deleted account to remove), as `Wake`, the alarm
    /// falling back to `due_at` if the record is not visible yet.
    Connected {
        #[serde(default)]
        due_at: Option<Timestamp>,
        #[serde(default)]
        connected_at: Option<Timestamp>,
    },
    /// Verified webhook events for the account: into the outbox, then sent.
    Deliver {
        events: Vec<OutboxEvent>,
        /// `WEBHOOK_RETRY_BASE_SECONDS`, for the outbox's retries.
        retry_base_ms: u64,
    },
    /// Send one event to the operator's endpoint (the outbox's attempt).
    SendEvent { event: OutboxEvent },
    /// Forget the account: record, index entry, aliases, jobs.
    Delete {
        /// A deletion asked for by this Meta user (deauthorize, data
        /// deletion): their alias of the account is left for the caller to
        /// remove last, so Meta's retry after a failure still finds it.
        #[serde(default)]
        keep_alias: Option<String>,
    },
}

impl AccountWork {
    pub fn is_refresh(&self) -> bool {
        matches!(self, AccountWork::Refresh { .. })
    }
}

/// The object's answer: the HTTP answer for the caller and the figures the
/// cron adds up.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkReply {
    /// `refreshed`, `checked`, `needs_reauth`, `failed`, `not_due`,
    /// `stale`, `missing`, `deleted`, `job`, `replayed`.
    pub outcome: String,
    pub status: u16,
    pub body: Value,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Jobs to keep advancing after the answer (`waitUntil`).
    #[serde(default)]
    pub background_jobs: Vec<String>,
    /// Calls made to Meta.
    #[serde(default)]
    pub subrequests: u32,
    /// KV operations made.
    #[serde(default)]
    pub kv_ops: u64,
    /// When a login last stored the account worked on
    /// (`AccountRecord::last_login`; the object compares it with its
    /// deletion tombstone: a later login is a new account).
    #[serde(default)]
    pub connected_at: Option<Timestamp>,
    /// The publish job this answer is about (idempotent replays).
    #[serde(default)]
    pub job_id: Option<String>,
    /// When the object should wake to work on the account again (its
    /// token's next due time), if that is in the future.
    #[serde(default)]
    pub wake_at: Option<Timestamp>,
}

impl WorkReply {
    pub fn new(outcome: &str, status: u16, body: Value) -> WorkReply {
        WorkReply {
            outcome: outcome.to_owned(),
            status,
            body,
            headers: Vec::new(),
            background_jobs: Vec::new(),
            subrequests: 0,
            kv_ops: 0,
            connected_at: None,
            job_id: None,
            wake_at: None,
        }
    }

    fn from_response(outcome: &str, response: HttpResponse) -> WorkReply {
        let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let mut reply = WorkReply::new(outcome, response.status, body);
        reply.headers = response
            .headers
            .into_iter()
            .filter(|(name, _)| name != "content-type" && name != "cache-control")
            .collect();
        reply.background_jobs = response
            .background
            .into_iter()
            .filter_map(|task| match task {
                Background::AdvanceJob { job, .. } => Some(job),
                Background::Wake { .. }
                | Background::Deliver { .. }
                | Background::DropIndexEntry(_)
                | Background::DropAliasEntry(_) => None,
            })
            .collect();
        reply
    }

    /// A failure, as the API shows it.
    pub fn error(outcome: &str, error: &ApiError) -> WorkReply {
        let mut reply = WorkReply::new(outcome, error.status, error.body());
        if let Some(after) = error.retry_after {
            reply
                .headers
                .push(("retry-after".into(), after.as_secs().max(1).to_string()));
        }
        reply
    }

    /// The HTTP answer for `account`'s caller.
    pub fn into_response(self, account: &str) -> HttpResponse {
        let mut response = HttpResponse::json(self.status, &self.body);
        for (name, value) in self.headers {
            response = response.with_header(&name, &value);
        }
        response.background = self
            .background_jobs
            .into_iter()
            .map(|job| Background::AdvanceJob {
                account: account.to_owned(),
                job,
            })
            .collect();
        response
    }
}

/// How long a Workers KV write usually takes to be seen at other locations
/// ("Changes may take up to 60 seconds or more to be visible in other
/// global network locations", and a cached "not found" delays a new key the
/// same way: <https://developers.cloudflare.com/kv/concepts/how-kv-works/>).
/// A login's wake that cannot see the record yet sets its alarm no earlier.
pub const KV_VISIBLE_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

/// The outcome of a reply that stands for an error of the object itself
/// (KV or storage down, a record that does not decrypt), not of the work:
/// the line turns it back into an `Err`, as a direct call returns one.
pub const OBJECT_ERROR: &str = "error";

/// The error kinds an object's failure can have (see [`OBJECT_ERROR`]).
const RELAYED_KINDS: &[&str] = &[
    "storage",
    "decrypt_failed",
    "key_unavailable",
    "config",
    "invalid_input",
];

impl WorkReply {
    /// An object failure as its reply.
    pub fn object_error(error: &ApiError) -> WorkReply {
        WorkReply::error(OBJECT_ERROR, error)
    }

    /// The object's failure again, when this reply is one.
    pub fn into_result(self) -> Result<WorkReply, ApiError> {
        if self.outcome != OBJECT_ERROR {
            return Ok(self);
        }
        let error = &self.body["error"];
        let text = |name: &str| error[name].as_str().unwrap_or("").to_owned();
        let kind = RELAYED_KINDS
            .iter()
            .find(|k| **k == text("kind"))
            .copied()
            .unwrap_or("storage");
        let mut relayed = ApiError::new(self.status, kind, text("message"));
        relayed.field = error["field"].as_str().map(str::to_owned);
        relayed.retry_after = error["retry_after"]
            .as_u64()
            .map(std::time::Duration::from_secs);
        relayed.retryable = error["retryable"].as_bool().unwrap_or(false);
        Err(relayed)
    }
}

/// Carries work to an account's object and brings its answer back (the
/// Worker: a Durable Object stub per account id).
pub trait AccountLine {
    fn run<'a>(
        &'a self,
        account: &'a str,
        work: AccountWork,
    ) -> LocalBoxFuture<'a, Result<WorkReply, ApiError>>;
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// Hands `work` to the account's object, or performs it here when this
    /// service has no line.
    pub async fn hand_off(&self, account: &str, work: AccountWork) -> Result<WorkReply, ApiError> {
        match self.line {
            Some(line) => line.run(account, work).await,
            None => self.perform(account, work, None).await,
        }
    }

    /// Does `work` for `account` (inside its object, one at a time).
    /// `deleted_at`: the object's tombstone; a record connected before it is
    /// a leftover of the deleted account (a stale read, or a write that
    /// raced the delete) and is removed instead of worked on.
    pub async fn perform(
        &self,
        account: &str,
        work: AccountWork,
        deleted_at: Option<Timestamp>,
    ) -> Result<WorkReply, ApiError> {
        let counted = CountingStore::new(self.store);
        let inner = Service {
            config: self.config,
            store: &counted,
            transport: self.transport,
            log: self.log,
            line: None,
            blobs: self.blobs,
        };
        let mut reply = inner.perform_counted(account, work, deleted_at).await?;
        reply.kv_ops = counted.ops().total();
        Ok(reply)
    }

    pub(crate) async fn perform_counted(
        &self,
        account: &str,
        work: AccountWork,
        deleted_at: Option<Timestamp>,
    ) -> Result<WorkReply, ApiError> {
        match work {
            // Events are the operator's, not the account's: sent whatever
            // the account's state. Without an object (no outbox) each is
            // sent once.
            AccountWork::SendEvent { event } => return Ok(self.send_event(&event).await),
            AccountWork::Deliver { events, .. } => {
                let mut reply = WorkReply::new("sent", 200, json!({}));
                for event in &events {
                    reply = self.send_event(event).await;
                }
                return Ok(reply);
            }
            _ => {}
        }
        if let AccountWork::Delete { keep_alias } = &work {
            let deletion = self
                .delete_account_data_for(account, keep_alias.as_deref())
                .await?;
            return Ok(if deletion.existed {
                WorkReply::new(
                    "deleted",
                    200,
                    json!({ "deleted": account, "complete": deletion.complete }),
                )
            } else {
                WorkReply::error(
                    "missing",
                    &ApiError::not_found(format!("no account {account}")),
                )
            });
        }
        if let AccountWork::Connected {
            due_at,
            connected_at: Some(connected_at),
        } = &work
        {
            if deleted_at.is_none_or(|d| *connected_at > d) {
                return Ok(self.connected(*due_at, *connected_at));
            }
        }
        let record = match self.accounts().load(account).await? {
            Some(r) if deleted_at.is_some_and(|d| r.last_login() <= d) => {
                self.delete_account_data(account).await?;
                None
            }
            other => other,
        };
        let mut reply = match work {
            AccountWork::Refresh { forced, due_key } => {
                self.perform_refresh(account, record.as_ref(), forced, due_key)
                    .await?
            }
            AccountWork::Publish { job, .. } => match &record {
                None => missing(account),
                Some(r) => self.perform_publish(r, *job).await,
            },
            AccountWork::AdvanceJob {
                job_id,
                budget_ms,
                sleep,
                max_calls,
            } => {
                self.perform_advance(&job_id, budget_ms, sleep, max_calls)
                    .await?
            }
            AccountWork::CancelJob { job_id } => match self.cancel_job(&job_id).await {
                Ok(response) => WorkReply::from_response("cancelled", response),
                Err(e) => WorkReply::error("failed", &e),
            },
            AccountWork::Wake => self.perform_wake(account, record.as_ref()).await?,
            AccountWork::Connected { due_at, .. } => {
                let mut reply = self.perform_wake(account, record.as_ref()).await?;
                if record.is_none() {
                    // Not visible here yet: wake at the login's due time, or
                    // once the write has reached every location.
                    let visible = self.transport.now().plus(KV_VISIBLE_WITHIN);
                    let at = due_at.map(|d| d.max(visible));
                    reply.wake_at = match (reply.wake_at, at) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                reply
            }
            AccountWork::Delete { .. }
            | AccountWork::SendEvent { .. }
            | AccountWork::Deliver { .. } => {
                unreachable!("handled above")
            }
        };
        reply.connected_at = record.map(|r| r.last_login());
        Ok(reply)
    }

    async fn perform_refresh(
        &self,
        account: &str,
        record: Option<&AccountRecord>,
        forced: bool,
        due_key: Option<String>,
    ) -> Result<WorkReply, ApiError> {
        // The cron's entry: gone or moved records leave a stale entry.
        if let Some(key) = &due_key {
            let points_here = parse_due_key(key).is_some_and(|(_, id)| id == account)
                && record.is_some_and(|r| r.due_key.as_deref() == Some(key.as_str()));
            if !points_here {
                let _ = self.store.delete(key).await;
                return Ok(WorkReply::new("stale", 200, json!({})));
            }
        }
        let Some(record) = record else {
            return Ok(missing(account));
        };
        let outcome = match self.refresh_account(record.clone(), forced).await {
            Ok(o) => o,
            Err(e) => {
                let mut reply = WorkReply::error("failed", &e);
                reply.subrequests = 1;
                // KV trouble passes: retried on the backoff (not on the
                // store's seconds-long hint: a KV outage must not turn every
                // account into a call to Meta a minute). A configuration
                // error (PRODUCTS no longer lists the account's product)
                // waits for the operator and the cron.
                if e.retryable {
                    let failures = record.consecutive_failures + 1;
                    reply.wake_at = Some(refresh_retry_at(self.transport, failures, None));
                }
                return Ok(reply);
            }
        };
        let status = outcome.record.status(self.config, self.transport.now());
        let mut reply = match &outcome.error {
            None => WorkReply::new(
                outcome.outcome,
                200,
                json!({ "account": status, "outcome": outcome.outcome }),
            ),
            Some(error) => {
                let mut reply = WorkReply::error(outcome.outcome, error);
                reply.body["account"] = status;
                reply
            }
        };
        reply.subrequests = outcome.subrequests;
        let now = self.transport.now();
        reply.wake_at = match (&outcome.error, outcome.outcome) {
            // The object retries by itself (see `refresh_retry_at` for why
            // and how the retries end): the cron alone falls behind at scale.
            (Some(error), "failed") => Some(refresh_retry_at(
                self.transport,
                outcome.record.consecutive_failures,
                error.retry_after,
            )),
            _ => outcome.record.due_at(self.config).filter(|at| *at > now),
        };
        Ok(reply)
    }

    /// A login's wake (see `AccountWork::Connected`): the alarm for the
    /// token's first refresh, no earlier than the record is visible
    /// everywhere (the alarm's `Wake` reads it).
    fn connected(&self, due_at: Option<Timestamp>, connected_at: Timestamp) -> WorkReply {
        let visible = self.transport.now().plus(KV_VISIBLE_WITHIN);
        let mut reply = WorkReply::new("woke", 200, json!({}));
        reply.wake_at = due_at.map(|d| d.max(visible));
        reply.connected_at = Some(connected_at);
        reply
    }

    async fn perform_publish(&self, record: &AccountRecord, job: JobRecord) -> WorkReply {
        match self.start_job(record, job).await {
            Ok(job) => job_reply(self.job_response(&job, true), &job),
            Err(e) => WorkReply::error("failed", &e),
        }
    }

    async fn perform_wake(
        &self,
        account: &str,
        record: Option<&AccountRecord>,
    ) -> Result<WorkReply, ApiError> {
        let (jobs_wake, calls) = self.advance_due_jobs(account).await?;
        let now = self.transport.now();
        let token_due = record.is_some_and(|r| r.is_due(self.config, now));
        let mut reply = if token_due {
            self.perform_refresh(account, record, false, None).await?
        } else {
            let mut reply = WorkReply::new("woke", 200, json!({}));
            reply.wake_at = record
                .and_then(|r| r.due_at(self.config))
                .filter(|at| *at > now);
            reply
        };
        reply.subrequests += calls;
        reply.wake_at = match (reply.wake_at, jobs_wake) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(reply)
    }

    async fn perform_advance(
        &self,
        job_id: &str,
        budget_ms: u64,
        sleep: bool,
        max_calls: u32,
    ) -> Result<WorkReply, ApiError> {
        let Some(mut job) = self.load_job(job_id).await? else {
            return Ok(WorkReply::error(
                "missing",
                &ApiError::not_found(format!("no job {job_id}")),
            ));
        };
        let calls_before = job.job.calls;
        if !job.job.is_finished() {
            let deadline = self
                .transport
                .now()
                .plus(std::time::Duration::from_millis(budget_ms));
            // A failed save leaves the job as stored: the next runner goes on.
            let _ = self.advance(&mut job, deadline, sleep, max_calls).await;
        }
        let mut reply = job_reply(self.job_response(&job, false), &job);
        reply.subrequests = job.job.calls - calls_before;
        Ok(reply)
    }
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// One delivery attempt: `sent`, or `failed` with the reason.
    async fn send_event(&self, event: &OutboxEvent) -> WorkReply {
        let Some(forward) = &self.config.webhook_forward else {
            return WorkReply::new("dropped", 200, json!({}));
        };
        let mut reply = match delivery::send(self.transport, forward, event).await {
            Ok(()) => WorkReply::new("sent", 200, json!({})),
            Err(reason) => WorkReply::new("failed", 502, json!({ "reason": reason })),
        };
        reply.subrequests = 1;
        reply
    }
}

/// The answer about a job: its id, and when its object should wake for it.
fn job_reply(response: HttpResponse, job: &JobRecord) -> WorkReply {
    let mut reply = WorkReply::from_response("job", response);
    reply.job_id = Some(job.id.clone());
    if !job.job.is_finished() {
        reply.wake_at = job.job.next_step_at;
    }
    reply
}

fn missing(account: &str) -> WorkReply {
    WorkReply::error(
        "missing",
        &ApiError::not_found(format!("no account {account}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_failure_comes_back_as_the_same_error() {
        let failure = ApiError::storage("KV put failed: injected");
        let wire = serde_json::to_string(&WorkReply::object_error(&failure)).unwrap();
        let reply: WorkReply = serde_json::from_str(&wire).unwrap();
        let back = reply.into_result().unwrap_err();
        assert_eq!((back.status, back.kind), (503, "storage"));
        assert_eq!(back.message, failure.message);
        assert_eq!(back.retry_after, failure.retry_after);
        // A failure of the work itself is an answer, not an error.
        let work_failed = WorkReply::error("failed", &failure);
        assert_eq!(work_failed.into_result().unwrap().status, 503);
    }
}
