//! Turns a core `Error` into a thrown JS `InstagateError` (class in `error.js`).

use wasm_bindgen::prelude::*;

use crate::core::error::{Error, ErrorKind};

#[wasm_bindgen(module = "/src/js/error.js")]
extern "C" {
    /// Positional rather than an object: no serializer on the error path.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = makeInstagateError)]
    fn make_instagate_error(
        kind: &str,
        message: &str,
        code: Option<f64>,
        subcode: Option<f64>,
        fbtrace_id: Option<String>,
        error_type: Option<String>,
        status: Option<u16>,
        retryable: bool,
        retry_after: Option<f64>,
        field: Option<String>,
    ) -> JsValue;
}

/// The `InstagateError` for `error`.
pub fn to_js(error: &Error) -> JsValue {
    let field = error.field.as_deref().map(|f| js_field_name(error.kind, f));
    make(error, field)
}

/// The `InstagateError` for an error whose `field` is already the caller's
/// own spelling (a media field, or an unknown key such as `alt_text`,
/// which must not be "corrected" to `altText`).
#[cfg(feature = "server-api")]
pub fn to_js_verbatim(error: &Error) -> JsValue {
    make(error, error.field.clone())
}

fn make(error: &Error, field: Option<String>) -> JsValue {
    let meta = error.meta.as_ref();
    make_instagate_error(
        error.kind.as_str(),
        &error.message,
        error.code().map(|c| c as f64),
        error.subcode().map(|c| c as f64),
        meta.and_then(|m| m.fbtrace_id.clone()),
        meta.and_then(|m| m.error_type.clone()),
        error.status,
        error.retryable(),
        error.retry_after.map(|d| d.as_secs_f64()),
        field,
    )
}

/// Config and input errors name a setting or argument: JS spells those in
/// camelCase (`client_id` → `clientId`, `endpoints.graph_base` →
/// `endpoints.graphBase`). Other kinds name Meta's own words (a callback
/// parameter, a permission such as `instagram_business_basic`): kept as is.
fn js_field_name(kind: ErrorKind, field: &str) -> String {
    if !matches!(kind, ErrorKind::Config | ErrorKind::InvalidInput) {
        return field.to_owned();
    }
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
