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
/// runs past the end, or no `moov`). The same walk as a reader of ranged
/// reads ([`Mp4Walk`]), over the whole buffer.
pub fn inspect_mp4(field: &str, bytes: &[u8]) -> Result<VideoFile, Error> {
    let bad = |why: String| Error::invalid_input(field, format!("{field} {why}"));
    let mut walk = Mp4Walk::new(bytes.len() as u64);
    let mut step = walk.start();
    let duration_ms = loop {
        match step.map_err(&bad)? {
            Mp4Step::Done { duration_ms } => break duration_ms,
            Mp4Step::Read { offset, len } => {
                let from = offset as usize;
                let to = from.saturating_add(len as usize).min(bytes.len());
                step = walk.next(&bytes[from.min(to)..to]);
            }
        }
    };
    Ok(VideoFile {
        size: bytes.len() as u64,
        duration_ms,
    })
}

/// The most bytes a box header takes (a 64-bit size follows the type).
pub const BOX_HEADER_MAX: u64 = 16;
/// How much of `mvhd` holds its timescale and duration (version 1).
const MVHD_PREFIX: u64 = 32;

/// One box header: its type, the header's length, and the whole box's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoxHeader {
    pub kind: [u8; 4],
    pub header_len: u64,
    pub size: u64,
}

/// Reads the box header at the start of `head` (up to
/// [`BOX_HEADER_MAX`] bytes; fewer only where the level ends), for a box
/// with `remaining` bytes left at its level (its size 0 means all of them).
/// Refuses a cut-short header, an impossible size and a box that runs past
/// `remaining`.
pub fn parse_box_header(head: &[u8], remaining: u64) -> Result<BoxHeader, String> {
    let cut = || "is truncated (a box header is cut short)".to_string();
    if head.len() < 8 || remaining < 8 {
        return Err(cut());
    }
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as u64;
    let kind = [head[4], head[5], head[6], head[7]];
    let (header_len, size) = match size32 {
        0 => (8, remaining),
        1 => {
            let Some(large) = head.get(8..16).filter(|_| remaining >= 16) else {
                return Err(cut());
            };
            let mut b = [0u8; 8];
            b.copy_from_slice(large);
            (16, u64::from_be_bytes(b))
        }
        n => (8, n),
    };
    if size < header_len {
        return Err("has a box with an impossible size".into());
    }
    if size > remaining {
        return Err(format!(
            "is truncated: its {} box needs {} bytes and only {} are left",
            String::from_utf8_lossy(&kind),
            size,
            remaining
        ));
    }
    Ok(BoxHeader {
        kind,
        header_len,
        size,
    })
}

/// What an [`Mp4Walk`] wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mp4Step {
    /// The bytes `[offset, offset + len)` of the file.
    Read { offset: u64, len: u64 },
    /// The walk is over: every top-level box fits the file, and `moov`'s
    /// `mvhd` gives the duration.
    Done { duration_ms: u64 },
}

#[derive(Clone, Copy, Debug)]
enum WalkAt {
    /// A top-level box header at `at`; `moov` where one was met.
    Top { at: u64, moov: Option<(u64, u64)> },
    /// A header inside `moov`, at `at`, before `end`.
    Moov { at: u64, end: u64 },
    /// The first bytes of `mvhd`'s payload.
    Mvhd,
}

/// The MP4 check as a walk over box headers read one at a time, so a file
/// kept elsewhere (an R2 object) is checked with a few small ranged reads
/// and never loaded whole: every top-level box must fit the file (a
/// truncated upload is refused), the first must be one an MP4/MOV starts
/// with, and `moov` (wherever it is: at the end for many encoders) must
/// hold an `mvhd` whose duration is read. [`inspect_mp4`] runs it over a
/// buffer; the Worker over ranged reads (`service::media::video`).
#[derive(Clone, Debug)]
pub struct Mp4Walk {
    size: u64,
    at: WalkAt,
    /// Reads asked for so far.
    pub reads: u32,
}

impl Mp4Walk {
    pub fn new(size: u64) -> Mp4Walk {
        Mp4Walk {
            size,
            at: WalkAt::Top { at: 0, moov: None },
            reads: 0,
        }
    }

    /// The first read (or the refusal of an empty file).
    pub fn start(&mut self) -> Result<Mp4Step, String> {
        if self.size == 0 {
            return Err("is empty: give the bytes of an MP4 or MOV video".into());
        }
        Ok(self.read(0, self.size))
    }

    fn read(&mut self, offset: u64, end: u64) -> Mp4Step {
        self.reads += 1;
        Mp4Step::Read {
            offset,
            len: BOX_HEADER_MAX.min(end - offset),
        }
    }

    /// Takes the bytes the last [`Mp4Step::Read`] asked for (fewer when the
    /// file is shorter) and says what comes next.
    pub fn next(&mut self, bytes: &[u8]) -> Result<Mp4Step, String> {
        match self.at {
            WalkAt::Top { at, moov } => {
                if at == 0 && !is_mp4_start(bytes) {
                    return Err(
                        "is not an MP4 or MOV video (Instagram accepts MP4 / MOV, H.264 or HEVC)"
                            .into(),
                    );
                }
                let header = parse_box_header(bytes, self.size - at)?;
                let moov = match moov {
                    None if &header.kind == b"moov" => {
                        Some((at + header.header_len, at + header.size))
                    }
                    found => found,
                };
                let next = at + header.size;
                if next < self.size {
                    self.at = WalkAt::Top { at: next, moov };
                    return Ok(self.read(next, self.size));
                }
                let Some((at, end)) = moov else {
                    return Err("has no moov box: the file is truncated or not a finished MP4 (Instagram wants the moov atom at the front)".into());
                };
                self.moov_child(at, end)
            }
            WalkAt::Moov { at, end } => {
                let header = parse_box_header(bytes, end - at)
                    .map_err(|why| format!("has a broken moov box ({why})"))?;
                if &header.kind == b"mvhd" {
                    self.at = WalkAt::Mvhd;
                    self.reads += 1;
                    return Ok(Mp4Step::Read {
                        offset: at + header.header_len,
                        len: MVHD_PREFIX.min(header.size - header.header_len),
                    });
                }
                self.moov_child(at + header.size, end)
            }
            WalkAt::Mvhd => mvhd_duration_ms(bytes)
                .map(|duration_ms| Mp4Step::Done { duration_ms })
                .ok_or_else(|| "has a broken mvhd box".into()),
        }
    }

    fn moov_child(&mut self, at: u64, end: u64) -> Result<Mp4Step, String> {
        if at >= end {
            return Err("has no mvhd box, so its duration is unknown".into());
        }
        self.at = WalkAt::Moov { at, end };
        Ok(self.read(at, end))
    }
}

/// Whether a file starting with `head` starts with a box an MP4/MOV
/// starts with (its type, before trusting any size in the file).
fn is_mp4_start(head: &[u8]) -> bool {
    let first: Option<[u8; 4]> = head.get(4..8).and_then(|t| t.try_into().ok());
    first.is_some_and(|kind| [*b"ftyp", *b"wide", *b"free", *b"moov", *b"mdat"].contains(&kind))
}

/// Checks `file` against `limits`, saying what Meta accepts.
pub fn check_video_file(field: &str, file: &VideoFile, limits: &VideoLimits) -> Result<(), Error> {
    let seconds = |ms: u64| format!("{:.1} s", ms as f64 / 1000.0);
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

/// `mvhd`: version (1 byte), flags (3), then times, timescale and duration.
pub fn mvhd_duration_ms(mvhd: &[u8]) -> Option<u64> {
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

    /// `sample_mp4` with `moov` moved after `mdat` (where many encoders
    /// write it).
    fn moov_last(duration_ms: u32, payload: usize) -> Vec<u8> {
        let front = sample_mp4(duration_ms, payload);
        let moov_at = 32;
        let moov_len = 8 + 108;
        let mut out = front[..moov_at].to_vec();
        out.extend_from_slice(&front[moov_at + moov_len..]);
        out.extend_from_slice(&front[moov_at..moov_at + moov_len]);
        out
    }

    #[test]
    fn the_walk_finds_moov_at_the_end_with_a_few_small_reads() {
        let bytes = moov_last(7_500, 1_000_000);
        assert_eq!(inspect_mp4("video", &bytes).unwrap().duration_ms, 7_500);
        let mut walk = Mp4Walk::new(bytes.len() as u64);
        let mut step = walk.start();
        let mut read = 0u64;
        let duration = loop {
            match step.unwrap() {
                Mp4Step::Done { duration_ms } => break duration_ms,
                Mp4Step::Read { offset, len } => {
                    assert!(len <= BOX_HEADER_MAX.max(MVHD_PREFIX));
                    read += len;
                    step = walk.next(&bytes[offset as usize..(offset + len) as usize]);
                }
            }
        };
        assert_eq!(duration, 7_500);
        // ftyp, mdat, moov headers; mvhd's header; mvhd's first bytes.
        assert_eq!(walk.reads, 5);
        assert!(read < 100, "read {read} bytes of {}", bytes.len());
    }

    #[test]
    fn box_headers_are_read_one_at_a_time() {
        let h = parse_box_header(b"\0\0\0\x10moov", 100).unwrap();
        assert_eq!((h.kind, h.header_len, h.size), (*b"moov", 8, 16));
        // size 0: to the end of the level.
        let h = parse_box_header(b"\0\0\0\0mdat", 100).unwrap();
        assert_eq!(h.size, 100);
        // size 1: a 64-bit size follows.
        let mut large = b"\0\0\0\x01mdat".to_vec();
        large.extend_from_slice(&(5_000_000_000u64).to_be_bytes());
        let h = parse_box_header(&large, 6_000_000_000).unwrap();
        assert_eq!((h.header_len, h.size), (16, 5_000_000_000));
        let e = parse_box_header(&large, 4_000_000_000).unwrap_err();
        assert!(e.contains("truncated: its mdat box"), "{e}");
        assert!(parse_box_header(&large[..12], 100)
            .unwrap_err()
            .contains("cut short"));
        assert!(parse_box_header(b"\0\0\0\x04free", 100)
            .unwrap_err()
            .contains("impossible size"));
        assert!(parse_box_header(b"\0\0\0", 100)
            .unwrap_err()
            .contains("cut short"));
    }

    #[test]
    fn a_moov_without_mvhd_or_a_broken_one_is_refused() {
        let mut bytes = sample_mp4(5_000, 10);
        bytes[32 + 12..32 + 16].copy_from_slice(b"udta");
        let e = inspect_mp4("video", &bytes).unwrap_err();
        assert!(e.message.contains("no mvhd"), "{}", e.message);
        let mut bytes = sample_mp4(5_000, 10);
        bytes[32 + 16] = 7; // mvhd version 7
        let e = inspect_mp4("video", &bytes).unwrap_err();
        assert!(e.message.contains("broken mvhd"), "{}", e.message);
        let mut walk = Mp4Walk::new(0);
        assert!(walk.start().unwrap_err().contains("empty"));
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
