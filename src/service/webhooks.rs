//! Requests Meta makes to the Worker: webhook verification and events, and
//! the `signed_request` callbacks for deauthorization and data deletion.
//!
//! - Webhooks (<https://developers.facebook.com/docs/graph-api/webhooks/getting-started>,
//!   <https://developers.facebook.com/docs/instagram-platform/webhooks>):
//!   `GET` with `hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`
//!   is answered with the challenge when the token matches; each `POST`
//!   carries `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body
//!   with the app secret>`, checked before the body is even parsed.
//! - `signed_request` (deauthorize and data-deletion callbacks,
//!   <https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback/>):
//!   a form field `signed_request=base64url(sig).base64url(payload)` where
//!   `sig` is the HMAC-SHA256 of the *encoded* payload with the app secret
//!   and the payload JSON names `"algorithm":"HMAC-SHA256"` and the
//!   app-scoped `user_id`. The data-deletion answer is
//!   `{"url": <status page>, "confirmation_code": <code>}`.

use serde::Deserialize;
use serde_json::Value;

use crate::core::secret::ClientSecret;
use crate::service::crypto::{b64url_decode, verify_hmac_sha256};
use crate::service::error::ApiError;

/// A verified `signed_request`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRequest {
    /// The app-scoped user ID Meta names.
    pub user_id: String,
    pub issued_at: Option<u64>,
}

/// Verifies and decodes a `signed_request` against any of `secrets` (one
/// per served product). Every failure is `unauthorized` and says why,
/// without echoing the input.
pub fn parse_signed_request(
    signed: &str,
    secrets: &[&ClientSecret],
) -> Result<SignedRequest, ApiError> {
    let bad = |why: &str| ApiError::unauthorized(format!("signed_request rejected: {why}"));
    let (sig_b64, payload_b64) = signed
        .trim()
        .split_once('.')
        .ok_or_else(|| bad("expected two base64url parts joined by '.'"))?;
    if sig_b64.is_empty() || payload_b64.is_empty() || payload_b64.contains('.') {
        return Err(bad("expected two base64url parts joined by '.'"));
    }
    let sig = b64url_decode(sig_b64).ok_or_else(|| bad("the signature is not base64url"))?;
    // The HMAC covers the payload exactly as sent (still encoded).
    let signed_ok = secrets.iter().any(|secret| {
        verify_hmac_sha256(
            secret.expose_secret().as_bytes(),
            payload_b64.as_bytes(),
            &sig,
        )
    });
    if !signed_ok {
        return Err(bad("the signature does not match the app secret"));
    }
    #[derive(Deserialize)]
    struct Payload {
        algorithm: Option<String>,
        user_id: Option<Value>,
        issued_at: Option<u64>,
    }
    let payload: Payload = b64url_decode(payload_b64)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad("the payload is not base64url JSON"))?;
    if !payload
        .algorithm
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("HMAC-SHA256"))
    {
        return Err(bad("algorithm must be HMAC-SHA256"));
    }
    let user_id = match payload.user_id {
        Some(Value::String(s)) if crate::service::accounts::valid_id(&s) => s,
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        _ => return Err(bad("user_id is missing or not an ID")),
    };
    Ok(SignedRequest {
        user_id,
        issued_at: payload.issued_at,
    })
}

/// Checks `X-Hub-Signature-256` (`sha256=<hex>`) over the raw `body`.
pub fn verify_hub_signature(
    header: Option<&str>,
    body: &[u8],
    secrets: &[&ClientSecret],
) -> Result<(), ApiError> {
    let header = header.ok_or_else(|| {
        ApiError::unauthorized("X-Hub-Signature-256 is missing: only Meta may post events")
    })?;
    let hex = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or_else(|| ApiError::unauthorized("X-Hub-Signature-256 must start with sha256="))?;
    let tag = decode_hex(hex)
        .filter(|t| t.len() == 32)
        .ok_or_else(|| ApiError::unauthorized("X-Hub-Signature-256 is not a SHA-256 hex digest"))?;
    let ok = secrets
        .iter()
        .any(|s| verify_hmac_sha256(s.expose_secret().as_bytes(), body, &tag));
    if ok {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "X-Hub-Signature-256 does not match the body and the app secret",
        ))
    }
}

/// A summary of a verified event delivery, for the log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventSummary {
    pub object: String,
    pub entries: usize,
    pub fields: Vec<String>,
}

/// Reads the event JSON (`{"object", "entry":[{"id","time","changes":[{"field","value"}]}]}`).
pub fn summarize_events(body: &[u8]) -> Result<EventSummary, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::invalid_input("body", "the event body is not JSON"))?;
    let object = value
        .get("object")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid_input("object", "the event has no object"))?
        .to_owned();
    let entries = value
        .get("entry")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut fields: Vec<String> = entries
        .iter()
        .flat_map(|e| {
            let changes = e
                .get("changes")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let messaging = e
                .get("messaging")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            changes
                .into_iter()
                .filter_map(|c| c.get("field").and_then(Value::as_str).map(str::to_owned))
                .chain((messaging > 0).then(|| "messaging".to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    fields.sort();
    fields.dedup();
    Ok(EventSummary {
        object,
        entries: entries.len(),
        fields,
    })
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::crypto::{b64url, hmac_sha256};

    fn sign(secret: &str, payload: &str) -> String {
        let p = b64url(payload.as_bytes());
        format!(
            "{}.{p}",
            b64url(&hmac_sha256(secret.as_bytes(), p.as_bytes()))
        )
    }

    #[test]
    fn signed_request_round_trip_and_forgeries() {
        let secret = ClientSecret::new("standin-app-secret");
        let secrets = [&secret];
        let ok = sign(
            "standin-app-secret",
            r#"{"algorithm":"HMAC-SHA256","issued_at":1795000000,"user_id":"17841400000000001"}"#,
        );
        let r = parse_signed_request(&ok, &secrets).unwrap();
        assert_eq!(r.user_id, "17841400000000001");
        assert_eq!(r.issued_at, Some(1_795_000_000));
        // Meta pads the signature with '=' sometimes.
        let (s, p) = ok.split_once('.').unwrap();
        assert!(parse_signed_request(&format!("{s}=.{p}"), &secrets).is_ok());

        let cases = [
            sign(
                "another-secret",
                r#"{"algorithm":"HMAC-SHA256","user_id":"1"}"#,
            ),
            sign(
                "standin-app-secret",
                r#"{"algorithm":"none","user_id":"1"}"#,
            ),
            sign("standin-app-secret", r#"{"user_id":"1"}"#),
            sign("standin-app-secret", r#"{"algorithm":"HMAC-SHA256"}"#),
            sign(
                "standin-app-secret",
                r#"{"algorithm":"HMAC-SHA256","user_id":"1:2"}"#,
            ),
            sign("standin-app-secret", "not json"),
            format!(
                "{s}.{}",
                b64url(br#"{"algorithm":"HMAC-SHA256","user_id":"2"}"#)
            ),
            "nodot".to_owned(),
            format!(".{p}"),
            format!("{s}.{p}.x"),
            "!!!.###".to_owned(),
        ];
        for c in cases {
            let e = parse_signed_request(&c, &secrets).unwrap_err();
            assert_eq!(e.status, 401, "{c}");
        }
        let numeric = sign(
            "standin-app-secret",
            r#"{"algorithm":"HMAC-SHA256","user_id":17841400000000001}"#,
        );
        assert_eq!(
            parse_signed_request(&numeric, &secrets).unwrap().user_id,
            "17841400000000001"
        );
    }

    #[test]
    fn hub_signature() {
        let secret = ClientSecret::new("s3cret");
        let body = br#"{"object":"instagram","entry":[{"id":"1","time":1,"changes":[{"field":"comments","value":{}}]}]}"#;
        let hex: String = hmac_sha256(b"s3cret", body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(verify_hub_signature(Some(&format!("sha256={hex}")), body, &[&secret]).is_ok());
        assert!(verify_hub_signature(Some(&format!("sha256={hex}")), b"{}", &[&secret]).is_err());
        assert!(verify_hub_signature(None, body, &[&secret]).is_err());
        assert!(verify_hub_signature(Some(&format!("sha1={hex}")), body, &[&secret]).is_err());
        assert!(verify_hub_signature(Some("sha256=zz"), body, &[&secret]).is_err());
        let s = summarize_events(body).unwrap();
        assert_eq!(
            (s.object.as_str(), s.entries, s.fields.clone()),
            ("instagram", 1, vec!["comments".to_owned()])
        );
        assert!(summarize_events(b"[]").is_err());
    }
}
