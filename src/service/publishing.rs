//! A resumable publish: the media spec, its validation, and a state machine
//! that makes one Meta call per [`PublishState::step`], so the Worker can
//! save the state to KV after every step and pick it up in another
//! invocation.
//!
//! Interim: the core's `publish` module (issue 3) will own this machine;
//! until it lands the Worker uses this one, and `jobs.rs` only needs it to
//! be serializable and to step.
//!
//! Steps (<https://developers.facebook.com/documentation/instagram-platform/content-publishing>):
//! carousel children (`POST /{ig}/media` with `is_carousel_item`) → the
//! container (`POST /{ig}/media`) → wait until `status_code` is FINISHED
//! (`GET /{container}?fields=status_code,status`, backing off) →
//! `POST /{ig}/media_publish` → the permalink (`GET /{media}?fields=permalink`).
//!
//! Never twice: the state is marked "publishing" and saved *before*
//! `media_publish` is sent. A publish whose outcome is unknown (timeout,
//! lost answer, 5xx, or an interrupted invocation) is never sent again
//! blindly: the container's `status_code` decides. PUBLISHED means done
//! (the media is then found in the account's recent media), FINISHED means
//! the publish never happened and may be sent.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::config::Config;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Transport};
use crate::core::json::parse_success;
use crate::core::secret::AccessToken;
use crate::core::time::Timestamp;
use crate::service::error::ApiError;

pub const CAPTION_MAX: usize = 2_200;
pub const HASHTAGS_MAX: usize = 30;
pub const MENTIONS_MAX: usize = 20;
/// Calls one publish may make before it gives up.
pub const CALL_BUDGET: u32 = 80;
/// The longest wait between two status polls.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// One carousel item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarouselItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
}

/// What to publish (the JSON body of `POST /api/accounts/{id}/publish`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MediaSpec {
    Image {
        image_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alt_text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_tags: Option<Value>,
    },
    Reel {
        video_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cover_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thumb_offset: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share_to_feed: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio_name: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        collaborators: Vec<String>,
    },
    Carousel {
        items: Vec<CarouselItem>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    Story {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        video_url: Option<String>,
    },
}

impl MediaSpec {
    /// Parses and validates a request body; errors name the field.
    pub fn from_json(body: &Value) -> Result<MediaSpec, ApiError> {
        if body.get("kind").and_then(Value::as_str) == Some("video") {
            return Err(ApiError::invalid_input(
                "kind",
                "single feed videos are published as reels since Meta retired VIDEO: use \"kind\":\"reel\"",
            ));
        }
        let spec: MediaSpec = serde_json::from_value(body.clone()).map_err(|e| {
            ApiError::invalid_input(
                "body",
                format!("not a publish request ({e}); kind is image, reel, carousel or story"),
            )
        })?;
        spec.validate()?;
        Ok(spec)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            MediaSpec::Image { .. } => "image",
            MediaSpec::Reel { .. } => "reel",
            MediaSpec::Carousel { .. } => "carousel",
            MediaSpec::Story { .. } => "story",
        }
    }

    fn is_video(&self) -> bool {
        match self {
            MediaSpec::Reel { .. } => true,
            MediaSpec::Story { video_url, .. } => video_url.is_some(),
            MediaSpec::Carousel { items, .. } => items.iter().any(|i| i.video_url.is_some()),
            MediaSpec::Image { .. } => false,
        }
    }

    pub fn validate(&self) -> Result<(), ApiError> {
        match self {
            MediaSpec::Image {
                image_url, caption, ..
            } => {
                check_url("image_url", image_url)?;
                check_caption(caption.as_deref())
            }
            MediaSpec::Reel {
                video_url,
                caption,
                cover_url,
                collaborators,
                ..
            } => {
                check_url("video_url", video_url)?;
                if let Some(c) = cover_url {
                    check_url("cover_url", c)?;
                }
                if collaborators.len() > 3 {
                    return Err(ApiError::invalid_input(
                        "collaborators",
                        "at most 3 collaborators",
                    ));
                }
                check_caption(caption.as_deref())
            }
            MediaSpec::Carousel { items, caption } => {
                if !(2..=10).contains(&items.len()) {
                    return Err(ApiError::invalid_input(
                        "items",
                        format!("a carousel has 2 to 10 items, not {}", items.len()),
                    ));
                }
                for (i, item) in items.iter().enumerate() {
                    let field = format!("items[{i}]");
                    match (&item.image_url, &item.video_url) {
                        (Some(u), None) | (None, Some(u)) => check_url(&field, u)?,
                        _ => {
                            return Err(ApiError::invalid_input(
                                &field,
                                "each item has exactly one of image_url or video_url",
                            ))
                        }
                    }
                }
                check_caption(caption.as_deref())
            }
            MediaSpec::Story {
                image_url,
                video_url,
            } => match (image_url, video_url) {
                (Some(u), None) => check_url("image_url", u),
                (None, Some(u)) => check_url("video_url", u),
                _ => Err(ApiError::invalid_input(
                    "image_url",
                    "a story has exactly one of image_url or video_url",
                )),
            },
        }
    }
}

fn check_url(field: &str, url: &str) -> Result<(), ApiError> {
    let ok = url
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && url.len() <= 2048
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_input(
            field,
            format!("{field} must be a public https:// URL Meta can fetch"),
        ))
    }
}

fn check_caption(caption: Option<&str>) -> Result<(), ApiError> {
    let Some(c) = caption else { return Ok(()) };
    if c.chars().count() > CAPTION_MAX {
        return Err(ApiError::invalid_input(
            "caption",
            format!("a caption is at most {CAPTION_MAX} characters"),
        ));
    }
    let count = |sigil: char| {
        c.split(sigil)
            .skip(1)
            .filter(|rest| {
                rest.chars()
                    .next()
                    .is_some_and(|ch| ch.is_alphanumeric() || ch == '_')
            })
            .count()
    };
    if count('#') > HASHTAGS_MAX {
        return Err(ApiError::invalid_input(
            "caption",
            format!("at most {HASHTAGS_MAX} hashtags"),
        ));
    }
    if count('@') > MENTIONS_MAX {
        return Err(ApiError::invalid_input(
            "caption",
            format!("at most {MENTIONS_MAX} @mentions"),
        ));
    }
    Ok(())
}

/// Where a publish is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Creating carousel item containers.
    Children,
    /// Creating the container.
    Container,
    /// Waiting for the container to be FINISHED.
    Processing,
    /// Ready: the next step arms the publish (no call), and the state is
    /// saved with `publish_sends` counted before anything is sent.
    Publishing,
    /// A `media_publish` is armed (sent by the next step of this same
    /// invocation) or was sent with an unknown outcome (a resumed state, a
    /// lost answer): then the container's status decides.
    PublishSent,
    /// Published; reading the permalink.
    Permalink,
    Published,
    Failed,
}

/// Why a publish failed (kept in the job).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishError {
    pub kind: String,
    pub message: String,
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub subcode: Option<i64>,
}

impl From<&Error> for PublishError {
    fn from(e: &Error) -> PublishError {
        PublishError {
            kind: e.kind.as_str().to_owned(),
            message: e.message.clone(),
            code: e.code(),
            subcode: e.subcode(),
        }
    }
}

/// The serializable state of one publish.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublishState {
    pub spec: MediaSpec,
    pub phase: Phase,
    #[serde(default)]
    pub children: Vec<String>,
    #[serde(default)]
    pub container_id: Option<String>,
    #[serde(default)]
    pub media_id: Option<String>,
    #[serde(default)]
    pub permalink: Option<String>,
    /// Sends of `media_publish` (at most one can have taken effect).
    #[serde(default)]
    pub publish_sends: u32,
    #[serde(default)]
    pub polls: u32,
    #[serde(default)]
    pub calls: u32,
    /// Transient failures in a row.
    #[serde(default)]
    pub retries: u32,
    /// Set when `Publishing` arms the send; never saved, so a state loaded
    /// from KV in `PublishSent` confirms instead of sending again.
    #[serde(skip)]
    armed: bool,
    /// Do not call Meta before this (polling interval, Retry-After).
    #[serde(default)]
    pub not_before: Option<Timestamp>,
    pub started_at: Timestamp,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    #[serde(default)]
    pub error: Option<PublishError>,
}

/// Who publishes: the account and its token on its product's Graph host.
pub struct Publisher<'a> {
    pub config: &'a Config,
    pub ig_user_id: &'a str,
    pub token: &'a AccessToken,
}

impl PublishState {
    pub fn new(spec: MediaSpec, now: Timestamp) -> PublishState {
        let phase = if matches!(spec, MediaSpec::Carousel { .. }) {
            Phase::Children
        } else {
            Phase::Container
        };
        PublishState {
            spec,
            phase,
            children: Vec::new(),
            container_id: None,
            media_id: None,
            permalink: None,
            publish_sends: 0,
            polls: 0,
            calls: 0,
            retries: 0,
            armed: false,
            not_before: None,
            started_at: now,
            finished_at: None,
            error: None,
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Published | Phase::Failed)
    }

    /// Makes (at most) one call to Meta and moves on. The caller saves the
    /// state after every step; that is what makes a publish resumable and
    /// never doubled (see the module docs).
    pub async fn step<T: Transport>(&mut self, transport: &T, who: &Publisher<'_>) {
        if self.is_finished() {
            return;
        }
        if self.phase == Phase::Publishing {
            // No call: count the send and let the caller save first.
            self.phase = Phase::PublishSent;
            self.publish_sends += 1;
            self.armed = true;
            return;
        }
        if self.calls >= CALL_BUDGET {
            return self.fail(
                transport.now(),
                &Error::new(
                    ErrorKind::Timeout,
                    "the publish used its call budget without finishing",
                ),
            );
        }
        self.calls += 1;
        let result = match self.phase {
            Phase::Children => self.create_child(transport, who).await,
            Phase::Container => self.create_container(transport, who).await,
            Phase::Processing => self.poll(transport, who).await,
            Phase::PublishSent if self.armed => {
                self.armed = false;
                self.publish(transport, who).await
            }
            Phase::PublishSent => self.confirm(transport, who).await,
            Phase::Permalink => self.read_permalink(transport, who).await,
            Phase::Publishing | Phase::Published | Phase::Failed => Ok(()),
        };
        let now = transport.now();
        match result {
            Ok(()) => self.retries = 0,
            Err(e) => self.on_error(now, &e),
        }
    }

    fn on_error(&mut self, now: Timestamp, e: &Error) {
        if self.phase == Phase::PublishSent && e.retryable() {
            // The publish may have happened (lost answer, timeout, 5xx):
            // give Meta a moment, then the container decides.
            self.not_before = Some(now.plus(Duration::from_secs(5)));
            return;
        }
        if e.retryable() && self.retries < 5 {
            self.retries += 1;
            let backoff = e
                .retry_after
                .unwrap_or(Duration::from_secs(1 << self.retries.min(5)));
            self.not_before = Some(now.plus(backoff));
            return;
        }
        self.fail(now, e);
    }

    fn fail(&mut self, now: Timestamp, e: &Error) {
        self.phase = Phase::Failed;
        self.error = Some(PublishError::from(e));
        self.finished_at = Some(now);
        self.not_before = None;
    }

    async fn create_child<T: Transport>(
        &mut self,
        transport: &T,
        who: &Publisher<'_>,
    ) -> Result<(), Error> {
        let MediaSpec::Carousel { items, .. } = &self.spec else {
            self.phase = Phase::Container;
            return Ok(());
        };
        let Some(item) = items.get(self.children.len()) else {
            self.phase = Phase::Container;
            return Ok(());
        };
        let mut params = vec![("is_carousel_item", "true".to_owned())];
        match (&item.image_url, &item.video_url) {
            (Some(u), _) => params.push(("image_url", u.clone())),
            (None, Some(u)) => {
                params.push(("media_type", "VIDEO".to_owned()));
                params.push(("video_url", u.clone()));
            }
            (None, None) => return Err(Error::invalid_input("items", "an item without media")),
        }
        let id = create(transport, who, &params).await?;
        self.children.push(id);
        if self.children.len() == items.len() {
            self.phase = Phase::Container;
        }
        Ok(())
    }

    async fn create_container<T: Transport>(
        &mut self,
        transport: &T,
        who: &Publisher<'_>,
    ) -> Result<(), Error> {
        let mut params: Vec<(&str, String)> = Vec::new();
        let mut opt = |k: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                params.push((k, v.clone()));
            }
        };
        match &self.spec {
            MediaSpec::Image {
                image_url,
                caption,
                alt_text,
                location_id,
                user_tags,
            } => {
                opt("caption", caption);
                opt("alt_text", alt_text);
                opt("location_id", location_id);
                params.push(("image_url", image_url.clone()));
                if let Some(tags) = user_tags {
                    params.push(("user_tags", tags.to_string()));
                }
            }
            MediaSpec::Reel {
                video_url,
                caption,
                cover_url,
                thumb_offset,
                share_to_feed,
                audio_name,
                collaborators,
            } => {
                opt("caption", caption);
                opt("cover_url", cover_url);
                opt("audio_name", audio_name);
                params.push(("media_type", "REELS".into()));
                params.push(("video_url", video_url.clone()));
                if let Some(t) = thumb_offset {
                    params.push(("thumb_offset", t.to_string()));
                }
                if let Some(s) = share_to_feed {
                    params.push(("share_to_feed", s.to_string()));
                }
                if !collaborators.is_empty() {
                    params.push((
                        "collaborators",
                        serde_json::to_string(collaborators).unwrap_or_default(),
                    ));
                }
            }
            MediaSpec::Carousel { caption, .. } => {
                opt("caption", caption);
                params.push(("media_type", "CAROUSEL".into()));
                params.push(("children", self.children.join(",")));
            }
            MediaSpec::Story {
                image_url,
                video_url,
            } => {
                params.push(("media_type", "STORIES".into()));
                match (image_url, video_url) {
                    (Some(u), _) => params.push(("image_url", u.clone())),
                    (None, Some(u)) => params.push(("video_url", u.clone())),
                    (None, None) => {
                        return Err(Error::invalid_input("image_url", "a story without media"))
                    }
                }
            }
        }
        let id = create(transport, who, &params).await?;
        self.container_id = Some(id);
        self.phase = Phase::Processing;
        // Images are usually ready within a second; videos take longer.
        let first = if self.spec.is_video() { 2_000 } else { 500 };
        self.not_before = Some(transport.now().plus(Duration::from_millis(first)));
        Ok(())
    }

    async fn status<T: Transport>(
        &self,
        transport: &T,
        who: &Publisher<'_>,
    ) -> Result<(String, String), Error> {
        let container = self.container_id.as_deref().unwrap_or("");
        let r = transport
            .send(Request::get(
                &who.config.graph_url(container),
                &[
                    ("fields", "status_code,status"),
                    ("access_token", who.token.expose_secret()),
                ],
            ))
            .await?;
        #[derive(Deserialize)]
        struct Status {
            status_code: String,
            #[serde(default)]
            status: Option<String>,
        }
        let s: Status = parse_success(&r, "container status")?;
        Ok((s.status_code, s.status.unwrap_or_default()))
    }

    async fn poll<T: Transport>(
        &mut self,
        transport: &T,
        who: &Publisher<'_>,
    ) -> Result<(), Error> {
        let (code, text) = self.status(transport, who).await?;
        self.polls += 1;
        match code.as_str() {
            "FINISHED" => {
                self.phase = Phase::Publishing;
                self.not_before = None;
            }
            // Published by an earlier send whose answer never came back.
            "PUBLISHED" => self.phase = Phase::Permalink,
            "IN_PROGRESS" => {
                // Back off 1.5x per poll, capped: quick for images, few calls for long videos.
                let base = if self.spec.is_video() { 2_000.0 } else { 500.0 };
                let wait = (base * 1.5f64.powi(self.polls as i32))
                    .min(MAX_POLL_INTERVAL.as_millis() as f64);
                self.not_before = Some(transport.now().plus(Duration::from_millis(wait as u64)));
            }
            "ERROR" | "EXPIRED" => {
                let e = Error::new(
                    ErrorKind::Media,
                    format!("Instagram could not process the media: {code} {text}")
                        .trim()
                        .to_owned(),
                );
                self.fail(transport.now(), &e);
            }
            other => {
                return Err(Error::new(
                    ErrorKind::UnexpectedResponse,
                    format!("unknown container status_code {other:?}"),
                ))
            }
        }
        Ok(())
    }

    async fn publish<T: Transport>(
        &mut self,
        transport: &T,
        who: &Publisher<'_>,
    ) -> Result<(), Error> {
        let container = self.container_id.clone().unwrap_or_default();
        let r = transport
            .send(Request::post_form(
                &who.config
                    .graph_url(&format!("{}/media_publish", who.ig_user_id)),
                &[
                    ("creation_id", &container),
                    ("access_token", who.token.expose_secret()),
                ],
            ))
            .await?;
        #[derive(Deserialize)]
        struct Published {
            #[serde(deserialize_with = "crate::core::json::id")]
            id: String,
        }
        match parse_success::<Published>(&r, "media_publish") {
            Ok(p) => {
                self.media_id = Some(p.id);
                self.phase = Phase::Permalink;
                Ok(())
            }
            // "Media ID is not available" (9007 / 2207027): not ready after
            // all, and certainly not published.
            Err(e) if e.code() == Some(9007) || e.subcode() == Some(2_207_027) => {
                self.phase = Phase::Processing;
                self.not_before = Some(transport.now().plus(Duration::from_secs(2)));
                Ok(())
            }
            // Any other answer: a definite refusal (quota, permission, ...)
            // unless it is a server-side failure, whose outcome is unknown.
            Err(e) => Err(e),
        }
    }

    async fn confirm<T: Transport>(
        &mut self,
        transport: &T,
        who: &Publisher<'_>,
    ) -> Result<(), Error> {
        let (code, _) = self.status(transport, who).await?;
        match code.as_str() {
            "PUBLISHED" => {
                self.phase = Phase::Permalink;
                Ok(())
            }
            // The send never took effect: arm a new one (counted again).
            "FINISHED" => {
                self.phase = Phase::Publishing;
                Ok(())
            }
            "IN_PROGRESS" => {
                self.phase = Phase::Processing;
                Ok(())
            }
            other => {
                let e = Error::new(
                    ErrorKind::Media,
                    format!("the container is {other}; it was not published"),
                );
                self.fail(transport.now(), &e);
                Ok(())
            }
        }
    }

    async fn read_permalink<T: Transport>(
        &mut self,
        transport: &T,
        who: &Publisher<'_>,
    ) -> Result<(), Error> {
        #[derive(Deserialize)]
        struct Media {
            #[serde(deserialize_with = "crate::core::json::id")]
            id: String,
            #[serde(default)]
            permalink: Option<String>,
            #[serde(default)]
            caption: Option<String>,
        }
        match self.media_id.clone() {
            Some(id) => {
                let r = transport
                    .send(Request::get(
                        &who.config.graph_url(&id),
                        &[
                            ("fields", "id,permalink"),
                            ("access_token", who.token.expose_secret()),
                        ],
                    ))
                    .await?;
                let m: Media = parse_success(&r, "media")?;
                self.permalink = m.permalink;
            }
            None => {
                // Published, but its answer was lost: find it among the
                // account's newest media (stories are not listed there).
                let r = transport
                    .send(Request::get(
                        &who.config.graph_url(&format!("{}/media", who.ig_user_id)),
                        &[
                            ("fields", "id,permalink,caption,timestamp"),
                            ("limit", "10"),
                            ("access_token", who.token.expose_secret()),
                        ],
                    ))
                    .await?;
                #[derive(Deserialize)]
                struct List {
                    data: Vec<Media>,
                }
                let list: List = parse_success(&r, "recent media")?;
                let caption = match &self.spec {
                    MediaSpec::Image { caption, .. }
                    | MediaSpec::Reel { caption, .. }
                    | MediaSpec::Carousel { caption, .. } => caption.clone(),
                    MediaSpec::Story { .. } => None,
                };
                if let Some(m) = list.data.into_iter().find(|m| m.caption == caption) {
                    self.media_id = Some(m.id);
                    self.permalink = m.permalink;
                }
            }
        }
        self.phase = Phase::Published;
        self.finished_at = Some(transport.now());
        self.not_before = None;
        Ok(())
    }
}

async fn create<T: Transport>(
    transport: &T,
    who: &Publisher<'_>,
    params: &[(&str, String)],
) -> Result<String, Error> {
    let mut form: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    form.push(("access_token", who.token.expose_secret()));
    let r = transport
        .send(Request::post_form(
            &who.config.graph_url(&format!("{}/media", who.ig_user_id)),
            &form,
        ))
        .await?;
    #[derive(Deserialize)]
    struct Created {
        #[serde(deserialize_with = "crate::core::json::id")]
        id: String,
    }
    Ok(parse_success::<Created>(&r, "media container")?.id)
}

/// `GET /{ig}/content_publishing_limit?fields=quota_usage,config`.
pub async fn quota<T: Transport>(transport: &T, who: &Publisher<'_>) -> Result<Value, Error> {
    let r = transport
        .send(Request::get(
            &who.config
                .graph_url(&format!("{}/content_publishing_limit", who.ig_user_id)),
            &[
                ("fields", "quota_usage,config"),
                ("access_token", who.token.expose_secret()),
            ],
        ))
        .await?;
    let body: Value = parse_success(&r, "publishing limit")?;
    let entry = body
        .get("data")
        .and_then(|d| d.get(0))
        .cloned()
        .unwrap_or(Value::Null);
    Ok(serde_json::json!({
        "quota_usage": entry.get("quota_usage"),
        "quota_total": entry.pointer("/config/quota_total"),
        "quota_duration": entry.pointer("/config/quota_duration"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(body: Value) -> String {
        MediaSpec::from_json(&body).unwrap_err().field.unwrap()
    }

    #[test]
    fn validation_names_the_field() {
        assert!(MediaSpec::from_json(
            &json!({"kind":"image","image_url":"https://cdn.example/a.jpg","caption":"hi #x @y"})
        )
        .is_ok());
        assert_eq!(
            field(json!({"kind":"image","image_url":"http://cdn.example/a.jpg"})),
            "image_url"
        );
        assert_eq!(
            field(
                json!({"kind":"image","image_url":"https://cdn.example/a.jpg","caption":"x".repeat(2201)})
            ),
            "caption"
        );
        let tags: String = (0..31).map(|i| format!("#t{i} ")).collect();
        assert_eq!(
            field(json!({"kind":"image","image_url":"https://c/a.jpg","caption":tags})),
            "caption"
        );
        let mentions: String = (0..21).map(|i| format!("@u{i} ")).collect();
        assert_eq!(
            field(json!({"kind":"image","image_url":"https://c/a.jpg","caption":mentions})),
            "caption"
        );
        assert_eq!(
            field(json!({"kind":"carousel","items":[{"image_url":"https://c/a.jpg"}]})),
            "items"
        );
        assert_eq!(
            field(
                json!({"kind":"carousel","items":[{"image_url":"https://c/a.jpg"},{"image_url":"https://c/b.jpg","video_url":"https://c/b.mp4"}]})
            ),
            "items[1]"
        );
        assert_eq!(field(json!({"kind":"story"})), "image_url");
        assert_eq!(
            field(json!({"kind":"video","video_url":"https://c/v.mp4"})),
            "kind"
        );
        assert_eq!(field(json!({"kind":"gif"})), "body");
        assert_eq!(
            field(
                json!({"kind":"reel","video_url":"https://c/v.mp4","collaborators":["a","b","c","d"]})
            ),
            "collaborators"
        );
        assert_eq!(
            field(json!({"kind":"image","image_url":"https://c/a.jpg","extra":1})),
            "body"
        );
    }
}
