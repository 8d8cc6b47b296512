//! Media staged by the Worker for Meta to fetch: an image uploaded to
//! `POST /api/accounts/{id}/media` is checked (JPEG, 8 MB, feed aspect
//! ratio: `core::publish::image_file`) and kept in an object store (R2);
//! publishing with its reference (`image_media_id`) hands Meta a
//! short-lived signed URL the Worker serves itself, `GET
//! /media/{key}?expires=&sig=`; the object is deleted when the job that used
//! it finishes (published, failed or cancelled), and the cron sweeps what
//! expired unused. A local video is staged the same way, uploaded in parts
//! to an R2 multipart upload ([`uploads`]), checked once complete
//! ([`video`]) and published with `video_media_id`; its download answers
//! HTTP Range requests, as video fetchers use them.
//!
//! Keys: `staged/{expires:010}/{account}/{random}`: the expiry first, so a
//! listing in key order (R2's) meets the expired objects first and the
//! sweep stops at the first live one (its cost follows what expired); the
//! account in the key, so a reference only finds its object under the
//! account it was staged for. The reference the client gets is
//! `{expires}.{random}`.
//!
//! - [`blobs`]: the object-store trait;
//! - [`signed_url`]: signing and checking the URLs Meta fetches;
//! - [`routes`]: the image upload and the signed download (with ranges);
//! - [`uploads`]: a video's multipart upload;
//! - [`video`]: a video's uses, limits, and its check by ranged reads;
//! - [`publish`]: a publish body's references to signed URLs, and clean-up;
//! - [`sweep`]: the cron's removal of expired objects.

pub mod blobs;
pub mod publish;
pub mod routes;
pub mod signed_url;
pub mod sweep;
pub mod uploads;
pub mod video;

use std::time::Duration;

use crate::core::time::Timestamp;
use crate::service::accounts::valid_id;
use crate::service::error::ApiError;

pub use sweep::SweepStats;

/// How long a staged image waits to be published before the sweep takes it.
pub const STAGED_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long after the job's start a signed URL is honoured (Meta fetches
/// the media when the container is created, and may while processing).
pub const URL_TTL: Duration = Duration::from_secs(3600);
/// Where every staged object's key starts.
pub const STAGED_PREFIX: &str = "staged/";

/// Why a staged image was checked the way it was (`?use=`): `feed` (image
/// posts and carousel items: aspect ratio 4:5 to 1.91:1) or `story` (any
/// aspect ratio).
pub const USES: &[&str] = &["feed", "story"];

/// A staged object's key for `account`'s reference `id`, if `id` is one.
pub fn staged_key(account: &str, id: &str) -> Option<String> {
    let (expires, random) = id.split_once('.')?;
    let valid = expires.len() == 10
        && expires.bytes().all(|b| b.is_ascii_digit())
        && (16..=64).contains(&random.len())
        && random
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && valid_id(account);
    valid.then(|| format!("{STAGED_PREFIX}{expires}/{account}/{random}"))
}

/// The reference id and key of a new staged object.
pub fn new_staged(account: &str, expires: Timestamp, random: &str) -> (String, String) {
    let id = format!("{:010}.{random}", expires.as_secs());
    let key = format!(
        "{STAGED_PREFIX}{:010}/{account}/{random}",
        expires.as_secs()
    );
    (id, key)
}

/// When the object at `key` expires (from the key itself).
pub fn key_expiry(key: &str) -> Option<Timestamp> {
    let rest = key.strip_prefix(STAGED_PREFIX)?;
    let (secs, _) = rest.split_once('/')?;
    secs.parse::<u64>().ok().map(Timestamp::from_secs)
}

/// A key from a download URL's path, if it has the shape of one (`None`
/// for anything else: no other object, no listing).
pub fn key_from_path(segments: &[&str]) -> Option<String> {
    let [expires, account, random] = segments else {
        return None;
    };
    staged_key(account, &format!("{expires}.{random}"))
}

/// 503 when the Worker has no bucket bound.
pub fn not_configured() -> ApiError {
    ApiError::new(
        503,
        "media_staging_unavailable",
        "this Worker stages no media: bind an R2 bucket as MEDIA_BUCKET (wrangler.toml [[r2_buckets]])",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_account_and_sort_by_expiry() {
        let (id, key) = new_staged(
            "17841400000000001",
            Timestamp::from_secs(1_795_000_000),
            "AAAAAAAAAAAAAAAAAAAAAA",
        );
        assert_eq!(id, "1795000000.AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(
            key,
            "staged/1795000000/17841400000000001/AAAAAAAAAAAAAAAAAAAAAA"
        );
        assert_eq!(
            staged_key("17841400000000001", &id).as_deref(),
            Some(key.as_str())
        );
        // Another account's reference names another key.
        assert_ne!(
            staged_key("17841400000000002", &id).as_deref(),
            Some(key.as_str())
        );
        assert_eq!(key_expiry(&key), Some(Timestamp::from_secs(1_795_000_000)));
        for bad in [
            "",
            "1795000000",
            "x.AAAAAAAAAAAAAAAAAAAAAA",
            "1795000000.a/b",
            "1795000000.short",
            "179500000.AAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(staged_key("17841400000000001", bad), None, "{bad}");
        }
        assert_eq!(staged_key("../x", &id), None);
        assert_eq!(key_from_path(&["1795000000", "17841400000000001"]), None);
        assert_eq!(
            key_from_path(&["1795000000", "17841400000000001", "AAAAAAAAAAAAAAAAAAAAAA"]),
            Some(key)
        );
    }
}
