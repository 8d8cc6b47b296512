//! Results handed to JavaScript: plain objects with camelCase keys, `null`
//! for an absent value, IDs and times already strings.

use serde::Serialize;
use wasm_bindgen::JsValue;

use super::errors::to_js;
use crate::core::error::{Error, ErrorKind};

/// `value` as a plain JS object (`#[serde(rename_all = "camelCase")]` on
/// the struct gives the JS names; `Option::None` becomes `null`).
pub fn to_object<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_missing_as_null(true)
        .serialize_maps_as_objects(true);
    value.serialize(&serializer).map_err(|_| {
        to_js(&Error::new(
            ErrorKind::UnexpectedResponse,
            "instagate could not convert a result for JavaScript",
        ))
    })
}

/// The end of every binding: the result as an object, or the error thrown
/// as an `InstagateError`.
pub fn finish<T: Serialize>(result: Result<T, Error>) -> Result<JsValue, JsValue> {
    match result {
        Ok(value) => to_object(&value),
        Err(error) => Err(to_js(&error)),
    }
}
