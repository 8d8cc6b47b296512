//! A video file's cheap checks before anything is uploaded: what the MP4
//! header says (its `mvhd` duration), and the size and duration limits Meta
//! documents per media type, so a file Meta would refuse is refused here
//! first, saying what Meta accepts.
//!
//! Limits, from the IG User Media reference
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media>),
//! "Reel Specifications", "Story Video Specifications" and "Video
//! Specifications" (carousel videos): container MOV or MP4; reels 3 seconds
//! to 15 minutes and 300 MB; story videos 3 to 60 seconds and 100 MB;
//! carousel videos 3 seconds to 60 minutes and 300 MB.
//!
//! The MP4 reading is ISO/IEC 14496-12: a file is a list of boxes, each
//! `size: u32` (1: a `u64` follows; 0: to the end of the file) and
//! `type: [u8; 4]`; `moov` holds `mvhd`, whose version 0 has a `u32`
//! timescale and duration after 12 bytes of times, version 1 `u64` times and
//! duration.

use crate::core::error::Error;
use crate::core::publish::spec::VideoFile;

const MB: u64 = 1024 * 1024;

/// What Meta accepts for one kind of video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoLimits {
    /// What the media is called in messages ("a reel").
    pub what: &'static str,
    pub min_ms: u64,
    pub max_ms: u64,
    pub max_bytes: u64,
}

pub const REEL: VideoLimits = VideoLimits {
    what: "a reel",
    min_ms: 3_000,
    max_ms: 15 * 60_000,
    max_bytes: 300 * MB,
};

pub const STORY_VIDEO: VideoLimits = VideoLimits {
    what: "a story video",
    min_ms: 3_000,
    max_ms: 60_000,
    max_bytes: 100 * MB,
};

pub const CAROUSEL_VIDEO: VideoLimits = VideoLimits {
    what: "a carousel video",
    min_ms: 3_000,
    max_ms: 60 * 60_000,
    max_bytes: 300 * MB,
};

/// Reads an MP4/MOV file's size and duration from its header. Refuses an
/// empty file, one that is not MP4/MOV, and a truncated one (a box that
/// runs past the end, or no `moov`).
pub fn inspect_mp4(field: &str, bytes: &[u8]) -> Result<VideoFile, Error> {
    let bad = |why: String| Error::invalid_input(field, format!("{field} {why}"));
    if bytes.is_empty() {
        return Err(bad("is empty: give the bytes of an MP4 or MOV video".into()));
    }
    // The first box's type, before trusting any size in the file.
    let first: Option<[u8; 4]> = bytes.get(4..8).and_then(|t| t.try_into().ok());
    let is_mp4 = first
        .is_some_and(|kind| [*b"ftyp", *b"wide", *b"free", *b"moov", *b"mdat"].contains(&kind));
    if !is_mp4 {
        return Err(bad(
            "is not an MP4 or MOV video (Instagram accepts MP4 / MOV, H.264 or HEVC)".into(),
        ));
    }
    let boxes = read_boxes(bytes).map_err(&bad)?;
    let Some((_, moov)) = boxes.iter().find(|(kind, _)| kind == b"moov") else {
        return Err(bad(
            "has no moov box: the file is truncated or not a finished MP4 (Instagram wants the moov atom at the front)".into(),
        ));
    };
    let inner = read_boxes(moov).map_err(|why| bad(format!("has a broken moov box ({why})")))?;
    let Some((_, mvhd)) = inner.iter().find(|(kind, _)| kind == b"mvhd") else {
        return Err(bad("has no mvhd box, so its duration is unknown".into()));
    };
    let duration_ms = mvhd_duration_ms(mvhd).ok_or_else(|| bad("has a broken mvhd box".into()))?;
    Ok(VideoFile {
        size: bytes.len() as u64,
        duration_ms,
    })
}

/// Checks `file` against `limits`, saying what Meta accepts.
pub fn check_video_file(field: &str, file: &VideoFile, limits: &VideoLimits) -> Result<(), Error> {
    // Tenths of a second in integers: formatting an f64 would bring core's
    // float printer (~14 KB) into the npm package's wasm.
    let seconds = |ms: u64| {
        let tenths = (ms + 50) / 100;
        format!("{}.{} s", tenths / 10, tenths % 10)
    };
    if file.size == 0 {
        return Err(Error::invalid_input(field, format!("{field} is empty")));
    }
    if file.size > limits.max_bytes {
        return Err(Error::invalid_input(
            field,
            format!(
                "{field} is {} MB; Instagram accepts {} of at most {} MB",
                file.size.div_ceil(MB),
                limits.what,
                limits.max_bytes / MB
            ),
        ));
    }
    if !(limits.min_ms..=limits.max_ms).contains(&file.duration_ms) {
        return Err(Error::invalid_input(
            field,
            format!(
                "{field} lasts {}; Instagram accepts {} of {} to {}",
                seconds(file.duration_ms),
                limits.what,
                seconds(limits.min_ms),
                seconds(limits.max_ms)
            ),
        ));
    }
    Ok(())
}

/// A box: its type and its payload.
type Mp4Box<'a> = ([u8; 4], &'a [u8]);

/// The boxes at one level.
fn read_boxes(mut bytes: &[u8]) -> Result<Vec<Mp4Box<'_>>, String> {
    let mut boxes = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 8 {
            return Err("is truncated (a box header is cut short)".into());
        }
        let size32 = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as u64;
        let kind = [bytes[4], bytes[5], bytes[6], bytes[7]];
        let (header, size) = match size32 {
            0 => (8, bytes.len() as u64),
            1 => {
                let Some(large) = bytes.get(8..16) else {
                    return Err("is truncated (a box header is cut short)".into());
                };
                let mut b = [0u8; 8];
                b.copy_from_slice(large);
                (16, u64::from_be_bytes(b))
            }
            n => (8, n),
        };
        if size < header as u64 {
            return Err("has a box with an impossible size".into());
        }
        if size > bytes.len() as u64 {
            return Err(format!(
                "is truncated: its {} box needs {} bytes and only {} are left",
                String::from_utf8_lossy(&kind),
                size,
                bytes.len()
            ));
        }
        let size = size as usize;
        boxes.push((kind, &bytes[header..size]));
        bytes = &bytes[size..];
    }
    Ok(boxes)
}

/// `mvhd`: version (1 byte), flags (3), then times, timescale and duration.
fn mvhd_duration_ms(mvhd: &[u8]) -> Option<u64> {
    let be32 = |at: usize| -> Option<u64> {
        let b = mvhd.get(at..at + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as u64)
    };
    let be64 = |at: usize| -> Option<u64> {
        let b = mvhd.get(at..at + 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_be_bytes(a))
    };
    let (timescale, duration) = match *mvhd.first()? {
        0 => (be32(12)?, be32(16)?),
        1 => (be32(20)?, be64(24)?),
        _ => return None,
    };
    if timescale == 0 {
        return None;
    }
    Some(duration.saturating_mul(1000) / timescale)
}

/// A minimal MP4 (`ftyp`, `moov` with a version-0 `mvhd` of `duration_ms`,
/// then `mdat` of `payload` bytes): for tests, the benchmark and the
/// stand-in's fixtures.
pub fn sample_mp4(duration_ms: u32, payload: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut push_box = |kind: &[u8; 4], body: &[u8]| {
        out.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
    };
    push_box(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&duration_ms.to_be_bytes());
    let mut moov = Vec::new();
    moov.extend_from_slice(&((mvhd.len() + 8) as u32).to_be_bytes());
    moov.extend_from_slice(b"mvhd");
    moov.extend_from_slice(&mvhd);
    push_box(b"moov", &moov);
    push_box(b"mdat", &vec![0x5a; payload]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_duration_and_size_of_an_mp4() {
        let bytes = sample_mp4(12_345, 1000);
        let file = inspect_mp4("video", &bytes).unwrap();
        assert_eq!(file.duration_ms, 12_345);
        assert_eq!(file.size, bytes.len() as u64);
    }

    #[test]
    fn reads_a_version_1_mvhd() {
        let mut mvhd = vec![0u8; 112];
        mvhd[0] = 1;
        mvhd[20..24].copy_from_slice(&600u32.to_be_bytes());
        mvhd[24..32].copy_from_slice(&(600u64 * 61).to_be_bytes());
        assert_eq!(mvhd_duration_ms(&mvhd), Some(61_000));
    }

    #[test]
    fn refuses_empty_truncated_and_foreign_files() {
        let e = inspect_mp4("video", b"").unwrap_err();
        assert!(e.message.contains("empty"), "{}", e.message);
        let whole = sample_mp4(5_000, 1000);
        let e = inspect_mp4("video", &whole[..whole.len() - 10]).unwrap_err();
        assert!(e.message.contains("truncated"), "{}", e.message);
        let e = inspect_mp4("video", &whole[..40]).unwrap_err();
        assert!(e.message.contains("truncated"), "{}", e.message);
        let e = inspect_mp4("video", b"\xff\xd8\xff\xe0 a jpeg, not a video").unwrap_err();
        assert!(e.message.contains("not an MP4"), "{}", e.message);
        assert_eq!(e.field.as_deref(), Some("video"));
    }

    #[test]
    fn limits_say_what_meta_accepts() {
        let file = |ms, size| VideoFile {
            size,
            duration_ms: ms,
        };
        check_video_file("video", &file(10_000, 1000), &REEL).unwrap();
        let e = check_video_file("video", &file(2_000, 1000), &REEL).unwrap_err();
        assert!(e.message.contains("3.0 s to 900.0 s"), "{}", e.message);
        let e = check_video_file("video", &file(61_000, 1000), &STORY_VIDEO).unwrap_err();
        assert!(
            e.message.contains("a story video of 3.0 s to 60.0 s"),
            "{}",
            e.message
        );
        let e = check_video_file("video", &file(10_000, 301 * MB), &REEL).unwrap_err();
        assert!(e.message.contains("at most 300 MB"), "{}", e.message);
    }
}
