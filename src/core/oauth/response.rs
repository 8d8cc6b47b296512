//! A node that some OAuth endpoints wrap as `{"data":[node]}` and others
//! send bare. Every answer is read with the core's one success check
//! ([`success_json`]) and field reader.

use crate::core::error::Error;
use crate::core::http::Response;
use crate::core::json::Fields;
use crate::core::meta_body::success_json;

/// Reads the node with `read`, either bare or as the first element of a
/// `data` array; a `data` array that is empty is an unexpected answer.
pub(super) fn parse_maybe_wrapped<T>(
    response: &Response,
    what: &str,
    read: fn(&Fields) -> Result<T, Error>,
) -> Result<T, Error> {
    let body = success_json(response, what)?;
    let wrapped = match body.get("data").and_then(|d| d.as_array()) {
        Some(data) if data.is_empty() => return Err(Error::unexpected(response, what)),
        Some(data) => data.first(),
        None => None,
    };
    if let Some(node) = wrapped {
        if let Ok(node) = Fields::root(node, "data[0]").and_then(|f| read(&f)) {
            return Ok(node);
        }
    }
    Fields::root(&body, "body")
        .and_then(|f| read(&f))
        .map_err(|_| Error::unexpected(response, what))
}
