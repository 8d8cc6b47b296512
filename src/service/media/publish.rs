//! Publishing staged media: the publish body's `image_media_id` references
//! (top level for an image or a story, in `items[]` for a carousel) become
//! `image_url`s signed for Meta, after checking each belongs to this
//! account and fits the post; and the staged objects are deleted once
//! the job that used them is finished.

use serde_json::{Map, Value};

use crate::core::http::Transport;
use crate::core::time::Timestamp;
use crate::service::error::ApiError;
use crate::service::media::{key_expiry, signed_url, staged_key, URL_TTL};
use crate::service::store::KvStore;
use crate::service::Service;

/// The reference field, and the URL field it stands for.
const REFERENCE: &str = "image_media_id";
const URL_FIELD: &str = "image_url";

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// Replaces every staged reference in `body` (a publish request) with
    /// a signed URL valid until an hour after the job starts (`publish_at`,
    /// or now), and at most until the object expires. Returns the staged
    /// keys used. Refuses (400) a reference that is malformed, not staged
    /// for `account` (another account's, used already, expired), staged
    /// for a story but used in the feed, or that expires before
    /// `publish_at`; nothing is sent to Meta then.
    ///
    /// `retried`: the request carries an `Idempotency-Key`, so it may be the
    /// retry of a publish that already used (and deleted) its objects: a
    /// missing object is left for the account's object to judge
    /// ([`Self::check_staged`], after its replay check).
    pub(crate) async fn resolve_staged(
        &self,
        body: &mut Value,
        account: &str,
        publish_at: Option<Timestamp>,
        retried: bool,
    ) -> Result<Vec<String>, ApiError> {
        let Some(fields) = body.as_object_mut() else {
            return Ok(Vec::new());
        };
        let feed = fields.get("kind").and_then(Value::as_str) != Some("story");
        let mut keys = Vec::new();
        let staging = Staging {
            account,
            publish_at,
            retried,
        };
        if let Some(reference) = take_reference(fields, "")? {
            let url = self
                .signed_for(&reference, "", &staging, feed, &mut keys)
                .await?;
            fields.insert(URL_FIELD.into(), Value::String(url));
        }
        if let Some(Value::Array(items)) = fields.get_mut("items") {
            for (i, item) in items.iter_mut().enumerate() {
                let Some(item) = item.as_object_mut() else {
                    continue; // the core's reader names what is wrong with it
                };
                let at = format!("items[{i}].");
                if let Some(reference) = take_reference(item, &at)? {
                    let url = self
                        .signed_for(&reference, &at, &staging, true, &mut keys)
                        .await?;
                    item.insert(URL_FIELD.into(), Value::String(url));
                }
            }
        }
        Ok(keys)
    }

    /// The signed URL for one reference, its key added to `keys`.
    async fn signed_for(
        &self,
        reference: &str,
        at: &str,
        staging: &Staging<'_>,
        feed: bool,
        keys: &mut Vec<String>,
    ) -> Result<String, ApiError> {
        let (account, publish_at) = (staging.account, staging.publish_at);
        let field = format!("{at}{REFERENCE}");
        let bad = |why: String| ApiError::invalid_input(&field, format!("{field} {why}"));
        let key = staged_key(account, reference)
            .ok_or_else(|| bad(format!("{reference:?} is not a staged media reference")))?;
        let meta = self.blobs()?.head(&key).await?;
        if meta.is_none() && !staging.retried {
            return Err(not_staged(&field, account));
        }
        if feed && meta.is_some_and(|m| m.custom("use") == Some("story")) {
            return Err(bad(format!(
                "{reference:?} was staged for a story (its aspect ratio was not checked for the feed): stage it again with ?use=feed"
            )));
        }
        let expires = key_expiry(&key).unwrap_or_default();
        let start = publish_at.unwrap_or_else(|| self.transport.now());
        if start >= expires {
            return Err(bad(format!(
                "{reference:?} expires at {}, before the post's time {}: stage it again nearer the time",
                expires.to_rfc3339(),
                start.to_rfc3339()
            )));
        }
        keys.push(key.clone());
        let until = expires.min(start.plus(URL_TTL));
        Ok(signed_url::sign(
            &self.config.session_key,
            &self.config.public_origin(),
            &key,
            until,
        ))
    }

    /// Inside the account's object, before a new job is stored: every
    /// staged object it uses is still there (a retried request, resolved
    /// leniently, that turns out not to be a replay).
    pub(crate) async fn check_staged(&self, keys: &[String]) -> Result<(), ApiError> {
        for key in keys {
            if self.blobs()?.head(key).await?.is_none() {
                let account = key.split('/').nth(2).unwrap_or("");
                return Err(not_staged(REFERENCE, account));
            }
        }
        Ok(())
    }

    /// Deletes the staged objects a finished job used. A failure is left to
    /// the sweep (the objects expire anyway).
    pub(crate) async fn drop_staged(&self, keys: &[String]) {
        let Some(blobs) = self.blobs else {
            return;
        };
        for key in keys {
            let _ = blobs.delete(key).await;
        }
    }
}

/// What every reference of one request is resolved for.
struct Staging<'a> {
    account: &'a str,
    publish_at: Option<Timestamp>,
    retried: bool,
}

/// 400: the reference names no object staged for `account`.
fn not_staged(field: &str, account: &str) -> ApiError {
    ApiError::invalid_input(
        field,
        format!(
            "{field} is not staged for account {account}: it expired, was published already, or was staged for another account"
        ),
    )
}

/// Takes the reference out of `fields`, refusing one given with a URL too
/// or that is not a string.
fn take_reference(fields: &mut Map<String, Value>, at: &str) -> Result<Option<String>, ApiError> {
    let Some(value) = fields.remove(REFERENCE) else {
        return Ok(None);
    };
    let field = format!("{at}{REFERENCE}");
    if fields.contains_key(URL_FIELD) {
        return Err(ApiError::invalid_input(
            &field,
            format!("give {at}{URL_FIELD} or {field}, not both"),
        ));
    }
    match value {
        Value::String(s) => Ok(Some(s)),
        _ => Err(ApiError::invalid_input(
            &field,
            format!("{field} must be a string (the id POST /api/accounts/{{id}}/media answered)"),
        )),
    }
}
