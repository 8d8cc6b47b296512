//! One Worker invocation's view of the world: the [`Service`] every route,
//! the cron and `waitUntil` work run on. It borrows everything it works
//! with, so a test can run two "Worker invocations" over the same store one
//! after the other (a restart between steps of a publish job), and the
//! Worker builds one per event.

use crate::core::http::Transport;
use crate::service::config::ServiceConfig;
use crate::service::http::Background;
use crate::service::log::LogSink;
use crate::service::store::KvStore;

/// How long `waitUntil` work may run after the answer.
pub const BACKGROUND_BUDGET: std::time::Duration = std::time::Duration::from_secs(25);

/// One Worker invocation's view of the world.
pub struct Service<'a, S, T> {
    pub config: &'a ServiceConfig,
    pub store: &'a S,
    pub transport: &'a T,
    pub log: &'a dyn LogSink,
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
        }
    }

    /// Finishes work the answer left behind (`waitUntil`, which Workers
    /// keep alive up to 30 s after the response).
    pub async fn run_background(&self, task: Background) {
        match task {
            Background::AdvanceJob(id) => {
                let _ = self.advance_job_by_id(&id, BACKGROUND_BUDGET).await;
            }
            Background::DropIndexEntry(key) => {
                let _ = self.store.delete(&key).await;
            }
        }
    }
}
