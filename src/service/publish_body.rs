//! The body of `POST /api/accounts/{id}/publish`, read into the core's
//! [`MediaSpec`].
//!
//! The Worker's HTTP API speaks snake_case with a `kind` tag
//! (`{"kind":"image","image_url":"https://…","caption":"…"}`, carousel
//! `items: [{"image_url": …} | {"video_url": …}]`), the core's JSON speaks
//! camelCase with a `type` tag. This file translates the names (known
//! snake_case fields to their camelCase, `kind` to the type), lets the core's
//! reader and rules do the checking, and turns every name in an error back
//! into the spelling the client sent (`items[1].video_url`), so the API keeps
//! one naming convention in both directions. Unknown fields are refused by
//! the core's reader; camelCase keys are refused here, since accepting both
//! spellings would let `imageUrl` and `image_url` disagree.

use serde_json::{Map, Value};

use crate::core::error::Error;
use crate::core::publish::MediaSpec;
use crate::service::error::ApiError;

/// The API's snake_case field names and the core's camelCase ones, at every
/// level (the spec, carousel items, user tags). Names that are one word
/// (`caption`, `items`, `collaborators`, `username`, `x`, `y`) are the same
/// in both.
const NAMES: &[(&str, &str)] = &[
    ("image_url", "imageUrl"),
    ("video_url", "videoUrl"),
    ("alt_text", "altText"),
    ("user_tags", "userTags"),
    ("location_id", "locationId"),
    ("cover_url", "coverUrl"),
    ("thumb_offset", "thumbOffset"),
    ("share_to_feed", "shareToFeed"),
    ("audio_name", "audioName"),
    ("product_tags", "productTags"),
    ("product_id", "productId"),
    ("is_ai_generated", "isAiGenerated"),
    ("poll_duration_extended", "pollDurationExtended"),
    ("comment_prompt", "commentPrompt"),
    ("poll_options", "pollOptions"),
];

const KINDS: &[&str] = &["image", "reel", "carousel", "story"];

/// Reads and validates a publish request body. Errors are `invalid_input`
/// (400) naming the field as the client spelled it.
pub fn media_spec_from_body(body: &Value) -> Result<MediaSpec, ApiError> {
    let Some(fields) = body.as_object() else {
        return Err(ApiError::invalid_input(
            "body",
            "the body must be a JSON object such as {\"kind\":\"image\",\"image_url\":\"https://…\"}",
        ));
    };
    let kind = match fields.get("kind") {
        None | Some(Value::Null) => {
            return Err(ApiError::invalid_input(
                "kind",
                "kind is required: \"image\", \"reel\", \"carousel\" or \"story\"",
            ))
        }
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => {
            return Err(ApiError::invalid_input(
                "kind",
                "kind must be a string: \"image\", \"reel\", \"carousel\" or \"story\"",
            ))
        }
    };
    if kind == "video" {
        return Err(ApiError::invalid_input(
            "kind",
            "single feed videos are published as reels (Instagram retired media_type VIDEO for single posts): use kind \"reel\", with share_to_feed: true to keep it in the feed grid",
        ));
    }
    if !KINDS.contains(&kind) {
        return Err(ApiError::invalid_input(
            "kind",
            format!("kind {kind:?} is not one of \"image\", \"reel\", \"carousel\", \"story\""),
        ));
    }
    let mut rest = fields.clone();
    rest.remove("kind");
    let spec_fields = to_core_names(&rest, "")?;
    MediaSpec::from_fields(kind, &Value::Object(spec_fields), &[]).map_err(api_error)
}

/// `object` with its keys (and those of nested objects) in the core's
/// spelling; `path` prefixes key names in errors (`items[2].`).
fn to_core_names(object: &Map<String, Value>, path: &str) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for (key, value) in object {
        if key.chars().any(|c| c.is_ascii_uppercase()) {
            let field = format!("{path}{key}");
            let hint = NAMES
                .iter()
                .find(|(_, camel)| camel == key)
                .map(|(snake, _)| format!(" (write {snake})"))
                .unwrap_or_default();
            return Err(ApiError::invalid_input(
                &field,
                format!("{field} is not a field here: this API spells fields in snake_case{hint}"),
            ));
        }
        let name = NAMES
            .iter()
            .find(|(snake, _)| snake == key)
            .map_or(key.as_str(), |(_, camel)| camel);
        out.insert(
            name.to_owned(),
            to_core_value(value, &format!("{path}{key}"))?,
        );
    }
    Ok(out)
}

fn to_core_value(value: &Value, path: &str) -> Result<Value, ApiError> {
    Ok(match value {
        Value::Object(object) => Value::Object(to_core_names(object, &format!("{path}."))?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_core_value(item, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// A core error about the spec, with its field path and message in the API's names.
fn api_error(mut error: Error) -> ApiError {
    error.field = error.field.as_deref().map(to_api_names);
    error.message = to_api_names(&error.message);
    ApiError::from(error)
}

/// `text` with every core field name (a whole word) in the API's spelling:
/// `items[3].videoUrl must be a string` → `items[3].video_url must be a string`.
fn to_api_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let name = NAMES
            .iter()
            .find(|(_, camel)| camel == word)
            .map_or(word.as_str(), |(snake, _)| snake);
        out.push_str(name);
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::publish::{CarouselItem, ImageSpec, ReelSpec, StorySpec, UserTag};
    use serde_json::json;

    fn refused(body: Value) -> ApiError {
        let e = media_spec_from_body(&body).unwrap_err();
        assert_eq!(e.status, 400, "{body}: {}", e.message);
        assert_eq!(e.kind, "invalid_input", "{body}");
        e
    }

    fn field(body: Value) -> String {
        refused(body).field.unwrap_or_default()
    }

    #[test]
    fn every_kind_reads_into_the_core_spec() {
        let image = media_spec_from_body(&json!({
            "kind": "image", "image_url": "https://cdn.example/a.jpg", "caption": "hi #x",
            "alt_text": "a cake", "location_id": "110",
            "user_tags": [{"username": "bob", "x": 0.5, "y": 0.25}],
        }))
        .unwrap();
        assert_eq!(
            image,
            MediaSpec::Image(ImageSpec {
                image_url: "https://cdn.example/a.jpg".into(),
                caption: Some("hi #x".into()),
                alt_text: Some("a cake".into()),
                user_tags: vec![UserTag {
                    username: "bob".into(),
                    x: Some(0.5),
                    y: Some(0.25)
                }],
                location_id: Some("110".into()),
                collaborators: vec![],
                product_tags: vec![],
                extras: Default::default(),
            })
        );
        let reel = media_spec_from_body(&json!({
            "kind": "reel", "video_url": "https://cdn.example/r.mp4", "caption": "reel",
            "share_to_feed": true, "thumb_offset": 1000, "audio_name": "tune",
            "collaborators": ["amy"],
        }))
        .unwrap();
        assert_eq!(
            reel,
            MediaSpec::Reel(ReelSpec {
                video_url: Some("https://cdn.example/r.mp4".into()),
                video_file: None,
                caption: Some("reel".into()),
                cover_url: None,
                thumb_offset: Some(1000),
                share_to_feed: Some(true),
                audio_name: Some("tune".into()),
                collaborators: vec!["amy".into()],
                location_id: None,
                user_tags: vec![],
                product_tags: vec![],
                extras: Default::default(),
            })
        );
        let carousel = media_spec_from_body(&json!({
            "kind": "carousel", "caption": "two",
            "items": [{"image_url": "https://cdn.example/1.jpg", "alt_text": "one"}, {"video_url": "https://cdn.example/2.mp4"}],
        }))
        .unwrap();
        let items = carousel.carousel_items();
        assert!(
            matches!(&items[0], CarouselItem::Image(i) if i.alt_text.as_deref() == Some("one"))
        );
        assert!(
            matches!(&items[1], CarouselItem::Video(v) if v.video_url.as_deref() == Some("https://cdn.example/2.mp4"))
        );
        assert_eq!(carousel.caption(), Some("two"));
        let story = media_spec_from_body(
            &json!({"kind": "story", "video_url": "https://cdn.example/s.mp4"}),
        )
        .unwrap();
        assert_eq!(
            story,
            MediaSpec::Story(StorySpec {
                image_url: None,
                video_url: Some("https://cdn.example/s.mp4".into()),
                video_file: None,
                user_tags: vec![],
            })
        );
    }

    #[test]
    fn the_kind_is_checked_here() {
        assert_eq!(field(json!("image")), "body");
        assert_eq!(field(json!({"image_url": "https://c/a.jpg"})), "kind");
        assert_eq!(field(json!({"kind": 3})), "kind");
        assert_eq!(field(json!({"kind": "gif"})), "kind");
        let e = refused(json!({"kind": "video", "video_url": "https://c/v.mp4"}));
        assert_eq!(e.field.as_deref(), Some("kind"));
        assert!(e.message.contains("kind \"reel\"") && e.message.contains("share_to_feed"));
        // The core's tag name is not the API's.
        assert_eq!(
            field(json!({"kind": "image", "type": "image", "image_url": "https://c/a.jpg"})),
            "type"
        );
    }

    #[test]
    fn errors_name_fields_as_the_client_spelled_them() {
        assert_eq!(field(json!({"kind": "image"})), "image_url");
        assert_eq!(
            field(json!({"kind": "image", "image_url": "http://c/a.jpg"})),
            "image_url"
        );
        assert_eq!(
            field(
                json!({"kind": "image", "image_url": "https://c/a.jpg", "caption": "x".repeat(2201)})
            ),
            "caption"
        );
        assert_eq!(
            field(json!({"kind": "carousel", "items": [{"image_url": "https://c/a.jpg"}]})),
            "items"
        );
        let both = json!([{"image_url": "https://c/a.jpg"}, {"image_url": "https://c/b.jpg", "video_url": "https://c/b.mp4"}]);
        let e = refused(json!({"kind": "carousel", "items": both}));
        assert_eq!(e.field.as_deref(), Some("items[1].video_url"));
        assert!(
            e.message.contains("image_url") && !e.message.contains("imageUrl"),
            "{}",
            e.message
        );
        assert_eq!(
            field(
                json!({"kind": "story", "image_url": "https://c/a.jpg", "user_tags": [{"username": "a", "x": "1"}]})
            ),
            "user_tags[0].x"
        );
        assert_eq!(
            field(
                json!({"kind": "reel", "video_url": "https://c/v.mp4", "collaborators": ["a", "b", "c", "d"]})
            ),
            "collaborators"
        );
        assert_eq!(
            field(json!({"kind": "reel", "video_url": "https://c/v.mp4", "thumb_offset": -1})),
            "thumb_offset"
        );
    }

    #[test]
    fn unknown_and_camel_case_fields_are_refused() {
        let e = refused(json!({"kind": "image", "image_url": "https://c/a.jpg", "extra": 1}));
        assert_eq!(e.field.as_deref(), Some("extra"));
        assert!(
            e.message.contains("alt_text") && !e.message.contains("altText"),
            "{}",
            e.message
        );
        // A field of another kind.
        assert_eq!(
            field(json!({"kind": "story", "image_url": "https://c/a.jpg", "caption": "no"})),
            "caption"
        );
        let e = refused(json!({"kind": "image", "imageUrl": "https://c/a.jpg"}));
        assert_eq!(e.field.as_deref(), Some("imageUrl"));
        assert!(e.message.contains("write image_url"), "{}", e.message);
        let items = json!([{"image_url": "https://c/a.jpg"}, {"videoUrl": "https://c/b.mp4"}]);
        assert_eq!(
            field(json!({"kind": "carousel", "items": items})),
            "items[1].videoUrl"
        );
    }

    #[test]
    fn names_are_rewritten_as_whole_words_only() {
        assert_eq!(
            to_api_names("items[3].videoUrl must be a string"),
            "items[3].video_url must be a string"
        );
        assert_eq!(
            to_api_names("expected one of imageUrl, caption, altText"),
            "expected one of image_url, caption, alt_text"
        );
        assert_eq!(
            to_api_names("imageUrls and myvideoUrl"),
            "imageUrls and myvideoUrl"
        );
    }
}
