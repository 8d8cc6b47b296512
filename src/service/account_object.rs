//! The account's Durable Object, as a pure state machine over a small
//! storage trait: one piece of account work at a time, a refresh shared by
//! everyone who asked while it ran, a deletion tombstone, and the
//! publish idempotency keys. `src/worker/objects.rs` only binds it to a
//! Durable Object (its storage and `fetch`); native tests drive it with an
//! in-memory store and the fake clock.
//!
//! Why each rule:
//! - **one at a time**: a Durable Object interleaves requests whenever one
//!   awaits I/O (a call to Meta), so the object queues work behind an async
//!   lock: the second trigger starts only when the first has stored its
//!   result, and reads what it stored;
//! - **shared refresh**: triggers that arrive while a refresh is in flight
//!   (or queued behind one) get that refresh's answer instead of refreshing
//!   again: one call to Meta, and every caller sees the token that is stored;
//! - **tombstone**: a delete first writes `deleted_at` here, then removes
//!   the account's KV keys. Later work (a cron run that listed the index
//!   before the delete, a KV read that has not caught up) finds the
//!   tombstone and removes any record last stored by a login before it
//!   instead of working on it. A later login is a new account (its login
//!   time, `AccountRecord::last_login`, is after the tombstone, even when
//!   it read a stale copy of the deleted record and kept its
//!   `connected_at`), which clears the tombstone. The object is the
//!   only writer of its storage, so it reads the tombstone once per
//!   instance and keeps a copy (a login's wake then needs no storage read
//!   but its alarm's).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::time::Duration;

use futures_util::lock::Mutex;

use crate::core::time::Timestamp;
use crate::service::delivery::Pending;
use crate::service::error::ApiError;
use crate::service::idempotency::{conflict, storage_key, IdempotencyRecord, IDEMPOTENCY_WINDOW};
use crate::service::jobs::runner::READ_ADVANCE;
use crate::service::line::{AccountWork, WorkReply};
use crate::service::store::KvStore;

/// The object-storage key of the deletion tombstone (milliseconds).
pub const TOMBSTONE: &str = "deleted_at";
/// The prefix of remembered idempotency keys.
pub const IDEMPOTENCY_PREFIX: &str = "idem:";
/// The prefix of undelivered webhook events (delivery.rs).
pub const OUTBOX_PREFIX: &str = "out:";

/// What the object needs from its storage (a Durable Object's
/// transactional storage; strongly consistent, unlike Workers KV).
pub trait ObjectStorage {
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<String>, ApiError>>;
    fn put(&self, key: &str, value: &str) -> impl Future<Output = Result<(), ApiError>>;
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), ApiError>>;
    /// Every key starting with `prefix`.
    fn keys(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, ApiError>>;
    /// When the object's alarm is set to go off, if it is.
    fn alarm(&self) -> impl Future<Output = Result<Option<Timestamp>, ApiError>>;
    /// Sets the alarm (replacing the one set).
    fn set_alarm(&self, at: Timestamp) -> impl Future<Output = Result<(), ApiError>>;
}

/// Where a key-value store keeps the alarm time (milliseconds).
pub const ALARM_KEY: &str = "alarm_at";

/// Any key-value store serves as object storage (native tests use
/// [`crate::service::memory_store::MemoryStore`]).
impl<K: KvStore> ObjectStorage for K {
    async fn get(&self, key: &str) -> Result<Option<String>, ApiError> {
        KvStore::get(self, key).await
    }
    async fn put(&self, key: &str, value: &str) -> Result<(), ApiError> {
        KvStore::put(self, key, value, None).await
    }
    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        KvStore::delete(self, key).await
    }
    async fn keys(&self, prefix: &str) -> Result<Vec<String>, ApiError> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = KvStore::list(self, prefix, cursor.as_deref(), 1000).await?;
            keys.extend(page.keys);
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(keys),
            }
        }
    }
    async fn alarm(&self) -> Result<Option<Timestamp>, ApiError> {
        Ok(KvStore::get(self, ALARM_KEY)
            .await?
            .and_then(|v| v.parse::<u64>().ok())
            .map(Timestamp::from_millis))
    }
    async fn set_alarm(&self, at: Timestamp) -> Result<(), ApiError> {
        KvStore::put(self, ALARM_KEY, &at.as_millis().to_string(), None).await
    }
}

/// One account's object.
pub struct AccountObject<St> {
    storage: St,
    /// Held while a piece of work runs.
    turn: Mutex<()>,
    /// Refreshes finished since the object started, and the last answer.
    refreshes_done: Cell<u64>,
    last_refresh: RefCell<Option<WorkReply>>,
    /// The tombstone as last read or written here (`None`: not known). The
    /// object is the only writer of its storage, so after one read every
    /// piece of work can use this copy: one storage read less per call.
    tombstone: Cell<Option<Option<Timestamp>>>,
}

impl<St: ObjectStorage> AccountObject<St> {
    pub fn new(storage: St) -> AccountObject<St> {
        AccountObject {
            storage,
            turn: Mutex::new(()),
            refreshes_done: Cell::new(0),
            last_refresh: RefCell::new(None),
            tombstone: Cell::new(None),
        }
    }

    pub fn storage(&self) -> &St {
        &self.storage
    }

    /// When the account was deleted, if it was (and not connected again).
    pub async fn deleted_at(&self) -> Result<Option<Timestamp>, ApiError> {
        if let Some(known) = self.tombstone.get() {
            return Ok(known);
        }
        let read = self
            .storage
            .get(TOMBSTONE)
            .await?
            .and_then(|v| v.parse::<u64>().ok())
            .map(Timestamp::from_millis);
        self.tombstone.set(Some(read));
        Ok(read)
    }

    /// Writes (`Some`) or removes the tombstone, keeping the copy in step:
    /// unknown while the write is in flight or if it failed.
    async fn set_tombstone(&self, at: Option<Timestamp>) -> Result<(), ApiError> {
        self.tombstone.set(None);
        match at {
            Some(at) => {
                self.storage
                    .put(TOMBSTONE, &at.as_millis().to_string())
                    .await?
            }
            None => self.storage.delete(TOMBSTONE).await?,
        }
        self.tombstone.set(Some(at));
        Ok(())
    }

    /// Runs `work` in its turn: `perform(work, deleted_at)` does it (the
    /// service's [`crate::service::Service::perform`]). Then sets the alarm
    /// for the reply's `wake_at`, unless an earlier one is set.
    pub async fn run<F, Fut>(
        &self,
        work: AccountWork,
        now: Timestamp,
        perform: F,
    ) -> Result<WorkReply, ApiError>
    where
        F: Fn(AccountWork, Option<Timestamp>) -> Fut,
        Fut: Future<Output = Result<WorkReply, ApiError>>,
    {
        let woken = matches!(work, AccountWork::Wake);
        let reply = self.run_in_turn(work, now, perform).await?;
        if let Some(at) = reply.wake_at {
            // An alarm that already went off (this is its wake) is replaced.
            let current = self.storage.alarm().await?.filter(|c| !woken && *c > now);
            if current.is_none_or(|c| c > at) {
                self.storage.set_alarm(at).await?;
            }
        }
        Ok(reply)
    }

    async fn run_in_turn<F, Fut>(
        &self,
        work: AccountWork,
        now: Timestamp,
        perform: F,
    ) -> Result<WorkReply, ApiError>
    where
        F: Fn(AccountWork, Option<Timestamp>) -> Fut,
        Fut: Future<Output = Result<WorkReply, ApiError>>,
    {
        let refreshes_seen = self.refreshes_done.get();
        let _turn = self.turn.lock().await;
        if work.is_refresh() && self.refreshes_done.get() > refreshes_seen {
            if let Some(done) = self.last_refresh.borrow().clone() {
                return Ok(shared(done));
            }
        }
        let deleted_at = self.deleted_at().await?;
        match work {
            AccountWork::Delete { keep_alias } => self.delete(now, keep_alias, &perform).await,
            AccountWork::Deliver {
                events,
                retry_base_ms,
            } => {
                for event in events {
                    let key = format!("{OUTBOX_PREFIX}{}", event.id);
                    let pending = Pending::new(event, now, Duration::from_millis(retry_base_ms));
                    let value = serde_json::to_string(&pending).unwrap_or_default();
                    self.storage.put(&key, &value).await?;
                }
                let mut reply = WorkReply::new("queued", 200, serde_json::json!({}));
                reply.wake_at = self.flush_outbox(now, &perform).await?;
                Ok(reply)
            }
            AccountWork::Wake => {
                let mut reply = self
                    .perform(AccountWork::Wake, deleted_at, &perform)
                    .await?;
                if let Some(next) = self.flush_outbox(now, &perform).await? {
                    reply.wake_at = Some(reply.wake_at.map_or(next, |w| w.min(next)));
                }
                Ok(reply)
            }
            AccountWork::Publish {
                idempotency: Some(idem),
                job,
            } => {
                let key = storage_key(&idem.key);
                if let Some(earlier) = self.remembered(&key, now).await? {
                    if earlier.body_sha256 != idem.body_sha256 {
                        return Ok(WorkReply::error("conflict", &conflict()));
                    }
                    return self.replay(earlier.job_id, deleted_at, &perform).await;
                }
                let work = AccountWork::Publish {
                    job,
                    idempotency: Some(idem.clone()),
                };
                let reply = self.perform(work, deleted_at, &perform).await?;
                if let (Some(job_id), "job") = (&reply.job_id, reply.outcome.as_str()) {
                    let record = IdempotencyRecord {
                        body_sha256: idem.body_sha256,
                        job_id: job_id.clone(),
                        expires_at: now.plus(IDEMPOTENCY_WINDOW),
                    };
                    let value = serde_json::to_string(&record).unwrap_or_default();
                    self.storage.put(&key, &value).await?;
                }
                Ok(reply)
            }
            work if work.is_refresh() => {
                let reply = self.perform(work, deleted_at, &perform).await;
                self.refreshes_done.set(self.refreshes_done.get() + 1);
                *self.last_refresh.borrow_mut() = reply.as_ref().ok().cloned();
                reply
            }
            work => self.perform(work, deleted_at, &perform).await,
        }
    }

    /// Performs work on a live (or reconnected) account.
    async fn perform<F, Fut>(
        &self,
        work: AccountWork,
        deleted_at: Option<Timestamp>,
        perform: &F,
    ) -> Result<WorkReply, ApiError>
    where
        F: Fn(AccountWork, Option<Timestamp>) -> Fut,
        Fut: Future<Output = Result<WorkReply, ApiError>>,
    {
        let reply = perform(work, deleted_at).await?;
        let reconnected = matches!((deleted_at, reply.connected_at), (Some(d), Some(c)) if c > d);
        if reconnected {
            self.set_tombstone(None).await?;
        }
        Ok(reply)
    }

    /// The tombstone goes first: whatever happens to the KV deletes, no
    /// later work writes the account back. Idempotency keys go too.
    async fn delete<F, Fut>(
        &self,
        now: Timestamp,
        keep_alias: Option<String>,
        perform: &F,
    ) -> Result<WorkReply, ApiError>
    where
        F: Fn(AccountWork, Option<Timestamp>) -> Fut,
        Fut: Future<Output = Result<WorkReply, ApiError>>,
    {
        self.set_tombstone(Some(now)).await?;
        for prefix in [IDEMPOTENCY_PREFIX, OUTBOX_PREFIX] {
            for key in self.storage.keys(prefix).await? {
                self.storage.delete(&key).await?;
            }
        }
        *self.last_refresh.borrow_mut() = None;
        perform(AccountWork::Delete { keep_alias }, Some(now)).await
    }

    /// The job an earlier request with the same key made, as a status read.
    async fn replay<F, Fut>(
        &self,
        job_id: String,
        deleted_at: Option<Timestamp>,
        perform: &F,
    ) -> Result<WorkReply, ApiError>
    where
        F: Fn(AccountWork, Option<Timestamp>) -> Fut,
        Fut: Future<Output = Result<WorkReply, ApiError>>,
    {
        let read = AccountWork::AdvanceJob {
            job_id,
            budget_ms: READ_ADVANCE.as_millis() as u64,
            sleep: false,
            max_calls: 10,
        };
        let mut reply = self.perform(read, deleted_at, perform).await?;
        reply.outcome = "replayed".into();
        reply
            .headers
            .push(("idempotent-replayed".into(), "true".into()));
        Ok(reply)
    }

    /// Sends every outbox event that is due; a failure waits for its next
    /// attempt, an event past its retention is dropped. Returns when the
    /// next attempt is due, if any event is left.
    async fn flush_outbox<F, Fut>(
        &self,
        now: Timestamp,
        perform: &F,
    ) -> Result<Option<Timestamp>, ApiError>
    where
        F: Fn(AccountWork, Option<Timestamp>) -> Fut,
        Fut: Future<Output = Result<WorkReply, ApiError>>,
    {
        let mut next: Option<Timestamp> = None;
        for key in self.storage.keys(OUTBOX_PREFIX).await? {
            let Some(value) = self.storage.get(&key).await? else {
                continue;
            };
            let Ok(mut pending) = serde_json::from_str::<Pending>(&value) else {
                self.storage.delete(&key).await?;
                continue;
            };
            if pending.next_at > now {
                next = Some(next.map_or(pending.next_at, |n| n.min(pending.next_at)));
                continue;
            }
            let event = pending.event.clone();
            let sent = perform(AccountWork::SendEvent { event }, None)
                .await
                .is_ok_and(|r| r.outcome == "sent");
            if sent {
                self.storage.delete(&key).await?;
                continue;
            }
            match pending.failed(now) {
                Some(at) => {
                    let value = serde_json::to_string(&pending).unwrap_or_default();
                    self.storage.put(&key, &value).await?;
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
                None => self.storage.delete(&key).await?,
            }
        }
        Ok(next)
    }

    /// The record kept for a key, unless it is past its window (then forgotten).
    async fn remembered(
        &self,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, ApiError> {
        let Some(value) = self.storage.get(key).await? else {
            return Ok(None);
        };
        match serde_json::from_str::<IdempotencyRecord>(&value) {
            Ok(r) if r.expires_at > now => Ok(Some(r)),
            _ => {
                self.storage.delete(key).await?;
                Ok(None)
            }
        }
    }
}

/// A refresh's answer for a caller who joined it: the same answer, at no cost.
fn shared(mut reply: WorkReply) -> WorkReply {
    reply.subrequests = 0;
    reply.kv_ops = 0;
    reply
}
