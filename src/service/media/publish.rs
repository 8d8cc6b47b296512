//! Publishing staged media: the publish body's `image_media_id` and
//! `video_media_id` references (top level for an image, a reel or a story,
//! in `items[]` for a carousel) become `image_url`s / `video_url`s signed
//! for Meta, after checking each belongs to this account, is the right
//! kind of media and was checked for this use; and the staged objects are
//! deleted once the job that used them is finished.

use serde_json::{Map, Value};

use crate::core::http::Transport;
use crate::core::time::Timestamp;
use crate::service::error::ApiError;
use crate::service::media::uploads::{is_video_key, TYPE_META, USE_META};
use crate::service::media::{key_expiry, signed_url, staged_key, URL_TTL};
use crate::service::store::KvStore;
use crate::service::Service;

/// A reference field, and the URL field it stands for.
#[derive(Clone, Copy)]
struct Reference {
    field: &'static str,
    url_field: &'static str,
    video: bool,
}

const IMAGE: Reference = Reference {
    field: "image_media_id",
    url_field: "image_url",
    video: false,
};
const VIDEO: Reference = Reference {
    field: "video_media_id",
    url_field: "video_url",
    video: true,
};

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
        let kind = fields
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let mut keys = Vec::new();
        let staging = Staging {
            account,
            publish_at,
            retried,
        };
        for reference in [IMAGE, VIDEO] {
            if let Some(id) = take_reference(fields, "", reference)? {
                let usage = Usage::top_level(&kind, reference);
                let url = self
                    .signed_for(&id, "", reference, usage, &staging, &mut keys)
                    .await?;
                fields.insert(reference.url_field.into(), Value::String(url));
            }
        }
        if let Some(Value::Array(items)) = fields.get_mut("items") {
            for (i, item) in items.iter_mut().enumerate() {
                let Some(item) = item.as_object_mut() else {
                    continue; // the core's reader names what is wrong with it
                };
                let at = format!("items[{i}].");
                for reference in [IMAGE, VIDEO] {
                    if let Some(id) = take_reference(item, &at, reference)? {
                        let usage = if reference.video {
                            Usage::Video("carousel")
                        } else {
                            Usage::Feed
                        };
                        let url = self
                            .signed_for(&id, &at, reference, usage, &staging, &mut keys)
                            .await?;
                        item.insert(reference.url_field.into(), Value::String(url));
                    }
                }
            }
        }
        Ok(keys)
    }

    /// The signed URL for one reference, its key added to `keys`.
    async fn signed_for(
        &self,
        id: &str,
        at: &str,
        reference: Reference,
        usage: Usage,
        staging: &Staging<'_>,
        keys: &mut Vec<String>,
    ) -> Result<String, ApiError> {
        let (account, publish_at) = (staging.account, staging.publish_at);
        let field = format!("{at}{}", reference.field);
        let bad = |why: String| ApiError::invalid_input(&field, format!("{field} {why}"));
        let key = staged_key(account, id)
            .ok_or_else(|| bad(format!("{id:?} is not a staged media reference")))?;
        let meta = self.blobs()?.head(&key).await?;
        if meta.is_none() && !staging.retried {
            return Err(not_staged(&field, account));
        }
        if let Some(meta) = &meta {
            let is_video = meta.custom(TYPE_META) == Some("video");
            if is_video != reference.video {
                return Err(bad(format!(
                    "{id:?} is {}: give it as {}",
                    if is_video {
                        "a staged video"
                    } else {
                        "a staged image"
                    },
                    if is_video { VIDEO.field } else { IMAGE.field }
                )));
            }
            let staged_use = meta.custom(USE_META).unwrap_or("feed");
            match usage {
                Usage::Feed if staged_use == "story" => {
                    return Err(bad(format!(
                        "{id:?} was staged for a story (its aspect ratio was not checked for the feed): stage it again with ?use=feed"
                    )));
                }
                Usage::Video(wanted) if staged_use != wanted => {
                    return Err(bad(format!(
                        "{id:?} was staged and checked for use {staged_use:?}, not {wanted:?} (the limits differ): upload it again with use {wanted:?}"
                    )));
                }
                _ => {}
            }
        }
        let expires = key_expiry(&key).unwrap_or_default();
        let start = publish_at.unwrap_or_else(|| self.transport.now());
        if start >= expires {
            return Err(bad(format!(
                "{id:?} expires at {}, before the post's time {}: stage it again nearer the time",
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
                let field = if is_video_key(key) {
                    VIDEO.field
                } else {
                    IMAGE.field
                };
                return Err(not_staged(field, account));
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

/// What a reference is used for: an image in the feed (not one staged for
/// a story), an image in a story (any), or a video for `use` (exactly).
#[derive(Clone, Copy)]
enum Usage {
    Feed,
    Story,
    Video(&'static str),
}

impl Usage {
    /// The use of a top-level reference in a post of `kind`.
    fn top_level(kind: &str, reference: Reference) -> Usage {
        match (reference.video, kind) {
            (true, "story") => Usage::Video("story"),
            (true, _) => Usage::Video("reel"),
            (false, "story") => Usage::Story,
            (false, _) => Usage::Feed,
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

/// Takes `reference` out of `fields`, refusing one given with its URL
/// field too or that is not a string.
fn take_reference(
    fields: &mut Map<String, Value>,
    at: &str,
    reference: Reference,
) -> Result<Option<String>, ApiError> {
    let Some(value) = fields.remove(reference.field) else {
        return Ok(None);
    };
    let field = format!("{at}{}", reference.field);
    if fields.contains_key(reference.url_field) {
        return Err(ApiError::invalid_input(
            &field,
            format!("give {at}{} or {field}, not both", reference.url_field),
        ));
    }
    let route = if reference.video {
        "POST /api/accounts/{id}/uploads/{upload}/complete"
    } else {
        "POST /api/accounts/{id}/media"
    };
    match value {
        Value::String(s) => Ok(Some(s)),
        _ => Err(ApiError::invalid_input(
            &field,
            format!("{field} must be a string (the id {route} answered)"),
        )),
    }
}
