//! # instagate
//!
//! Connect Instagram accounts and publish to them from the browser and the
//! edge. One crate, compiled to WebAssembly twice:
//!
//! - the npm package (`src/js`): login URLs with state and PKCE, callback
//!   checks, code exchange, long-lived tokens, refresh, profile and
//!   publishing, all through `fetch`;
//! - the Cloudflare Worker (`src/worker`, feature `worker`): OAuth callback,
//!   encrypted tokens in KV, cron refresh and an HTTP publishing API.
//!
//! Both ride on [`core`], which is pure Rust: request builders, response
//! parsers, and flows generic over a [`core::http::Transport`].
//! See `README.md` for usage.

pub mod core;
#[cfg(all(target_arch = "wasm32", not(feature = "worker")))]
pub mod js;
pub mod service;
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
pub mod worker;
