//! What to publish: the four media kinds of Instagram's Content Publishing
//! API as plain values (an image, a reel, a carousel, a story).
//!
//! JSON shape (chosen for JavaScript, which passes these objects straight
//! through): camelCase field names and a `type` tag, e.g.
//! `{"type":"image","imageUrl":"https://…","caption":"…","altText":"…"}`.
//! The same shape is stored inside a saved [`PublishJob`](super::job::PublishJob).
//! Input from outside is read with [`MediaSpec::from_json`] (`input.rs`),
//! whose errors name the field path (`items[3].videoUrl`), and checked by
//! [`MediaSpec::validate`] (`validate.rs`) before any call.
//!
//! There is no single-video feed kind: `media_type=VIDEO` for single posts
//! was retired and "all single feed videos published through the Instagram
//! Content Publishing API will be shared as reels"
//! (<https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/content-publishing>).
//! A `{"type":"video"}` input is refused with a pointer to `"reel"` rather
//! than silently turned into one: a reel also appears in the Reels tab, and
//! the caller should choose that knowingly (`shareToFeed` keeps it in the
//! feed grid too).
//!
//! Parameters per kind follow the IG User Media reference
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media>).

use serde::{Deserialize, Serialize};

/// One thing to publish.
///
/// Read back (from a saved job) by the same field-by-field reader as input
/// from outside ([`MediaSpec::read_json`], then validated by the job):
/// one reader, one set of rules, and much less wasm than a derived reader
/// for a tagged enum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", try_from = "serde_json::Value")]
pub enum MediaSpec {
    Image(ImageSpec),
    Reel(ReelSpec),
    Carousel(CarouselSpec),
    Story(StorySpec),
}

/// A single feed image (JPEG only, per the reference's image specifications).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageSpec {
    pub image_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Up to 1,000 characters; images only (not reels or stories).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    /// People tagged at a point of the image (`x`, `y` required).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_tags: Vec<UserTag>,
    /// A location Page ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    /// Up to 3 usernames invited as collaborators.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collaborators: Vec<String>,
    /// Products tagged at a point of the image (`x`, `y` required).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub product_tags: Vec<ProductTag>,
    #[serde(flatten)]
    pub extras: PostExtras,
}

/// A reel (`media_type=REELS`): also how a single video reaches the feed.
/// The video is a public URL Meta fetches, or a file uploaded to Meta
/// (exactly one of the two).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReelSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_file: Option<VideoFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// A cover image; exclusive with `thumb_offset` (Meta would silently
    /// ignore the offset, so both together are refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover_url: Option<String>,
    /// The frame used as the cover, in milliseconds from the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb_offset: Option<u64>,
    /// `true`: the reel appears in the feed grid as well as the Reels tab.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_to_feed: Option<bool>,
    /// Renames the reel's original audio (once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collaborators: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    /// Tagged usernames (no coordinates: they apply to images and stories only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_tags: Vec<UserTag>,
    /// Tagged products (no coordinates on a video).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub product_tags: Vec<ProductTag>,
    #[serde(flatten)]
    pub extras: PostExtras,
}

/// A carousel of 2 to 10 images and/or videos, published as one post.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CarouselSpec {
    pub items: Vec<CarouselItem>,
    /// The carousel's caption (items carry none: "Not supported on images or
    /// videos in carousels").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collaborators: Vec<String>,
    /// On the carousel container only, never on its items.
    #[serde(flatten)]
    pub extras: PostExtras,
}

/// What a feed post (image, reel, carousel container) may carry besides its
/// media, per the IG User Media reference and the Instagram Platform
/// changelog: the AI info label (`is_ai_generated`, June 22, 2026) and the
/// caption add-ons of Facebook Login (`poll_attachment`,
/// `is_poll_duration_extended`, `is_comment_prompt_used`, September 28, 2026;
/// <https://developers.facebook.com/documentation/instagram-platform/content-publishing/caption-add-ons>).
/// Stories take none of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostExtras {
    /// `true` applies Instagram's "AI info" label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_ai_generated: Option<bool>,
    /// A poll of 2 to 4 options; the caption is its question (Facebook Login only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub poll_options: Vec<String>,
    /// `true` leaves the poll open indefinitely instead of 3 days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll_duration_extended: Option<bool>,
    /// `true` turns the caption into a comment prompt (Facebook Login only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment_prompt: Option<bool>,
}

/// A tagged product of the account's catalog (`product_tags`, at most 5 per
/// media; needs `instagram_shopping_tag_products`). `x`/`y` as for user tags:
/// required on images, not allowed on videos.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductTag {
    pub product_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
}

/// One carousel item: an image or a video (reels cannot be carousel items).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CarouselItem {
    Image(CarouselImage),
    Video(CarouselVideo),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CarouselImage {
    pub image_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_tags: Vec<UserTag>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub product_tags: Vec<ProductTag>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CarouselVideo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_file: Option<VideoFile>,
    /// The cover frame of this item, in milliseconds from the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb_offset: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_tags: Vec<UserTag>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub product_tags: Vec<ProductTag>,
}

/// A story: exactly one of `image_url` / `video_url` / `video_file`
/// ("Support either video URL or Reels URL but not both"). Stories take no
/// caption, location or collaborators; user tags (mentions) since July 9, 2025.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorySpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_file: Option<VideoFile>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_tags: Vec<UserTag>,
}

/// A video sent to Meta with the resumable upload
/// (`upload_type=resumable`) instead of fetched from a URL: what its header
/// told ([`inspect_mp4`](super::video_file::inspect_mp4)). The bytes
/// themselves are never part of a spec or a saved job; they are handed to
/// each upload step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoFile {
    /// The file's size in bytes (`file_size`).
    pub size: u64,
    /// The duration the MP4 header (`mvhd`) gives, in milliseconds.
    pub duration_ms: u64,
}

/// A tagged user. `x`/`y` are fractions of the width/height from the left
/// and top edges (0.0–1.0): required on images, optional on stories, not
/// allowed on videos and reels.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTag {
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
}

/// Whether the media Instagram has to process is a photo or a video: picks
/// the polling profile (videos take much longer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MediaClass {
    Image,
    Video,
}

impl MediaSpec {
    /// `"image"`, `"reel"`, `"carousel"` or `"story"`: the JSON `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            MediaSpec::Image(_) => "image",
            MediaSpec::Reel(_) => "reel",
            MediaSpec::Carousel(_) => "carousel",
            MediaSpec::Story(_) => "story",
        }
    }

    /// Video when any media to process is a video.
    pub fn class(&self) -> MediaClass {
        let video = match self {
            MediaSpec::Image(_) => false,
            MediaSpec::Reel(_) => true,
            MediaSpec::Carousel(c) => c.items.iter().any(|i| matches!(i, CarouselItem::Video(_))),
            MediaSpec::Story(s) => s.video_url.is_some() || s.video_file.is_some(),
        };
        if video {
            MediaClass::Video
        } else {
            MediaClass::Image
        }
    }

    /// The caption the published media will carry (stories have none).
    pub fn caption(&self) -> Option<&str> {
        match self {
            MediaSpec::Image(s) => s.caption.as_deref(),
            MediaSpec::Reel(s) => s.caption.as_deref(),
            MediaSpec::Carousel(s) => s.caption.as_deref(),
            MediaSpec::Story(_) => None,
        }
    }

    /// The video files this spec uploads, in order (the `files` a job's
    /// upload steps are given): with the carousel item index each belongs to
    /// (`None`: the spec's own video).
    pub fn video_files(&self) -> Vec<(Option<usize>, &VideoFile)> {
        match self {
            MediaSpec::Image(_) => Vec::new(),
            MediaSpec::Reel(s) => s.video_file.iter().map(|f| (None, f)).collect(),
            MediaSpec::Story(s) => s.video_file.iter().map(|f| (None, f)).collect(),
            MediaSpec::Carousel(c) => c
                .items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    CarouselItem::Video(v) => v.video_file.as_ref().map(|f| (Some(i), f)),
                    CarouselItem::Image(_) => None,
                })
                .collect(),
        }
    }

    /// The feed-post extras (AI label, caption add-ons); stories have none.
    pub fn extras(&self) -> Option<&PostExtras> {
        match self {
            MediaSpec::Image(s) => Some(&s.extras),
            MediaSpec::Reel(s) => Some(&s.extras),
            MediaSpec::Carousel(s) => Some(&s.extras),
            MediaSpec::Story(_) => None,
        }
    }

    /// Carousel items, which each need a container of their own first.
    pub fn carousel_items(&self) -> &[CarouselItem] {
        match self {
            MediaSpec::Carousel(c) => &c.items,
            _ => &[],
        }
    }
}

impl CarouselItem {
    pub fn user_tags(&self) -> &[UserTag] {
        match self {
            CarouselItem::Image(i) => &i.user_tags,
            CarouselItem::Video(v) => &v.user_tags,
        }
    }
}

impl TryFrom<serde_json::Value> for MediaSpec {
    type Error = crate::core::error::Error;

    fn try_from(value: serde_json::Value) -> Result<MediaSpec, Self::Error> {
        MediaSpec::read_json(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_camel_case_with_a_type_tag() {
        let spec = MediaSpec::Reel(ReelSpec {
            video_url: Some("https://cdn.example/v.mp4".into()),
            video_file: None,
            caption: Some("hi".into()),
            cover_url: None,
            thumb_offset: Some(1_500),
            share_to_feed: Some(true),
            audio_name: None,
            collaborators: vec!["friend".into()],
            location_id: None,
            user_tags: vec![],
            product_tags: vec![],
            extras: PostExtras::default(),
        });
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json,
            r#"{"type":"reel","videoUrl":"https://cdn.example/v.mp4","caption":"hi","thumbOffset":1500,"shareToFeed":true,"collaborators":["friend"]}"#
        );
        let back: MediaSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
        assert_eq!(back.class(), MediaClass::Video);
    }

    #[test]
    fn carousel_items_round_trip_by_their_url_field() {
        let json = r#"{"type":"carousel","items":[{"imageUrl":"https://c/a.jpg","altText":"a"},{"videoUrl":"https://c/b.mp4"}],"caption":"two"}"#;
        let spec: MediaSpec = serde_json::from_str(json).unwrap();
        let MediaSpec::Carousel(c) = &spec else {
            panic!("not a carousel")
        };
        assert!(matches!(c.items[0], CarouselItem::Image(_)));
        assert!(matches!(c.items[1], CarouselItem::Video(_)));
        assert_eq!(spec.class(), MediaClass::Video);
        assert_eq!(serde_json::to_string(&spec).unwrap(), json);
    }
}
