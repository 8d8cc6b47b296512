//! One JSON log line per request and per cron run.
//!
//! Lines carry what an operator needs (route, status, duration, account
//! id, error kind, counts) and never a token, code, cookie or secret: the
//! fields are typed here, and nothing copies request bodies or headers in.
//! The Worker prints them with `console.log` (Workers Logs indexes JSON);
//! tests collect them and scan them for secrets.

use serde::Serialize;
use serde_json::json;

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

/// Writes a serializable record as one line, tagged with `ts`.
pub fn emit(sink: &dyn LogSink, ts_ms: u64, record: &impl Serialize) {
    let mut value = serde_json::to_value(record).unwrap_or_else(|_| json!({}));
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "ts".into(),
            json!(crate::core::time::Timestamp::from_millis(ts_ms).to_rfc3339()),
        );
    }
    sink.line(&value.to_string());
}
