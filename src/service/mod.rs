//! The Worker's logic, free of Worker types: routes, the encrypted account
//! store, login sessions, cron refresh planning, publish jobs, and webhook /
//! `signed_request` checks, staged media (over an object store,
//! `media::blobs::BlobStore`), over a [`store::KvStore`] and the core's
//! [`Transport`](crate::core::http::Transport). `src/worker` adapts workers-rs to these traits; native
//! tests use `memory_store::MemoryStore` (feature `testing`) and the scripted transport with its fake
//! clock.
//!
//! This file only wires the modules: a [`Service`] (`invocation.rs`) is one
//! Worker invocation; `router.rs` answers requests, `cron.rs` runs the
//! scheduled handler.

// Errors carry Meta's code, subcode, trace id and retry hint by value; they
// are rare, and boxing them would only add noise at every `?`.
#![allow(clippy::result_large_err)]

pub mod account_object;
pub mod accounts;
pub mod api;
pub mod auth;
pub mod body;
pub mod config;
pub mod config_cache;
pub mod config_guard;
pub mod cookies;
pub mod cron;
pub mod crypto;
pub mod deletion;
pub mod delivery;
pub mod error;
pub mod http;
pub mod http_head;
pub mod idempotency;
pub mod invocation;
pub mod jobs;
pub mod limits;
pub mod line;
pub mod log;
pub mod login;
pub mod media;
#[cfg(any(test, feature = "testing"))]
pub mod memory_blobs;
#[cfg(any(test, feature = "testing"))]
pub mod memory_log;
#[cfg(any(test, feature = "testing"))]
pub mod memory_store;
pub mod meta_routes;
pub mod publish_body;
pub mod refresh;
pub mod refresh_retry;
pub mod router;
pub mod schedule;
pub mod store;
pub mod webhooks;

pub use cron::CronStats;
pub use invocation::{Service, BACKGROUND_BUDGET};
pub use router::misconfigured;
