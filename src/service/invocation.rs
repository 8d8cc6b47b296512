//! One Worker invocation's view of the world: the [`Service`] every route,
//! the cron and `waitUntil` work run on. It borrows everything it works
//! with, so a test can run two "Worker invocations" over the same store one
//! after the other (a restart between steps of a publish job), and the
//! Worker builds one per event.

use crate::core::http::Transport;
use crate::service::config::ServiceConfig;
use crate::service::http::Background;
use crate::service::line::{AccountLine, AccountWork};
use crate::service::log::LogSink;
use crate::service::media::blobs::BlobStore;
use crate::service::store::KvStore;

/// How long `waitUntil` work may run after the answer.
pub const BACKGROUND_BUDGET: std::time::Duration = std::time::Duration::from_secs(25);

/// One Worker invocation's view of the world.
pub struct Service<'a, S, T> {
    pub config: &'a ServiceConfig,
    pub store: &'a S,
    pub transport: &'a T,
    pub log: &'a dyn LogSink,
    /// Carries account work to the account's object; `None`: do it here
    /// (native tests, and the object itself).
    pub line: Option<&'a dyn AccountLine>,
    /// Where staged media is kept (the Worker's R2 bucket); `None`: the
    /// media routes answer 503 and nothing is staged.
    pub blobs: Option<&'a dyn BlobStore>,
}

impl<'a, S: KvStore, T: Transport> Service<'a, S, T> {
    pub fn new(
        config: &'a ServiceConfig,
        store: &'a S,
        transport: &'a T,
        log: &'a dyn LogSink,
    ) -> Service<'a, S, T> {
        Service {
            config,
            store,
            transport,
            log,
            line: None,
            blobs: None,
        }
    }

    /// The same service, staging media in `blobs`.
    pub fn with_blobs(mut self, blobs: &'a dyn BlobStore) -> Service<'a, S, T> {
        self.blobs = Some(blobs);
        self
    }

    /// The same service, handing account work to `line`.
    pub fn with_line(mut self, line: &'a dyn AccountLine) -> Service<'a, S, T> {
        self.line = Some(line);
        self
    }

    /// Finishes work the answer left behind (`waitUntil`, which Workers
    /// keep alive up to 30 s after the response).
    pub async fn run_background(&self, task: Background) {
        match task {
            Background::AdvanceJob { account, job } => {
                let _ = self
                    .advance_job_by_id(&account, &job, BACKGROUND_BUDGET)
                    .await;
            }
            Background::Wake {
                account,
                due_at,
                connected_at,
            } => {
                let work = AccountWork::Connected {
                    due_at,
                    connected_at,
                };
                let _ = self.hand_off(&account, work).await;
            }
            Background::Deliver { account, events } => {
                let retry_base_ms = self
                    .config
                    .webhook_forward
                    .as_ref()
                    .map_or(0, |f| f.retry_base.as_millis() as u64);
                let work = AccountWork::Deliver {
                    events,
                    retry_base_ms,
                };
                let _ = self.hand_off(&account, work).await;
            }
            Background::DropIndexEntry(key) | Background::DropAliasEntry(key) => {
                let _ = self.store.delete(&key).await;
            }
        }
    }
}
