//! Reading Meta's success bodies, shared by the OAuth calls.
//!
//! A 2xx is not always a success: Meta has been seen to answer errors with
//! status 200, and api.instagram.com's errors are a flat
//! `{"error_type","code","error_message"}`. Both become the parsed
//! [`Error`]; a body that is neither the error nor the expected shape
//! (HTML, truncated JSON) is `UnexpectedResponse`, never a panic.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

use crate::core::error::Error;
use crate::core::http::Response;

/// Reads a successful response as `T`; `what` names the call in messages.
pub(super) fn parse<T: DeserializeOwned>(response: &Response, what: &str) -> Result<T, Error> {
    #[derive(Deserialize)]
    struct ErrorProbe {
        error: Option<IgnoredAny>,
        error_type: Option<IgnoredAny>,
        error_message: Option<IgnoredAny>,
    }
    if !response.is_success() {
        return Err(Error::from_response(response));
    }
    if let Ok(probe) = serde_json::from_str::<ErrorProbe>(&response.body) {
        if probe.error.is_some() || (probe.error_type.is_some() && probe.error_message.is_some()) {
            return Err(Error::from_response(response));
        }
    }
    serde_json::from_str(&response.body).map_err(|_| Error::unexpected(response, what))
}

/// A node that some endpoints wrap as `{"data":[node]}` and others send bare.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum MaybeWrapped<T> {
    Wrapped { data: Vec<T> },
    Bare(T),
}

/// Reads `T` either bare or as the first element of `data`.
pub(super) fn parse_maybe_wrapped<T: DeserializeOwned>(
    response: &Response,
    what: &str,
) -> Result<T, Error> {
    match parse::<MaybeWrapped<T>>(response, what)? {
        MaybeWrapped::Bare(node) => Ok(node),
        MaybeWrapped::Wrapped { data } => data
            .into_iter()
            .next()
            .ok_or_else(|| Error::unexpected(response, what)),
    }
}
