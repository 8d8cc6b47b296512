//! Finding the media a publish created when its `media_publish` answer was
//! lost but the container says `PUBLISHED`.
//!
//! The IG Container documents no field that leads from a published
//! container to its media (its fields are `id`, `status`, `status_code`,
//! `copyright_check_status`:
//! <https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-container>),
//! and the IG Media documents none that leads back to its container
//! (<https://developers.facebook.com/documentation/instagram-platform/reference/instagram-media>),
//! so the media is looked up among the account's newest media
//! (`GET /{ig-user-id}/media`, newest first; stories are only listed by
//! `GET /{ig-user-id}/stories`, which Meta documents on graph.facebook.com
//! alone, for Facebook Login:
//! <https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/stories>).
//! A candidate must have been published no earlier than [`CLOCK_SKEW`]
//! before the first `media_publish` was sent, be of the spec's product type
//! (FEED image / FEED carousel album / REELS / STORY) and carry the spec's
//! caption (stories have none to compare).
//!
//! Only a single candidate is an answer. Two fitting posts (the same caption
//! published twice within a minute, a person's retry; two stories) cannot
//! be told apart with anything Meta documents, and the earlier one is as
//! likely to be someone else's as ours: then, as when none fits, the publish
//! is reported as done (the container *is* published) without a media id.
//! Wrong data would be worse than none.

use std::time::Duration;

use crate::core::publish::calls::RecentMedia;
use crate::core::publish::spec::MediaSpec;
use crate::core::time::Timestamp;

/// How far Meta's clock may lag ours when comparing publish times.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The media among `recent` that the publish of `spec`, first sent at
/// `sent_at`, created: the one candidate that fits, or `None` when none or
/// several do (see the module docs).
pub fn find_published<'a>(
    spec: &MediaSpec,
    recent: &'a [RecentMedia],
    sent_at: Timestamp,
) -> Option<&'a RecentMedia> {
    let earliest = sent_at.minus(CLOCK_SKEW);
    let (product, media_type) = expected_types(spec);
    let caption = spec.caption().unwrap_or("").trim();
    let mut candidates = recent.iter().filter(|m| {
        let Some(at) = m.timestamp.as_deref().and_then(parse_graph_time) else {
            return false;
        };
        let same_product = m.media_product_type.as_deref().is_none_or(|p| p == product);
        let same_type = match (media_type, m.media_type.as_deref()) {
            (Some(want), Some(got)) => want == got,
            _ => true,
        };
        let same_caption = matches!(spec, MediaSpec::Story(_))
            || m.caption.as_deref().unwrap_or("").trim() == caption;
        at >= earliest && same_product && same_type && same_caption
    });
    match (candidates.next(), candidates.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// `media_product_type` and (where it is certain) `media_type` of the media
/// a spec produces: a reel reads back as `VIDEO`/`REELS`, a story as
/// `IMAGE` or `VIDEO`/`STORY`
/// (<https://developers.facebook.com/documentation/instagram-platform/content-publishing>).
fn expected_types(spec: &MediaSpec) -> (&'static str, Option<&'static str>) {
    match spec {
        MediaSpec::Image(_) => ("FEED", Some("IMAGE")),
        MediaSpec::Carousel(_) => ("FEED", Some("CAROUSEL_ALBUM")),
        MediaSpec::Reel(_) => ("REELS", Some("VIDEO")),
        MediaSpec::Story(s) => (
            "STORY",
            Some(if s.video_url.is_some() {
                "VIDEO"
            } else {
                "IMAGE"
            }),
        ),
    }
}

/// Graph time (`2026-11-22T10:15:30+0000`, also `Z` or `+00:00` and other
/// offsets) as a [`Timestamp`]; `None` when it is not that shape.
pub fn parse_graph_time(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let s = text.get(from..to)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset_secs = match rest {
        "Z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    u64::try_from(secs).ok().map(Timestamp::from_secs)
}

/// (year, month, day) to days since 1970-01-01 (Howard Hinnant's
/// `days_from_civil`, the inverse of `time::civil_from_days`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::publish::spec::{ImageSpec, StorySpec};

    #[test]
    fn graph_times() {
        let t = Timestamp::from_millis(1_795_000_000_000);
        assert_eq!(parse_graph_time("2026-11-18T11:06:40+0000"), Some(t));
        assert_eq!(parse_graph_time("2026-11-18T11:06:40Z"), Some(t));
        assert_eq!(parse_graph_time("2026-11-18T11:06:40.123Z"), Some(t));
        assert_eq!(parse_graph_time("2026-11-18T12:06:40+01:00"), Some(t));
        assert_eq!(parse_graph_time("2026-11-18T06:06:40-0500"), Some(t));
        assert_eq!(
            parse_graph_time("2000-02-29T00:00:00+0000"),
            Some(Timestamp::from_secs(951_782_400))
        );
        for bad in [
            "",
            "2026-11-18",
            "2026-13-18T11:06:40+0000",
            "2026-11-18T11:06:40",
            "x026-11-18T11:06:40Z",
            "2026-11-18T11:06:40+00",
            "1969-12-31T23:59:59Z",
            "２026-11-18T11:06:40Z",
        ] {
            assert_eq!(parse_graph_time(bad), None, "{bad}");
        }
    }

    fn media(id: &str, at: &str, caption: Option<&str>, kind: &str, product: &str) -> RecentMedia {
        RecentMedia {
            id: id.into(),
            permalink: Some(format!("https://www.instagram.com/p/{id}/")),
            timestamp: Some(at.into()),
            caption: caption.map(Into::into),
            media_type: Some(kind.into()),
            media_product_type: Some(product.into()),
        }
    }

    fn hello_image() -> MediaSpec {
        MediaSpec::Image(ImageSpec {
            image_url: "https://c/a.jpg".into(),
            caption: Some("hello".into()),
            alt_text: None,
            user_tags: vec![],
            location_id: None,
            collaborators: vec![],
            product_tags: vec![],
            extras: Default::default(),
        })
    }

    fn story() -> MediaSpec {
        MediaSpec::Story(StorySpec {
            image_url: Some("https://c/s.jpg".into()),
            video_url: None,
            video_file: None,
            user_tags: vec![],
        })
    }

    #[test]
    fn the_one_fitting_post_after_the_send_is_found() {
        let sent = parse_graph_time("2026-11-18T11:00:00+0000").unwrap();
        let list = vec![
            media(
                "4",
                "2026-11-18T11:01:00+0000",
                Some("other"),
                "IMAGE",
                "FEED",
            ),
            media(
                "3",
                "2026-11-18T11:00:30+0000",
                Some("hello"),
                "VIDEO",
                "REELS",
            ),
            media(
                "2",
                "2026-11-18T11:00:02+0000",
                Some("hello "),
                "IMAGE",
                "FEED",
            ),
            media(
                "1",
                "2026-11-18T10:00:00+0000",
                Some("hello"),
                "IMAGE",
                "FEED",
            ),
        ];
        assert_eq!(find_published(&hello_image(), &list, sent).unwrap().id, "2");
        // Nothing after the send: no guess.
        assert!(find_published(&hello_image(), &list[3..], sent).is_none());
        // A story matches on type and time only.
        let stories = vec![media(
            "9",
            "2026-11-18T11:00:01+0000",
            None,
            "IMAGE",
            "STORY",
        )];
        assert_eq!(find_published(&story(), &stories, sent).unwrap().id, "9");
    }

    #[test]
    fn two_posts_with_the_same_caption_seconds_apart_give_no_id() {
        // A person posted "hello", then (a retry) again 5 s later through us,
        // and our answer was lost: both fit. The earlier one is not ours.
        let sent = parse_graph_time("2026-11-18T11:00:05+0000").unwrap();
        let list = vec![
            media(
                "8",
                "2026-11-18T11:00:06+0000",
                Some("hello"),
                "IMAGE",
                "FEED",
            ),
            media(
                "7",
                "2026-11-18T11:00:01+0000",
                Some("hello"),
                "IMAGE",
                "FEED",
            ),
        ];
        assert!(find_published(&hello_image(), &list, sent).is_none());
        // The same for two stories in the window (stories have no caption).
        let stories = vec![
            media("9", "2026-11-18T11:00:07+0000", None, "IMAGE", "STORY"),
            media("6", "2026-11-18T11:00:02+0000", None, "IMAGE", "STORY"),
        ];
        assert!(find_published(&story(), &stories, sent).is_none());
    }
}
