//! A node that some OAuth endpoints wrap as `{"data":[node]}` and others
//! send bare. Every answer is read with [`parse_success`].

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::core::error::Error;
use crate::core::http::Response;
use crate::core::meta_body::parse_success;

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
    match parse_success::<MaybeWrapped<T>>(response, what)? {
        MaybeWrapped::Bare(node) => Ok(node),
        MaybeWrapped::Wrapped { data } => data
            .into_iter()
            .next()
            .ok_or_else(|| Error::unexpected(response, what)),
    }
}
