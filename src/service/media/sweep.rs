//! The cron's sweep of staged objects past their expiry: it lists the
//! staged keys in order (expiry first in the key, see [`super`]) and
//! deletes until the first that has not expired, at most
//! [`SWEEP_MAX_DELETES`] a run, so its cost follows what expired, never
//! all that is staged. Also the removal of a forgotten account's objects.

use serde::Serialize;

use crate::core::http::Transport;
use crate::service::media::{key_expiry, STAGED_PREFIX};
use crate::service::store::KvStore;
use crate::service::Service;

/// Deletes per cron run (each an R2 operation, within the invocation's
/// subrequest allowance for Cloudflare services).
pub const SWEEP_MAX_DELETES: u32 = 200;
const PAGE: u32 = 100;
/// Listing pages an account's deletion reads to find its staged objects.
pub const FORGET_MAX_PAGES: u32 = 20;

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepStats {
    pub listed: u32,
    pub deleted: u32,
    pub errors: u32,
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// Removes every object staged for `account` (it is being forgotten).
    /// The keys are ordered by expiry, not account, so this lists what is
    /// staged (at most a day of uploads), at most [`FORGET_MAX_PAGES`]
    /// pages; failures are left to the sweep. Returns how many it removed.
    pub(crate) async fn drop_staged_of(&self, account: &str) -> u32 {
        let Some(blobs) = self.blobs else {
            return 0;
        };
        let marker = format!("/{account}/");
        let (mut cursor, mut removed) = (None::<String>, 0);
        for _ in 0..FORGET_MAX_PAGES {
            let Ok(page) = blobs.list(STAGED_PREFIX, cursor.as_deref(), PAGE).await else {
                return removed;
            };
            for key in page.keys.iter().filter(|k| k.contains(&marker)) {
                if blobs.delete(key).await.is_ok() {
                    removed += 1;
                }
            }
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        removed
    }

    /// Removes staged objects whose expiry has passed (none without a bucket).
    pub async fn sweep_staged(&self, max_deletes: u32) -> SweepStats {
        let mut stats = SweepStats::default();
        let Some(blobs) = self.blobs else {
            return stats;
        };
        let now = self.transport.now();
        let mut cursor: Option<String> = None;
        loop {
            let page = match blobs.list(STAGED_PREFIX, cursor.as_deref(), PAGE).await {
                Ok(p) => p,
                Err(_) => {
                    stats.errors += 1;
                    return stats;
                }
            };
            for key in &page.keys {
                stats.listed += 1;
                let expired = key_expiry(key).is_none_or(|at| at <= now);
                if !expired || stats.deleted >= max_deletes {
                    return stats;
                }
                match blobs.delete(key).await {
                    Ok(()) => stats.deleted += 1,
                    Err(_) => stats.errors += 1,
                }
            }
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return stats,
            }
        }
    }
}
