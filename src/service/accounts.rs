//! Connected accounts in KV: the encrypted record, the expiry index, and the
//! status the API shows (never the token).
//!
//! Keys:
//! - `token:{ig_user_id}`: the [`AccountRecord`], sealed with the keyring
//!   (AES-256-GCM, KV key as associated data);
//! - `due:{yyyymmdd}:{ig_user_id}`: the expiry index, one entry per account
//!   whose token needs attention on that UTC day (refresh before expiry, or
//!   the periodic check of a non-expiring Page token). KV lists keys in
//!   order, so the cron reads from `due:` up to today and its cost grows
//!   with the accounts that are due, not with all accounts;
//! - `alias:{meta_user_id}:{ig_user_id}`: the other IDs Meta may name the
//!   account by (the app-scoped Facebook user of a Facebook Login, the
//!   token's user ID), so a `signed_request` finds what to delete.
//!
//! Write order keeps every state recoverable: the new index entry is written
//! before the record that points at it (a login writes its aliases
//! alongside its read of the record it replaces, and the index entry, when
//! it moves, after that read),
//! and the old entry is deleted last (after the answer, for a login),
//! so a crash in between leaves an extra index entry (the cron drops entries
//! the record no longer points at), never an account without one. A
//! refreshed token overwrites the record in one put: the old token is only
//! dropped by the write that stores the new one.

use futures_util::future::try_join_all;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::config::Product;
use crate::core::http::Transport;
use crate::core::time::Timestamp;
use crate::core::token::{RefreshPolicy, TokenRecord};
use crate::service::config::ServiceConfig;
use crate::service::cookies::Session;
use crate::service::error::ApiError;
use crate::service::store::{KvStore, ListPage};

/// Refresh attempts kept in a record.
pub const HISTORY_LEN: usize = 10;

/// One refresh or check attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshEvent {
    pub at: Timestamp,
    /// `refreshed`, `checked`, `failed`, `needs_reauth`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
}

/// Everything stored about one connected account (sealed in KV).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountRecord {
    /// The Instagram professional account ID (the key).
    pub id: String,
    pub product: Product,
    pub username: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `BUSINESS`, `MEDIA_CREATOR`, ...
    #[serde(default)]
    pub account_type: Option<String>,
    /// The token: a long-lived Instagram User token (refreshed), or a Page
    /// or long-lived Facebook User token (checked periodically).
    pub token: TokenRecord,
    /// Facebook Login: the Page the account is reached through.
    #[serde(default)]
    pub page_id: Option<String>,
    #[serde(default)]
    pub page_name: Option<String>,
    /// Other IDs Meta may use for this person (see module docs).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Facebook Login: the Facebook user whose login connected the account
    /// (one login connects every account the person granted; Meta's
    /// deauthorize callback for that user removes them all, through the
    /// `alias:` entries).
    #[serde(default)]
    pub facebook_user_id: Option<String>,
    pub connected_at: Timestamp,
    /// The last login that stored this record (a reconnection keeps
    /// `connected_at`). The account object compares it, not
    /// `connected_at`, with its deletion tombstone (`last_login`): a login
    /// after a delete that read a stale copy of the deleted record keeps
    /// that copy's `connected_at`, yet is a new account.
    #[serde(default)]
    pub logged_in_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// The token stopped working; the owner must log in again.
    #[serde(default)]
    pub needs_reauth: bool,
    #[serde(default)]
    pub reauth_reason: Option<String>,
    /// When a Page token was last confirmed to work.
    #[serde(default)]
    pub last_checked_at: Option<Timestamp>,
    /// Transient failures since the last success (for backoff of the index date).
    #[serde(default)]
    pub consecutive_failures: u32,
    #[serde(default)]
    pub history: Vec<RefreshEvent>,
    /// The index entry that currently points at this record.
    #[serde(default)]
    pub due_key: Option<String>,
    /// The Meta user who connected the account: Facebook Login's Facebook
    /// user (several may manage one Page); for Instagram Login the account
    /// is its own user. Browser sessions name it (`cookies::Session`).
    #[serde(default)]
    pub meta_user: Option<String>,
    /// Session cookies that let a browser in before this are refused: set
    /// when the record is created (a deleted account's old cookies stay
    /// dead), when another Meta user reconnects it, and by "log out
    /// everywhere".
    #[serde(default)]
    pub sessions_valid_after: Option<Timestamp>,
}

impl AccountRecord {
    /// When a login last stored this record (records from before
    /// `logged_in_at` existed: `connected_at`). A record whose last login
    /// is not after the object's deletion tombstone is a leftover of the
    /// deleted account.
    pub fn last_login(&self) -> Timestamp {
        self.logged_in_at
            .map_or(self.connected_at, |at| at.max(self.connected_at))
    }

    /// When the cron should next look at this account; `None` when it
    /// never should (needs re-login). A refreshable token is due when the
    /// core's refresh policy says so (`REFRESH_WINDOW_DAYS` before expiry,
    /// never under 24 hours old); any other token is checked every
    /// `PAGE_TOKEN_CHECK_DAYS`.
    pub fn due_at(&self, config: &ServiceConfig) -> Option<Timestamp> {
        if self.needs_reauth {
            return None;
        }
        let policy = RefreshPolicy {
            refresh_when_remaining: config.refresh_window,
            ..RefreshPolicy::default()
        };
        let due = self.token.refresh_due_at(&policy).unwrap_or_else(|| {
            self.last_checked_at
                .unwrap_or(self.token.issued_at)
                .plus(config.page_token_check)
        });
        Some(due)
    }

    /// Whether the token should be refreshed (or checked) at `now`.
    pub fn is_due(&self, config: &ServiceConfig, now: Timestamp) -> bool {
        self.due_at(config).is_some_and(|d| d <= now)
    }

    /// Whether `session` still gives access to this account: the same Meta
    /// user connected it, and the browser was let in no earlier than
    /// `sessions_valid_after`.
    pub fn admits(&self, session: &Session) -> bool {
        session.admits(
            &self.id,
            self.meta_user.as_deref(),
            self.sessions_valid_after,
        )
    }

    pub fn push_history(&mut self, event: RefreshEvent) {
        self.history.insert(0, event);
        self.history.truncate(HISTORY_LEN);
    }

    /// What the API shows: everything but the token.
    pub fn status(&self, config: &ServiceConfig, now: Timestamp) -> Value {
        let expired = self.token.is_expired(now);
        json!({
            "id": self.id,
            "product": self.product,
            "username": self.username,
            "name": self.name,
            "account_type": self.account_type,
            "page_id": self.page_id,
            "page_name": self.page_name,
            "facebook_user_id": self.facebook_user_id,
            "token": {
                "kind": self.token.kind,
                "scopes": self.token.scopes,
                "issued_at": self.token.issued_at.to_rfc3339(),
                "expires_at": self.token.expires_at.map(|e| e.to_rfc3339()),
                "days_left": self.token.days_left(now),
                "expired": expired,
                "needs_refresh": !expired && self.is_due(config, now),
                "last_checked_at": self.last_checked_at.map(|t| t.to_rfc3339()),
            },
            "needs_reauth": self.needs_reauth || expired,
            "reauth_reason": self.reauth_reason,
            "connected_at": self.connected_at.to_rfc3339(),
            "updated_at": self.updated_at.to_rfc3339(),
            "last_refresh": self.history.first().map(event_json),
            "refresh_history": self.history.iter().map(event_json).collect::<Vec<_>>(),
        })
    }
}

fn event_json(e: &RefreshEvent) -> Value {
    json!({"at": e.at.to_rfc3339(), "outcome": e.outcome, "error_kind": e.error_kind})
}

pub fn token_key(id: &str) -> String {
    format!("token:{id}")
}

pub fn due_key(day: Timestamp, id: &str) -> String {
    format!("due:{}:{id}", day.yyyymmdd())
}

pub fn alias_prefix(alias: &str) -> String {
    format!("alias:{alias}:")
}

/// The entry saying account `id` was connected under Meta user `alias`.
pub fn alias_key(alias: &str, id: &str) -> String {
    format!("{}{id}", alias_prefix(alias))
}

/// Splits `due:{yyyymmdd}:{id}` into its day and account ID.
pub fn parse_due_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("due:")?;
    let (day, id) = rest.split_once(':')?;
    (day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) && !id.is_empty())
        .then_some((day, id))
}

/// Whether `id` looks like a Meta ID (decimal digits), before it is used in a key.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Reads and writes account records.
pub struct Accounts<'a, S, T> {
    pub store: &'a S,
    pub transport: &'a T,
    pub config: &'a ServiceConfig,
}

impl<S: KvStore, T: Transport> Accounts<'_, S, T> {
    /// The account's record, decrypted; `None` when there is none.
    pub async fn load(&self, id: &str) -> Result<Option<AccountRecord>, ApiError> {
        if !valid_id(id) {
            return Ok(None);
        }
        let key = token_key(id);
        let Some(sealed) = self.store.get(&key).await? else {
            return Ok(None);
        };
        let plain = self.config.keyring.open(&sealed, &key)?;
        let record: AccountRecord = serde_json::from_slice(&plain)
            .map_err(|_| ApiError::decrypt_failed(&format!("the record of account {id}")))?;
        Ok(Some(record))
    }

    /// Stores `record` and moves its index entry (see the module docs for
    /// the order). `record.due_key` is updated to the entry it now has.
    pub async fn save(&self, record: &mut AccountRecord) -> Result<(), ApiError> {
        if let Some(old) = self.write(record).await? {
            // A failure here leaves a stale entry that the cron drops.
            let _ = self.store.delete(&old).await;
        }
        Ok(())
    }

    /// Writes a login's alias entries, all at once, before its record (see
    /// the module docs). They do not depend on the record the login
    /// replaces, so a login writes them alongside its read of that record.
    pub async fn put_aliases(&self, id: &str, aliases: &[String]) -> Result<(), ApiError> {
        let keys: Vec<String> = aliases
            .iter()
            .filter(|a| valid_id(a) && *a != id)
            .map(|a| alias_key(a, id))
            .collect();
        try_join_all(keys.iter().map(|key| self.store.put(key, "1", None)))
            .await
            .map(|_| ())
    }

    /// Seals and stores `record` (its entries already written): the commit
    /// point of a write.
    pub async fn put_record(&self, record: &mut AccountRecord) -> Result<(), ApiError> {
        record.updated_at = self.transport.now();
        let key = token_key(&record.id);
        let plain = serde_json::to_vec(&record)
            .map_err(|e| ApiError::storage(format!("could not encode the account record: {e}")))?;
        let sealed = self.config.keyring.seal_with(self.transport, &plain, &key);
        self.store.put(&key, &sealed, None).await
    }

    /// The new index entry first (when it moves away from
    /// `record.due_key`), then the sealed record; returns the replaced
    /// index entry, not yet deleted.
    pub(crate) async fn write(
        &self,
        record: &mut AccountRecord,
    ) -> Result<Option<String>, ApiError> {
        let old_due = record.due_key.clone();
        let new_due = record.due_at(self.config).map(|d| due_key(d, &record.id));
        if let Some(k) = new_due.as_ref().filter(|k| Some(*k) != old_due.as_ref()) {
            self.store.put(k, "1", None).await?;
        }
        record.due_key = new_due.clone();
        self.put_record(record).await?;
        Ok(old_due.filter(|old| Some(old) != new_due.as_ref()))
    }

    /// Every `alias:{meta_user_id}:` key: the accounts that were connected
    /// under this Meta user (some maybe since reconnected by someone else).
    pub async fn alias_keys(&self, meta_user_id: &str) -> Result<Vec<String>, ApiError> {
        if !valid_id(meta_user_id) {
            return Ok(Vec::new());
        }
        let prefix = alias_prefix(meta_user_id);
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.store.list(&prefix, cursor.as_deref(), 1000).await?;
            keys.extend(page.keys);
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(keys),
            }
        }
    }

    /// Removes the account: record, index entry and aliases. Returns
    /// whether there was a record. Publish jobs are removed by the caller.
    pub async fn delete(&self, id: &str) -> Result<bool, ApiError> {
        self.delete_keeping_alias(id, None).await
    }

    /// [`Accounts::delete`], leaving the alias entry of `kept` (the Meta
    /// user a deletion request names): the request finds the account
    /// through it, so it goes only after the record (`service::deletion`),
    /// and a retry after a failure part-way still finds everything.
    pub async fn delete_keeping_alias(
        &self,
        id: &str,
        kept: Option<&str>,
    ) -> Result<bool, ApiError> {
        // A record that no longer decrypts (lost key) can still be deleted.
        let record = match self.load(id).await {
            Ok(r) => r,
            Err(e) if e.kind == "decrypt_failed" || e.kind == "key_unavailable" => None,
            Err(e) => return Err(e),
        };
        let existed = record.is_some() || self.store.get(&token_key(id)).await?.is_some();
        // The record goes last: it names the index entry and aliases, so a
        // delete that fails part-way leaves it in place and the retry (Meta
        // retries deauthorize callbacks) finds everything again.
        if let Some(record) = record {
            if let Some(k) = &record.due_key {
                self.store.delete(k).await?;
            }
            for alias in record
                .aliases
                .iter()
                .filter(|a| valid_id(a) && Some(a.as_str()) != kept)
            {
                self.store.delete(&alias_key(alias, id)).await?;
            }
        }
        self.store.delete(&token_key(id)).await?;
        Ok(existed)
    }

    /// One page of all accounts (API key listing), in ID order.
    pub async fn list(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<AccountRecord>, Option<String>), ApiError> {
        let ListPage { keys, cursor } = self.store.list("token:", cursor, limit).await?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(id) = key.strip_prefix("token:") {
                if let Some(record) = self.load(id).await? {
                    out.push(record);
                }
            }
        }
        Ok((out, cursor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_keys_parse() {
        let k = due_key(Timestamp::from_secs(951_782_400), "17841400000000001");
        assert_eq!(k, "due:20000229:17841400000000001");
        assert_eq!(parse_due_key(&k), Some(("20000229", "17841400000000001")));
        assert_eq!(parse_due_key("due:2000:1"), None);
        assert_eq!(parse_due_key("token:1"), None);
        assert!(valid_id("17841400000000001"));
        assert!(!valid_id("1:2"));
        assert!(!valid_id(""));
    }
}
