//! An in-memory Instagram for native tests and the polling benchmark: the
//! publishing endpoints of the Graph API (containers with a processing time,
//! status codes, `media_publish`, per-user media reads, the quota) answered
//! on the [`ScriptedTransport`]'s fake clock, with injectable faults
//! including "the publish happened but its answer was lost". It is the one
//! fake of these endpoints in the Rust tests: the Worker's tests
//! (`tests/service_common`) put it behind their fake Meta's token check.
//!
//! It behaves like `tests/standin/publish.mjs` where Meta's documentation
//! is explicit (status codes, 9007 / 2207027 for an unfinished container,
//! 2207020 for an expired one, 9 / 2207042 for the quota) and keeps
//! everything else minimal. Not compiled for wasm.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Method, Request, Response};
use crate::core::testing::graph_error;
use crate::core::testing::ScriptedTransport;
use crate::core::time::Timestamp;

/// How a faulted call ends.
#[derive(Clone, Debug)]
pub enum Fault {
    /// This answer instead; the call has no effect.
    Answer(Response),
    /// A transport error; the call has no effect.
    Transport,
    /// The call takes effect, then the connection drops (a lost answer).
    LostAnswer,
    /// The call takes effect, but this answer comes back (a 5xx from a
    /// proxy after the fact, a truncated body).
    AfterEffect(Response),
}

/// One injected fault: the next `times` requests whose path ends with
/// `path_suffix` (and method, if given) get `fault`.
#[derive(Clone, Debug)]
struct FaultRule {
    path_suffix: String,
    method: Option<Method>,
    fault: Fault,
    times: u32,
}

/// A container as the fake keeps it.
#[derive(Clone, Debug)]
pub struct Container {
    pub id: String,
    /// The Instagram user whose edge created it (`/{ig-user-id}/media`).
    pub owner: String,
    pub params: Vec<(String, String)>,
    pub is_item: bool,
    pub is_video: bool,
    pub created_at: Timestamp,
    pub ready_at: Timestamp,
    pub children: Vec<String>,
    /// The `status` text of an ERROR container.
    pub failure: Option<String>,
    pub media_id: Option<String>,
    /// When a status read first saw it FINISHED.
    pub finished_seen_at: Option<Timestamp>,
}

impl Container {
    /// A parameter of the creating request (`media_type`, `caption`, ...).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A published media.
#[derive(Clone, Debug)]
pub struct Media {
    pub id: String,
    /// Its Instagram user: `/{ig-user-id}/media` lists only theirs.
    pub owner: String,
    pub container_id: String,
    pub caption: Option<String>,
    pub media_type: &'static str,
    pub product_type: &'static str,
    pub published_at: Timestamp,
}

impl Media {
    pub fn permalink(&self) -> String {
        match self.product_type {
            "REELS" => format!("https://www.instagram.com/reel/R{}/", self.id),
            "STORY" => format!("https://www.instagram.com/stories/fake/{}/", self.id),
            _ => format!("https://www.instagram.com/p/P{}/", self.id),
        }
    }
}

struct State {
    next_id: u64,
    image_processing: Duration,
    video_processing: Duration,
    quota_total: u32,
    token: Option<String>,
    containers: BTreeMap<String, Container>,
    media: Vec<Media>,
    faults: VecDeque<FaultRule>,
    log: Vec<Request>,
}

/// The fake; clones share one state.
#[derive(Clone)]
pub struct FakeGraph {
    state: Rc<RefCell<State>>,
}

impl Default for FakeGraph {
    fn default() -> FakeGraph {
        FakeGraph::new()
    }
}

const CONTAINER_TTL: Duration = Duration::from_secs(24 * 3600);
const QUOTA_WINDOW: Duration = Duration::from_secs(24 * 3600);

impl FakeGraph {
    /// Images process in 1 s, videos in 10 s; quota 100.
    pub fn new() -> FakeGraph {
        FakeGraph {
            state: Rc::new(RefCell::new(State {
                next_id: 17_900_000_000_000_001,
                image_processing: Duration::from_secs(1),
                video_processing: Duration::from_secs(10),
                quota_total: 100,
                token: None,
                containers: BTreeMap::new(),
                media: Vec::new(),
                faults: VecDeque::new(),
                log: Vec::new(),
            })),
        }
    }

    /// Answers every request `transport` is not scripted for.
    pub fn install(&self, transport: &ScriptedTransport) {
        let fake = self.clone();
        transport.set_handler(move |request, now| fake.handle(request, now));
    }

    pub fn set_processing(&self, image: Duration, video: Duration) {
        let mut s = self.state.borrow_mut();
        s.image_processing = image;
        s.video_processing = video;
    }

    pub fn set_quota_total(&self, total: u32) {
        self.state.borrow_mut().quota_total = total;
    }

    /// Only this `access_token` is accepted (any non-empty one otherwise).
    pub fn require_token(&self, token: &str) {
        self.state.borrow_mut().token = Some(token.to_owned());
    }

    /// The next `times` requests to a path ending with `path_suffix` fail with `fault`.
    pub fn fault(&self, method: Option<Method>, path_suffix: &str, fault: Fault, times: u32) {
        if times == 0 {
            return;
        }
        self.state.borrow_mut().faults.push_back(FaultRule {
            path_suffix: path_suffix.to_owned(),
            method,
            fault,
            times,
        });
    }

    /// Forgets the faults not used yet.
    pub fn clear_faults(&self) {
        self.state.borrow_mut().faults.clear();
    }

    /// Publishes `container_id` out of band (as if another client had).
    pub fn publish_directly(&self, container_id: &str, now: Timestamp) -> Option<String> {
        let mut s = self.state.borrow_mut();
        s.publish(container_id, now)
    }

    pub fn media(&self) -> Vec<Media> {
        self.state.borrow().media.clone()
    }

    pub fn containers(&self) -> Vec<Container> {
        self.state.borrow().containers.values().cloned().collect()
    }

    pub fn container(&self, id: &str) -> Option<Container> {
        self.state.borrow().containers.get(id).cloned()
    }

    /// Every request received (faulted ones included).
    pub fn log(&self) -> Vec<Request> {
        self.state.borrow().log.clone()
    }

    /// How many requests hit a path ending with `suffix` with `method`.
    pub fn count(&self, method: Method, suffix: &str) -> usize {
        self.state
            .borrow()
            .log
            .iter()
            .filter(|r| r.method == method && r.path().ends_with(suffix))
            .count()
    }

    /// Status reads (`GET /{container-id}`).
    pub fn status_reads(&self) -> usize {
        let s = self.state.borrow();
        s.log
            .iter()
            .filter(|r| {
                r.method == Method::Get
                    && last_segment(r.path()).is_some_and(|id| s.containers.contains_key(id))
            })
            .count()
    }

    pub fn handle(&self, request: &Request, now: Timestamp) -> Result<Response, Error> {
        let mut s = self.state.borrow_mut();
        s.log.push(request.clone());
        let fault = s.take_fault(request);
        match fault {
            Some(Fault::Answer(response)) => Ok(response),
            Some(Fault::Transport) => Err(Error::new(ErrorKind::Transport, "connection reset")),
            Some(Fault::LostAnswer) => {
                let _done = s.route(request, now);
                Err(Error::new(
                    ErrorKind::Transport,
                    "the connection closed before the answer",
                ))
            }
            Some(Fault::AfterEffect(response)) => {
                let _done = s.route(request, now);
                Ok(response)
            }
            None => Ok(s.route(request, now)),
        }
    }
}

fn last_segment(path: &str) -> Option<&str> {
    path.rsplit('/').next().filter(|s| !s.is_empty())
}

/// The segment before the last: the user of `/{ig-user-id}/media`.
fn owner_segment(path: &str) -> &str {
    path.rsplit('/').nth(1).unwrap_or("")
}

fn ok(body: serde_json::Value) -> Response {
    Response::new(200, body.to_string()).with_header("content-type", "application/json")
}

/// Graph time: `2026-11-22T10:15:30+0000`.
fn graph_time(t: Timestamp) -> String {
    let iso = Timestamp::from_secs(t.as_secs()).to_rfc3339();
    format!("{}+0000", iso.trim_end_matches(".000Z"))
}

impl State {
    fn take_fault(&mut self, request: &Request) -> Option<Fault> {
        let index = self.faults.iter().position(|f| {
            request.path().ends_with(&f.path_suffix) && f.method.is_none_or(|m| m == request.method)
        })?;
        let rule = &mut self.faults[index];
        let fault = rule.fault.clone();
        rule.times -= 1;
        if rule.times == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    fn route(&mut self, request: &Request, now: Timestamp) -> Response {
        let params: BTreeMap<String, String> = request.params().into_iter().collect();
        let token_ok = match (&self.token, params.get("access_token")) {
            (_, None) => false,
            (Some(want), Some(got)) => want == got,
            (None, Some(got)) => !got.is_empty(),
        };
        if !token_ok {
            return graph_error(
                400,
                190,
                None,
                "Invalid OAuth access token - Cannot parse access token",
            );
        }
        let last = last_segment(request.path()).unwrap_or("");
        let owner = owner_segment(request.path());
        match (request.method, last) {
            (Method::Post, "media") => self.create(owner, &params, now),
            (Method::Post, "media_publish") => self.publish_call(&params, now),
            (Method::Get, "content_publishing_limit") => {
                let used = self.used(now);
                ok(
                    serde_json::json!({"data":[{"quota_usage": used, "config": {"quota_total": self.quota_total, "quota_duration": 86400}}]}),
                )
            }
            (Method::Get, "media") | (Method::Get, "stories") => {
                let stories = last == "stories";
                let data: Vec<serde_json::Value> = self
                    .media
                    .iter()
                    .rev()
                    .filter(|m| m.owner == owner && (m.product_type == "STORY") == stories)
                    .map(|m| {
                        let mut o = serde_json::json!({
                            "id": m.id, "permalink": m.permalink(), "timestamp": graph_time(m.published_at),
                            "media_type": m.media_type, "media_product_type": m.product_type,
                        });
                        if let Some(c) = &m.caption {
                            o["caption"] = c.clone().into();
                        }
                        o
                    })
                    .collect();
                ok(serde_json::json!({ "data": data }))
            }
            (Method::Get, id) if self.containers.contains_key(id) => {
                let (code, text) = self.status(id, now);
                if code == "FINISHED" {
                    if let Some(c) = self.containers.get_mut(id) {
                        c.finished_seen_at.get_or_insert(now);
                    }
                }
                ok(serde_json::json!({"status_code": code, "status": text, "id": id}))
            }
            (Method::Get, id) => match self.media.iter().find(|m| m.id == id) {
                Some(m) => ok(serde_json::json!({"id": m.id, "permalink": m.permalink()})),
                None => graph_error(400, 100, Some(33), "Unsupported get request."),
            },
            _ => graph_error(400, 100, None, "Unsupported request"),
        }
    }

    fn used(&self, now: Timestamp) -> usize {
        self.media
            .iter()
            .filter(|m| m.published_at > now.minus(QUOTA_WINDOW) && !m.container_id.is_empty())
            .count()
    }

    fn create(&mut self, owner: &str, p: &BTreeMap<String, String>, now: Timestamp) -> Response {
        let media_type = p.get("media_type").map(String::as_str);
        let is_item = p.get("is_carousel_item").map(String::as_str) == Some("true");
        let url = p.get("video_url").or_else(|| p.get("image_url")).cloned();
        let is_video = p.contains_key("video_url");
        let mut children = Vec::new();
        match media_type {
            None | Some("REELS") | Some("STORIES") => {}
            Some("VIDEO") if is_item => {}
            Some("CAROUSEL") => {
                children = p
                    .get("children")
                    .map(|c| c.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                if !(2..=10).contains(&children.len())
                    || children
                        .iter()
                        .any(|c| !self.containers.get(c).is_some_and(|c| c.is_item))
                {
                    return graph_error(400, 100, Some(2_207_028), "Carousel children are invalid");
                }
            }
            Some(_) => {
                return graph_error(400, 100, Some(2_207_023), "The media type is not supported")
            }
        }
        if media_type != Some("CAROUSEL") {
            let Some(url) = &url else {
                return graph_error(400, 100, None, "The parameter image_url is required");
            };
            if url.contains("fail-download") && !is_video {
                return graph_error(
                    400,
                    9004,
                    Some(2_207_052),
                    "The media could not be fetched from this uri",
                );
            }
        }
        let processing = if is_video {
            self.video_processing
        } else {
            self.image_processing
        };
        let failure = url.as_deref().and_then(|u| {
            if u.contains("processing-error") || (is_video && u.contains("fail-download")) {
                Some(format!(
                    "Error: Media upload has failed with error code {}",
                    if is_video { 2_207_052 } else { 2_207_001 }
                ))
            } else {
                None
            }
        });
        let id = self.new_id();
        self.containers.insert(
            id.clone(),
            Container {
                id: id.clone(),
                owner: owner.to_owned(),
                params: p.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                is_item,
                is_video,
                created_at: now,
                ready_at: now.plus(processing),
                children,
                failure,
                media_id: None,
                finished_seen_at: None,
            },
        );
        ok(serde_json::json!({ "id": id }))
    }

    fn status(&self, id: &str, now: Timestamp) -> (&'static str, String) {
        let Some(c) = self.containers.get(id) else {
            return ("ERROR", "Error: unknown".into());
        };
        if c.media_id.is_some() {
            return (
                "PUBLISHED",
                "Published: Media has been successfully published.".into(),
            );
        }
        if now < c.ready_at {
            return (
                "IN_PROGRESS",
                "In Progress: Media is still being processed.".into(),
            );
        }
        if let Some(f) = &c.failure {
            return ("ERROR", f.clone());
        }
        if now >= c.created_at.plus(CONTAINER_TTL) {
            return (
                "EXPIRED",
                "Expired: Media has not been published within 24 hours.".into(),
            );
        }
        for child in &c.children {
            let (code, text) = self.status(child, now);
            if code != "FINISHED" {
                let code = if code == "IN_PROGRESS" { code } else { "ERROR" };
                return (code, text);
            }
        }
        (
            "FINISHED",
            "Finished: Media has been uploaded and it is ready to be published.".into(),
        )
    }

    fn publish_call(&mut self, p: &BTreeMap<String, String>, now: Timestamp) -> Response {
        let Some(id) = p.get("creation_id").cloned() else {
            return graph_error(400, 100, None, "The parameter creation_id is required");
        };
        let Some(container) = self.containers.get(&id) else {
            return graph_error(400, 24, Some(2_207_006), "Media cannot be found");
        };
        if container.is_item {
            return graph_error(
                400,
                100,
                None,
                "A carousel item cannot be published on its own",
            );
        }
        match self.status(&id, now).0 {
            "PUBLISHED" => {
                return graph_error(400, 100, None, "The media has already been published")
            }
            "EXPIRED" => {
                return graph_error(
                    400,
                    -2,
                    Some(2_207_020),
                    "The media you are trying to access has expired",
                )
            }
            "FINISHED" => {}
            _ => return graph_error(400, 9007, Some(2_207_027), "Media ID is not available"),
        }
        if self.used(now) >= self.quota_total as usize {
            return graph_error(
                400,
                9,
                Some(2_207_042),
                "You reached maximum number of posts",
            );
        }
        match self.publish(&id, now) {
            Some(media_id) => ok(serde_json::json!({ "id": media_id })),
            None => graph_error(400, 24, Some(2_207_006), "Media cannot be found"),
        }
    }

    fn publish(&mut self, container_id: &str, now: Timestamp) -> Option<String> {
        let media_id = self.new_id();
        let c = self.containers.get_mut(container_id)?;
        c.media_id = Some(media_id.clone());
        let (media_type, product_type) = match c.param("media_type") {
            Some("REELS") => ("VIDEO", "REELS"),
            Some("CAROUSEL") => ("CAROUSEL_ALBUM", "FEED"),
            Some("STORIES") if c.is_video => ("VIDEO", "STORY"),
            Some("STORIES") => ("IMAGE", "STORY"),
            _ => ("IMAGE", "FEED"),
        };
        let caption = c.param("caption").map(str::to_owned);
        let owner = c.owner.clone();
        self.media.push(Media {
            id: media_id.clone(),
            owner,
            container_id: container_id.to_owned(),
            caption,
            media_type,
            product_type,
            published_at: now,
        });
        Some(media_id)
    }
}
