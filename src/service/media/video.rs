//! What a staged video is for, and its check once stored: the `use` an
//! upload declares (`reel`, `story`, `carousel`) picks the core's
//! [`VideoLimits`]; the stored object is checked with the core's MP4 walk
//! ([`Mp4Walk`]) over small ranged reads from the store, so `moov` is found
//! wherever it is and the video is never loaded whole.

use crate::core::publish::spec::VideoFile;
use crate::core::publish::video_file::{
    check_video_file, Mp4Step, Mp4Walk, VideoLimits, CAROUSEL_VIDEO, REEL, STORY_VIDEO,
};
use crate::service::error::ApiError;
use crate::service::media::blobs::BlobStore;

/// The uses a video is staged for, and what Meta accepts for each.
pub const VIDEO_USES: &[(&str, VideoLimits)] = &[
    ("reel", REEL),
    ("story", STORY_VIDEO),
    ("carousel", CAROUSEL_VIDEO),
];

/// The containers Meta takes (MP4 / MOV), as content types.
pub const VIDEO_TYPES: &[&str] = &["video/mp4", "video/quicktime"];

/// The most ranged reads one check makes (each an R2 operation within the
/// invocation's subrequest allowance): a finished MP4 has a handful of
/// top-level boxes; a file needing more is refused, saying so.
pub const MAX_READS: u32 = 40;

/// The limits for `use`, if it is a video use.
pub fn limits_for(usage: &str) -> Option<VideoLimits> {
    VIDEO_USES
        .iter()
        .find(|(name, _)| *name == usage)
        .map(|(_, limits)| *limits)
}

/// The largest video any use takes.
pub fn max_video_bytes() -> u64 {
    VIDEO_USES
        .iter()
        .map(|(_, l)| l.max_bytes)
        .max()
        .unwrap_or(0)
}

/// 400 naming the uses there are.
pub fn unknown_use(usage: &str) -> ApiError {
    ApiError::invalid_input(
        "use",
        format!(
            "use {usage:?} is not \"reel\", \"story\" or \"carousel\" (a carousel's video item)"
        ),
    )
}

/// 422: the stored file is not a video Meta would take; `why` says what
/// is wrong and what Meta accepts.
pub fn refused(why: String) -> ApiError {
    ApiError::new(422, "unprocessable_video", why)
}

/// Reads the stored object at `key` (of `size` bytes) with ranged reads and
/// checks it against `limits`; a refusal is a 422 (the caller deletes it).
pub async fn check_stored(
    blobs: &dyn BlobStore,
    key: &str,
    size: u64,
    limits: &VideoLimits,
) -> Result<VideoFile, ApiError> {
    let what = "the uploaded video";
    let bad = |why: String| refused(format!("{what} {why}"));
    let mut walk = Mp4Walk::new(size);
    let mut step = walk.start().map_err(bad)?;
    let duration_ms = loop {
        match step {
            Mp4Step::Done { duration_ms } => break duration_ms,
            Mp4Step::Read { offset, len } => {
                if walk.reads > MAX_READS {
                    return Err(bad(format!(
                        "has more boxes than the Worker reads ({MAX_READS}): write it as a plain MP4 with the moov atom at the front (ffmpeg -movflags +faststart)"
                    )));
                }
                let blob = blobs.get_range(key, offset, len).await?.ok_or_else(|| {
                    ApiError::storage("the uploaded video vanished while it was checked")
                })?;
                step = walk.next(&blob.bytes).map_err(bad)?;
            }
        }
    };
    let file = VideoFile { size, duration_ms };
    check_video_file(what, &file, limits).map_err(|e| refused(e.message))?;
    Ok(file)
}
