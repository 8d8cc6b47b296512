//! The pure core: every Instagram request builder and response parser, the
//! login and publishing flows as `async fn`s over [`http::Transport`], and
//! the values they pass around. No wasm, JavaScript or Worker types live
//! here; everything is tested natively with `cargo test`.

pub mod config;
pub mod error;
pub mod http;
pub mod json;
pub mod oauth;
pub mod publish;
pub mod retry;
pub mod secret;
pub mod time;
pub mod token;

#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
