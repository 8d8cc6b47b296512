//! Publish jobs: `POST /api/accounts/{id}/publish`, `GET /api/jobs/{id}`,
//! `GET /api/accounts/{id}/quota`, and the cron / `waitUntil` work that
//! advances unfinished jobs.
//!
//! Keys: `job:{job_id}` (the job: account, times, lease and the core's
//! resumable [`PublishJob`](crate::core::publish::PublishJob)), `jobq:{job_id}` (present while the job is
//! unfinished: the cron lists only these, so its cost follows unfinished
//! jobs), `jobacct:{account}:{job_id}` (to forget an account's jobs).
//! Finished jobs are kept 30 days.
//!
//! The job is saved after every step of the core's state machine, so a
//! Worker that stops between two steps loses nothing: the next runner (the
//! cron, `waitUntil`, or a status read) loads it and goes on. The core
//! never saves a state that means "send `media_publish` now": a resumed
//! job whose publish outcome was not saved reads the container's status
//! first, and PUBLISHED means done, so a post is never published twice. A
//! lease in the job keeps two runners from stepping the same job at once
//! (best effort: KV has no compare-and-set, and is eventually consistent
//! across locations).
//!
//! The HTTP shapes are the Worker's own: the request body is read by
//! `publish_body.rs`, and [`record::JobRecord::view`] shows the job in snake_case
//! with the phase names the API has always used.
//!
//! - [`routes`]: the HTTP handlers (publish, job status, quota);
//! - [`record`]: the job as stored, its KV keys, lease, view and save;
//! - [`runner`]: stepping jobs (the request, `waitUntil`, the cron).

pub mod record;
pub mod routes;
pub mod runner;

pub use runner::{JobStats, STALLED_RETRY};
