//! One JSON log line per request and per cron run.
//!
//! Lines carry what an operator needs (route, status, duration, account
//! id, error kind, counts) and never a token, code, cookie or secret: the
//! fields are typed here, and nothing copies request bodies or headers in.
//! The Worker prints them with `console.log` (Workers Logs indexes JSON);
//! tests collect them and scan them for secrets.

use serde::Serialize;

/// Where log lines go.
pub trait LogSink {
    fn line(&self, line: &str);
}

/// Prints nothing (benchmarks).
pub struct NoLog;

impl LogSink for NoLog {
    fn line(&self, _: &str) {}
}

/// The request line.
#[derive(Serialize)]
pub struct RequestLog<'a> {
    pub event: &'static str,
    pub method: &'a str,
    /// The route pattern (`/api/accounts/{id}`), not the raw path.
    pub route: &'a str,
    pub status: u16,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fbtrace_id: Option<&'a str>,
}

/// Writes a serializable record (a JSON object) as one line, tagged with
/// `ts`. Serialized once, straight to text: not through a
/// `serde_json::Value` map first (a line per request; `scripts/profile-worker.mjs`).
pub fn emit(sink: &dyn LogSink, ts_ms: u64, record: &impl Serialize) {
    let mut line = serde_json::to_string(record).unwrap_or_else(|_| "{}".to_owned());
    // `ts` goes in before the object's closing brace.
    if line.ends_with('}') {
        line.pop();
        if line.len() > 1 {
            line.push(',');
        }
        line.push_str("\"ts\":\"");
        line.push_str(&crate::core::time::Timestamp::from_millis(ts_ms).to_rfc3339());
        line.push_str("\"}");
    }
    sink.line(&line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::cell::RefCell;

    struct Lines(RefCell<Vec<String>>);
    impl LogSink for Lines {
        fn line(&self, line: &str) {
            self.0.borrow_mut().push(line.to_owned());
        }
    }

    #[test]
    fn a_line_is_the_record_with_its_timestamp() {
        let lines = Lines(RefCell::new(Vec::new()));
        emit(&lines, 0, &json!({"event": "cron", "n": 2}));
        emit(&lines, 1_000, &json!({}));
        let lines = lines.0.into_inner();
        let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(
            first,
            json!({"event": "cron", "n": 2, "ts": "1970-01-01T00:00:00.000Z"})
        );
        assert_eq!(lines[1], r#"{"ts":"1970-01-01T00:00:01.000Z"}"#);
    }
}
