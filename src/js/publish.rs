//! Publishing from JavaScript: `publishImage`, `publishReel`,
//! `publishCarousel`, `publishStory` (thin wrappers in `api.js` over the one
//! async export `publishMedia`, which keeps the package small),
//! `getPublishingQuota`, and the step API over the resumable job,
//! `createPublishJob` / `stepPublishJob`.
//!
//! A video given as bytes (`video`, read into a `Uint8Array` by
//! `video-files.js`) becomes `videoFile: {size, durationMs}` (`inspectVideo`,
//! from its MP4 header) in the media, and its bytes are handed to every step
//! (`files`): the core uploads them with Meta's resumable upload.
//!
//! An `AbortSignal` cancels a publish *between* calls, never during one: an
//! aborted `media_publish` would leave it unknown whether the post exists.
//! A call in flight finishes (within `timeoutMs`), a wait between status
//! reads ends at once, and the `aborted` error carries the job (`error.job`)
//! so the caller can see where it stopped and resume it with
//! `stepPublishJob`.

use std::time::Duration;

use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::config::config_field;
use super::errors::{to_js, to_js_verbatim};
use super::fetch::{is_aborted, FetchTransport};
use super::input::Obj;
use super::output::{finish, promise, promise_of, to_object};
use super::server_input::{
    access_token_of, input_object, open_call, optional_client_secret, signed, ServerCall,
};
use crate::core::appsecret_proof::SignedGraph;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::Transport;
use crate::core::publish::video_file::inspect_mp4;
use crate::core::publish::{
    publishing_quota, run_with_files, MediaSpec, PollPolicy, Progress, PublishJob, PublishObserver,
    PublishOptions, Published, PublishingQuota, StepOutcome,
};
use crate::core::retry::RetryPolicy;
use crate::core::secret::AccessToken;
use crate::core::time::Timestamp;

/// Keys of a `publish*` input that are not part of the media.
const NOT_MEDIA: &[&str] = &[
    "config",
    "accessToken",
    "igUserId",
    "checkQuota",
    "maxCalls",
    "maxPublishAttempts",
    "publishSettleMs",
    "poll",
    "retry",
    "onProgress",
    "signal",
    "timeoutMs",
    "uploadChunkBytes",
    "clientSecret",
    "dangerouslyAllowBrowser",
];

/// A JS value as JSON text (`JSON.stringify`: functions and `undefined`
/// vanish), for the core's JSON readers (media specs, saved jobs).
fn json_text(value: &JsValue, name: &str) -> Result<String, Error> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            Error::invalid_input(
                name,
                format!("{name} must be plain data (JSON.stringify failed)"),
            )
        })
}

/// A JS value as a JSON value.
fn as_json(value: &JsValue, name: &str) -> Result<Value, Error> {
    serde_json::from_str(&json_text(value, name)?)
        .map_err(|_| Error::invalid_input(name, format!("{name} must be plain data")))
}

/// A whole number ≥ `min` (a count or milliseconds).
fn opt_whole(obj: &Obj, key: &str, min: u64) -> Result<Option<u64>, Error> {
    match obj.opt_number(key)? {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && n >= min as f64 && n <= 9_007_199_254_740_991.0 => {
            Ok(Some(n as u64))
        }
        Some(_) => Err(obj.error(key, &format!("must be a whole number ≥ {min}"))),
    }
}

fn opt_u32(obj: &Obj, key: &str, min: u64) -> Result<Option<u32>, Error> {
    match opt_whole(obj, key, min)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| obj.error(key, "is too large")),
    }
}

/// `checkQuota`, `maxCalls`, `maxPublishAttempts`, `publishSettleMs`,
/// `poll: {firstCheckImageMs, firstCheckVideoMs, growthPercent,
/// minIntervalMs, maxIntervalMs}` and `retry: {maxAttempts, baseDelayMs,
/// maxDelayMs, maxElapsedMs}` (each optional; defaults from the core).
fn options_of(input: &Obj) -> Result<PublishOptions, Error> {
    let mut options = PublishOptions::default();
    if let Some(check) = input.opt_bool("checkQuota")? {
        options.check_quota = check;
    }
    if let Some(n) = opt_u32(input, "maxCalls", 1)? {
        options.max_calls = n;
    }
    if let Some(n) = opt_u32(input, "maxPublishAttempts", 1)? {
        options.max_publish_attempts = n;
    }
    if let Some(ms) = opt_whole(input, "publishSettleMs", 0)? {
        options.publish_settle_ms = ms;
    }
    if let Some(poll) = input.opt_object("poll")? {
        options.poll = poll_of(&poll)?;
    }
    if let Some(retry) = input.opt_object("retry")? {
        options.retry = retry_of(&retry)?;
    }
    if let Some(bytes) = opt_whole(input, "uploadChunkBytes", 0)? {
        options.upload_chunk_bytes = bytes;
    }
    // Checked as a whole by `PublishJob::new`.
    Ok(options)
}

fn poll_of(poll: &Obj) -> Result<PollPolicy, Error> {
    let mut policy = PollPolicy::default();
    for (key, slot) in [
        ("firstCheckImageMs", &mut policy.first_check_image_ms),
        ("firstCheckVideoMs", &mut policy.first_check_video_ms),
        ("minIntervalMs", &mut policy.min_interval_ms),
        ("maxIntervalMs", &mut policy.max_interval_ms),
    ] {
        if let Some(ms) = opt_whole(poll, key, 0)? {
            *slot = ms;
        }
    }
    if let Some(percent) = opt_u32(poll, "growthPercent", 0)? {
        policy.growth_percent = percent;
    }
    Ok(policy)
}

fn retry_of(retry: &Obj) -> Result<RetryPolicy, Error> {
    let mut policy = RetryPolicy::default();
    if let Some(n) = opt_u32(retry, "maxAttempts", 1)? {
        policy.max_attempts = n;
    }
    for (key, slot) in [
        ("baseDelayMs", &mut policy.base_delay_ms),
        ("maxDelayMs", &mut policy.max_delay_ms),
        ("maxElapsedMs", &mut policy.max_elapsed_ms),
    ] {
        if let Some(ms) = opt_whole(retry, key, 0)? {
            *slot = ms;
        }
    }
    Ok(policy)
}

// Results ---------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsQuota {
    usage: u32,
    total: Option<u32>,
    duration_seconds: Option<u64>,
    remaining: Option<u32>,
}

impl From<PublishingQuota> for JsQuota {
    fn from(q: PublishingQuota) -> JsQuota {
        JsQuota {
            remaining: q.remaining(),
            usage: q.usage,
            total: q.total,
            duration_seconds: q.duration_secs,
        }
    }
}

/// A progress event: `{step: "created", containerId}`, … (see `index.d.ts`).
#[derive(Serialize)]
#[serde(
    tag = "step",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
enum JsProgress {
    QuotaChecked {
        quota: JsQuota,
    },
    ChildCreated {
        index: usize,
        count: usize,
        container_id: String,
    },
    Created {
        container_id: String,
    },
    Uploaded {
        container_id: String,
        sent: u64,
        total: u64,
    },
    Processing {
        container_id: String,
        elapsed_ms: u64,
        checks: u32,
    },
    Published {
        container_id: String,
        media_id: Option<String>,
    },
    Retrying {
        wait_ms: u64,
        error_kind: &'static str,
        message: String,
    },
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl From<&Progress> for JsProgress {
    fn from(p: &Progress) -> JsProgress {
        match p {
            Progress::QuotaChecked { quota } => JsProgress::QuotaChecked {
                quota: (*quota).into(),
            },
            Progress::ChildCreated {
                index,
                count,
                container_id,
            } => JsProgress::ChildCreated {
                index: *index,
                count: *count,
                container_id: container_id.clone(),
            },
            Progress::Created { container_id } => JsProgress::Created {
                container_id: container_id.clone(),
            },
            Progress::Uploaded {
                container_id,
                sent,
                total,
            } => JsProgress::Uploaded {
                container_id: container_id.clone(),
                sent: *sent,
                total: *total,
            },
            Progress::Processing {
                container_id,
                elapsed,
                checks,
            } => JsProgress::Processing {
                container_id: container_id.clone(),
                elapsed_ms: millis(*elapsed),
                checks: *checks,
            },
            Progress::Published {
                container_id,
                media_id,
            } => JsProgress::Published {
                container_id: container_id.clone(),
                media_id: media_id.clone(),
            },
            Progress::Retrying { wait, error } => JsProgress::Retrying {
                wait_ms: millis(*wait),
                error_kind: error.kind.as_str(),
                message: error.message.clone(),
            },
        }
    }
}

/// The job as the plain object callers save (`JSON.stringify` it).
fn job_object(job: &PublishJob) -> JsValue {
    js_sys::JSON::parse(&job.to_json()).unwrap_or(JsValue::NULL)
}

/// `error` as an `InstagateError` carrying the job it stopped (`error.job`).
fn error_with_job(error: &Error, job: &PublishJob) -> JsValue {
    let js = to_js(error);
    let _ = Reflect::set(&js, &JsValue::from_str("job"), &job_object(job));
    js
}

// publish* ---------------------------------------------------------------------

/// Reports progress to `onProgress` and reads `signal.aborted`.
struct JsObserver {
    on_progress: Option<Function>,
    signal: JsValue,
}

impl JsObserver {
    fn from_input(input: &Obj) -> Result<JsObserver, Error> {
        let callback = input.raw("onProgress");
        let on_progress = if callback.is_undefined() || callback.is_null() {
            None
        } else {
            Some(
                callback
                    .dyn_into::<Function>()
                    .map_err(|_| input.error("onProgress", "must be a function"))?,
            )
        };
        Ok(JsObserver {
            on_progress,
            signal: input.raw("signal"),
        })
    }
}

impl PublishObserver for JsObserver {
    fn on_progress(&mut self, progress: &Progress) {
        let Some(callback) = &self.on_progress else {
            return;
        };
        if let Ok(event) = to_object(&JsProgress::from(progress)) {
            // A throwing callback is ignored: a bug in a progress bar must not
            // stop a publish halfway (a container made, the post not).
            let _ = callback.call1(&JsValue::UNDEFINED, &event);
        }
    }

    fn is_cancelled(&self) -> bool {
        is_aborted(&self.signal)
    }
}

/// Everything a `publish*` call needs, read before any network call.
struct PublishCall {
    transport: SignedGraph<FetchTransport>,
    config: crate::core::config::Config,
    token: AccessToken,
    observer: JsObserver,
    job: PublishJob,
}

fn prepare(media_type: &str, input: JsValue) -> Result<PublishCall, JsValue> {
    let input = input_object(input).map_err(|e| to_js(&e))?;
    // Media errors name the caller's own key (`alt_text` stays `alt_text`).
    let spec = as_json(input.raw_value(), "input")
        .and_then(|media| MediaSpec::from_fields(media_type, &media, NOT_MEDIA))
        .map_err(|e| to_js_verbatim(&as_video_key(e)))?;
    read_call(&input, spec).map_err(|e| to_js(&e))
}

/// The caller gave `video` (bytes), which `video-files.js` turned into
/// `videoFile`: a rule about the file names the caller's key.
fn as_video_key(mut error: Error) -> Error {
    if let Some(field) = error.field.as_deref().filter(|f| f.ends_with("videoFile")) {
        let given = format!("{}video", field.trim_end_matches("videoFile"));
        error.message = error.message.replace(field, &given);
        error.field = Some(given);
    }
    error
}

fn read_call(input: &Obj, spec: MediaSpec) -> Result<PublishCall, Error> {
    let config = config_field(input)?;
    let token = access_token_of(input)?;
    let ig_user_id = input.string("igUserId")?;
    let options = options_of(input)?;
    let observer = JsObserver::from_input(input)?;
    let secret = optional_client_secret(input)?;
    let transport = FetchTransport::from_input(input)?.abort_between_calls_only();
    let transport = signed(transport, &config, secret.as_ref());
    let job = PublishJob::new(&ig_user_id, spec, options, transport.now())?;
    Ok(PublishCall {
        transport,
        config,
        token,
        observer,
        job,
    })
}

/// `publishMedia(type, input, files)`: `publishImage` and the others in
/// `api.js`; `files` are the bytes of the media's video files.
/// Errors after the job exists carry it as `error.job`.
#[wasm_bindgen(js_name = publishMedia)]
pub fn publish_media(media_type: String, input: JsValue, files: JsValue) -> Promise {
    promise(publish_media_work(media_type, input, files))
}

async fn publish_media_work(
    media_type: String,
    input: JsValue,
    files: JsValue,
) -> Result<JsValue, JsValue> {
    let mut call = prepare(&media_type, input)?;
    let files = byte_arrays(&files, "files").map_err(|e| to_js(&e))?;
    let files: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
    let result = run_with_files(
        &mut call.job,
        &call.transport,
        &call.config,
        &call.token,
        &files,
        &mut call.observer,
    )
    .await;
    match result {
        // `Published` serializes as `{mediaId, permalink, containerId}`.
        Ok(published) => to_object(&published),
        Err(error) => Err(error_with_job(&error, &call.job)),
    }
}

/// An array of `Uint8Array`s (`undefined`: none).
fn byte_arrays(value: &JsValue, name: &str) -> Result<Vec<Vec<u8>>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if !js_sys::Array::is_array(value) {
        return Err(Error::invalid_input(
            name,
            format!("{name} must be an array of Uint8Array"),
        ));
    }
    js_sys::Array::from(value)
        .iter()
        .enumerate()
        .map(|(i, file)| {
            file.dyn_into::<js_sys::Uint8Array>()
                .map(|bytes| bytes.to_vec())
                .map_err(|_| {
                    Error::invalid_input(
                        &format!("{name}[{i}]"),
                        format!("{name}[{i}] must be a Uint8Array"),
                    )
                })
        })
        .collect()
}

/// `inspectVideo(bytes, field?)` → `{size, durationMs}`: what an MP4/MOV
/// file's header says, for `videoFile`; an empty, truncated or non-MP4 file
/// is an `invalid_input` error naming `field` (default `video`).
#[wasm_bindgen(js_name = inspectVideo)]
pub fn inspect_video(bytes: &[u8], field: Option<String>) -> Result<JsValue, JsValue> {
    let field = field.unwrap_or_else(|| "video".to_owned());
    finish(inspect_mp4(&field, bytes))
}

// getPublishingQuota -------------------------------------------------------------

async fn quota(input: JsValue) -> Result<JsQuota, Error> {
    let input = input_object(input)?;
    let ServerCall { config, transport } = open_call(&input)?;
    let token = access_token_of(&input)?;
    let ig_user_id = input.string("igUserId")?;
    let since = crate::js::token::time_field(&input, "since")?;
    let quota = publishing_quota(
        &transport,
        &config,
        &token,
        &ig_user_id,
        since,
        &RetryPolicy::default(),
    )
    .await?;
    Ok(quota.into())
}

/// `getPublishingQuota({config, accessToken, igUserId})` →
/// `{usage, total, durationSeconds, remaining}` (Meta's rolling window).
#[wasm_bindgen(js_name = getPublishingQuota)]
pub fn get_publishing_quota(input: JsValue) -> Promise {
    promise_of(quota(input))
}

// The step API --------------------------------------------------------------------

/// `createPublishJob({igUserId, media: {type, ...}, checkQuota?, maxCalls?,
/// poll?})` → a job (plain data: save it with `JSON.stringify`). No call yet.
#[wasm_bindgen(js_name = createPublishJob)]
pub fn create_publish_job(input: JsValue) -> Result<JsValue, JsValue> {
    let js = |e: Error| to_js(&e);
    let input = input_object(input).map_err(js)?;
    let ig_user_id = input.string("igUserId").map_err(js)?;
    let media = input.raw("media");
    if media.is_undefined() || media.is_null() {
        return Err(js(input.error(
            "media",
            "is required: {type: \"image\" | \"reel\" | \"carousel\" | \"story\", ...}",
        )));
    }
    let spec = as_json(&media, "media")
        .and_then(|media| MediaSpec::from_json(&media))
        .map_err(|e| to_js_verbatim(&e))?;
    let options = options_of(&input).map_err(js)?;
    let now = super::platform::LocalPlatform.now();
    let job = PublishJob::new(&ig_user_id, spec, options, now).map_err(js)?;
    Ok(job_object(&job))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsStep {
    /// `continue` (step again at `nextAt`), `done`, `failed`, or `stalled`
    /// (a step could not progress; the job is intact, step it again later).
    status: &'static str,
    /// ISO time of the next step (`continue` and `stalled`).
    next_at: Option<String>,
    wait_ms: Option<u64>,
    progress: Vec<JsProgress>,
    published: Option<Published>,
}

fn saved_job(input: &Obj) -> Result<PublishJob, Error> {
    let job = input.raw("job");
    let text = match job.as_string() {
        Some(text) => text,
        None if job.is_object() => json_text(&job, "job")?,
        None => return Err(input.error("job", "must be a job from createPublishJob")),
    };
    PublishJob::from_json(&text).map_err(|e| e.with_field("job"))
}

/// `stepPublishJob({config, accessToken, job, files?, timeoutMs?})` →
/// `{job, status, nextAt, waitMs, progress, published, error}`: one step
/// (at most one call to Meta, two when a FINISHED status allows the
/// publish). Save `job` after every step, whatever the status.
#[wasm_bindgen(js_name = stepPublishJob)]
pub fn step_publish_job(input: JsValue) -> Promise {
    promise(step_publish_job_work(input))
}

async fn step_publish_job_work(input: JsValue) -> Result<JsValue, JsValue> {
    let read = || -> Result<_, Error> {
        let input = input_object(input)?;
        let config = config_field(&input)?;
        let token = access_token_of(&input)?;
        let job = saved_job(&input)?;
        let secret = optional_client_secret(&input)?;
        let transport = FetchTransport::from_input(&input)?.abort_between_calls_only();
        let transport = signed(transport, &config, secret.as_ref());
        let files = byte_arrays(&input.raw("files"), "files")?;
        Ok((config, token, job, transport, files))
    };
    let (config, token, mut job, transport, files) = read().map_err(|e| to_js(&e))?;
    let files: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
    if transport.inner().is_aborted() {
        let error = Error::new(ErrorKind::Aborted, "the step was aborted before it started");
        return Err(error_with_job(&error, &job));
    }
    let now = transport.now();
    let answer = |status, next_at: Option<Timestamp>, progress: &[Progress], published| JsStep {
        status,
        next_at: next_at.map(|at| at.to_rfc3339()),
        wait_ms: next_at.map(|at| millis(at.since(now))),
        progress: progress.iter().map(JsProgress::from).collect(),
        published,
    };
    let (step, error) = match job
        .step_with_files(&transport, &config, &token, &files)
        .await
    {
        Ok(StepOutcome::Continue { next_at, progress }) => {
            (answer("continue", Some(next_at), &progress, None), None)
        }
        Ok(StepOutcome::Done(published)) => (answer("done", None, &[], Some(published)), None),
        Ok(StepOutcome::Failed(error)) => (answer("failed", None, &[], None), Some(error)),
        Err(error) => {
            let wait = error.retry_after.unwrap_or(Duration::from_secs(60));
            (
                answer("stalled", Some(now.plus(wait)), &[], None),
                Some(error),
            )
        }
    };
    let out = to_object(&step)?;
    let _ = Reflect::set(&out, &JsValue::from_str("job"), &job_object(&job));
    let error = error.map(|e| to_js(&e)).unwrap_or(JsValue::NULL);
    let _ = Reflect::set(&out, &JsValue::from_str("error"), &error);
    Ok(out)
}
