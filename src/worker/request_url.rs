//! The incoming request's URL split into origin, path and query by the
//! runtime's own `URL` parser. workers-rs's `Request::url()` parses it again
//! with the `url` crate, whose IDNA and Unicode normalization code and
//! tables (~150 KB of the Worker's wasm, most of it data) then ship in the
//! upload and are compiled at every cold start, for a URL the runtime has
//! already parsed and serialized (`scripts/bench-coldstart.mjs`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The global `URL` class (WHATWG URL, as in workerd and browsers).
    #[wasm_bindgen(js_name = URL)]
    type JsUrl;
    #[wasm_bindgen(constructor, js_class = "URL", catch)]
    fn new(url: &str) -> Result<JsUrl, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn origin(this: &JsUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn pathname(this: &JsUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn search(this: &JsUrl) -> String;
}

/// The parts of a request URL the service reads.
pub struct RequestUrl {
    /// `https://host[:port]`, the default port left out.
    pub origin: String,
    /// Percent-encoded, starting with `/`.
    pub path: String,
    /// Without the `?`; empty when there is none.
    pub query: String,
}

/// `url` split into its parts; `None` when it is not an absolute URL.
pub fn split(url: &str) -> Option<RequestUrl> {
    let parsed = JsUrl::new(url).ok()?;
    let search = parsed.search();
    Some(RequestUrl {
        origin: parsed.origin(),
        path: parsed.pathname(),
        query: search.strip_prefix('?').unwrap_or(&search).to_owned(),
    })
}
