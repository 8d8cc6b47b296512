//! # instagate
//!
//! Connect Instagram accounts and publish to them from the browser and the
//! edge. One crate, compiled to WebAssembly three times:
//!
//! - the npm package's login-only module (`src/js` without features:
//!   `instagate/login`, for web pages): login URLs with state and PKCE and
//!   callback checks;
//! - the npm package's main module (`src/js`, feature `server-api`): also
//!   code exchange, long-lived tokens, refresh, profile and publishing, all
//!   through `fetch`;
//! - the Cloudflare Worker (`src/worker`, feature `worker`): OAuth callback,
//!   encrypted tokens in KV, cron refresh and an HTTP publishing API, over
//!   the Worker logic in [`service`].
//!
//! All ride on [`core`], which is pure Rust: request builders, response
//! readers, and flows generic over a [`core::http::Transport`]. Test code
//! (fakes, the scripted transport, the in-memory store) is behind the
//! `testing` feature, so no library build contains it. See `README.md` for
//! usage.

pub mod core;
#[cfg(all(target_arch = "wasm32", not(feature = "worker")))]
pub mod js;
pub mod service;
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
pub mod worker;
