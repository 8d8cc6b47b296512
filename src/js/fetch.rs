//! `Transport` over `globalThis.fetch` (never `window`), so one build runs
//! in a page, Node and a Worker. Per-call timeout through AbortController.

use std::time::Duration;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::platform::LocalPlatform;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::time::Timestamp;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    #[wasm_bindgen(js_name = AbortController)]
    type AbortController;
    #[wasm_bindgen(constructor, js_class = "AbortController")]
    fn new() -> AbortController;
    #[wasm_bindgen(method, getter)]
    fn signal(this: &AbortController) -> JsValue;
    #[wasm_bindgen(method)]
    fn abort(this: &AbortController);
}

/// Per-call timeout for every request.
const CALL_TIMEOUT_MS: f64 = 30_000.0;

pub struct FetchTransport;

fn transport_error(message: &str) -> Error {
    Error::new(ErrorKind::Transport, message)
}

fn get(target: &JsValue, key: &str) -> Result<JsValue, Error> {
    Reflect::get(target, &JsValue::from_str(key)).map_err(|_| transport_error("fetch: bad object"))
}

async fn send_once(request: Request) -> Result<Response, Error> {
    let global = js_sys::global();
    let fetch: Function = get(&global, "fetch")?
        .dyn_into()
        .map_err(|_| transport_error("globalThis.fetch is not available"))?;
    let controller = AbortController::new();
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(&headers, &name.into(), &value.into());
    }
    let init = Object::new();
    let _ = Reflect::set(&init, &"method".into(), &request.method.as_str().into());
    let _ = Reflect::set(&init, &"headers".into(), &headers);
    let _ = Reflect::set(&init, &"signal".into(), &controller.signal());
    if let Some(body) = &request.body {
        let _ = Reflect::set(&init, &"body".into(), &body.into());
    }
    let abort = Closure::once_into_js(move || controller.abort());
    let timer = set_timeout(abort.unchecked_ref(), CALL_TIMEOUT_MS);
    let result = async {
        let promise: Promise = fetch
            .call2(&global, &request.url.as_str().into(), &init)
            .map_err(|_| transport_error("fetch threw"))?
            .dyn_into()
            .map_err(|_| transport_error("fetch returned no promise"))?;
        let response = JsFuture::from(promise).await.map_err(|e| {
            if get(&e, "name").ok().and_then(|n| n.as_string()).as_deref() == Some("AbortError") {
                Error::new(ErrorKind::Timeout, "the request timed out")
            } else {
                transport_error("network error")
            }
        })?;
        let status = get(&response, "status")?.as_f64().unwrap_or(0.0) as u16;
        let js_headers = get(&response, "headers")?;
        let mut out = Response::new(status, String::new());
        for name in ["retry-after", "content-type", "www-authenticate"] {
            let getter: Function = get(&js_headers, "get")?
                .dyn_into()
                .map_err(|_| transport_error("headers.get missing"))?;
            if let Ok(v) = getter.call1(&js_headers, &name.into()) {
                if let Some(v) = v.as_string() {
                    out = out.with_header(name, &v);
                }
            }
        }
        let text: Function = get(&response, "text")?
            .dyn_into()
            .map_err(|_| transport_error("response.text missing"))?;
        let body_promise: Promise = text
            .call0(&response)
            .map_err(|_| transport_error("response.text threw"))?
            .dyn_into()
            .map_err(|_| transport_error("response.text returned no promise"))?;
        let body = JsFuture::from(body_promise)
            .await
            .map_err(|_| Error::new(ErrorKind::Timeout, "the response body timed out"))?;
        out.body = body.as_string().unwrap_or_default();
        Ok(out)
    }
    .await;
    clear_timeout(&timer);
    result
}

impl Transport for FetchTransport {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        send_once(request).await
    }

    async fn sleep(&self, duration: Duration) {
        let promise = Promise::new(&mut |resolve, _reject| {
            set_timeout(&resolve, duration.as_millis() as f64);
        });
        let _ = JsFuture::from(promise).await;
    }

    fn now(&self) -> Timestamp {
        LocalPlatform.now()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        LocalPlatform.fill_random(buf);
    }
}
