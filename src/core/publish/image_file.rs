//! An image file's cheap checks before it is staged: what the JPEG header
//! says (its frame's width and height) and the limits Meta documents, so a
//! file Meta would refuse is refused here first, saying what Meta accepts.
//!
//! Limits, from the IG User Media reference
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media>),
//! "Image Specifications" (feed images and carousel images) and the story
//! image rows: format JPEG; file size 8 MB at most; feed images an aspect
//! ratio within 4:5 to 1.91:1 (width and height outside 320–1440 px are
//! scaled by Instagram, not refused, so they are not checked here).
//!
//! The JPEG reading is ITU T.81, annex B: the file starts with SOI
//! (`FF D8`); then segments, each `FF`, a marker byte and (except the
//! standalone markers) a big-endian `u16` length that counts itself. A
//! frame header (SOF0–SOF15 but DHT `C4`, JPG `C8` and DAC `CC`) holds the
//! sample precision (1 byte), the height and the width (`u16` each). The
//! entropy-coded data after the scan header has no `FF` but as `FF 00` or
//! a restart marker, so the end of image (`FF D9`) after the frame is the
//! file's real end: a file without it was cut short.

use crate::core::error::Error;

/// Meta's limit for feed, carousel and story images: 8 MB.
pub const IMAGE_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// A JPEG image's size and dimensions, read from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageFile {
    pub size: u64,
    pub width: u32,
    pub height: u32,
}

/// Reads a JPEG's size and frame dimensions. Refuses an empty file, one
/// that is not JPEG, one over [`IMAGE_MAX_BYTES`], and a truncated one (a
/// segment that runs past the end, no frame header, no end of image).
pub fn inspect_jpeg(field: &str, bytes: &[u8]) -> Result<ImageFile, Error> {
    let bad = |why: &str| Error::invalid_input(field, format!("{field} {why}"));
    if bytes.is_empty() {
        return Err(bad("is empty: give the bytes of a JPEG image"));
    }
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(bad(
            "is not a JPEG image (Instagram accepts images as JPEG only)",
        ));
    }
    let size = bytes.len() as u64;
    if size > IMAGE_MAX_BYTES {
        return Err(bad(&format!(
            "is {} bytes; Instagram accepts images of at most 8 MB ({IMAGE_MAX_BYTES} bytes)",
            size
        )));
    }
    let (width, height, frame_end) = frame_dimensions(bytes).map_err(|why| bad(&why))?;
    if width == 0 || height == 0 {
        return Err(bad("has a frame of zero width or height"));
    }
    if !bytes[frame_end..].windows(2).any(|w| w == [0xFF, 0xD9]) {
        return Err(bad(
            "has no end-of-image marker: the file is truncated (cut short in transfer?)",
        ));
    }
    Ok(ImageFile {
        size,
        width,
        height,
    })
}

/// Checks a feed (or carousel) image's aspect ratio: 4:5 to 1.91:1.
pub fn check_feed_aspect(field: &str, image: &ImageFile) -> Result<(), Error> {
    let (w, h) = (u64::from(image.width), u64::from(image.height));
    // 4/5 <= w/h <= 191/100, in integers.
    if 4 * h <= 5 * w && 100 * w <= 191 * h {
        return Ok(());
    }
    Err(Error::invalid_input(
        field,
        format!(
            "{field} is {}x{} (aspect ratio {:.2}:1); Instagram accepts feed images from 4:5 (0.8:1) to 1.91:1",
            image.width,
            image.height,
            w as f64 / h as f64
        ),
    ))
}

/// The frame's width, height, and where the frame header ends.
fn frame_dimensions(bytes: &[u8]) -> Result<(u32, u32, usize), String> {
    let truncated = || "is truncated (a JPEG segment runs past the end of the file)".to_owned();
    let mut at = 2;
    loop {
        // Fill bytes: any number of FF before the marker byte.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) else {
            return Err(if at + 1 >= bytes.len() {
                truncated()
            } else {
                "is not a well-formed JPEG (expected a segment marker)".to_owned()
            });
        };
        at += 2;
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue; // standalone markers carry no length
        }
        if marker == 0xDA || marker == 0xD9 {
            return Err("has no frame header before its image data, so its size is unknown".into());
        }
        let length = bytes
            .get(at..at + 2)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
            .ok_or_else(truncated)?;
        if length < 2 || at + length > bytes.len() {
            return Err(truncated());
        }
        let is_frame = (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker);
        if is_frame {
            let header = &bytes[at..at + length];
            if header.len() < 7 {
                return Err("has a broken frame header".into());
            }
            let height = u32::from(u16::from_be_bytes([header[3], header[4]]));
            let width = u32::from(u16::from_be_bytes([header[5], header[6]]));
            return Ok((width, height, at + length));
        }
        at += length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::jpeg;

    #[test]
    fn reads_the_frame_dimensions() {
        let image = inspect_jpeg("f", &jpeg(1080, 1350)).unwrap();
        assert_eq!((image.width, image.height), (1080, 1350));
        assert_eq!(image.size, jpeg(1080, 1350).len() as u64);
        // A progressive frame (SOF2) after fill bytes reads the same.
        let mut progressive = jpeg(640, 480);
        let sof = progressive.iter().position(|b| *b == 0xC0).unwrap();
        progressive[sof] = 0xC2;
        progressive.insert(sof - 1, 0xFF);
        assert_eq!(inspect_jpeg("f", &progressive).unwrap().width, 640);
    }

    #[test]
    fn refuses_what_meta_would() {
        let refused = |bytes: &[u8]| inspect_jpeg("body", bytes).unwrap_err().message;
        assert!(refused(b"").contains("empty"));
        assert!(refused(b"\x89PNG\r\n\x1a\n").contains("JPEG only"));
        let whole = jpeg(1080, 1080);
        // Cut inside the frame header, and after it (no end of image).
        assert!(refused(&whole[..20]).contains("truncated"));
        assert!(refused(&whole[..whole.len() - 2]).contains("truncated"));
        // A scan before any frame.
        let no_frame = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9];
        assert!(refused(&no_frame).contains("no frame header"));
        let mut big = jpeg(1080, 1080);
        big.resize(IMAGE_MAX_BYTES as usize + 1, 0);
        assert!(refused(&big).contains("at most 8 MB"));
        assert!(refused(&jpeg(0, 100)).contains("zero"));
    }

    #[test]
    fn feed_aspect_is_4_to_5_through_1_91_to_1() {
        let check = |w: u16, h: u16| {
            check_feed_aspect("f", &inspect_jpeg("f", &jpeg(w, h)).unwrap()).is_ok()
        };
        assert!(check(1080, 1350)); // 4:5
        assert!(check(1080, 1080));
        assert!(check(1910, 1000)); // 1.91:1
        assert!(!check(1080, 1351));
        assert!(!check(1911, 1000));
        assert!(!check(1080, 1920)); // 9:16: stories only
        let e = check_feed_aspect("f", &inspect_jpeg("f", &jpeg(1080, 1920)).unwrap()).unwrap_err();
        assert!(
            e.message.contains("4:5") && e.message.contains("1080x1920"),
            "{}",
            e.message
        );
    }
}
