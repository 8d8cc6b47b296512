//! Keeping tokens alive: refreshing (or checking) one account, and the
//! cron's plan for a run.
//!
//! A run lists the `due:` index from its start, in key order, and stops at
//! the first entry after today: entries are `due:{yyyymmdd}:{id}`, so
//! everything before the horizon is due, and nothing after it is read. The
//! run's cost therefore grows with the accounts that are due, not with all
//! accounts. Each run stays inside a budget of subrequests (calls to Meta)
//! and KV operations, works on at most `CRON_CONCURRENCY` accounts at once,
//! and leaves what it could not reach for the next run.
//!
//! An entry dated today is worked on even if its exact time is later today
//! (a few hours early is harmless against a window of days): entries are
//! taken in key order, so skipping those would let them fill every hourly
//! run's capacity while due entries behind them wait — with a short
//! `REFRESH_WINDOW_DAYS`, until their tokens expire (found by the token
//! lifecycle simulation, tests/sim).
//!
//! Outcomes per account:
//! - refreshed (Instagram) / checked (Page token): new record, index moved;
//! - invalid token (190, or a revoked permission): `needs_reauth`, the last
//!   good token is kept (never deleted), the index entry removed;
//! - transient failure (5xx, 429, timeout): nothing changes but the history;
//!   the entry stays, so the next run tries again, and the account's object
//!   sets its own retry alarm ([`crate::service::refresh_retry::refresh_retry_at`]): the cron's per-run
//!   budget alone falls behind at scale (tests/sim: a token expired at
//!   160,000 accounts before the object retried by itself).

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use crate::core::error::{Error, ErrorKind};
use crate::core::http::Transport;
use crate::core::oauth::refresh::{check_token, refresh_token};
use crate::core::time::Timestamp;
use crate::service::accounts::{parse_due_key, AccountRecord, Accounts, RefreshEvent};
use crate::service::error::ApiError;
use crate::service::line::AccountWork;
use crate::service::store::{CountingStore, KvOps, KvStore};
use crate::service::Service;

/// KV operations one due account may cost: get the record, write the new
/// index entry, write the record, delete the old entry.
pub const KV_OPS_PER_ACCOUNT: u32 = 4;
/// Subrequests one due account may cost (the call to Meta, or the call to
/// its object).
pub const SUBREQUESTS_PER_ACCOUNT: u32 = 1;

/// What happened to one account.
pub struct RefreshOutcome {
    pub record: AccountRecord,
    /// `refreshed`, `checked`, `needs_reauth`, `failed`, `not_due`, `skipped`.
    pub outcome: &'static str,
    pub error: Option<ApiError>,
    pub subrequests: u32,
}

/// The figures of one cron run's refresh phase.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RefreshStats {
    /// Index entries read (due or not).
    pub listed: u32,
    /// Entries up to the horizon.
    pub due: u32,
    pub refreshed: u32,
    pub checked: u32,
    pub needs_reauth: u32,
    pub failed: u32,
    /// Not due even by day (a record changed since it was listed), or
    /// too young to refresh (Meta's 24-hour rule).
    pub not_due_yet: u32,
    /// Entries whose record is gone or points elsewhere (removed).
    pub stale: u32,
    /// Due entries left for the next run (budget), counting only those listed.
    pub left_over: u32,
    /// Whether the listing stopped at the budget with more entries possibly due.
    pub more_due: bool,
    /// KV failures that cut the index listing short: the log line then says
    /// why nothing was due, instead of looking like a quiet run.
    pub storage_errors: u32,
    pub subrequests: u32,
    /// KV operations of this (cron) invocation.
    pub kv_ops: KvOps,
    /// KV operations the accounts' objects made, in their own invocations.
    pub object_kv_ops: u64,
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// Refreshes (Instagram) or checks (Page token) one account and stores
    /// the result. `forced` (the API's "refresh now") skips the due check
    /// but still refuses a token under 24 hours old, with a clear error.
    pub async fn refresh_account(
        &self,
        record: AccountRecord,
        forced: bool,
    ) -> Result<RefreshOutcome, ApiError> {
        self.refresh_with(&self.accounts(), record, forced).await
    }

    async fn refresh_with<K: KvStore>(
        &self,
        accounts: &Accounts<'_, K, T>,
        mut record: AccountRecord,
        forced: bool,
    ) -> Result<RefreshOutcome, ApiError> {
        let now = self.transport.now();
        let settings = self.config.product(record.product).ok_or_else(|| {
            Error::config(
                "PRODUCTS",
                format!(
                    "account {} uses {}, which PRODUCTS no longer lists",
                    record.id,
                    record.product.as_str()
                ),
            )
        })?;
        if record.needs_reauth {
            return Ok(RefreshOutcome {
                error: Some(ApiError::needs_reauth(&record.id)),
                record,
                outcome: "needs_reauth",
                subrequests: 0,
            });
        }
        if record.token.is_expired(now) {
            // An expired token cannot be refreshed: only a new login helps.
            record.needs_reauth = true;
            record.reauth_reason = Some("token_expired".into());
            record.push_history(event(now, "needs_reauth", Some(ErrorKind::TokenExpired)));
            accounts.save(&mut record).await?;
            return Ok(RefreshOutcome {
                error: Some(ApiError::needs_reauth(&record.id)),
                record,
                outcome: "needs_reauth",
                subrequests: 0,
            });
        }
        // The cron's due check is by day, like its index (see the module docs).
        let due_by_day = record
            .due_at(self.config)
            .is_some_and(|d| d.yyyymmdd() <= now.yyyymmdd());
        if !forced && !due_by_day {
            return Ok(RefreshOutcome {
                record,
                outcome: "not_due",
                error: None,
                subrequests: 0,
            });
        }
        // The core checks Meta's refresh rules before it calls: a token
        // under 24 hours old is refused locally, with when it will work.
        let result = if record.token.kind.is_refreshable() {
            refresh_token(self.transport, &settings.config, &record.token)
                .await
                .map(Some)
        } else {
            check_token(self.transport, &settings.config, &record.token.access_token)
                .await
                .map(|_| None)
        };
        if let Err(e) = &result {
            if e.kind == ErrorKind::RefreshTooEarly {
                return Ok(RefreshOutcome {
                    record,
                    outcome: "not_due",
                    error: result.err().map(ApiError::from),
                    subrequests: 0,
                });
            }
        }
        let done = self.transport.now();
        let outcome = match result {
            Ok(Some(refreshed)) => {
                // The new token replaces the old in one write: the old one is
                // dropped only by the put that stores its successor.
                record.token = refreshed;
                record.consecutive_failures = 0;
                record.push_history(event(done, "refreshed", None));
                accounts.save(&mut record).await?;
                RefreshOutcome {
                    record,
                    outcome: "refreshed",
                    error: None,
                    subrequests: 1,
                }
            }
            Ok(None) => {
                record.last_checked_at = Some(done);
                record.consecutive_failures = 0;
                record.push_history(event(done, "checked", None));
                accounts.save(&mut record).await?;
                RefreshOutcome {
                    record,
                    outcome: "checked",
                    error: None,
                    subrequests: 1,
                }
            }
            Err(e) if lost_access(&e) => {
                record.needs_reauth = true;
                record.reauth_reason = Some(e.kind.as_str().to_owned());
                record.push_history(event(done, "needs_reauth", Some(e.kind)));
                accounts.save(&mut record).await?;
                RefreshOutcome {
                    record,
                    outcome: "needs_reauth",
                    error: Some(ApiError::from(e)),
                    subrequests: 1,
                }
            }
            Err(e) => {
                // Transient or unexplained: keep everything, note it, and let
                // the index entry bring the account back next run.
                record.consecutive_failures += 1;
                record.push_history(event(done, "failed", Some(e.kind)));
                accounts.save(&mut record).await?;
                RefreshOutcome {
                    record,
                    outcome: "failed",
                    error: Some(ApiError::from(e)),
                    subrequests: 1,
                }
            }
        };
        Ok(outcome)
    }

    /// The cron's refresh phase: works through the due index within
    /// `max_subrequests` calls to Meta and `max_kv_ops` KV operations.
    pub async fn refresh_due(&self, max_subrequests: u32, max_kv_ops: u32) -> RefreshStats {
        let counted = CountingStore::new(self.store);
        let accounts = Accounts {
            store: &counted,
            transport: self.transport,
            config: self.config,
        };
        let now = self.transport.now();
        let horizon = now.yyyymmdd();
        let mut stats = RefreshStats::default();

        // How many accounts this run can afford; listing costs one op per
        // page. Handed to their objects, accounts cost this run one call
        // each and no KV operation (the object's own invocation pays those).
        let kv_per_account = if self.line.is_some() {
            0
        } else {
            KV_OPS_PER_ACCOUNT
        };
        let capacity = (max_subrequests / SUBREQUESTS_PER_ACCOUNT).min(
            max_kv_ops
                .saturating_sub(1)
                .checked_div(kv_per_account)
                .unwrap_or(u32::MAX),
        );
        let mut due: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut reached_horizon = false;
        while !reached_horizon && (due.len() as u32) < capacity {
            if counted.ops().total() as u32 + 1 + kv_per_account > max_kv_ops {
                break;
            }
            let want = (capacity - due.len() as u32 + 1).min(1000);
            let page = match counted.list("due:", cursor.as_deref(), want).await {
                Ok(p) => p,
                Err(_) => {
                    stats.storage_errors += 1;
                    break;
                }
            };
            for key in page.keys {
                stats.listed += 1;
                match parse_due_key(&key) {
                    Some((day, _)) if day <= horizon.as_str() => due.push(key),
                    Some(_) => {
                        reached_horizon = true;
                        break;
                    }
                    // Not ours (a malformed key): leave it.
                    None => {}
                }
            }
            match page.cursor {
                Some(c) if !reached_horizon => cursor = Some(c),
                _ => break,
            }
        }
        stats.due = due.len() as u32;
        let take = (capacity as usize).min(due.len());
        stats.left_over = (due.len() - take) as u32;
        stats.more_due = !reached_horizon && cursor.is_some();

        let results: Vec<(String, u32, u64)> = stream::iter(due.into_iter().take(take))
            .map(|key| self.refresh_entry(&accounts, key))
            .buffer_unordered(self.config.cron_concurrency.max(1))
            .collect()
            .await;
        for (outcome, subrequests, object_kv_ops) in results {
            stats.subrequests += subrequests;
            stats.object_kv_ops += object_kv_ops;
            match outcome.as_str() {
                "refreshed" => stats.refreshed += 1,
                "checked" => stats.checked += 1,
                "needs_reauth" => stats.needs_reauth += 1,
                "not_due" => stats.not_due_yet += 1,
                "stale" => stats.stale += 1,
                _ => stats.failed += 1,
            }
        }
        stats.kv_ops = counted.ops();
        stats
    }

    /// Hands one index entry to its account's object; returns the outcome,
    /// the subrequests of this invocation (the call to Meta, or with a
    /// line the call to the object) and the object's KV operations.
    async fn refresh_entry<K: KvStore>(
        &self,
        accounts: &Accounts<'_, K, T>,
        key: String,
    ) -> (String, u32, u64) {
        let Some((_, id)) = parse_due_key(&key) else {
            return ("stale".into(), 0, 0);
        };
        let work = AccountWork::Refresh {
            forced: false,
            due_key: Some(key.clone()),
        };
        let reply = match self.line {
            Some(line) => line.run(id, work).await,
            // No object: the work runs in this invocation, on its counted store.
            None => {
                let here = Service {
                    config: self.config,
                    store: accounts.store,
                    transport: self.transport,
                    log: self.log,
                    line: None,
                    blobs: self.blobs,
                };
                here.perform_counted(id, work, None).await
            }
        };
        match reply {
            Ok(r) if self.line.is_some() => (r.outcome, 1, r.kv_ops),
            Ok(r) => (r.outcome, r.subrequests, 0),
            // Undecryptable (missing key), KV or object trouble: the entry
            // stays, so nothing is lost; the operator sees it in the log.
            Err(_) => ("failed".into(), u32::from(self.line.is_some()), 0),
        }
    }
}

/// Errors that mean the token no longer grants access: log in again.
fn lost_access(e: &Error) -> bool {
    e.kind.needs_reauth() || e.kind == ErrorKind::PermissionDenied
}

fn event(at: Timestamp, outcome: &str, kind: Option<ErrorKind>) -> RefreshEvent {
    RefreshEvent {
        at,
        outcome: outcome.to_owned(),
        error_kind: kind.map(|k| k.as_str().to_owned()),
    }
}
