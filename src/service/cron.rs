//! The scheduled handler: finish removing deleted accounts' jobs, advance
//! unfinished publish jobs, then refresh the tokens that are due, within
//! one run's budget, and sweep expired staged media; one log line per run.

use serde::Serialize;

use crate::core::http::Transport;
use crate::service::deletion::{PurgeStats, JOBS_PER_CRON};
use crate::service::invocation::Service;
use crate::service::jobs::JobStats;
use crate::service::log::emit;
use crate::service::media::sweep::SWEEP_MAX_DELETES;
use crate::service::media::SweepStats;
use crate::service::refresh::RefreshStats;
use crate::service::store::KvStore;

/// What one cron run did (also its log line).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CronStats {
    pub event: &'static str,
    pub duration_ms: u64,
    pub jobs: JobStats,
    pub refresh: RefreshStats,
    /// Publish jobs of deleted accounts removed (`service::deletion`).
    pub purge: PurgeStats,
    /// Expired staged media removed (`service::media::sweep`).
    pub media: SweepStats,
    /// Calls to Meta, both phases.
    pub subrequests: u32,
    /// KV operations, both phases.
    pub kv_ops: u64,
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// The scheduled handler: finish removing deleted accounts' jobs,
    /// advance unfinished publish jobs with up to half the budget, then
    /// refresh what is due with the rest. Logs one line.
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
        let media = self.sweep_staged(SWEEP_MAX_DELETES).await;
        let finished = self.transport.now();
        let stats = CronStats {
            event: "cron",
            duration_ms: finished.since(started).as_millis() as u64,
            subrequests: jobs.subrequests + refresh.subrequests,
            kv_ops: purge.kv_ops.total() + jobs.kv_ops.total() + refresh.kv_ops.total(),
            jobs,
            refresh,
            purge,
            media,
        };
        emit(self.log, finished.as_millis(), &stats);
        stats
    }
}
