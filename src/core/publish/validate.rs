//! The rules a [`MediaSpec`] must meet before any call to Meta. Each broken
//! rule is an `invalid_input` error whose `field` is the camelCase path of
//! the value at fault (`caption`, `items[3].videoUrl`, `userTags[0].x`).
//!
//! [`check_ig_user_id`] checks the account every publish call names.
//!
//! Limits come from the IG User Media reference
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media>):
//! caption "Maximum 2200 characters, 30 hashtags, and 20 @ tags"; `alt_text`
//! "up to 1000 character", image posts only; "up to 3" collaborators; up to
//! 10 carousel children; `user_tags` coordinates "within 0.0–1.0", required
//! for images, optional for stories; `cover_url` wins over `thumb_offset`;
//! reels last at most 15 minutes; URLs should be plain US-ASCII ("or the
//! request will fail"). The 2-item carousel minimum and the 20-tag limit are
//! from Meta's error table (2207028, 2207040:
//! <https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes>).

use crate::core::config::Product;
use crate::core::error::Error;
use crate::core::publish::spec::{
    CarouselItem, MediaSpec, PostExtras, ProductTag, UserTag, VideoFile,
};
use crate::core::publish::video_file::{self, check_video_file, VideoLimits};

pub const CAPTION_MAX_CHARS: usize = 2_200;
pub const HASHTAGS_MAX: usize = 30;
pub const MENTIONS_MAX: usize = 20;
pub const ALT_TEXT_MAX_CHARS: usize = 1_000;
pub const COLLABORATORS_MAX: usize = 3;
pub const CAROUSEL_MIN_ITEMS: usize = 2;
pub const CAROUSEL_MAX_ITEMS: usize = 10;
pub const USER_TAGS_MAX: usize = 20;
/// Reels are at most 15 minutes long, so a cover frame lies before that.
pub const THUMB_OFFSET_MAX_MS: u64 = 15 * 60 * 1_000;
/// Product tags per media ("maximum of 5", IG User Media reference).
pub const PRODUCT_TAGS_MAX: usize = 5;
/// A caption poll has 2 to 4 options (Caption Add-ons guide).
pub const POLL_MIN_OPTIONS: usize = 2;
pub const POLL_MAX_OPTIONS: usize = 4;
/// Instagram usernames: letters, digits, periods and underscores, at most 30.
pub const USERNAME_MAX_CHARS: usize = 30;

/// Where a user tag sits, which decides what its coordinates must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TagPlace {
    /// `x` and `y` required.
    Image,
    /// `x` and `y` optional (both or neither).
    Story,
    /// No coordinates ("Applies only to images and stories").
    Video,
}

impl MediaSpec {
    /// Checks every rule; the error names the first value at fault.
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            MediaSpec::Image(s) => {
                check_url("imageUrl", &s.image_url)?;
                check_caption(s.caption.as_deref())?;
                check_alt_text("altText", s.alt_text.as_deref())?;
                check_user_tags("userTags", &s.user_tags, TagPlace::Image)?;
                check_product_tags("productTags", &s.product_tags, TagPlace::Image)?;
                check_extras(&s.extras, s.caption.as_deref())?;
                check_location(s.location_id.as_deref())?;
                check_collaborators(&s.collaborators)
            }
            MediaSpec::Reel(s) => {
                check_video("", &s.video_url, &s.video_file, &video_file::REEL)?;
                check_caption(s.caption.as_deref())?;
                if let Some(cover) = &s.cover_url {
                    check_url("coverUrl", cover)?;
                    if s.thumb_offset.is_some() {
                        return Err(Error::invalid_input(
                            "thumbOffset",
                            "give coverUrl or thumbOffset, not both (Instagram would ignore thumbOffset)",
                        ));
                    }
                }
                check_thumb_offset("thumbOffset", s.thumb_offset)?;
                if s.audio_name.as_deref().is_some_and(|a| a.trim().is_empty()) {
                    return Err(Error::invalid_input(
                        "audioName",
                        "audioName must not be empty (leave it out to keep the default)",
                    ));
                }
                check_user_tags("userTags", &s.user_tags, TagPlace::Video)?;
                check_product_tags("productTags", &s.product_tags, TagPlace::Video)?;
                check_extras(&s.extras, s.caption.as_deref())?;
                check_location(s.location_id.as_deref())?;
                check_collaborators(&s.collaborators)
            }
            MediaSpec::Carousel(s) => {
                let n = s.items.len();
                if !(CAROUSEL_MIN_ITEMS..=CAROUSEL_MAX_ITEMS).contains(&n) {
                    return Err(Error::invalid_input(
                        "items",
                        format!("a carousel has 2 to 10 items, not {n}"),
                    ));
                }
                for (i, item) in s.items.iter().enumerate() {
                    match item {
                        CarouselItem::Image(img) => {
                            check_url(&format!("items[{i}].imageUrl"), &img.image_url)?;
                            check_alt_text(
                                &format!("items[{i}].altText"),
                                img.alt_text.as_deref(),
                            )?;
                        }
                        CarouselItem::Video(v) => {
                            let at = format!("items[{i}].");
                            check_video(
                                &at,
                                &v.video_url,
                                &v.video_file,
                                &video_file::CAROUSEL_VIDEO,
                            )?;
                            check_thumb_offset(&format!("items[{i}].thumbOffset"), v.thumb_offset)?;
                        }
                    }
                    let (place, products) = match item {
                        CarouselItem::Image(img) => (TagPlace::Image, &img.product_tags),
                        CarouselItem::Video(v) => (TagPlace::Video, &v.product_tags),
                    };
                    check_user_tags(&format!("items[{i}].userTags"), item.user_tags(), place)?;
                    check_product_tags(&format!("items[{i}].productTags"), products, place)?;
                }
                check_caption(s.caption.as_deref())?;
                check_extras(&s.extras, s.caption.as_deref())?;
                check_location(s.location_id.as_deref())?;
                check_collaborators(&s.collaborators)
            }
            MediaSpec::Story(s) => {
                let video = s.video_url.is_some() || s.video_file.is_some();
                match (&s.image_url, video) {
                    (Some(url), false) => check_url("imageUrl", url)?,
                    (None, true) => {
                        check_video("", &s.video_url, &s.video_file, &video_file::STORY_VIDEO)?
                    }
                    (Some(_), true) => {
                        return Err(Error::invalid_input(
                            "videoUrl",
                            "a story has either imageUrl or videoUrl (or videoFile), not both",
                        ))
                    }
                    (None, false) => {
                        return Err(Error::invalid_input(
                            "imageUrl",
                            "a story needs imageUrl or videoUrl (or videoFile)",
                        ))
                    }
                }
                check_user_tags("userTags", &s.user_tags, TagPlace::Story)
            }
        }
    }
}

/// A video is exactly one of a URL Meta fetches or a file uploaded to Meta
/// within `limits`; `at` is the field path's prefix (`items[2].`).
fn check_video(
    at: &str,
    url: &Option<String>,
    file: &Option<VideoFile>,
    limits: &VideoLimits,
) -> Result<(), Error> {
    match (url, file) {
        (Some(url), None) => check_url(&format!("{at}videoUrl"), url),
        (None, Some(file)) => check_video_file(&format!("{at}videoFile"), file, limits),
        (Some(_), Some(_)) => Err(Error::invalid_input(
            &format!("{at}videoFile"),
            format!("give {at}videoUrl or {at}videoFile, not both"),
        )),
        (None, None) => Err(Error::invalid_input(
            &format!("{at}videoUrl"),
            format!("{at}videoUrl (or {at}videoFile) is required"),
        )),
    }
}

/// A public `https://` URL of plain ASCII that Meta can fetch; plain
/// `http://` only on a loopback host (local development against the
/// stand-in, e.g. a local Worker's staged media; Meta itself could not
/// reach it either way).
pub fn check_url(field: &str, url: &str) -> Result<(), Error> {
    let bad = |why: &str| Err(Error::invalid_input(field, format!("{field} {why}")));
    let rest = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => rest,
        (None, Some(rest)) if is_loopback_host(rest) => rest,
        _ => {
            return bad(
                "must be an https:// URL (Instagram fetches the media from a public server)",
            )
        }
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return bad("has no host");
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return bad("must be plain US-ASCII without spaces (percent-encode other characters)");
    }
    Ok(())
}

/// Whether the authority at the start of `rest` (after `http://`) is a
/// loopback host, with or without a port.
fn is_loopback_host(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map_or("", |h| h),
        None => authority.split(':').next().unwrap_or(""),
    };
    matches!(host, "127.0.0.1" | "localhost" | "::1")
}

/// Caption length, hashtags and @mentions.
pub fn check_caption(caption: Option<&str>) -> Result<(), Error> {
    let Some(caption) = caption else {
        return Ok(());
    };
    let chars = caption.chars().count();
    if chars > CAPTION_MAX_CHARS {
        return Err(Error::invalid_input(
            "caption",
            format!("caption has {chars} characters; Instagram allows {CAPTION_MAX_CHARS}"),
        ));
    }
    let hashtags = count_tokens(caption, '#');
    if hashtags > HASHTAGS_MAX {
        return Err(Error::invalid_input(
            "caption",
            format!("caption has {hashtags} hashtags; Instagram allows {HASHTAGS_MAX}"),
        ));
    }
    let mentions = count_tokens(caption, '@');
    if mentions > MENTIONS_MAX {
        return Err(Error::invalid_input(
            "caption",
            format!("caption has {mentions} @mentions; Instagram allows {MENTIONS_MAX}"),
        ));
    }
    Ok(())
}

/// Counts `#tag` / `@name` tokens: the sigil at the start or after a
/// character that cannot be part of a word (so `me@example.com` is no
/// mention), followed by a word character.
pub fn count_tokens(text: &str, sigil: char) -> usize {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut count = 0;
    let mut previous: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == sigil
            && previous.is_none_or(|p| !(word(p) || p == '.' || p == sigil))
            && chars.peek().is_some_and(|&n| word(n))
        {
            count += 1;
        }
        previous = Some(c);
    }
    count
}

fn check_alt_text(field: &str, alt: Option<&str>) -> Result<(), Error> {
    let Some(alt) = alt else { return Ok(()) };
    if alt.trim().is_empty() {
        return Err(Error::invalid_input(
            field,
            format!("{field} must not be empty (leave it out instead)"),
        ));
    }
    let chars = alt.chars().count();
    if chars > ALT_TEXT_MAX_CHARS {
        return Err(Error::invalid_input(
            field,
            format!("{field} has {chars} characters; Instagram allows {ALT_TEXT_MAX_CHARS}"),
        ));
    }
    Ok(())
}

/// An Instagram username without the `@`.
pub fn check_username(field: &str, name: &str) -> Result<(), Error> {
    if let Some(rest) = name.strip_prefix('@') {
        return Err(Error::invalid_input(
            field,
            format!("{field} is a username without the @ (\"{rest}\")"),
        ));
    }
    let ok = !name.is_empty()
        && name.chars().count() <= USERNAME_MAX_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            format!("{field} must be an Instagram username (1 to 30 letters, digits, periods and underscores)"),
        ))
    }
}

fn check_user_tags(field: &str, tags: &[UserTag], place: TagPlace) -> Result<(), Error> {
    if tags.len() > USER_TAGS_MAX {
        return Err(Error::invalid_input(
            field,
            format!(
                "{field} has {} tags; Instagram allows {USER_TAGS_MAX}",
                tags.len()
            ),
        ));
    }
    for (i, tag) in tags.iter().enumerate() {
        check_username(&format!("{field}[{i}].username"), &tag.username)?;
        check_position(
            &format!("{field}[{i}]"),
            place,
            (tag.x, tag.y),
            "tags on videos and reels take a username only (coordinates apply to images and stories)",
        )?;
    }
    Ok(())
}

/// A tag's `x`/`y` at `field` (`userTags[2]`): both on an image, none on a
/// video (`on_video` says why), both or neither on a story; each from 0 to 1.
fn check_position(
    field: &str,
    place: TagPlace,
    (x, y): (Option<f64>, Option<f64>),
    on_video: &str,
) -> Result<(), Error> {
    match (place, x, y) {
        (TagPlace::Video, None, None) | (TagPlace::Story, None, None) => Ok(()),
        (TagPlace::Video, _, _) => {
            let f = format!("{field}.{}", if x.is_some() { "x" } else { "y" });
            Err(Error::invalid_input(&f, format!("{f}: {on_video}")))
        }
        (_, Some(x), Some(y)) => {
            check_coordinate(&format!("{field}.x"), x)?;
            check_coordinate(&format!("{field}.y"), y)
        }
        (_, x, _) => {
            let f = format!("{field}.{}", if x.is_none() { "x" } else { "y" });
            let why = if place == TagPlace::Image {
                "a tag on an image needs both x and y"
            } else {
                "give both x and y, or neither"
            };
            Err(Error::invalid_input(&f, format!("{f}: {why}")))
        }
    }
}

fn check_thumb_offset(field: &str, offset: Option<u64>) -> Result<(), Error> {
    if offset.is_some_and(|t| t > THUMB_OFFSET_MAX_MS) {
        return Err(Error::invalid_input(
            field,
            format!("{field} is in milliseconds and a video lasts at most 15 minutes (900000)"),
        ));
    }
    Ok(())
}

/// Product tags: at most 5, unique numeric product IDs, coordinates as for
/// user tags (required on images, none on videos).
fn check_product_tags(field: &str, tags: &[ProductTag], place: TagPlace) -> Result<(), Error> {
    if tags.len() > PRODUCT_TAGS_MAX {
        return Err(Error::invalid_input(
            field,
            format!(
                "{field} has {} tags; Instagram allows {PRODUCT_TAGS_MAX}",
                tags.len()
            ),
        ));
    }
    for (i, tag) in tags.iter().enumerate() {
        let id_field = format!("{field}[{i}].productId");
        if tag.product_id.is_empty() || !tag.product_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid_input(
                &id_field,
                format!("{id_field} must be a catalog product ID (digits)"),
            ));
        }
        if tags[..i].iter().any(|t| t.product_id == tag.product_id) {
            return Err(Error::invalid_input(
                &id_field,
                format!("{id_field}: each product is tagged once"),
            ));
        }
        check_position(
            &format!("{field}[{i}]"),
            place,
            (tag.x, tag.y),
            "product tags on videos take a productId only",
        )?;
    }
    Ok(())
}

/// The caption add-ons: a poll of 2 to 4 non-empty options or a comment
/// prompt, not both, each on a non-empty caption (the question or the
/// prompt); `pollDurationExtended` only with a poll.
fn check_extras(extras: &PostExtras, caption: Option<&str>) -> Result<(), Error> {
    let has_poll = !extras.poll_options.is_empty();
    let prompt = extras.comment_prompt == Some(true);
    if has_poll && prompt {
        return Err(Error::invalid_input(
            "commentPrompt",
            "a post carries one caption add-on: a poll or a comment prompt, not both",
        ));
    }
    if has_poll {
        let n = extras.poll_options.len();
        if !(POLL_MIN_OPTIONS..=POLL_MAX_OPTIONS).contains(&n) {
            return Err(Error::invalid_input(
                "pollOptions",
                format!("a poll has 2 to 4 options, not {n}"),
            ));
        }
        if let Some(i) = extras.poll_options.iter().position(|o| o.trim().is_empty()) {
            let f = format!("pollOptions[{i}]");
            return Err(Error::invalid_input(&f, format!("{f} must not be empty")));
        }
    } else if extras.poll_duration_extended.is_some() {
        return Err(Error::invalid_input(
            "pollDurationExtended",
            "pollDurationExtended applies to a poll: give pollOptions too",
        ));
    }
    if (has_poll || prompt) && caption.is_none_or(|c| c.trim().is_empty()) {
        return Err(Error::invalid_input(
            "caption",
            "a poll or a comment prompt needs a caption: it is the question or the prompt",
        ));
    }
    Ok(())
}

impl MediaSpec {
    /// The rules that depend on the login product: caption add-ons are
    /// "only available for Instagram API with Facebook Login".
    pub fn validate_for(&self, product: Product) -> Result<(), Error> {
        let Some(extras) = self.extras() else {
            return Ok(());
        };
        if product == Product::Instagram {
            if !extras.poll_options.is_empty() {
                return Err(Error::invalid_input(
                    "pollOptions",
                    "caption polls are available with Facebook Login only",
                ));
            }
            if extras.comment_prompt == Some(true) {
                return Err(Error::invalid_input(
                    "commentPrompt",
                    "comment prompts are available with Facebook Login only",
                ));
            }
        }
        Ok(())
    }
}

fn check_coordinate(field: &str, value: f64) -> Result<(), Error> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            // serde_json's number text, not `{value}`: core's float printer
            // (~14 KB of wasm) stays out of the npm package.
            format!(
                "{field} is a fraction of the image from 0.0 to 1.0, not {}",
                serde_json::Number::from_f64(value)
                    .map_or("a finite number".to_owned(), |n| n.to_string())
            ),
        ))
    }
}

fn check_collaborators(names: &[String]) -> Result<(), Error> {
    if names.len() > COLLABORATORS_MAX {
        return Err(Error::invalid_input(
            "collaborators",
            format!(
                "at most {COLLABORATORS_MAX} collaborators, not {}",
                names.len()
            ),
        ));
    }
    for (i, name) in names.iter().enumerate() {
        let field = format!("collaborators[{i}]");
        check_username(&field, name)?;
        if names[..i].contains(name) {
            return Err(Error::invalid_input(
                &field,
                format!("{field}: {name} is listed twice"),
            ));
        }
    }
    Ok(())
}

fn check_location(location: Option<&str>) -> Result<(), Error> {
    match location {
        Some(id) if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) => {
            Err(Error::invalid_input(
                "locationId",
                "locationId must be the numeric ID of a location Page",
            ))
        }
        _ => Ok(()),
    }
}

/// An IG user ID as Meta gives it: decimal digits.
pub fn check_ig_user_id(ig_user_id: &str) -> Result<(), Error> {
    if ig_user_id.is_empty() || !ig_user_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_input(
            "igUserId",
            "igUserId must be the Instagram professional account's numeric ID",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_counted_at_word_starts() {
        assert_eq!(count_tokens("#a #b_c #1 # #", '#'), 3);
        assert_eq!(count_tokens("mail me@example.com or @bob.", '@'), 1);
        assert_eq!(count_tokens("a#b (#d) 𝒳#e ##", '#'), 1);
        assert_eq!(count_tokens("@a@b", '@'), 1);
        assert_eq!(count_tokens("", '#'), 0);
    }

    #[test]
    fn urls() {
        assert!(check_url("u", "https://cdn.example/a.jpg?x=1").is_ok());
        // Plain http only to a loopback host (a local Worker's staged media).
        for local in [
            "http://127.0.0.1:8787/media/a?sig=x",
            "http://localhost/a.jpg",
            "http://[::1]:9/a",
        ] {
            assert!(check_url("u", local).is_ok(), "{local}");
        }
        for bad in [
            "http://cdn.example/a.jpg",
            "http://127.0.0.1.evil.example/a.jpg",
            "http://localhost.evil/a.jpg",
            "https:///a.jpg",
            "https://",
            "ftp://x/a",
            "https://cdn.example/a b.jpg",
            "https://cdn.example/é.jpg",
            "//cdn.example/a.jpg",
        ] {
            let e = check_url("imageUrl", bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("imageUrl"), "{bad}");
        }
    }

    #[test]
    fn usernames() {
        assert!(check_username("u", "nat.geo_1").is_ok());
        assert!(check_username("u", "@natgeo")
            .unwrap_err()
            .message
            .contains("without the @"));
        assert!(check_username("u", "").is_err());
        assert!(check_username("u", "a b").is_err());
        assert!(check_username("u", &"a".repeat(31)).is_err());
    }
}
