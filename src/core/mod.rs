//! The pure core: every Instagram request builder and response parser, the
//! login and publishing flows as `async fn`s over [`http::Transport`], and
//! the values they pass around. No wasm, JavaScript or Worker types live
//! here; everything is tested natively with `cargo test`.

// `error::Error` is large by design (Meta's code, subcode, trace id, type,
// user message): it is on the failure path only, where boxing would add an
// allocation and change nothing measurable.
#![allow(clippy::result_large_err)]

pub mod appsecret_proof;
pub mod config;
pub mod error;
pub mod http;
pub mod json;
pub mod meta_body;
pub mod oauth;
pub mod publish;
pub mod retry;
pub mod secret;
pub mod time;
pub mod token;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
