//! Deleting a person's data: an account (`DELETE /api/accounts/{id}`), or
//! everything Meta's `user_id` names (deauthorize and data-deletion
//! callbacks), and finishing what one invocation could not.
//!
//! What belongs to a Meta user is decided by the records, not by the alias
//! index alone: an `alias:{meta_user}:{ig_id}` key may be stale (the account
//! was reconnected by someone else since), so a record is deleted only when
//! it *currently* names the requester (its ID, or one of its aliases), and
//! every alias key that matched the requester is removed either way.
//!
//! Order: the account record, its index entry and aliases go first (the
//! token is the data that matters most, and a few KV operations remove it),
//! then the publish jobs, walked once along the listing's cursor within a
//! per-invocation budget. Jobs left over (many jobs, a KV failure) are
//! recorded as `purge:{account}` and removed by the next cron runs; the
//! marker lists the data-deletion requests that wait for it, whose status
//! reads `pending` until the last marker is gone, then `completed`.
//! Every step is idempotent, so Meta's retries and the cron can repeat it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::core::http::Transport;
use crate::core::time::Timestamp;
use crate::service::accounts::{alias_prefix, valid_id};
use crate::service::error::ApiError;
use crate::service::line::AccountWork;
use crate::service::store::{CountingStore, KvOps, KvStore};
use crate::service::Service;

/// How long a data-deletion confirmation stays answerable.
pub const DELETION_RECORD_TTL: Duration = Duration::from_secs(365 * 86_400);
/// Jobs one request removes before leaving the rest to the cron: three KV
/// deletes each, well inside the free plan's 1,000 operations per invocation.
pub const JOBS_PER_REQUEST: u32 = 150;
/// Jobs one cron run removes for deleted accounts.
pub const JOBS_PER_CRON: u32 = 100;

pub fn purge_key(account: &str) -> String {
    format!("purge:{account}")
}

pub fn deletion_key(code: &str) -> String {
    format!("deletion:{code}")
}

/// What `GET /auth/data-deletion/status` reports (`deletion:{code}`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeletionRecord {
    /// `completed` once nothing of the person is left, else `pending`.
    pub status: String,
    pub requested_at: String,
    /// `None` while pending.
    #[serde(default)]
    pub completed_at: Option<String>,
    pub accounts_deleted: usize,
    /// Accounts whose publish jobs are still being removed.
    #[serde(default)]
    pub pending_accounts: Vec<String>,
}

/// What `purge:{account}` holds: the data-deletion requests waiting for it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct PurgeMarker {
    #[serde(default)]
    deletions: Vec<String>,
}

/// What deleting one account did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountDeletion {
    /// There was a record.
    pub existed: bool,
    /// Nothing is left (else a `purge:` marker finishes the jobs later).
    pub complete: bool,
}

/// What deleting a Meta user's data did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserDeletion {
    pub accounts_deleted: usize,
    /// Accounts whose jobs the cron still has to remove.
    pub pending_accounts: Vec<String>,
}

/// What the cron's purge phase did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PurgeStats {
    pub jobs_deleted: u32,
    pub accounts_finished: u32,
    pub kv_ops: KvOps,
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// Removes everything stored about an account: record, index entry and
    /// aliases first, then its publish jobs (the rest later, see the module
    /// docs).
    pub(crate) async fn delete_account_data(&self, id: &str) -> Result<AccountDeletion, ApiError> {
        self.delete_account_data_for(id, None).await
    }

    /// [`Self::delete_account_data`] for a deletion request by `meta_user`,
    /// whose alias entry the caller removes last.
    pub(crate) async fn delete_account_data_for(
        &self,
        id: &str,
        meta_user: Option<&str>,
    ) -> Result<AccountDeletion, ApiError> {
        let existed = self.accounts().delete_keeping_alias(id, meta_user).await?;
        // Images it staged and never published (best effort: the sweep
        // takes what is left within a day).
        self.drop_staged_of(id).await;
        let jobs_done = matches!(
            self.delete_jobs_of(self.store, id, JOBS_PER_REQUEST).await,
            Ok((true, _))
        );
        if !jobs_done {
            self.mark_purge(id, None).await?;
        }
        Ok(AccountDeletion {
            existed,
            complete: jobs_done,
        })
    }

    /// Deletes the records that currently name `meta_user` (see the module
    /// docs) and every alias key that matched it.
    pub(crate) async fn delete_for_meta_user(
        &self,
        meta_user: &str,
    ) -> Result<UserDeletion, ApiError> {
        let mut outcome = UserDeletion::default();
        if !valid_id(meta_user) {
            return Ok(outcome);
        }
        let alias_keys = self.accounts().alias_keys(meta_user).await?;
        let prefix = alias_prefix(meta_user);
        let mut candidates = vec![meta_user.to_owned()];
        for key in &alias_keys {
            if let Some(id) = key.strip_prefix(&prefix) {
                if !candidates.iter().any(|c| c == id) {
                    candidates.push(id.to_owned());
                }
            }
        }
        for id in candidates {
            let owned = match self.accounts().load(&id).await {
                Ok(Some(record)) => {
                    record.id == meta_user || record.aliases.iter().any(|a| a == meta_user)
                }
                Ok(None) => false,
                // A record no key opens cannot say whose it is: the alias
                // pointed at it, and nobody can use it any more.
                Err(e) if e.kind == "decrypt_failed" || e.kind == "key_unavailable" => true,
                Err(e) => return Err(e),
            };
            // Jobs of an account deleted earlier may still wait for the cron.
            let leftover = self.store.get(&purge_key(&id)).await?.is_some();
            if !owned && !leftover {
                continue;
            }
            // Through the account's object: its tombstone keeps an
            // in-flight refresh or publish step from writing the account back.
            let work = AccountWork::Delete {
                keep_alias: Some(meta_user.to_owned()),
            };
            let reply = self.hand_off(&id, work).await?;
            let complete = match reply.body.get("complete").and_then(|c| c.as_bool()) {
                Some(complete) => complete,
                None => self.store.get(&purge_key(&id)).await?.is_none(),
            };
            if reply.outcome == "deleted" {
                outcome.accounts_deleted += 1;
            }
            if !complete {
                outcome.pending_accounts.push(id);
            }
        }
        // Last (a retry finds the accounts through them), stale ones too:
        // the requester's own keys must not outlive the request.
        for key in &alias_keys {
            self.store.delete(key).await?;
        }
        Ok(outcome)
    }

    /// Records that `account`'s jobs still need removing, and (`deletion`)
    /// which data-deletion request waits for it.
    pub(crate) async fn mark_purge(
        &self,
        account: &str,
        deletion: Option<&str>,
    ) -> Result<(), ApiError> {
        let key = purge_key(account);
        let existing = self.store.get(&key).await?;
        if deletion.is_none() && existing.is_some() {
            return Ok(());
        }
        let mut marker: PurgeMarker = existing
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        if let Some(code) = deletion {
            if marker.deletions.iter().any(|c| c == code) {
                return Ok(());
            }
            marker.deletions.push(code.to_owned());
        }
        let value = serde_json::to_string(&marker).unwrap_or_default();
        self.store.put(&key, &value, None).await
    }

    /// The cron's purge phase: removes up to `max_jobs` jobs of deleted
    /// accounts, then drops the markers it finished and completes the
    /// data-deletion requests that waited only for them.
    pub(crate) async fn finish_purges(&self, max_jobs: u32) -> PurgeStats {
        let counted = CountingStore::new(self.store);
        let mut stats = PurgeStats::default();
        let Ok(page) = counted.list("purge:", None, 20).await else {
            stats.kv_ops = counted.ops();
            return stats;
        };
        for key in page.keys {
            let Some(account) = key.strip_prefix("purge:") else {
                continue;
            };
            let left = max_jobs.saturating_sub(stats.jobs_deleted);
            if left == 0 {
                break;
            }
            let Ok((done, deleted)) = self.delete_jobs_of(&counted, account, left).await else {
                break;
            };
            stats.jobs_deleted += deleted;
            if done && self.finish_purge(&counted, &key, account).await.is_ok() {
                stats.accounts_finished += 1;
            }
        }
        stats.kv_ops = counted.ops();
        stats
    }

    /// Completes the requests waiting for `account`, then drops its marker.
    async fn finish_purge<K: KvStore>(
        &self,
        store: &K,
        key: &str,
        account: &str,
    ) -> Result<(), ApiError> {
        let marker: PurgeMarker = store
            .get(key)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        let now = self.transport.now();
        for code in &marker.deletions {
            let dkey = deletion_key(code);
            let Some(mut record) = store
                .get(&dkey)
                .await?
                .and_then(|v| serde_json::from_str::<DeletionRecord>(&v).ok())
            else {
                continue;
            };
            record.pending_accounts.retain(|a| a != account);
            if record.pending_accounts.is_empty() {
                record.status = "completed".into();
                record.completed_at = Some(now.to_rfc3339());
            }
            let value = serde_json::to_string(&record).unwrap_or_default();
            store.put(&dkey, &value, Some(DELETION_RECORD_TTL)).await?;
        }
        store.delete(key).await
    }

    /// Writes the data-deletion request's record, and ties it to the
    /// accounts whose jobs are still being removed.
    pub(crate) async fn record_deletion(
        &self,
        code: &str,
        requested_at: Timestamp,
        outcome: &UserDeletion,
    ) -> Result<DeletionRecord, ApiError> {
        let complete = outcome.pending_accounts.is_empty();
        let record = DeletionRecord {
            status: if complete { "completed" } else { "pending" }.into(),
            requested_at: requested_at.to_rfc3339(),
            completed_at: complete.then(|| self.transport.now().to_rfc3339()),
            accounts_deleted: outcome.accounts_deleted,
            pending_accounts: outcome.pending_accounts.clone(),
        };
        let value = serde_json::to_string(&record).unwrap_or_default();
        self.store
            .put(&deletion_key(code), &value, Some(DELETION_RECORD_TTL))
            .await?;
        for account in &outcome.pending_accounts {
            self.mark_purge(account, Some(code)).await?;
        }
        Ok(record)
    }
}
