//! A request's or response's head (method, URL parts or status, headers)
//! as one string of `\n`-separated lines: how the Worker moves it across
//! the wasm/JavaScript boundary in one call each way (`src/worker/exchange.rs`
//! for its own requests, `src/worker/transport.rs` for calls to Meta,
//! `src/worker/bridge.js`) instead of one call per header. No header name or
//! value can hold a line break (the Fetch standard forbids CR, LF and NUL in
//! them), nor can a serialized URL.

use crate::service::http::{HttpRequest, HttpResponse};

/// The request of a head `METHOD\norigin\npathname\nsearch\nname\nvalue...`
/// (the search with its `?`, or empty), without a body; `None` when a part
/// is missing.
pub fn request_from_head(head: &str) -> Option<HttpRequest> {
    let mut lines = head.split('\n');
    let method = lines.next()?.to_ascii_uppercase();
    let origin = lines.next()?.to_owned();
    let path = lines.next()?.to_owned();
    let search = lines.next()?;
    let query = search.strip_prefix('?').unwrap_or(search).to_owned();
    Some(HttpRequest {
        method,
        origin,
        path,
        query,
        headers: split_headers(lines)?,
        body: Vec::new(),
    })
}

/// The status and headers of an answer's head `status\nname\nvalue...`.
pub fn status_and_headers(head: &str) -> Option<(u16, Vec<(String, String)>)> {
    let mut lines = head.split('\n');
    let status = lines.next()?.parse().ok()?;
    Some((status, split_headers(lines)?))
}

/// Name and value lines in pairs; `None` when the last name has no value.
fn split_headers<'a>(mut lines: impl Iterator<Item = &'a str>) -> Option<Vec<(String, String)>> {
    let mut headers = Vec::new();
    while let Some(name) = lines.next() {
        headers.push((name.to_owned(), lines.next()?.to_owned()));
    }
    Some(headers)
}

/// The response's headers as `name\nvalue\n...` (a name may repeat, e.g.
/// `Set-Cookie`); `None` when one holds a line break, which no response
/// can carry.
pub fn response_head(response: &HttpResponse) -> Option<String> {
    join_headers(&response.headers)
}

/// Headers as `name\nvalue\n...`; `None` when one holds a line break.
pub fn join_headers(headers: &[(String, String)]) -> Option<String> {
    let mut head = String::new();
    for (name, value) in headers {
        if name.contains('\n') || value.contains('\n') {
            return None;
        }
        if !head.is_empty() {
            head.push('\n');
        }
        head.push_str(name);
        head.push('\n');
        head.push_str(value);
    }
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_head_splits_into_its_parts() {
        let req = request_from_head(
            "post\nhttps://w.example\n/auth/pending\n?a=1\ncontent-type\napplication/json\ncookie\nx=1; y=2",
        )
        .unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.origin, "https://w.example");
        assert_eq!(req.path, "/auth/pending");
        assert_eq!(req.query, "a=1");
        assert_eq!(req.header("Content-Type"), Some("application/json"));
        assert_eq!(req.cookie("y"), Some("2"));
        assert_eq!(req.headers.len(), 2);
        let bare = request_from_head("GET\nhttp://h\n/\n").unwrap();
        assert_eq!((bare.query.as_str(), bare.headers.len()), ("", 0));
        assert!(request_from_head("GET\nhttp://h").is_none());
        assert!(request_from_head("GET\nhttp://h\n/\n\nname-without-value").is_none());
    }

    #[test]
    fn a_response_head_keeps_repeated_headers_and_refuses_line_breaks() {
        let r = HttpResponse::redirect("https://app.example/x")
            .with_header("set-cookie", "a=1")
            .with_header("set-cookie", "b=2");
        assert_eq!(
            response_head(&r).unwrap(),
            "location\nhttps://app.example/x\ncache-control\nno-store\nset-cookie\na=1\nset-cookie\nb=2"
        );
        assert_eq!(response_head(&HttpResponse::new(204)).unwrap(), "");
        let bad = HttpResponse::new(200).with_header("x-a", "1\nx-b: 2");
        assert!(response_head(&bad).is_none());
    }

    #[test]
    fn an_answer_head_gives_its_status_and_headers() {
        let (status, headers) =
            status_and_headers("400\ncontent-type\napplication/json\nwww-authenticate\nOAuth")
                .unwrap();
        assert_eq!(status, 400);
        assert_eq!(headers[1], ("www-authenticate".into(), "OAuth".into()));
        assert_eq!(status_and_headers("204").unwrap(), (204, Vec::new()));
        assert!(status_and_headers("ok\na\nb").is_none());
        assert!(status_and_headers("200\nname-without-value").is_none());
    }
}
