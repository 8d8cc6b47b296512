//! Turns a core `Error` into a thrown JS `InstagateError`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::core::error::Error;

#[wasm_bindgen(module = "/src/js/error.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeInstagateError)]
    fn make_instagate_error(fields: JsValue) -> JsValue;
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorFields<'a> {
    kind: &'a str,
    message: &'a str,
    code: Option<i64>,
    subcode: Option<i64>,
    fbtrace_id: Option<&'a str>,
    error_type: Option<&'a str>,
    status: Option<u16>,
    retryable: bool,
    retry_after: Option<f64>,
    field: Option<&'a str>,
}

/// The `InstagateError` for `error`.
pub fn to_js(error: &Error) -> JsValue {
    let meta = error.meta.as_ref();
    let fields = ErrorFields {
        kind: error.kind.as_str(),
        message: &error.message,
        code: error.code(),
        subcode: error.subcode(),
        fbtrace_id: meta.and_then(|m| m.fbtrace_id.as_deref()),
        error_type: meta.and_then(|m| m.error_type.as_deref()),
        status: error.status,
        retryable: error.retryable(),
        retry_after: error.retry_after.map(|d| d.as_secs_f64()),
        field: error.field.as_deref(),
    };
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    match fields.serialize(&serializer) {
        Ok(value) => make_instagate_error(value),
        Err(_) => JsValue::from_str(&error.message),
    }
}
