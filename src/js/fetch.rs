//! The package's `Transport`: `globalThis.fetch` (through `fetch.js`), with
//! a per-call timeout and the caller's `AbortSignal`; `setTimeout` sleeps,
//! `Date.now()` and `crypto.getRandomValues` from `platform`. Nothing comes
//! from `window`, so one build runs in a page, Node, Deno, Bun and Workers.

use std::time::Duration;

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

use super::input::Obj;
use super::platform::LocalPlatform;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::time::Timestamp;

#[wasm_bindgen(module = "/src/js/fetch.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = send)]
    async fn js_send(
        method: &str,
        url: &str,
        headers: Array,
        body: Option<String>,
        bytes: Option<Vec<u8>>,
        timeout_ms: f64,
        signal: &JsValue,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = sleep)]
    async fn js_sleep(ms: f64, signal: &JsValue);
}

/// Used when the caller gives no `timeoutMs`: long enough for a slow Graph
/// answer, short enough that a hung connection does not hang a server.
pub const DEFAULT_TIMEOUT_MS: f64 = 30_000.0;

/// A fetch transport with the caller's `timeoutMs` and `signal`.
pub struct FetchTransport {
    timeout_ms: f64,
    /// Aborts calls in flight (`undefined` for publishing: see below).
    fetch_signal: JsValue,
    /// Ends waits between calls early.
    signal: JsValue,
}

impl FetchTransport {
    /// Reads `timeoutMs?` (per HTTP call) and `signal?` (an `AbortSignal`)
    /// from an input object.
    pub fn from_input(input: &Obj) -> Result<FetchTransport, Error> {
        let timeout_ms = input.opt_number("timeoutMs")?.unwrap_or(DEFAULT_TIMEOUT_MS);
        if timeout_ms < 1.0 {
            return Err(input.error("timeoutMs", "must be at least 1"));
        }
        let signal = input.raw("signal");
        if !(signal.is_undefined() || signal.is_null() || has(&signal, "aborted")) {
            return Err(input.error("signal", "must be an AbortSignal"));
        }
        Ok(FetchTransport {
            timeout_ms,
            fetch_signal: signal.clone(),
            signal,
        })
    }

    /// The signal no longer cuts a call in flight, only the waits between
    /// calls: an aborted `media_publish` would leave it unknown whether the
    /// post exists, so a publish stops at the next step boundary instead.
    pub fn abort_between_calls_only(mut self) -> FetchTransport {
        self.fetch_signal = JsValue::UNDEFINED;
        self
    }

    /// Whether the caller's signal has fired.
    pub fn is_aborted(&self) -> bool {
        is_aborted(&self.signal)
    }
}

/// Whether `signal` (an `AbortSignal`, or `undefined`) has fired.
pub fn is_aborted(signal: &JsValue) -> bool {
    get(signal, "aborted").is_truthy()
}

fn has(target: &JsValue, key: &str) -> bool {
    Reflect::has(target, &JsValue::from_str(key)).unwrap_or(false)
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The `{kind, message}` a failed `send` rejects with, as an `Error`.
fn failure(rejection: &JsValue) -> Error {
    let kind = match get(rejection, "kind").as_string().as_deref() {
        Some("timeout") => ErrorKind::Timeout,
        Some("aborted") => ErrorKind::Aborted,
        _ => ErrorKind::Transport,
    };
    let message = get(rejection, "message")
        .as_string()
        .unwrap_or_else(|| "the request failed".to_owned());
    Error::new(kind, message)
}

impl Transport for FetchTransport {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        let headers = Array::new();
        for (name, value) in &request.headers {
            headers.push(&Array::of2(&name.into(), &value.into()));
        }
        let answer = js_send(
            request.method.as_str(),
            &request.url,
            headers,
            request.body,
            request.bytes,
            self.timeout_ms,
            &self.fetch_signal,
        )
        .await
        .map_err(|rejection| failure(&rejection))?;
        let status = get(&answer, "status").as_f64().unwrap_or(0.0) as u16;
        let mut response =
            Response::new(status, get(&answer, "body").as_string().unwrap_or_default());
        let flat = Array::from(&get(&answer, "headers"));
        for i in (0..flat.length()).step_by(2) {
            if let (Some(name), Some(value)) =
                (flat.get(i).as_string(), flat.get(i + 1).as_string())
            {
                response.headers.push((name, value));
            }
        }
        Ok(response)
    }

    async fn sleep(&self, duration: Duration) {
        js_sleep(duration.as_millis() as f64, &self.signal).await;
    }

    fn now(&self) -> Timestamp {
        LocalPlatform.now()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        LocalPlatform.fill_random(buf);
    }
}
