//! The Worker's incoming requests and outgoing responses as plain values:
//! method, path, query, headers and body bytes in; status, headers (several
//! `Set-Cookie` allowed) and body bytes out. The workers-rs adapter converts
//! to and from these, so every route is tested natively.

use serde::Serialize;

use crate::service::error::ApiError;

/// An incoming request.
#[derive(Clone, Debug, Default)]
pub struct HttpRequest {
    /// Upper-case method (`GET`, `POST`, ...).
    pub method: String,
    /// `scheme://host[:port]` the request arrived at, used for links the
    /// Worker hands out (the data-deletion status URL).
    pub origin: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names as sent; looked up case-insensitively.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A request from a full URL (`http://host/path?query`), for tests and adapters.
    pub fn new(method: &str, url: &str) -> HttpRequest {
        let (origin, rest) = split_origin(url);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        HttpRequest {
            method: method.to_ascii_uppercase(),
            origin: origin.to_owned(),
            path: if path.is_empty() { "/" } else { path }.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> HttpRequest {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> HttpRequest {
        self.body = body.into();
        self
    }

    /// A JSON body with its content type.
    pub fn with_json(self, value: &serde_json::Value) -> HttpRequest {
        self.with_header("content-type", "application/json")
            .with_body(value.to_string())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a query parameter, decoded.
    pub fn query_all(&self, name: &str) -> Vec<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    }

    /// A query parameter that must appear at most once; a repeated one is
    /// refused (parameter pollution is a classic way around checks).
    pub fn query_param(&self, name: &str) -> Result<Option<String>, ApiError> {
        let mut all = self.query_all(name);
        match all.len() {
            0 => Ok(None),
            1 => Ok(all.pop()),
            _ => Err(ApiError::invalid_input(
                name,
                format!("query parameter {name} is repeated"),
            )),
        }
    }

    /// The value of cookie `name` from the `Cookie` header.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, ApiError> {
        std::str::from_utf8(&self.body)
            .map_err(|_| ApiError::invalid_input("body", "the body is not UTF-8 text"))
    }

    /// The body as JSON of type `T`; the error names what is wrong.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        let content_type = self.header("content-type").unwrap_or("");
        if !content_type
            .to_ascii_lowercase()
            .starts_with("application/json")
        {
            return Err(ApiError::invalid_input(
                "content-type",
                "send the body as application/json",
            ));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::invalid_input("body", format!("the JSON body is not valid: {e}"))
        })
    }

    /// The `application/x-www-form-urlencoded` body's field `name`.
    pub fn form_field(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

fn split_origin(url: &str) -> (&str, &str) {
    let Some(scheme_end) = url.find("://") else {
        return ("", url);
    };
    let after = scheme_end + 3;
    match url[after..].find(['/', '?']) {
        Some(i) => url.split_at(after + i),
        None => (url, "/"),
    }
}

/// Work the Worker should finish after answering (`ctx.waitUntil`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Background {
    /// Keep advancing this publish job (in its account's object).
    AdvanceJob { account: String, job: String },
    /// A login stored this account: its object sets its alarm for the
    /// token's first refresh (after the answer, so the login waits for no
    /// object). `due_at`: that refresh's time, as the login stored it (the
    /// object may not see the new record yet: see `AccountWork::Connected`).
    Wake {
        account: String,
        due_at: Option<crate::core::time::Timestamp>,
        /// The login's time as the stored record has it
        /// (`AccountRecord::last_login`, so the object need not read it:
        /// see `AccountWork::Connected`).
        connected_at: Option<crate::core::time::Timestamp>,
    },
    /// Verified webhook events for this account: into its object's outbox.
    Deliver {
        account: String,
        events: Vec<crate::service::delivery::OutboxEvent>,
    },
    /// Delete an index entry no record points at any more (a login moved
    /// the account's `due:` entry); the cron drops it if this fails.
    DropIndexEntry(String),
    /// Delete an alias entry a reconnected account's record no longer has
    /// (a stale alias deletes nothing: `service::deletion` goes by the
    /// records), after the answer.
    DropAliasEntry(String),
}

/// A body the runtime streams to the client instead of `body` (an R2
/// object's `ReadableStream` on the Worker): opaque here, the adapter that
/// made it takes it back ([`StreamedBody::take`]).
#[derive(Clone)]
pub struct StreamedBody(std::rc::Rc<dyn std::any::Any>);

impl StreamedBody {
    pub fn new<B: 'static>(body: B) -> StreamedBody {
        StreamedBody(std::rc::Rc::new(body))
    }

    /// The body, if it is a `B`.
    pub fn take<B: Clone + 'static>(&self) -> Option<B> {
        self.0.downcast_ref::<B>().cloned()
    }
}

impl std::fmt::Debug for StreamedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamedBody(..)")
    }
}

impl PartialEq for StreamedBody {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StreamedBody {}

/// An outgoing response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sent instead of `body` when set.
    pub stream: Option<StreamedBody>,
    /// Not sent: what to keep doing after the answer is out.
    pub background: Vec<Background>,
}

impl HttpResponse {
    pub fn new(status: u16) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            stream: None,
            background: Vec::new(),
        }
    }

    /// A JSON answer. `no-store`: API answers describe accounts and must
    /// not sit in shared caches.
    pub fn json(status: u16, value: &impl Serialize) -> HttpResponse {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        HttpResponse::new(status)
            .with_header("content-type", "application/json; charset=utf-8")
            .with_header("cache-control", "no-store")
            .with_body(body)
    }

    /// The JSON error body with its status and, when known, `Retry-After`.
    pub fn error(error: &ApiError) -> HttpResponse {
        let mut r = HttpResponse::json(error.status, &error.body());
        if let Some(after) = error.retry_after {
            r = r.with_header("retry-after", &after.as_secs().max(1).to_string());
        }
        r
    }

    /// A 302 to `location`.
    pub fn redirect(location: &str) -> HttpResponse {
        HttpResponse::new(302)
            .with_header("location", location)
            .with_header("cache-control", "no-store")
    }

    /// A small HTML page (escaped text), for browser-facing errors.
    pub fn html_page(status: u16, title: &str, message: &str) -> HttpResponse {
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
             <meta name=\"viewport\" content=\"width=device-width\"></head>\
             <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem\">\
             <h1>{t}</h1><p>{m}</p></body></html>",
            t = escape_html(title),
            m = escape_html(message)
        );
        HttpResponse::new(status)
            .with_header("content-type", "text/html; charset=utf-8")
            .with_header("cache-control", "no-store")
            .with_header(
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'",
            )
            .with_body(body)
    }

    pub fn text(status: u16, text: &str) -> HttpResponse {
        HttpResponse::new(status)
            .with_header("content-type", "text/plain; charset=utf-8")
            .with_body(text.as_bytes().to_vec())
    }

    pub fn with_header(mut self, name: &str, value: &str) -> HttpResponse {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> HttpResponse {
        self.body = body.into();
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header (`Set-Cookie` may appear several times).
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body parsed as JSON (tests).
    pub fn json_body(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_url_query_and_cookies() {
        let r = HttpRequest::new("get", "https://w.example/auth/callback?code=a%20b&state=s")
            .with_header("Cookie", "x=1; __Host-k=v.w ; y=2");
        assert_eq!(r.method, "GET");
        assert_eq!(r.origin, "https://w.example");
        assert_eq!(r.path, "/auth/callback");
        assert_eq!(r.query_param("code").unwrap().as_deref(), Some("a b"));
        assert_eq!(r.cookie("__Host-k"), Some("v.w"));
        assert_eq!(r.cookie("z"), None);
        let r = HttpRequest::new("GET", "http://h:8787?state=a&state=b");
        assert_eq!(r.path, "/");
        assert_eq!(
            r.query_param("state").unwrap_err().field.as_deref(),
            Some("state")
        );
    }

    #[test]
    fn json_requires_the_content_type() {
        let r = HttpRequest::new("POST", "http://h/x").with_body("{}");
        let e = r.json::<serde_json::Value>().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("content-type"));
        let r = HttpRequest::new("POST", "http://h/x")
            .with_header("Content-Type", "application/json")
            .with_body("{nope");
        assert_eq!(r.json::<serde_json::Value>().unwrap_err().status, 400);
    }

    #[test]
    fn html_is_escaped() {
        let r = HttpResponse::html_page(400, "<t>", "a \"b\" & <script>");
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.contains("&lt;script&gt;"));
        assert!(!body.contains("<script>"));
    }
}
