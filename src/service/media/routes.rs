//! The staging routes: `POST /api/accounts/{id}/media` (upload an image,
//! get its reference) and `GET|HEAD /media/{key}?expires=&sig=` (the signed
//! download Meta fetches: whole, or the byte range a `Range` header asks,
//! streamed from the store).

use serde_json::json;

use crate::core::http::Transport;
use crate::core::publish::image_file::{check_feed_aspect, inspect_jpeg, IMAGE_MAX_BYTES};
use crate::service::crypto::random_id;
use crate::service::error::ApiError;
use crate::service::http::{HttpRequest, HttpResponse};
use crate::service::media::blobs::{BlobBody, BlobMeta, BlobStore};
use crate::service::media::{
    key_from_path, new_staged, not_configured, signed_url, STAGED_TTL, USES,
};
use crate::service::store::KvStore;
use crate::service::Service;

/// The one type staged: Meta takes feed, carousel and story images as JPEG only.
pub const JPEG: &str = "image/jpeg";

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    pub(crate) fn blobs(&self) -> Result<&dyn BlobStore, ApiError> {
        self.blobs.ok_or_else(not_configured)
    }

    /// `POST /api/accounts/{id}/media[?use=feed|story]`: checks the body is
    /// a whole JPEG Meta would take for that use, stores it, and answers its
    /// reference (201). Nothing is stored for a refused body.
    pub(crate) async fn stage_media(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        self.admitted_id(req, id).await?;
        let blobs = self.blobs()?;
        let usage = req.query_param("use")?.unwrap_or_else(|| "feed".into());
        if !USES.contains(&usage.as_str()) {
            return Err(ApiError::invalid_input(
                "use",
                format!("use {usage:?} is not \"feed\" (image posts, carousel items) or \"story\""),
            ));
        }
        let content_type = req.header("content-type").map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        if content_type.as_deref() != Some(JPEG) {
            return Err(ApiError::new(
                415,
                "unsupported_media_type",
                format!(
                    "Content-Type {:?} is not staged: Instagram accepts images as JPEG only (Content-Type: image/jpeg)",
                    content_type.unwrap_or_default()
                ),
            ));
        }
        let declared = req.header("content-length").ok_or_else(|| {
            ApiError::new(
                411,
                "length_required",
                "send the image with a Content-Length header (its size in bytes)",
            )
        })?;
        let declared: u64 = declared.trim().parse().map_err(|_| {
            ApiError::invalid_input("content-length", "Content-Length must be a number of bytes")
        })?;
        if declared > IMAGE_MAX_BYTES {
            return Err(too_large(declared));
        }
        let size = req.body.len() as u64;
        if size != declared {
            return Err(ApiError::invalid_input(
                "body",
                format!("the body has {size} bytes but Content-Length says {declared}: the upload was cut short"),
            ));
        }
        let image = inspect_jpeg("body", &req.body)?;
        if usage == "feed" {
            check_feed_aspect("body", &image)?;
        }
        let now = self.transport.now();
        let expires = now.plus(STAGED_TTL);
        let (media_id, key) = new_staged(id, expires, &random_id(self.transport, 16));
        let meta = BlobMeta {
            content_type: JPEG.into(),
            size,
            custom: vec![
                ("width".into(), image.width.to_string()),
                ("height".into(), image.height.to_string()),
                ("use".into(), usage.clone()),
            ],
        };
        blobs.put(&key, req.body.clone(), meta).await?;
        Ok(HttpResponse::json(
            201,
            &json!({ "media": {
                "id": media_id,
                "type": "image",
                "content_type": JPEG,
                "size": size,
                "width": image.width,
                "height": image.height,
                "use": usage,
                "expires_at": expires.to_rfc3339(),
            }}),
        ))
    }

    /// `GET|HEAD /media/{expires}/{account}/{random}?expires=&sig=`: the
    /// staged object, to whoever holds a valid signature, until it expires.
    /// No other path is served (404), and nothing is listed.
    pub(crate) async fn serve_media(
        &self,
        req: &HttpRequest,
        segments: &[String],
    ) -> Result<HttpResponse, ApiError> {
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let key = key_from_path(&segments)
            .ok_or_else(|| ApiError::not_found(format!("no media at {}", req.path)))?;
        signed_url::verify(
            &self.config.session_key,
            &key,
            req.query_param("expires")?.as_deref(),
            req.query_param("sig")?.as_deref(),
            self.transport.now(),
        )?;
        let blobs = self.blobs()?;
        let gone = || ApiError::not_found("this media is no longer staged");
        // One R2 read for a plain GET (the object and its metadata); a HEAD,
        // or a Range (whose bounds need the size), reads the metadata first.
        let range_header = req.header("range").filter(|_| req.method == "GET");
        let (meta, mut body) = if req.method == "HEAD" || range_header.is_some() {
            (blobs.head(&key).await?.ok_or_else(gone)?, None)
        } else {
            let (meta, body) = blobs.open(&key, None).await?.ok_or_else(gone)?;
            (meta, Some(body))
        };
        let size = meta.size;
        let range = match range_header.map(|h| (h, byte_range(h, size))) {
            None | Some((_, RangeAsk::Whole)) => None,
            Some((_, RangeAsk::Part(start, len))) => Some((start, len)),
            Some((header, RangeAsk::Unsatisfiable)) => {
                let refused = ApiError::new(
                    416,
                    "range_not_satisfiable",
                    format!("Range {header:?} is not within the media's {size} bytes"),
                );
                return Ok(HttpResponse::error(&refused)
                    .with_header("content-range", &format!("bytes */{size}")));
            }
        };
        let (status, len) = match range {
            Some((_, len)) => (206, len),
            None => (200, size),
        };
        let mut response = HttpResponse::new(status)
            .with_header("content-type", &meta.content_type)
            .with_header("content-length", &len.to_string())
            .with_header("accept-ranges", "bytes")
            .with_header("cache-control", "private, no-store");
        if let Some((start, len)) = range {
            response = response.with_header(
                "content-range",
                &format!("bytes {start}-{}/{size}", start + len - 1),
            );
        }
        if req.method == "HEAD" {
            return Ok(response);
        }
        if body.is_none() {
            // A Range: read what it asks (all of the object when ignored).
            body = Some(blobs.open(&key, range).await?.ok_or_else(gone)?.1);
        }
        Ok(match body {
            Some(BlobBody::Bytes(bytes)) => response.with_body(bytes),
            Some(BlobBody::Stream(stream)) => {
                response.stream = Some(stream);
                response
            }
            None => response,
        })
    }
}

/// What a `Range` header asks of an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeAsk {
    /// All of it (no range this server serves: several ranges, another
    /// unit, a malformed one; RFC 9110 §14.2 lets a server ignore them).
    Whole,
    /// `(start, length)`.
    Part(u64, u64),
    /// No byte of it is in the object (416).
    Unsatisfiable,
}

/// The one byte range `header` asks of a `size`-byte object (RFC 9110
/// §14.1.2: `bytes=a-b`, `bytes=a-`, `bytes=-n`).
pub fn byte_range(header: &str, size: u64) -> RangeAsk {
    use RangeAsk::{Part, Unsatisfiable, Whole};
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Whole;
    };
    if spec.contains(',') {
        return Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Whole;
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (first, last) = (first.trim(), last.trim());
    match (number(first), last) {
        (None, suffix) if first.is_empty() => match number(suffix) {
            Some(n) if n > 0 && size > 0 => Part(size - n.min(size), n.min(size)),
            Some(_) => Unsatisfiable,
            None => Whole,
        },
        (Some(start), "") if start < size => Part(start, size - start),
        (Some(_), "") => Unsatisfiable,
        (Some(start), end) => match number(end) {
            Some(end) if end < start => Whole,
            Some(_) if start >= size => Unsatisfiable,
            Some(end) => Part(start, end.min(size - 1) - start + 1),
            None => Whole,
        },
        _ => Whole,
    }
}

/// 413, saying what Meta accepts.
pub fn too_large(size: u64) -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the image is {size} bytes; Instagram accepts images of at most 8 MB ({IMAGE_MAX_BYTES} bytes)"),
    )
}

#[cfg(test)]
mod tests {
    use super::{byte_range, RangeAsk::*};

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(byte_range("bytes=0-99", 1000), Part(0, 100));
        assert_eq!(byte_range("bytes=900-", 1000), Part(900, 100));
        assert_eq!(byte_range("bytes=900-5000", 1000), Part(900, 100));
        assert_eq!(byte_range("bytes=-100", 1000), Part(900, 100));
        assert_eq!(byte_range("bytes=-5000", 1000), Part(0, 1000));
        assert_eq!(byte_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(byte_range("bytes=1000-1001", 1000), Unsatisfiable);
        assert_eq!(byte_range("bytes=-0", 1000), Unsatisfiable);
        // Ignored: sent whole.
        assert_eq!(byte_range("bytes=0-1,5-6", 1000), Whole);
        assert_eq!(byte_range("items=0-1", 1000), Whole);
        assert_eq!(byte_range("bytes=5-1", 1000), Whole);
        assert_eq!(byte_range("bytes=x-1", 1000), Whole);
    }
}
