//! The publishing calls as request builder + response processor pairs, with
//! no I/O. Both login products publish the same way; only the host and the
//! token differ (graph.instagram.com with the Instagram User token,
//! graph.facebook.com with the Page token), and both come from the caller.
//!
//! The token travels as the `access_token` parameter (query for `GET`, form
//! body for `POST`), which is what every reference page documents for both
//! hosts. `Request`'s `Debug` never shows parameters.
//!
//! - create a container: `POST /{ig-user-id}/media`
//!   (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media>);
//! - its status: `GET /{container-id}?fields=status_code,status`
//!   (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-container>);
//! - publish it: `POST /{ig-user-id}/media_publish` with `creation_id`
//!   (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media_publish>);
//! - the permalink: `GET /{media-id}?fields=id,permalink`
//!   (<https://developers.facebook.com/documentation/instagram-platform/reference/instagram-media>);
//! - the newest media, to find a post whose publish answer was lost:
//!   `GET /{ig-user-id}/media` (feed and reels) or `/stories` (documented
//!   on graph.facebook.com only, so Facebook Login only:
//!   <https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/stories>).

use crate::core::config::Config;
use crate::core::error::{Error, ErrorKind, MetaError};
use crate::core::http::{Request, Response};
use crate::core::meta_body::parse_success;
use crate::core::publish::spec::{CarouselItem, MediaSpec, PostExtras, ProductTag, UserTag};
use crate::core::secret::AccessToken;

/// How many of the newest media are read when looking for a lost publish.
pub const RECENT_MEDIA_LIMIT: &str = "25";

/// Parameters of `POST /{ig-user-id}/media`, in order.
pub type Params = Vec<(&'static str, String)>;

/// `POST {graph}/{ig_user_id}/media` with `params`.
pub fn create_container_request(
    config: &Config,
    token: &AccessToken,
    ig_user_id: &str,
    params: &Params,
) -> Request {
    let mut form: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    form.push(("access_token", token.expose_secret()));
    Request::post_form(&config.graph_url(&format!("{ig_user_id}/media")), &form)
}

/// The container's parameters for `spec` (a carousel's `children` are the
/// item containers already created).
pub fn container_params(spec: &MediaSpec, children: &[String]) -> Params {
    let mut p = Params::new();
    match spec {
        MediaSpec::Image(s) => {
            p.push(("image_url", s.image_url.clone()));
            opt(&mut p, "caption", &s.caption);
            opt(&mut p, "alt_text", &s.alt_text);
            tags(&mut p, &s.user_tags);
            products(&mut p, &s.product_tags);
            opt(&mut p, "location_id", &s.location_id);
            collaborators(&mut p, &s.collaborators);
            extras(&mut p, &s.extras);
        }
        MediaSpec::Reel(s) => {
            p.push(("media_type", "REELS".to_owned()));
            video(&mut p, &s.video_url, s.video_file.is_some());
            opt(&mut p, "caption", &s.caption);
            opt(&mut p, "cover_url", &s.cover_url);
            if let Some(offset) = s.thumb_offset {
                p.push(("thumb_offset", offset.to_string()));
            }
            if let Some(share) = s.share_to_feed {
                p.push(("share_to_feed", share.to_string()));
            }
            opt(&mut p, "audio_name", &s.audio_name);
            collaborators(&mut p, &s.collaborators);
            opt(&mut p, "location_id", &s.location_id);
            tags(&mut p, &s.user_tags);
            products(&mut p, &s.product_tags);
            extras(&mut p, &s.extras);
        }
        MediaSpec::Carousel(s) => {
            p.push(("media_type", "CAROUSEL".to_owned()));
            // "A comma separated list of up to 10 container IDs" (Content Publishing guide).
            p.push(("children", children.join(",")));
            opt(&mut p, "caption", &s.caption);
            opt(&mut p, "location_id", &s.location_id);
            collaborators(&mut p, &s.collaborators);
            // "For carousels, set is_ai_generated on the carousel container
            // only"; add-ons too ("not on its item children").
            extras(&mut p, &s.extras);
        }
        MediaSpec::Story(s) => {
            p.push(("media_type", "STORIES".to_owned()));
            opt(&mut p, "image_url", &s.image_url);
            video(&mut p, &s.video_url, s.video_file.is_some());
            tags(&mut p, &s.user_tags);
        }
    }
    p
}

/// A carousel item's container: `is_carousel_item=true` and the image, or
/// `media_type=VIDEO` and the video (carousel items still use VIDEO; reels
/// cannot be items).
pub fn carousel_item_params(item: &CarouselItem) -> Params {
    let mut p = Params::new();
    match item {
        CarouselItem::Image(i) => {
            p.push(("is_carousel_item", "true".to_owned()));
            p.push(("image_url", i.image_url.clone()));
            opt(&mut p, "alt_text", &i.alt_text);
            tags(&mut p, &i.user_tags);
            products(&mut p, &i.product_tags);
        }
        CarouselItem::Video(v) => {
            p.push(("is_carousel_item", "true".to_owned()));
            p.push(("media_type", "VIDEO".to_owned()));
            video(&mut p, &v.video_url, v.video_file.is_some());
            if let Some(offset) = v.thumb_offset {
                p.push(("thumb_offset", offset.to_string()));
            }
            tags(&mut p, &v.user_tags);
            products(&mut p, &v.product_tags);
        }
    }
    p
}

/// The video's source: `video_url` for Meta to fetch, or
/// `upload_type=resumable` for a file sent to the rupload host next
/// (<https://developers.facebook.com/documentation/instagram-platform/content-publishing/resumable-uploads>).
fn video(p: &mut Params, url: &Option<String>, file: bool) {
    opt(p, "video_url", url);
    if file {
        p.push(("upload_type", "resumable".to_owned()));
    }
}

/// `product_tags` as the JSON array Meta documents:
/// `[{"product_id":"…","x":0.5,"y":0.8}]` (coordinates on images only).
fn products(p: &mut Params, tags: &[ProductTag]) {
    let entries = tags.iter().map(|t| (t.product_id.as_str(), t.x, t.y));
    tag_list(p, "product_tags", "product_id", entries);
}

/// A tag list as Meta's JSON array: `[{name_key: …, "x": …, "y": …}]`,
/// coordinates only where both are given; nothing for an empty list.
fn tag_list<'a>(
    p: &mut Params,
    key: &'static str,
    name_key: &str,
    entries: impl ExactSizeIterator<Item = (&'a str, Option<f64>, Option<f64>)>,
) {
    if entries.len() == 0 {
        return;
    }
    let list: Vec<serde_json::Value> = entries
        .map(|(name, x, y)| {
            let mut o = serde_json::Map::new();
            o.insert(name_key.into(), name.into());
            if let (Some(x), Some(y)) = (x, y) {
                o.insert("x".into(), x.into());
                o.insert("y".into(), y.into());
            }
            serde_json::Value::Object(o)
        })
        .collect();
    p.push((key, serde_json::Value::Array(list).to_string()));
}

/// The AI label and the caption add-ons: `is_ai_generated`,
/// `poll_attachment` (`{"option_a":…,"option_b":…}`, up to `option_d`),
/// `is_poll_duration_extended`, `is_comment_prompt_used`.
fn extras(p: &mut Params, extras: &PostExtras) {
    if let Some(ai) = extras.is_ai_generated {
        p.push(("is_ai_generated", ai.to_string()));
    }
    if !extras.poll_options.is_empty() {
        // Inserted one by one: collecting into the map would sort the
        // entries first, compiling a sort routine into the wasm for at
        // most four (~2.5 KB gzip of the npm package).
        let mut options = serde_json::Map::new();
        for (key, text) in ["option_a", "option_b", "option_c", "option_d"]
            .iter()
            .zip(&extras.poll_options)
        {
            options.insert((*key).to_owned(), text.clone().into());
        }
        p.push((
            "poll_attachment",
            serde_json::Value::Object(options).to_string(),
        ));
    }
    if let Some(extended) = extras.poll_duration_extended {
        p.push(("is_poll_duration_extended", extended.to_string()));
    }
    if let Some(prompt) = extras.comment_prompt {
        p.push(("is_comment_prompt_used", prompt.to_string()));
    }
}

fn opt(p: &mut Params, key: &'static str, value: &Option<String>) {
    if let Some(v) = value {
        p.push((key, v.clone()));
    }
}

/// `user_tags` as the JSON array Meta documents:
/// `[{"username":"…","x":0.5,"y":0.8}]` (coordinates only where given).
fn tags(p: &mut Params, tags: &[UserTag]) {
    let entries = tags.iter().map(|t| (t.username.as_str(), t.x, t.y));
    tag_list(p, "user_tags", "username", entries);
}

/// `collaborators` as a JSON array of usernames.
fn collaborators(p: &mut Params, names: &[String]) {
    if !names.is_empty() {
        p.push(("collaborators", serde_json::json!(names).to_string()));
    }
}

/// `{"id":"<container id>"}`.
pub fn process_created(response: &Response) -> Result<String, Error> {
    parse_success(response, "media container", |c| c.id("id"))
}

/// `GET {graph}/{container_id}?fields=status_code,status`.
pub fn container_status_request(
    config: &Config,
    token: &AccessToken,
    container_id: &str,
) -> Request {
    Request::get(
        &config.graph_url(container_id),
        &[
            ("fields", "status_code,status"),
            ("access_token", token.expose_secret()),
        ],
    )
}

/// A container's `status_code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusCode {
    InProgress,
    Finished,
    Error,
    Expired,
    Published,
}

/// What a status read said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerStatus {
    pub code: StatusCode,
    /// The `status` text; "If status_code is ERROR, this value will be the
    /// error subcode" (often inside a sentence).
    pub status: Option<String>,
}

pub fn process_container_status(response: &Response) -> Result<ContainerStatus, Error> {
    let (status_code, status) = parse_success(response, "container status", |body| {
        Ok((body.string("status_code")?, body.opt_string("status")?))
    })?;
    let code = match status_code.as_str() {
        "IN_PROGRESS" => StatusCode::InProgress,
        "FINISHED" => StatusCode::Finished,
        "ERROR" => StatusCode::Error,
        "EXPIRED" => StatusCode::Expired,
        "PUBLISHED" => StatusCode::Published,
        _ => {
            return Err(Error::unexpected(
                response,
                "container status (unknown status_code)",
            ))
        }
    };
    Ok(ContainerStatus { code, status })
}

impl ContainerStatus {
    /// The `Media` error an ERROR or EXPIRED container ends the publish
    /// with: Meta's status text, and the 2207xxx subcode it names.
    pub fn to_error(&self) -> Error {
        let detail = self.status.as_deref().unwrap_or("").trim();
        let message = match self.code {
            StatusCode::Expired => format!(
                "the container expired: it was not published within 24 hours of its creation ({})",
                if detail.is_empty() { "EXPIRED" } else { detail }
            ),
            _ => format!(
                "Instagram could not process the media ({})",
                if detail.is_empty() { "ERROR" } else { detail }
            ),
        };
        let mut error = Error::new(ErrorKind::Media, message);
        if let Some(subcode) = subcode_in(detail) {
            error = error.with_meta(MetaError {
                subcode: Some(subcode),
                ..MetaError::default()
            });
        }
        error
    }
}

/// The first 2207xxx number in a status text.
fn subcode_in(text: &str) -> Option<i64> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 7 && w.starts_with("2207"))
        .and_then(|w| w.parse().ok())
}

/// `POST {graph}/{ig_user_id}/media_publish` with `creation_id`.
pub fn media_publish_request(
    config: &Config,
    token: &AccessToken,
    ig_user_id: &str,
    container_id: &str,
) -> Request {
    Request::post_form(
        &config.graph_url(&format!("{ig_user_id}/media_publish")),
        &[
            ("creation_id", container_id),
            ("access_token", token.expose_secret()),
        ],
    )
}

/// `{"id":"<media id>"}`.
pub fn process_published(response: &Response) -> Result<String, Error> {
    parse_success(response, "media_publish", |m| m.id("id"))
}

/// `GET {graph}/{media_id}?fields=id,permalink`.
pub fn permalink_request(config: &Config, token: &AccessToken, media_id: &str) -> Request {
    Request::get(
        &config.graph_url(media_id),
        &[
            ("fields", "id,permalink"),
            ("access_token", token.expose_secret()),
        ],
    )
}

/// The permalink (`None` when Meta leaves it out).
pub fn process_permalink(response: &Response) -> Result<Option<String>, Error> {
    parse_success(response, "media", |m| {
        m.id("id")?;
        m.opt_string("permalink")
    })
}

/// `GET {graph}/{ig_user_id}/media` (or `/stories`) with the fields needed
/// to recognise a post: the newest first.
pub fn recent_media_request(
    config: &Config,
    token: &AccessToken,
    ig_user_id: &str,
    stories: bool,
) -> Request {
    let edge = if stories { "stories" } else { "media" };
    Request::get(
        &config.graph_url(&format!("{ig_user_id}/{edge}")),
        &[
            (
                "fields",
                "id,permalink,timestamp,caption,media_type,media_product_type",
            ),
            ("limit", RECENT_MEDIA_LIMIT),
            ("access_token", token.expose_secret()),
        ],
    )
}

/// One of the account's recent media.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentMedia {
    pub id: String,
    pub permalink: Option<String>,
    /// Graph time, e.g. `2026-11-22T10:15:30+0000`.
    pub timestamp: Option<String>,
    pub caption: Option<String>,
    pub media_type: Option<String>,
    pub media_product_type: Option<String>,
}

pub fn process_recent_media(response: &Response) -> Result<Vec<RecentMedia>, Error> {
    parse_success(response, "recent media", |list| {
        list.required_array("data")?;
        list.objects("data")?
            .iter()
            .map(|m| {
                Ok(RecentMedia {
                    id: m.id("id")?,
                    permalink: m.opt_string("permalink")?,
                    timestamp: m.opt_string("timestamp")?,
                    caption: m.opt_string("caption")?,
                    media_type: m.opt_string("media_type")?,
                    media_product_type: m.opt_string("media_product_type")?,
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_and_error_texts() {
        let s = process_container_status(&Response::new(
            200,
            r#"{"status_code":"ERROR","status":"Error: Media upload has failed with error code 2207052","id":"1"}"#,
        ))
        .unwrap();
        assert_eq!(s.code, StatusCode::Error);
        let e = s.to_error();
        assert_eq!(e.kind, ErrorKind::Media);
        assert_eq!(e.subcode(), Some(2_207_052));
        assert!(e.message.contains("2207052"), "{}", e.message);

        let s =
            process_container_status(&Response::new(200, r#"{"status_code":"EXPIRED"}"#)).unwrap();
        let e = s.to_error();
        assert!(e.message.contains("24 hours"), "{}", e.message);
        assert_eq!(e.subcode(), None);

        let e = process_container_status(&Response::new(200, r#"{"status_code":"WEIRD"}"#))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnexpectedResponse);
        for body in [
            "",
            "<html>",
            r#"{"status_code":"#,
            r#"{"status":"x"}"#,
            "null",
            "[]",
        ] {
            let e = process_container_status(&Response::new(200, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::UnexpectedResponse, "{body}");
        }
    }

    #[test]
    fn subcodes_in_status_texts() {
        assert_eq!(subcode_in("2207026"), Some(2_207_026));
        assert_eq!(
            subcode_in("Error: code 22070261 or 2207001."),
            Some(2_207_001)
        );
        assert_eq!(subcode_in("In Progress"), None);
    }

    #[test]
    fn ids_must_be_exact() {
        assert_eq!(
            process_created(&Response::new(200, r#"{"id":17900000000000001}"#)).unwrap(),
            "17900000000000001"
        );
        assert!(process_created(&Response::new(200, r#"{"id":"../x"}"#)).is_err());
        assert!(process_published(&Response::new(200, r#"{"id":1.79e16}"#)).is_err());
    }
}
