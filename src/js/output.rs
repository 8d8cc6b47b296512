//! Results handed to JavaScript: plain objects with camelCase keys, `null`
//! for an absent value, IDs and times already strings.

use serde::Serialize;
use wasm_bindgen::JsValue;

use super::errors::to_js;
use crate::core::error::{Error, ErrorKind};

/// `value` as a plain JS object.
pub fn to_object<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let fail = |_| {
        to_js(&Error::new(
            ErrorKind::UnexpectedResponse,
            "instagate could not convert a result for JavaScript",
        ))
    };
    let json = serde_json::to_string(value).map_err(|_| fail(()))?;
    js_sys::JSON::parse(&json).map_err(|_| fail(()))
}

pub fn finish<T: Serialize>(result: Result<T, Error>) -> Result<JsValue, JsValue> {
    match result {
        Ok(value) => to_object(&value),
        Err(error) => Err(to_js(&error)),
    }
}
