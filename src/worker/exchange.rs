//! The runtime's `Request` converted into the service's [`HttpRequest`],
//! and the service's [`HttpResponse`] into a `Response`, with one call into
//! JavaScript each way (`bridge.js`): the method, URL parts and headers come
//! over as one string, the answer's headers go back as one
//! (`crate::service::http_head`). workers-rs's own `Request` and `Response`
//! cost a call per header, URL part and field, and wrap the `cf` object,
//! which nothing here reads. The URL is split by the runtime's `URL`
//! parser, not the `url` crate, whose IDNA and Unicode tables would ship in
//! the upload (`scripts/bench-coldstart.mjs`).

use wasm_bindgen::prelude::*;
use worker::worker_sys::web_sys;
use worker::ByteStream;

use crate::service::body::read_capped;
use crate::service::error::ApiError;
use crate::service::http::{HttpRequest, HttpResponse};
use crate::service::http_head::{request_from_head, response_head};
use crate::service::router::{body_limit, body_too_large, Route};

#[wasm_bindgen(module = "/src/worker/bridge.js")]
extern "C" {
    #[wasm_bindgen(js_name = requestHead)]
    fn request_head(request: &web_sys::Request) -> String;
    #[wasm_bindgen(js_name = makeResponse, catch)]
    fn make_response(
        status: u16,
        head: &str,
        text: Option<&str>,
        bytes: Option<&[u8]>,
    ) -> Result<web_sys::Response, JsValue>;
    #[wasm_bindgen(js_name = makeStreamResponse, catch)]
    fn make_stream_response(
        status: u16,
        head: &str,
        stream: &web_sys::ReadableStream,
    ) -> Result<web_sys::Response, JsValue>;
}

/// Converts the incoming request. The body is read as a stream with a
/// running cap (the route's limit): a declared `Content-Length` over it is
/// refused before reading, and a body without one stops at the limit.
pub async fn read_request(req: &web_sys::Request) -> Result<HttpRequest, ApiError> {
    let mut request = request_from_head(&request_head(req))
        .ok_or_else(|| ApiError::invalid_input("url", "the request URL is not valid"))?;
    let route = Route::parse(&request.path);
    let limit = body_limit(&route);
    let declared = request
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(n) = declared.filter(|n| *n > limit) {
        return Err(body_too_large(&route, n as u64));
    }
    if !matches!(request.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        if let Some(stream) = req.body() {
            request.body = read_capped(ByteStream::from(stream), limit).await?;
        }
    }
    Ok(request)
}

/// The `Response` for the service's answer. A text body with its content
/// type goes over as a string; any other as bytes (204 and 304 have none);
/// a staged object's stream (`service::media`) goes out as R2 gave it.
/// A header with a line break is an error, as `Headers.append` makes it.
pub fn write_response(response: HttpResponse) -> Result<web_sys::Response, JsValue> {
    let head = response_head(&response)
        .ok_or_else(|| JsValue::from_str("a response header contains a line break"))?;
    if matches!(response.status, 204 | 304) {
        return make_response(response.status, &head, None, None);
    }
    let stream = response
        .stream
        .as_ref()
        .and_then(|s| s.take::<web_sys::ReadableStream>());
    if let Some(stream) = stream {
        return make_stream_response(response.status, &head, &stream);
    }
    // A string body would add `text/plain` where no content type is set.
    let text = std::str::from_utf8(&response.body)
        .ok()
        .filter(|t| !t.is_empty() && response.header("content-type").is_some());
    match text {
        Some(text) => make_response(response.status, &head, Some(text), None),
        None => make_response(response.status, &head, None, Some(&response.body)),
    }
}
