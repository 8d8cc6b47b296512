//! The Worker's logic, free of Worker types: routes, the encrypted account
//! store, login sessions, cron refresh planning, publish jobs, and webhook /
//! `signed_request` checks, over a [`store::KvStore`] and the core's
//! [`Transport`](crate::core::http::Transport). `src/worker` adapts
//! workers-rs to these traits; native tests use [`store::MemoryStore`] and
//! the scripted transport with its fake clock.

// Errors carry Meta's code, subcode, trace id and retry hint by value; they
// are rare, and boxing them would only add noise at every `?`.
#![allow(clippy::result_large_err)]

pub mod accounts;
pub mod config;
pub mod cookies;
pub mod crypto;
pub mod error;
pub mod http;
pub mod log;
pub mod store;
