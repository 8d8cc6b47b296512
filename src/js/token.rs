//! Token records across the JS boundary, and `tokenStatus`.
//!
//! In JavaScript a record is `{accessToken, kind, issuedAt, expiresAt,
//! scopes, igUserId}` with ISO-8601 times; it is what `exchangeCode`,
//! `getLongLivedToken` and `refreshToken` return and what they take back.

use std::time::Duration;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::input::Obj;
use super::output::finish;
use super::platform::LocalPlatform;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::Transport;
use crate::core::secret::AccessToken;
use crate::core::time::Timestamp;
use crate::core::token::{RefreshPolicy, TokenKind, TokenRecord};

/// A `TokenRecord` as JavaScript sees it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsTokenRecord {
    access_token: String,
    kind: TokenKind,
    issued_at: String,
    expires_at: Option<String>,
    scopes: Vec<String>,
    ig_user_id: Option<String>,
}

impl From<&TokenRecord> for JsTokenRecord {
    fn from(record: &TokenRecord) -> JsTokenRecord {
        JsTokenRecord {
            access_token: record.access_token.expose_secret().to_owned(),
            kind: record.kind,
            issued_at: record.issued_at.to_rfc3339(),
            expires_at: record.expires_at.map(Timestamp::to_rfc3339),
            scopes: record.scopes.clone(),
            ig_user_id: record.ig_user_id.clone(),
        }
    }
}

const KINDS: [TokenKind; 5] = [
    TokenKind::InstagramShortLived,
    TokenKind::InstagramLongLived,
    TokenKind::FacebookUserShortLived,
    TokenKind::FacebookUserLongLived,
    TokenKind::FacebookPage,
];

/// An instant given as an ISO-8601 string, a `Date` or epoch milliseconds
/// (parsed by JavaScript's `Date`, so no date parser ships in the wasm).
pub fn time_field(obj: &Obj, key: &str) -> Result<Option<Timestamp>, Error> {
    let value = obj.raw(key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let usable =
        value.is_string() || value.as_f64().is_some() || value.is_instance_of::<js_sys::Date>();
    let ms = if usable {
        js_sys::Date::new(&value).get_time()
    } else {
        f64::NAN
    };
    if !ms.is_finite() || ms < 0.0 {
        return Err(obj.error(
            key,
            "must be an ISO-8601 time, a Date or milliseconds since 1970",
        ));
    }
    Ok(Some(Timestamp::from_millis(ms as u64)))
}

/// The token record in `input[key]`.
pub fn record_field(input: &Obj, key: &str) -> Result<TokenRecord, Error> {
    let js = input.opt_object(key)?.ok_or_else(|| {
        input.error(
            key,
            "is required (a token record, as exchangeCode returns it)",
        )
    })?;
    record_from(&js)
}

/// A token record from its JS object.
pub fn record_from(js: &Obj) -> Result<TokenRecord, Error> {
    let kind_name = js.string("kind")?;
    let kind = KINDS
        .into_iter()
        .find(|k| k.as_str() == kind_name)
        .ok_or_else(|| js.error("kind", "is not a token kind"))?;
    let access_token = js.string("accessToken")?;
    if access_token.is_empty() {
        return Err(js.error("accessToken", "must not be empty"));
    }
    Ok(TokenRecord {
        access_token: AccessToken::new(access_token),
        kind,
        issued_at: time_field(js, "issuedAt")?
            .ok_or_else(|| js.error("issuedAt", "is required"))?,
        expires_at: time_field(js, "expiresAt")?,
        scopes: js.opt_strings("scopes")?.unwrap_or_default(),
        ig_user_id: js.opt_string("igUserId")?,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsTokenStatus {
    kind: TokenKind,
    issued_at: String,
    expires_at: Option<String>,
    days_left: Option<i64>,
    needs_refresh: bool,
    expired: bool,
    refreshable: bool,
    refreshable_at: Option<String>,
}

fn status(record: JsValue, options: JsValue) -> Result<JsTokenStatus, Error> {
    let record = record_from(&Obj::required(record, "record", ErrorKind::InvalidInput)?)?;
    let options = Obj::optional(options, "options", ErrorKind::InvalidInput)?;
    let mut policy = RefreshPolicy::default();
    let mut now = LocalPlatform.now();
    if let Some(options) = options {
        if let Some(at) = time_field(&options, "now")? {
            now = at;
        }
        if let Some(days) = options.opt_number("refreshWhenDaysLeft")? {
            policy.refresh_when_remaining = Duration::from_secs((days * 86_400.0) as u64);
        }
    }
    let s = record.status(now, &policy);
    Ok(JsTokenStatus {
        kind: record.kind,
        issued_at: record.issued_at.to_rfc3339(),
        expires_at: s.expires_at.map(Timestamp::to_rfc3339),
        days_left: s.days_left,
        needs_refresh: s.needs_refresh,
        expired: s.expired,
        refreshable: s.refreshable,
        refreshable_at: s.refreshable_at.map(Timestamp::to_rfc3339),
    })
}

/// `tokenStatus(record, {now?, refreshWhenDaysLeft?})` → `{kind, issuedAt,
/// expiresAt, daysLeft, needsRefresh, expired, refreshable, refreshableAt}`.
#[wasm_bindgen(js_name = tokenStatus)]
pub fn token_status(record: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    finish(status(record, options))
}
