//! The Worker's logic, free of Worker types: routes, the encrypted account
//! store, login sessions, cron refresh planning, publish jobs, and webhook /
//! `signed_request` checks, over a [`store::KvStore`] and the core's
//! [`Transport`]. `src/worker` adapts workers-rs to these traits; native
//! tests use [`store::MemoryStore`] and the scripted transport with its fake
//! clock.
//!
//! A [`Service`] borrows everything it works with, so a test can run two
//! "Worker invocations" over the same store one after the other (a restart
//! between steps of a publish job), and the Worker builds one per event.

// Errors carry Meta's code, subcode, trace id and retry hint by value; they
// are rare, and boxing them would only add noise at every `?`.
#![allow(clippy::result_large_err)]

pub mod account_object;
pub mod accounts;
pub mod api;
pub mod auth;
pub mod callbacks;
pub mod config;
pub mod cookies;
pub mod crypto;
pub mod delivery;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod jobs;
pub mod line;
pub mod log;
pub mod login;
pub mod publish_body;
pub mod refresh;
pub mod router;
pub mod schedule;
pub mod store;
pub mod upstream;
pub mod webhooks;

use serde::Serialize;

use crate::core::error::Error;
use crate::core::http::Transport;
use crate::core::time::Timestamp;
use crate::service::config::ServiceConfig;
use crate::service::error::ApiError;
use crate::service::http::{Background, HttpRequest, HttpResponse};
use crate::service::jobs::JobStats;
use crate::service::line::AccountLine;
use crate::service::log::{emit, LogSink, RequestLog};
use crate::service::refresh::RefreshStats;
use crate::service::router::Route;
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
}

/// What one cron run did (also its log line).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CronStats {
    pub event: &'static str,
    pub duration_ms: u64,
    pub jobs: JobStats,
    pub refresh: RefreshStats,
    /// Calls to Meta, both phases.
    pub subrequests: u32,
    /// KV operations, both phases.
    pub kv_ops: u64,
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
        }
    }

    /// The same service, handing account work to `line`.
    pub fn with_line(mut self, line: &'a dyn AccountLine) -> Service<'a, S, T> {
        self.line = Some(line);
        self
    }

    /// The scheduled handler: advance unfinished publish jobs with up to
    /// half the budget, then refresh what is due with the rest. Logs one line.
    pub async fn run_cron(&self) -> CronStats {
        let started = self.transport.now();
        let job_subrequests = self.config.cron_max_subrequests / 2;
        let job_kv = self.config.cron_max_kv_ops / 2;
        let jobs = self.advance_active_jobs(job_subrequests, job_kv).await;
        let refresh = self
            .refresh_due(
                self.config
                    .cron_max_subrequests
                    .saturating_sub(jobs.subrequests),
                self.config
                    .cron_max_kv_ops
                    .saturating_sub(jobs.kv_ops.total() as u32),
            )
            .await;
        let finished = self.transport.now();
        let stats = CronStats {
            event: "cron",
            duration_ms: finished.since(started).as_millis() as u64,
            subrequests: jobs.subrequests + refresh.subrequests,
            kv_ops: jobs.kv_ops.total() + refresh.kv_ops.total(),
            jobs,
            refresh,
        };
        emit(self.log, finished.as_millis(), &stats);
        stats
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
            Background::Wake { account } => {
                let _ = self.hand_off(&account, line::AccountWork::Wake).await;
            }
            Background::Deliver { account, events } => {
                let retry_base_ms = self
                    .config
                    .webhook_forward
                    .as_ref()
                    .map_or(0, |f| f.retry_base.as_millis() as u64);
                let work = line::AccountWork::Deliver {
                    events,
                    retry_base_ms,
                };
                let _ = self.hand_off(&account, work).await;
            }
        }
    }
}

/// The answer when the Worker's settings are missing or malformed: a 500
/// naming the setting, and a log line. Used instead of a [`Service`], which
/// needs a valid configuration.
pub fn misconfigured(
    error: &Error,
    req: &HttpRequest,
    log: &dyn LogSink,
    now: Timestamp,
) -> HttpResponse {
    let api = ApiError::config(error);
    let route = Route::parse(&req.path);
    emit(
        log,
        now.as_millis(),
        &RequestLog {
            event: "request",
            method: &req.method,
            route: route.pattern(),
            status: api.status,
            duration_ms: 0,
            account_id: None,
            job_id: None,
            error_kind: Some(api.kind),
            error_field: api.field.as_deref(),
            meta_code: None,
            fbtrace_id: None,
        },
    );
    HttpResponse::error(&api)
}
