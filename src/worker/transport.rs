//! The core's [`Transport`] over the Workers runtime: `fetch` with a
//! timeout (`AbortSignal.timeout`, so a hung upstream becomes a clear
//! `timeout` error), `setTimeout` sleeps, `Date.now()` and
//! `crypto.getRandomValues`.
//!
//! A call to Meta is one call into JavaScript (`bridge.js` `fetchText`):
//! the request's head goes over as one string and the answer comes back as
//! its head and its text, read by the runtime's `Response.text()`. Built
//! from workers-rs's `Request`, `Headers`, `AbortController` and a
//! `setTimeout` race, with the body read chunk by chunk through its stream
//! reader, the same call cost several milliseconds of CPU more per login
//! (`scripts/profile-worker.mjs --route callback`).

use std::time::Duration;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Method, Request, Response, Transport};
use crate::core::time::Timestamp;
use crate::service::http_head::{join_headers, status_and_headers};

#[wasm_bindgen(module = "/src/worker/bridge.js")]
extern "C" {
    #[wasm_bindgen(js_name = fetchText)]
    fn fetch_text(
        url: &str,
        method: &str,
        head: &str,
        text: Option<&str>,
        bytes: Option<&[u8]>,
        timeout_ms: f64,
    ) -> js_sys::Promise;

    fn sleep(ms: f64) -> js_sys::Promise;
}

#[derive(Clone)]
pub struct FetchTransport {
    timeout: Duration,
}

impl FetchTransport {
    pub fn new(timeout: Duration) -> FetchTransport {
        FetchTransport { timeout }
    }

    fn timeout_error(&self) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!("Meta did not answer within {} ms", self.timeout.as_millis()),
        )
    }
}

fn transport_error(what: &str) -> Error {
    Error::new(
        ErrorKind::Transport,
        format!("the call to Meta failed: {what}"),
    )
}

/// The `name` of a rejection (`TimeoutError`, `InvalidRequest`, ...).
fn error_name(error: &JsValue) -> Option<String> {
    js_sys::Reflect::get(error, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
}

impl Transport for FetchTransport {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        let head = join_headers(&request.headers)
            .ok_or_else(|| transport_error("a request header is not valid"))?;
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        };
        let call = fetch_text(
            &request.url,
            method,
            &head,
            request.body.as_deref(),
            request.bytes.as_deref(),
            self.timeout.as_millis() as f64,
        );
        let answer = match JsFuture::from(call).await {
            Ok(answer) => answer,
            Err(e) => {
                return Err(match error_name(&e).as_deref() {
                    Some("TimeoutError") => self.timeout_error(),
                    Some("InvalidRequest") => transport_error("the request URL is not valid"),
                    _ => transport_error("the connection failed"),
                })
            }
        };
        let answer: js_sys::Array = answer.unchecked_into();
        let (status, headers) = answer
            .get(0)
            .as_string()
            .as_deref()
            .and_then(status_and_headers)
            .ok_or_else(|| transport_error("the answer could not be read"))?;
        let body = answer
            .get(1)
            .as_string()
            .ok_or_else(|| transport_error("the answer could not be read"))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    // A promise awaited as a `JsFuture`, which takes the waker of every
    // poll. Not workers-rs's `Delay`: it keeps the waker of its first poll
    // only, and `handleFetch` (mod.rs) first polls with a no-op waker, so a
    // sleep reached in that poll would never wake its request.
    async fn sleep(&self, duration: Duration) {
        let _ = JsFuture::from(sleep(duration.as_millis() as f64)).await;
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_millis(js_sys::Date::now() as u64)
    }

    fn fill_random(&self, buf: &mut [u8]) {
        // crypto.getRandomValues on a fresh Uint8Array, copied out.
        let global = js_sys::global();
        let crypto = js_sys::Reflect::get(&global, &JsValue::from_str("crypto"))
            .expect("the Workers runtime has crypto");
        let get_random: js_sys::Function =
            js_sys::Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
                .expect("crypto.getRandomValues")
                .unchecked_into();
        for chunk in buf.chunks_mut(65_536) {
            let array = js_sys::Uint8Array::new_with_length(chunk.len() as u32);
            get_random
                .call1(&crypto, &array)
                .expect("crypto.getRandomValues succeeds");
            array.copy_to(chunk);
        }
    }
}
