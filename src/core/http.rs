//! Plain HTTP values and the [`Transport`] trait: the only door between the
//! pure core and the outside world.
//!
//! Every Instagram call in the core is a function that builds a [`Request`]
//! and a function that reads a [`Response`]; neither does I/O. Multi-step
//! flows are `async fn`s generic over a `Transport`, which a driver implements
//! with the platform's `fetch` (browser, Node, Worker) and tests implement with
//! a scripted fake. Randomness and time come through the same trait so that a
//! flow is fully deterministic under test.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::core::error::Error;
use crate::core::time::Timestamp;

/// The HTTP methods the Graph and OAuth endpoints use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// An outgoing request. The URL is complete (query string included); a
/// `Post` carries an `application/x-www-form-urlencoded` body, which is what
/// every Graph endpoint we call accepts, or (the video upload to the rupload
/// host only) raw bytes in `bytes`.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// A binary body (`application/octet-stream`); `body` is then `None`.
    pub bytes: Option<Vec<u8>>,
}

impl Request {
    /// A GET of `base` with `params` as the query string.
    pub fn get(base: &str, params: &[(&str, &str)]) -> Request {
        Request {
            method: Method::Get,
            url: with_query(base, params),
            headers: Vec::new(),
            body: None,
            bytes: None,
        }
    }

    /// A POST of `params` as a form body to `url`.
    pub fn post_form(url: &str, params: &[(&str, &str)]) -> Request {
        Request {
            method: Method::Post,
            url: url.to_owned(),
            headers: vec![(
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            )],
            body: Some(encode_form(params)),
            bytes: None,
        }
    }

    /// A POST of raw `bytes` to `url` with `headers` (the video upload).
    pub fn post_bytes(url: &str, headers: Vec<(String, String)>, bytes: Vec<u8>) -> Request {
        let mut headers = headers;
        headers.push((
            "content-type".to_owned(),
            "application/octet-stream".to_owned(),
        ));
        Request {
            method: Method::Post,
            url: url.to_owned(),
            headers,
            body: None,
            bytes: Some(bytes),
        }
    }

    /// A header value, looked up case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The query and form parameters of this request, decoded. Used by tests
    /// and by the scripted transport to match calls.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some((_, query)) = self.url.split_once('?') {
            out.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
        }
        if let Some(body) = &self.body {
            out.extend(form_urlencoded::parse(body.as_bytes()).into_owned());
        }
        out
    }

    /// The URL without its query string.
    pub fn path(&self) -> &str {
        self.url.split_once('?').map_or(&self.url, |(p, _)| p)
    }
}

/// Requests carry secrets (client secret, tokens, codes) in the URL, the
/// headers or the body, so `Debug` shows only the method and the URL's path.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path())
            .field("params", &"[redacted]")
            .finish()
    }
}

/// A received response: status, headers and the whole body as text.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn new(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Response bodies can hold tokens; `Debug` shows the status and length only.
impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// What the core needs from its environment. Implemented by the `fetch`
/// driver in `js`, the Worker's `Fetch` driver, and test fakes.
///
/// The futures are not required to be `Send`: on wasm they hold JS values.
pub trait Transport {
    /// Sends one request. A transport failure (DNS, reset, timeout, abort) is
    /// an `Err` of kind `Transport`/`Timeout`; any HTTP status is an `Ok`.
    fn send(&self, request: Request) -> impl Future<Output = Result<Response, Error>>;

    /// Waits for `duration` (backoff between retries, container polling).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;

    /// The current time.
    fn now(&self) -> Timestamp;

    /// Fills `buf` with cryptographically secure random bytes (state, PKCE
    /// verifier, backoff jitter). Drivers use `crypto.getRandomValues`.
    fn fill_random(&self, buf: &mut [u8]);
}

/// A borrowed transport is a transport (wrappers such as
/// [`SignedGraph`](crate::core::appsecret_proof::SignedGraph) can hold `&T`).
impl<T: Transport> Transport for &T {
    fn send(&self, request: Request) -> impl Future<Output = Result<Response, Error>> {
        (**self).send(request)
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        (**self).sleep(duration)
    }

    fn now(&self) -> Timestamp {
        (**self).now()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        (**self).fill_random(buf)
    }
}

/// `base?k=v&...`, form-encoded; `base` may already carry a query string.
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return base.to_owned();
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{}", encode_form(params))
}

/// `application/x-www-form-urlencoded` serialization.
pub fn encode_form(params: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_appends_an_encoded_query() {
        let r = Request::get("https://h/x", &[("a", "1 2"), ("b", "é&=")]);
        assert_eq!(r.url, "https://h/x?a=1+2&b=%C3%A9%26%3D");
        assert_eq!(
            r.params(),
            vec![("a".into(), "1 2".into()), ("b".into(), "é&=".into())]
        );
    }

    #[test]
    fn query_joins_an_existing_query() {
        assert_eq!(
            with_query("https://h/x?v=1", &[("a", "b")]),
            "https://h/x?v=1&a=b"
        );
        assert_eq!(with_query("https://h/x", &[]), "https://h/x");
    }

    #[test]
    fn debug_never_shows_params_or_body() {
        let r = Request::post_form("https://h/t", &[("client_secret", "s3cr3t")]);
        let s = format!("{r:?}");
        assert!(!s.contains("s3cr3t"), "{s}");
        let resp = Response::new(200, r#"{"access_token":"IGQVJtok"}"#);
        assert!(!format!("{resp:?}").contains("IGQVJ"));
    }

    #[test]
    fn headers_are_case_insensitive() {
        let r = Response::new(429, "").with_header("Retry-After", "30");
        assert_eq!(r.header("retry-after"), Some("30"));
        assert_eq!(r.header("x"), None);
    }
}
