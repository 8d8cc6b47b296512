//! Reading Meta's answers: the error body (either shape) into an [`Error`],
//! and the one success reader every endpoint uses.
//!
//! Meta answers errors in two shapes: the Graph API's
//! `{"error":{"message","type","code","error_subcode","fbtrace_id","is_transient"}}`
//! (<https://developers.facebook.com/docs/graph-api/guides/error-handling/>)
//! and api.instagram.com's flat `{"error_type","code","error_message"}`
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login>).
//! A 2xx is not always a success: Meta has been seen to answer errors with
//! status 200, so [`parse_success`] looks for either shape in any body. A
//! body that is neither the error nor the expected shape (HTML, truncated
//! JSON) is `UnexpectedResponse` with the HTTP status; reading never panics.
//! Which [`ErrorKind`] a code is lives with the error type
//! ([`crate::core::error`]).

use std::time::Duration;

use serde_json::Value;

use crate::core::error::{classify, Error, ErrorKind, MetaError};
use crate::core::http::Response;
use crate::core::json::{self, Fields};

/// Reads a successful response with `read`; `what` names the call in
/// messages. A non-2xx, or a 2xx that carries either error shape, is
/// Meta's error; a body that is not JSON, or that `read` refuses (a field
/// missing or of another type), is an unexpected answer.
pub fn parse_success<T>(
    response: &Response,
    what: &str,
    read: fn(&Fields) -> Result<T, Error>,
) -> Result<T, Error> {
    let body = success_json(response, what)?;
    Fields::root(&body, "body")
        .and_then(|fields| read(&fields))
        .map_err(|_| Error::unexpected(response, what))
}

/// The body of a successful response as JSON, after the error checks of
/// [`parse_success`].
pub fn success_json(response: &Response, what: &str) -> Result<Value, Error> {
    if !response.is_success() {
        return Err(Error::from_response(response));
    }
    let Some(body) = json::parse(&response.body) else {
        return Err(Error::unexpected(response, what));
    };
    let has = |key| body.get(key).is_some_and(|v| !v.is_null());
    if has("error") || (has("error_type") && has("error_message")) {
        return Err(Error::from_response(response));
    }
    Ok(body)
}

impl Error {
    /// Turns a failed (or malformed) Meta response into an error. Never
    /// panics, and never copies the body into the message: a truncated token
    /// response would otherwise leak a token into logs.
    pub fn from_response(response: &Response) -> Error {
        let retry_after = retry_after(response);
        let parsed = parse_error_body(&response.body);
        let mut error = match parsed {
            Some((message, meta)) => {
                let kind = classify(response.status, &meta, &message);
                Error::new(kind, message).with_meta(meta)
            }
            None if response.status == 429 => {
                Error::new(ErrorKind::RateLimited, "rate limited (HTTP 429)")
            }
            None if response.status >= 500 => Error::new(
                ErrorKind::Transient,
                format!(
                    "Meta answered HTTP {} without an error body",
                    response.status
                ),
            ),
            None => unexpected_body(response),
        };
        error.status = Some(response.status);
        if error.retry_after.is_none() {
            error.retry_after = retry_after;
        }
        error
    }

    /// A 2xx response whose body is not the documented shape.
    pub fn unexpected(response: &Response, what: &str) -> Error {
        let mut e = unexpected_body(response);
        e.message = format!("{what}: {}", e.message);
        e.with_status(response.status)
    }
}

/// Reads either error shape; `None` when the body is not a JSON error.
fn parse_error_body(body: &str) -> Option<(String, MetaError)> {
    let body = json::parse(body)?;
    let root = Fields::root(&body, "body").ok()?;
    if let Ok(Some(graph)) = root.opt_object("error") {
        if let Ok(found) = graph_error(&graph) {
            return Some(found);
        }
    }
    let flat = || -> Result<Option<(String, MetaError)>, Error> {
        let error_type = root.opt_string("error_type")?;
        let code = root.opt_i64("code")?;
        let message = root.opt_string("error_message")?;
        if error_type.is_none() && message.is_none() {
            return Ok(None);
        }
        let meta = MetaError {
            code,
            error_type,
            ..MetaError::default()
        };
        Ok(Some((
            message.unwrap_or_else(|| "OAuth error".to_owned()),
            meta,
        )))
    };
    flat().ok().flatten()
}

/// The Graph API's error object (`{"message","type","code",...}`); a field
/// of another type than documented makes it not one.
fn graph_error(g: &Fields) -> Result<(String, MetaError), Error> {
    let message = g
        .opt_string("message")?
        .unwrap_or_else(|| "Graph API error".to_owned());
    let meta = MetaError {
        code: g.opt_i64("code")?,
        subcode: g.opt_i64("error_subcode")?,
        error_type: g.opt_string("type")?,
        fbtrace_id: g.opt_string("fbtrace_id")?,
        is_transient: g.opt_bool("is_transient")?,
        user_title: g.opt_string("error_user_title")?,
        user_message: g.opt_string("error_user_msg")?,
    };
    Ok((message, meta))
}

/// `Retry-After` (seconds), else the largest
/// `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`.
fn retry_after(response: &Response) -> Option<Duration> {
    if let Some(v) = response.header("retry-after") {
        if let Ok(secs) = v.trim().parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
    }
    let usage = response.header("x-business-use-case-usage")?;
    let value = json::parse(usage)?;
    let minutes = value
        .as_object()?
        .values()
        .filter_map(|v| v.as_array())
        .flatten()
        .filter_map(|entry| entry.get("estimated_time_to_regain_access")?.as_u64())
        .max()?;
    (minutes > 0).then(|| Duration::from_secs(minutes * 60))
}

fn unexpected_body(response: &Response) -> Error {
    let content_type = response
        .header("content-type")
        .unwrap_or("unknown content type");
    let looks_html = response.body.trim_start().starts_with('<');
    let what = if response.body.is_empty() {
        "an empty body".to_owned()
    } else if looks_html {
        format!("an HTML page ({} bytes)", response.body.len())
    } else {
        format!(
            "a body that is not the documented JSON ({} bytes, {content_type})",
            response.body.len()
        )
    };
    Error::new(
        ErrorKind::UnexpectedResponse,
        format!("Meta answered HTTP {} with {what}", response.status),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct T {
        user_id: String,
    }

    fn t(fields: &Fields) -> Result<T, Error> {
        Ok(T {
            user_id: fields.id("user_id")?,
        })
    }

    #[test]
    fn parse_success_maps_failures() {
        let ok: Result<T, _> = parse_success(&Response::new(200, r#"{"user_id":"1"}"#), "x", t);
        assert_eq!(ok.unwrap().user_id, "1");
        let e = parse_success(&Response::new(200, "<html>"), "profile", t)
            .err()
            .unwrap();
        assert_eq!(e.kind, crate::core::error::ErrorKind::UnexpectedResponse);
        assert!(e.message.starts_with("profile:"), "{}", e.message);
        let e = parse_success(
            &Response::new(200, r#"{"error":{"message":"m","code":190}}"#),
            "x",
            t,
        )
        .err()
        .unwrap();
        assert_eq!(e.kind, crate::core::error::ErrorKind::InvalidToken);
    }

    #[test]
    fn every_reader_finds_either_error_shape_in_a_2xx() {
        // The old publish reader only looked for a body starting `{"error"`.
        let spaced = Response::new(200, r#"{ "error": {"message":"m","code":190} }"#);
        assert_eq!(
            parse_success(&spaced, "x", t).unwrap_err().kind,
            ErrorKind::InvalidToken
        );
        let flat = Response::new(
            200,
            r#"{"error_type":"OAuthException","code":400,"error_message":"Invalid platform app"}"#,
        );
        let e = parse_success(&flat, "x", t).unwrap_err();
        assert_eq!(e.code(), Some(400));
        assert_eq!(e.message, "Invalid platform app");
    }
}
