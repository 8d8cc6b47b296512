//! A node that some OAuth endpoints wrap as `{"data":[node]}` and others
//! send bare. Every answer is read with [`parse_success`].
//!
//! Read through a `serde_json::Value` rather than an `#[serde(untagged)]`
//! enum: untagged deserialization buffers the body in serde's private
//! `Content` type and instantiates every node type twice over it, about
//! 15 KB of the npm package's wasm (`scripts/size-bench.sh --functions`).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::core::error::Error;
use crate::core::http::Response;
use crate::core::meta_body::parse_success;

/// Reads `T` either bare or as the first element of a `data` array; a
/// `data` array that is empty is an unexpected answer.
pub(super) fn parse_maybe_wrapped<T: DeserializeOwned>(
    response: &Response,
    what: &str,
) -> Result<T, Error> {
    let mut body: Value = parse_success(response, what)?;
    let wrapped = match body.get_mut("data").and_then(Value::as_array_mut) {
        Some(data) if data.is_empty() => return Err(Error::unexpected(response, what)),
        Some(data) => Some(data.swap_remove(0)),
        None => None,
    };
    if let Some(node) = wrapped {
        if let Ok(node) = T::deserialize(node) {
            return Ok(node);
        }
    }
    T::deserialize(body).map_err(|_| Error::unexpected(response, what))
}
