//! Reading a [`MediaSpec`] from JSON a caller gave (a JavaScript object, a
//! Worker request body), field by field, so that every error names the path
//! of the value at fault (`items[3].videoUrl must be a string`). Unknown
//! fields are refused: a typo such as `alt_text` for `altText` would
//! otherwise be dropped without a word. The result is then validated.
//!
//! A saved job's spec is read by the same reader (`saved.rs`): one set of
//! rules for both.

use serde_json::Value;

use crate::core::error::Error;
use crate::core::json::Fields;
use crate::core::publish::spec::{
    CarouselImage, CarouselItem, CarouselSpec, CarouselVideo, ImageSpec, MediaSpec, PostExtras,
    ProductTag, ReelSpec, StorySpec, UserTag, VideoFile,
};

const IMAGE_FIELDS: &[&str] = &[
    "imageUrl",
    "caption",
    "altText",
    "userTags",
    "locationId",
    "collaborators",
    "productTags",
    "isAiGenerated",
    "pollOptions",
    "pollDurationExtended",
    "commentPrompt",
];
const REEL_FIELDS: &[&str] = &[
    "videoUrl",
    "videoFile",
    "caption",
    "coverUrl",
    "thumbOffset",
    "shareToFeed",
    "audioName",
    "collaborators",
    "locationId",
    "userTags",
    "productTags",
    "isAiGenerated",
    "pollOptions",
    "pollDurationExtended",
    "commentPrompt",
];
const CAROUSEL_FIELDS: &[&str] = &[
    "items",
    "caption",
    "locationId",
    "collaborators",
    "isAiGenerated",
    "pollOptions",
    "pollDurationExtended",
    "commentPrompt",
];
const STORY_FIELDS: &[&str] = &["imageUrl", "videoUrl", "videoFile", "userTags"];

impl MediaSpec {
    /// Reads and validates `{"type": "image" | "reel" | "carousel" | "story", ...}`.
    pub fn from_json(value: &Value) -> Result<MediaSpec, Error> {
        let spec = MediaSpec::read_json(value)?;
        spec.validate()?;
        Ok(spec)
    }

    /// Reads `{"type": ..., ...}` without validating it (a saved job is
    /// validated after it is read, so a bad value names its own field).
    pub fn read_json(value: &Value) -> Result<MediaSpec, Error> {
        let obj = Fields::root(value, "spec")?;
        let Some(type_value) = obj.get("type") else {
            return Err(Error::invalid_input(
                "type",
                "type is required: \"image\", \"reel\", \"carousel\" or \"story\"",
            ));
        };
        let Some(type_name) = type_value.as_str() else {
            return Err(Error::invalid_input("type", "type must be a string"));
        };
        MediaSpec::read_fields(type_name, value, &["type"])
    }

    /// [`MediaSpec::from_json`] of a JSON text.
    pub fn from_json_str(text: &str) -> Result<MediaSpec, Error> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::invalid_input("spec", format!("the media spec is not valid JSON ({e})"))
        })?;
        MediaSpec::from_json(&value)
    }

    /// Reads the fields of a `type_name` spec from `value`, skipping the
    /// keys in `ignore` (e.g. the `config` and `accessToken` that share a
    /// JavaScript input object with the spec), and validates it.
    pub fn from_fields(
        type_name: &str,
        value: &Value,
        ignore: &[&str],
    ) -> Result<MediaSpec, Error> {
        let spec = MediaSpec::read_fields(type_name, value, ignore)?;
        spec.validate()?;
        Ok(spec)
    }

    fn read_fields(type_name: &str, value: &Value, ignore: &[&str]) -> Result<MediaSpec, Error> {
        let obj = Fields::root(value, "spec")?;
        let spec = match type_name {
            "image" => {
                obj.only(IMAGE_FIELDS, ignore)?;
                MediaSpec::Image(ImageSpec {
                    image_url: obj.string("imageUrl")?,
                    caption: obj.opt_string("caption")?,
                    alt_text: obj.opt_string("altText")?,
                    user_tags: obj.user_tags("userTags")?,
                    location_id: obj.opt_string("locationId")?,
                    collaborators: obj.strings("collaborators")?,
                    product_tags: obj.product_tags("productTags")?,
                    extras: obj.extras()?,
                })
            }
            "reel" => {
                obj.only(REEL_FIELDS, ignore)?;
                MediaSpec::Reel(ReelSpec {
                    video_url: obj.opt_string("videoUrl")?,
                    video_file: obj.video_file("videoFile")?,
                    caption: obj.opt_string("caption")?,
                    cover_url: obj.opt_string("coverUrl")?,
                    thumb_offset: obj.opt_u64("thumbOffset")?,
                    share_to_feed: obj.opt_bool("shareToFeed")?,
                    audio_name: obj.opt_string("audioName")?,
                    collaborators: obj.strings("collaborators")?,
                    location_id: obj.opt_string("locationId")?,
                    user_tags: obj.user_tags("userTags")?,
                    product_tags: obj.product_tags("productTags")?,
                    extras: obj.extras()?,
                })
            }
            "carousel" => {
                obj.only(CAROUSEL_FIELDS, ignore)?;
                MediaSpec::Carousel(CarouselSpec {
                    items: obj.items("items")?,
                    caption: obj.opt_string("caption")?,
                    location_id: obj.opt_string("locationId")?,
                    collaborators: obj.strings("collaborators")?,
                    extras: obj.extras()?,
                })
            }
            "story" => {
                obj.only(STORY_FIELDS, ignore)?;
                MediaSpec::Story(StorySpec {
                    image_url: obj.opt_string("imageUrl")?,
                    video_url: obj.opt_string("videoUrl")?,
                    video_file: obj.video_file("videoFile")?,
                    user_tags: obj.user_tags("userTags")?,
                })
            }
            "video" => {
                return Err(Error::invalid_input(
                    "type",
                    "single feed videos are published as reels (Instagram retired media_type VIDEO for single posts): use type \"reel\", with shareToFeed: true to keep it in the feed grid",
                ))
            }
            other => {
                return Err(Error::invalid_input(
                    "type",
                    format!("type {other:?} is not one of \"image\", \"reel\", \"carousel\", \"story\""),
                ))
            }
        };
        Ok(spec)
    }
}

/// The media spec's own shapes, over the core's field reader.
impl Fields<'_> {
    fn product_tags(&self, key: &str) -> Result<Vec<ProductTag>, Error> {
        let mut tags = Vec::new();
        for tag in self.objects(key)? {
            tag.only(&["productId", "x", "y"], &[])?;
            tags.push(ProductTag {
                product_id: tag.string("productId")?,
                x: tag.opt_f64("x")?,
                y: tag.opt_f64("y")?,
            });
        }
        Ok(tags)
    }

    /// The feed-post extras (AI label, caption add-ons) of this object.
    fn extras(&self) -> Result<PostExtras, Error> {
        Ok(PostExtras {
            is_ai_generated: self.opt_bool("isAiGenerated")?,
            poll_options: self.strings("pollOptions")?,
            poll_duration_extended: self.opt_bool("pollDurationExtended")?,
            comment_prompt: self.opt_bool("commentPrompt")?,
        })
    }

    fn user_tags(&self, key: &str) -> Result<Vec<UserTag>, Error> {
        let mut tags = Vec::new();
        for tag in self.objects(key)? {
            tag.only(&["username", "x", "y"], &[])?;
            tags.push(UserTag {
                username: tag.string("username")?,
                x: tag.opt_f64("x")?,
                y: tag.opt_f64("y")?,
            });
        }
        Ok(tags)
    }

    /// `{"size": bytes, "durationMs": ms}`: a video file's header facts.
    fn video_file(&self, key: &str) -> Result<Option<VideoFile>, Error> {
        let Some(file) = self.opt_object(key)? else {
            return Ok(None);
        };
        file.only(&["size", "durationMs"], &[])?;
        Ok(Some(VideoFile {
            size: file.u64("size")?,
            duration_ms: file.u64("durationMs")?,
        }))
    }

    fn items(&self, key: &str) -> Result<Vec<CarouselItem>, Error> {
        let mut items = Vec::new();
        for item in self.objects(key)? {
            let video = item.get("videoUrl").or_else(|| item.get("videoFile"));
            let parsed = match (item.get("imageUrl"), video) {
                (Some(_), None) => {
                    item.only(&["imageUrl", "altText", "userTags", "productTags"], &[])?;
                    CarouselItem::Image(CarouselImage {
                        image_url: item.string("imageUrl")?,
                        alt_text: item.opt_string("altText")?,
                        user_tags: item.user_tags("userTags")?,
                        product_tags: item.product_tags("productTags")?,
                    })
                }
                (None, Some(_)) => {
                    item.only(
                        &[
                            "videoUrl",
                            "videoFile",
                            "thumbOffset",
                            "userTags",
                            "productTags",
                        ],
                        &[],
                    )?;
                    CarouselItem::Video(CarouselVideo {
                        video_url: item.opt_string("videoUrl")?,
                        video_file: item.video_file("videoFile")?,
                        thumb_offset: item.opt_u64("thumbOffset")?,
                        user_tags: item.user_tags("userTags")?,
                        product_tags: item.product_tags("productTags")?,
                    })
                }
                (Some(_), Some(_)) => {
                    return Err(item.error(
                        "videoUrl",
                        "cannot be given with imageUrl: an item is one image or one video",
                    ))
                }
                (None, None) => {
                    return Err(item.error("imageUrl", "or videoUrl (or videoFile) is required"))
                }
            };
            items.push(parsed);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(value: Value) -> String {
        let e = MediaSpec::from_json(&value).unwrap_err();
        assert_eq!(e.kind, crate::core::error::ErrorKind::InvalidInput, "{e:?}");
        e.field.unwrap_or_default()
    }

    #[test]
    fn reads_every_kind() {
        let spec = MediaSpec::from_json(&json!({
            "type": "carousel",
            "items": [
                {"imageUrl": "https://c/a.jpg", "altText": "a", "userTags": [{"username": "bob", "x": 0.5, "y": 1}]},
                {"videoUrl": "https://c/b.mp4", "userTags": [{"username": "amy"}]}
            ],
            "caption": "two #things",
            "locationId": "110",
            "collaborators": ["amy"],
        }))
        .unwrap();
        assert_eq!(spec.carousel_items().len(), 2);
        let reel = MediaSpec::from_json(
            &json!({"type":"reel","videoUrl":"https://c/v.mp4","thumbOffset":1500.0}),
        )
        .unwrap();
        let MediaSpec::Reel(r) = reel else { panic!() };
        assert_eq!(r.thumb_offset, Some(1500));
        assert!(MediaSpec::from_json(
            &json!({"type":"story","videoUrl":"https://c/v.mp4","userTags":null})
        )
        .is_ok());
    }

    #[test]
    fn errors_name_the_path() {
        assert_eq!(field(json!("image")), "spec");
        assert_eq!(field(json!({})), "type");
        assert_eq!(field(json!({"type": 3})), "type");
        assert_eq!(field(json!({"type": "gif"})), "type");
        assert_eq!(
            field(json!({"type": "video", "videoUrl": "https://c/v.mp4"})),
            "type"
        );
        assert_eq!(field(json!({"type": "image"})), "imageUrl");
        assert_eq!(field(json!({"type": "image", "imageUrl": 5})), "imageUrl");
        assert_eq!(
            field(json!({"type": "image", "imageUrl": "https://c/a.jpg", "alt_text": "x"})),
            "alt_text"
        );
        assert_eq!(
            field(json!({"type": "reel", "videoUrl": "https://c/v.mp4", "thumbOffset": -1})),
            "thumbOffset"
        );
        assert_eq!(
            field(json!({"type": "reel", "videoUrl": "https://c/v.mp4", "shareToFeed": "yes"})),
            "shareToFeed"
        );
        assert_eq!(
            field(json!({"type": "carousel", "items": {"imageUrl": "https://c/a.jpg"}})),
            "items"
        );
        let items = json!([{"imageUrl": "https://c/a.jpg"}, {"imageUrl": "https://c/b.jpg"}, {"imageUrl": "https://c/c.jpg"}, {"videoUrl": 7}]);
        assert_eq!(
            field(json!({"type": "carousel", "items": items})),
            "items[3].videoUrl"
        );
        let items = json!([{"imageUrl": "https://c/a.jpg"}, {}]);
        assert_eq!(
            field(json!({"type": "carousel", "items": items})),
            "items[1].imageUrl"
        );
        let items = json!([{"imageUrl": "https://c/a.jpg"}, {"videoUrl": "https://c/b.mp4", "altText": "no"}]);
        assert_eq!(
            field(json!({"type": "carousel", "items": items})),
            "items[1].altText"
        );
        let items = json!([{"imageUrl": "https://c/a.jpg"}, "https://c/b.jpg"]);
        assert_eq!(
            field(json!({"type": "carousel", "items": items})),
            "items[1]"
        );
        assert_eq!(
            field(
                json!({"type": "image", "imageUrl": "https://c/a.jpg", "userTags": [{"username": "a", "x": "0.5", "y": 0.5}]})
            ),
            "userTags[0].x"
        );
        assert_eq!(
            field(
                json!({"type": "image", "imageUrl": "https://c/a.jpg", "collaborators": ["a", 2]})
            ),
            "collaborators[1]"
        );
    }

    #[test]
    fn ignored_keys_are_skipped_for_javascript_inputs() {
        let input = json!({"config": {}, "accessToken": "t", "imageUrl": "https://c/a.jpg"});
        assert!(MediaSpec::from_fields("image", &input, &["config", "accessToken"]).is_ok());
        let e = MediaSpec::from_fields("image", &input, &["config"]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("accessToken"));
    }

    #[test]
    fn text_input() {
        assert!(
            MediaSpec::from_json_str(r#"{"type":"image","imageUrl":"https://c/a.jpg"}"#).is_ok()
        );
        let e = MediaSpec::from_json_str(r#"{"type":"image","imageUrl":"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("spec"));
    }
}
