//! Results handed to JavaScript: plain objects with camelCase keys, `null`
//! for an absent value, IDs and times already strings.

#[cfg(feature = "server-api")]
use std::{future::Future, pin::Pin};

#[cfg(feature = "server-api")]
use js_sys::Promise;
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

/// The Promise an async export returns. Every export's work goes through
/// this one boxed future type, so `future_to_promise` (its closures and the
/// spawned task's poll) is compiled once, not once per export with the
/// export's state machine inlined into it (about 3.5 KB gzip less).
#[cfg(feature = "server-api")]
pub fn promise(work: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let work: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(work);
    wasm_bindgen_futures::future_to_promise(work)
}

/// [`promise`] of a binding's result, turned into a plain object or a
/// thrown `InstagateError` by [`finish`].
#[cfg(feature = "server-api")]
pub fn promise_of<T: Serialize + 'static>(
    work: impl Future<Output = Result<T, Error>> + 'static,
) -> Promise {
    promise(async move { finish(work.await) })
}
