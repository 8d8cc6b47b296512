//! Webhook delivery: verified Meta events go to the operator's endpoint
//! (`WEBHOOK_FORWARD_URL`), signed with the operator's key, at least once.
//!
//! `POST /webhooks/instagram` answers Meta 200 first; after the answer
//! (`waitUntil`) each entry becomes an [`OutboxEvent`] handed to its
//! account's object, which keeps it in a durable outbox (its storage) and
//! sends it; a failed send is retried with doubling waits
//! (`WEBHOOK_RETRY_BASE_SECONDS`, at most an hour apart) at the object's
//! alarm, and kept for [`EVENT_RETENTION`]. Each event has an `id` (a digest
//! of the account and the entry), the same on every attempt, for the
//! receiver to drop repeats.
//!
//! A delivery is `POST {url}` with the JSON event and the headers
//! `x-instagate-event-id: {id}` and
//! `x-instagate-signature: t={unix seconds},v1={hex HMAC-SHA256(key, "{t}.{body}")}`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::http::{Method, Request, Transport};
use crate::core::time::Timestamp;
use crate::service::config::WebhookForward;
use crate::service::crypto::{b64url, hmac_sha256, sha256};

/// How long an undelivered event is kept and retried.
pub const EVENT_RETENTION: Duration = Duration::from_secs(72 * 3600);
/// The longest wait between two attempts.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(3600);
/// The delivery headers.
pub const ID_HEADER: &str = "x-instagate-event-id";
pub const SIGNATURE_HEADER: &str = "x-instagate-signature";

/// One event for the operator: one entry of a Meta delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    pub id: String,
    pub account_id: String,
    /// The JSON body sent.
    pub body: String,
}

/// An event waiting in an account's outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub event: OutboxEvent,
    pub first_at: Timestamp,
    pub next_at: Timestamp,
    pub attempts: u32,
    pub retry_base_ms: u64,
}

impl Pending {
    pub fn new(event: OutboxEvent, now: Timestamp, retry_base: Duration) -> Pending {
        Pending {
            event,
            first_at: now,
            next_at: now,
            attempts: 0,
            retry_base_ms: retry_base.as_millis() as u64,
        }
    }

    /// After a failed attempt: when to try again, or `None` when the event
    /// is past [`EVENT_RETENTION`] (dropped).
    pub fn failed(&mut self, now: Timestamp) -> Option<Timestamp> {
        self.attempts += 1;
        let doubling = 1u64 << self.attempts.saturating_sub(1).min(20);
        let wait =
            Duration::from_millis(self.retry_base_ms.saturating_mul(doubling)).min(MAX_RETRY_WAIT);
        let next = now.plus(wait);
        (next <= self.first_at.plus(EVENT_RETENTION)).then(|| {
            self.next_at = next;
            next
        })
    }
}

/// The events of a verified Meta delivery, one per entry, grouped by the
/// account the entry names (`entry[].id`).
pub fn events_of(body: &[u8], received_at: Timestamp) -> Vec<OutboxEvent> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let object = value.get("object").cloned().unwrap_or(Value::Null);
    let entries = value
        .get("entry")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    entries
        .into_iter()
        .filter_map(|entry| {
            let account = match entry.get("id") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return None,
            };
            let text = serde_json::to_string(&entry).unwrap_or_default();
            let id = b64url(&sha256(format!("{account}\n{text}").as_bytes()))[..22].to_owned();
            let body = json!({
                "id": id,
                "account_id": account,
                "object": object,
                "received_at": received_at.to_rfc3339(),
                "entry": entry,
            });
            Some(OutboxEvent {
                id,
                account_id: account,
                body: body.to_string(),
            })
        })
        .collect()
}

/// The signature header value for `body` sent at `at`.
pub fn signature(key: &[u8], at: Timestamp, body: &str) -> String {
    let t = at.as_millis() / 1000;
    let mac = hmac_sha256(key, format!("{t}.{body}").as_bytes());
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// Sends one event; `Ok` when the endpoint answered 2xx.
pub async fn send<T: Transport>(
    transport: &T,
    forward: &WebhookForward,
    event: &OutboxEvent,
) -> Result<(), String> {
    let now = transport.now();
    let request = Request {
        method: Method::Post,
        url: forward.url.clone(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (ID_HEADER.into(), event.id.clone()),
            (
                SIGNATURE_HEADER.into(),
                signature(forward.key.expose_secret().as_bytes(), now, &event.body),
            ),
        ],
        body: Some(event.body.clone()),
        bytes: None,
    };
    match transport.send(request).await {
        Ok(r) if (200..300).contains(&r.status) => Ok(()),
        Ok(r) => Err(format!("the endpoint answered {}", r.status)),
        Err(e) => Err(e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_one_per_entry_with_a_stable_id() {
        let body = br#"{"object":"instagram","entry":[{"id":"17841400000000001","time":1,"changes":[{"field":"comments"}]},{"id":"17841400000000002","time":2}]}"#;
        let a = events_of(body, Timestamp::from_secs(10));
        let b = events_of(body, Timestamp::from_secs(99));
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].account_id, "17841400000000001");
        assert_eq!(a[0].id, b[0].id, "the id names the event, not the attempt");
        assert_ne!(a[0].id, a[1].id);
        let sent: Value = serde_json::from_str(&a[0].body).unwrap();
        assert_eq!(sent["id"], a[0].id);
        assert_eq!(sent["entry"]["changes"][0]["field"], "comments");
        assert!(events_of(b"not json", Timestamp::from_secs(1)).is_empty());
    }

    #[test]
    fn retries_double_up_to_an_hour_and_stop_after_the_retention() {
        let start = Timestamp::from_secs(1_000);
        let event = OutboxEvent {
            id: "x".into(),
            account_id: "1".into(),
            body: "{}".into(),
        };
        let mut p = Pending::new(event, start, Duration::from_secs(30));
        let mut now = start;
        let mut waits = Vec::new();
        while let Some(next) = p.failed(now) {
            waits.push(next.since(now).as_secs());
            now = next;
        }
        assert_eq!(&waits[..4], &[30, 60, 120, 240]);
        assert!(waits.iter().all(|w| *w <= 3600));
        assert!(now <= start.plus(EVENT_RETENTION));
        assert!(now.plus(MAX_RETRY_WAIT) > start.plus(EVENT_RETENTION));
    }

    #[test]
    fn the_signature_is_hmac_of_time_dot_body() {
        let s = signature(b"k", Timestamp::from_secs(1_700_000_000), "{}");
        let mac = hmac_sha256(b"k", b"1700000000.{}");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(s, format!("t=1700000000,v1={hex}"));
    }
}
