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

pub mod accounts;
pub mod api;
pub mod auth;
pub mod body;
pub mod callbacks;
pub mod config;
pub mod config_guard;
pub mod cookies;
pub mod crypto;
pub mod deletion;
pub mod error;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod log;
pub mod login;
pub mod publish_body;
pub mod refresh;
pub mod router;
pub mod store;
pub mod upstream;
pub mod webhooks;

use serde::Serialize;

use crate::core::error::Error;
use crate::core::http::Transport;
use crate::core::time::Timestamp;
use crate::service::config::ServiceConfig;
use crate::service::deletion::{PurgeStats, JOBS_PER_CRON};
use crate::service::error::ApiError;
use crate::service::http::{Background, HttpRequest, HttpResponse};
use crate::service::jobs::JobStats;
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
}

/// What one cron run did (also its log line).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CronStats {
    pub event: &'static str,
    pub duration_ms: u64,
    pub jobs: JobStats,
    pub refresh: RefreshStats,
    /// Publish jobs of deleted accounts removed (`service::deletion`).
    pub purge: PurgeStats,
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
        }
    }

    /// The scheduled handler: finish removing deleted accounts' jobs, advance
    /// unfinished publish jobs with up to half the budget, then refresh what
    /// is due with the rest. Logs one line.
    pub async fn run_cron(&self) -> CronStats {
        let started = self.transport.now();
        let purge = self.finish_purges(JOBS_PER_CRON).await;
        let kv_budget = self
            .config
            .cron_max_kv_ops
            .saturating_sub(purge.kv_ops.total() as u32);
        let job_subrequests = self.config.cron_max_subrequests / 2;
        let job_kv = kv_budget / 2;
        let jobs = self.advance_active_jobs(job_subrequests, job_kv).await;
        let refresh = self
            .refresh_due(
                self.config
                    .cron_max_subrequests
                    .saturating_sub(jobs.subrequests),
                kv_budget.saturating_sub(jobs.kv_ops.total() as u32),
            )
            .await;
        let finished = self.transport.now();
        let stats = CronStats {
            event: "cron",
            duration_ms: finished.since(started).as_millis() as u64,
            subrequests: jobs.subrequests + refresh.subrequests,
            kv_ops: purge.kv_ops.total() + jobs.kv_ops.total() + refresh.kv_ops.total(),
            jobs,
            refresh,
            purge,
        };
        emit(self.log, finished.as_millis(), &stats);
        stats
    }

    /// Finishes work the answer left behind (`waitUntil`, which Workers
    /// keep alive up to 30 s after the response).
    pub async fn run_background(&self, task: Background) {
        match task {
            Background::AdvanceJob(id) => {
                let _ = self.advance_job_by_id(&id, BACKGROUND_BUDGET).await;
            }
        }
    }
}

/// The answer when the Worker's settings are missing or malformed: a
/// generic 500 (callers are anonymous), and log lines naming the setting and
/// what is wrong with it (config messages never quote a secret's value).
/// Used instead of a [`Service`], which needs a valid configuration.
pub fn misconfigured(
    error: &Error,
    req: &HttpRequest,
    log: &dyn LogSink,
    now: Timestamp,
) -> HttpResponse {
    let api = ApiError::config();
    let route = Route::parse(&req.path);
    emit(
        log,
        now.as_millis(),
        &serde_json::json!({
            "event": "config_error",
            "error_field": error.field,
            "message": error.message,
        }),
    );
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
            error_field: error.field.as_deref(),
            meta_code: None,
            fbtrace_id: None,
        },
    );
    HttpResponse::error(&api).with_header("referrer-policy", "no-referrer")
}
