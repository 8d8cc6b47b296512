//! Clock and secure randomness from `globalThis` (never `window`), as the
//! part of `Transport` that login URL creation needs.

use std::time::Duration;

use wasm_bindgen::prelude::*;

use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::time::Timestamp;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

/// A transport for the synchronous operations (no network).
pub struct LocalPlatform;

impl Transport for LocalPlatform {
    async fn send(&self, _request: Request) -> Result<Response, Error> {
        Err(Error::new(
            ErrorKind::Transport,
            "network not available here",
        ))
    }

    async fn sleep(&self, _duration: Duration) {}

    fn now(&self) -> Timestamp {
        Timestamp(js_sys::Date::now() as u64)
    }

    fn fill_random(&self, buf: &mut [u8]) {
        get_random_values(buf);
    }
}
