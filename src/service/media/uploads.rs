//! Staging a local video in parts: a video may be far larger than a
//! Worker request body (100 MB on the Free and Pro plans:
//! <https://developers.cloudflare.com/workers/platform/limits/#request-limits>)
//! or its memory (128 MB), so the client sends it in parts of
//! [`PART_SIZE`], each stored at once as a part of an R2 multipart upload
//! (<https://developers.cloudflare.com/r2/api/workers/workers-multipart-usage/>),
//! and a part sent again replaces the first: an interrupted upload resumes
//! by re-sending only what is missing.
//!
//! - `POST /api/accounts/{id}/uploads` starts one for a declared use, type
//!   and size (refused at once when Meta would refuse that size);
//! - `PUT …/uploads/{upload}/parts/{n}?upload_id=` stores part `n`, whose
//!   length must be exactly what the declared size makes it;
//! - `POST …/uploads/{upload}/complete` joins the parts, then checks the
//!   stored file with ranged reads ([`super::video`]): a refused file is
//!   deleted;
//! - `DELETE …/uploads/{upload}?upload_id=` aborts it.
//!
//! Stateless on the Worker, as S3 multipart is: the client keeps the
//! etags. The upload's reference is the staged key's (`super`), so the
//! account is in it (another account's reference names another key, and
//! R2 knows no such upload there: 404) and the declared size is too (the
//! random part ends `-{size}`; changing it changes the key). An upload
//! left unfinished is aborted by R2's default rule for incomplete
//! multipart uploads (seven days: docs/deploy.md); a completed one is a
//! staged object like an image: published once, swept when it expires.

use serde::Deserialize;
use serde_json::json;

use crate::core::http::Transport;
use crate::core::publish::video_file::VideoLimits;
use crate::service::crypto::random_id;
use crate::service::error::ApiError;
use crate::service::http::{HttpRequest, HttpResponse};
use crate::service::media::blobs::{no_such_upload, BlobMeta, UploadedPart};
use crate::service::media::video::{
    check_stored, limits_for, max_video_bytes, unknown_use, VIDEO_TYPES,
};
use crate::service::media::{key_expiry, new_staged, staged_key, STAGED_TTL};
use crate::service::store::KvStore;
use crate::service::Service;

const MIB: u64 = 1024 * 1024;
/// Every part but the last has this many bytes (R2 wants at least 5 MiB
/// per part but the last, and all but the last of one size).
pub const PART_SIZE: u64 = 8 * MIB;
const _: () = assert!(PART_SIZE >= 5 * MIB, "R2's minimum part size");

/// A staged video's custom metadata: what it was checked for.
pub const USE_META: &str = "use";
/// The metadata naming a staged object's kind (`video`; images have none).
pub const TYPE_META: &str = "type";

/// The random part of a key: 16 random bytes in base64url; a video's
/// then has `-{size}`.
const RANDOM_BYTES: usize = 16;
const RANDOM_LEN: usize = 22;

/// Whether a staged key is a video's (its random part carries a size).
pub fn is_video_key(key: &str) -> bool {
    let random = key.rsplit('/').next().unwrap_or("");
    random.len() > RANDOM_LEN
        && random.is_char_boundary(RANDOM_LEN)
        && random[RANDOM_LEN..]
            .strip_prefix('-')
            .is_some_and(|size| !size.is_empty() && size.bytes().all(|b| b.is_ascii_digit()))
}

/// An upload in progress: its key, and what its declared size makes of it.
pub struct UploadPlan {
    pub key: String,
    pub size: u64,
}

impl UploadPlan {
    /// The plan of `account`'s upload `reference`, if it is one.
    pub fn of(account: &str, reference: &str) -> Option<UploadPlan> {
        let key = staged_key(account, reference).filter(|k| is_video_key(k))?;
        let (_, size) = reference.rsplit_once('-')?;
        // Only sizes an upload can be started with: part numbers stay small.
        let size: u64 = size
            .parse()
            .ok()
            .filter(|s| (1..=max_video_bytes()).contains(s))?;
        Some(UploadPlan { key, size })
    }

    pub fn parts(&self) -> u64 {
        self.size.div_ceil(PART_SIZE)
    }

    /// The length part `n` must have.
    pub fn part_len(&self, n: u64) -> u64 {
        if n < self.parts() {
            PART_SIZE
        } else {
            self.size - (self.parts() - 1) * PART_SIZE
        }
    }
}

#[derive(Deserialize)]
struct CreateBody {
    #[serde(rename = "use")]
    usage: Option<String>,
    content_type: Option<String>,
    size: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct CompleteBody {
    upload_id: String,
    parts: Vec<PartRef>,
}

#[derive(Deserialize)]
struct PartRef {
    number: u64,
    etag: String,
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// `POST /api/accounts/{id}/uploads`: starts a multipart upload (201).
    pub(crate) async fn create_upload(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        self.admitted_id(req, id).await?;
        let blobs = self.blobs()?;
        let body: CreateBody = req.json()?;
        let usage = body.usage.ok_or_else(|| {
            ApiError::invalid_input("use", "give use: \"reel\", \"story\" or \"carousel\"")
        })?;
        let limits = limits_for(&usage).ok_or_else(|| unknown_use(&usage))?;
        let content_type = body.content_type.unwrap_or_default().to_ascii_lowercase();
        if !VIDEO_TYPES.contains(&content_type.as_str()) {
            return Err(ApiError::new(
                415,
                "unsupported_media_type",
                format!("content_type {content_type:?} is not staged: Instagram accepts videos as MP4 or MOV (video/mp4, video/quicktime)"),
            ));
        }
        let size = body
            .size
            .as_ref()
            .and_then(serde_json::Value::as_u64)
            .filter(|s| *s > 0)
            .ok_or_else(|| {
                ApiError::invalid_input(
                    "size",
                    "size must be the video's length in bytes, a whole number above 0",
                )
            })?;
        if size > limits.max_bytes {
            return Err(video_too_large(size, &limits));
        }
        let random = format!("{}-{size}", random_id(self.transport, RANDOM_BYTES));
        let (reference, key) = new_staged(id, self.transport.now().plus(STAGED_TTL), &random);
        // The expiry the key holds (whole seconds), as `complete` answers it.
        let expires = key_expiry(&key).unwrap_or_default();
        let meta = BlobMeta {
            content_type: content_type.clone(),
            size,
            custom: vec![
                (TYPE_META.into(), "video".into()),
                (USE_META.into(), usage.clone()),
            ],
        };
        let upload_id = blobs.create_multipart(&key, meta).await?;
        let plan = UploadPlan { key, size };
        Ok(HttpResponse::json(
            201,
            &json!({ "upload": {
                "id": reference,
                "upload_id": upload_id,
                "part_size": PART_SIZE,
                "parts": plan.parts(),
                "size": size,
                "use": usage,
                "content_type": content_type,
                "expires_at": expires.to_rfc3339(),
            }}),
        ))
    }

    /// `PUT /api/accounts/{id}/uploads/{upload}/parts/{n}?upload_id=`:
    /// stores part `n` (200), replacing one sent before.
    pub(crate) async fn upload_part(
        &self,
        req: &HttpRequest,
        id: &str,
        reference: &str,
        number: &str,
    ) -> Result<HttpResponse, ApiError> {
        self.admitted_id(req, id).await?;
        let blobs = self.blobs()?;
        let plan = self.live_plan(id, reference)?;
        let upload_id = upload_id_param(req)?;
        let n = number
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=plan.parts()).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_input(
                    "part",
                    format!(
                        "part {number:?} is not one of this upload's parts, 1 to {}",
                        plan.parts()
                    ),
                )
            })?;
        let expected = plan.part_len(n);
        let got = req.body.len() as u64;
        if got != expected {
            return Err(ApiError::invalid_input(
                "body",
                format!("part {n} must be exactly {expected} bytes (bytes {} to {} of the file); this one has {got}: send it again whole", (n - 1) * PART_SIZE, (n - 1) * PART_SIZE + expected - 1),
            ));
        }
        let part = blobs
            .upload_part(&plan.key, &upload_id, n as u16, req.body.clone())
            .await?;
        Ok(HttpResponse::json(
            200,
            &json!({"part": {"number": part.number, "etag": part.etag}}),
        ))
    }

    /// `POST /api/accounts/{id}/uploads/{upload}/complete`: joins the parts
    /// and checks the video (201 with the staged media); a video Meta would
    /// refuse is deleted (422).
    pub(crate) async fn complete_upload(
        &self,
        req: &HttpRequest,
        id: &str,
        reference: &str,
    ) -> Result<HttpResponse, ApiError> {
        self.admitted_id(req, id).await?;
        let blobs = self.blobs()?;
        let plan = self.live_plan(id, reference)?;
        let body: CompleteBody = req.json()?;
        let mut parts = body.parts;
        parts.sort_by_key(|p| p.number);
        let numbers: Vec<u64> = parts.iter().map(|p| p.number).collect();
        let wanted: Vec<u64> = (1..=plan.parts()).collect();
        if numbers != wanted {
            let missing: Vec<u64> = wanted
                .iter()
                .filter(|n| !numbers.contains(n))
                .copied()
                .collect();
            return Err(ApiError::invalid_input(
                "parts",
                format!(
                    "give each of the parts 1 to {} once, with the etag its upload answered; missing: {missing:?}, given: {numbers:?}",
                    plan.parts()
                ),
            ));
        }
        let parts = parts
            .into_iter()
            .map(|p| UploadedPart {
                number: p.number as u16,
                etag: p.etag,
            })
            .collect();
        blobs
            .complete_multipart(&plan.key, &body.upload_id, parts)
            .await?;
        let checked = self.check_completed(&plan).await;
        let (meta, file, usage) = match checked {
            Ok(c) => c,
            Err(e) => {
                let _ = blobs.delete(&plan.key).await;
                return Err(e);
            }
        };
        Ok(HttpResponse::json(
            201,
            &json!({ "media": {
                "id": reference,
                "type": "video",
                "content_type": meta.content_type,
                "size": file.size,
                "duration_ms": file.duration_ms,
                "use": usage,
                "expires_at": key_expiry(&plan.key).unwrap_or_default().to_rfc3339(),
            }}),
        ))
    }

    /// `DELETE /api/accounts/{id}/uploads/{upload}?upload_id=`: aborts it (204).
    pub(crate) async fn abort_upload(
        &self,
        req: &HttpRequest,
        id: &str,
        reference: &str,
    ) -> Result<HttpResponse, ApiError> {
        self.admitted_id(req, id).await?;
        let blobs = self.blobs()?;
        let plan = UploadPlan::of(id, reference).ok_or_else(no_such_upload)?;
        let upload_id = upload_id_param(req)?;
        blobs.abort_multipart(&plan.key, &upload_id).await?;
        Ok(HttpResponse::new(204))
    }

    /// The plan of a reference that is this account's and not expired.
    fn live_plan(&self, id: &str, reference: &str) -> Result<UploadPlan, ApiError> {
        let plan = UploadPlan::of(id, reference).ok_or_else(no_such_upload)?;
        let expired = key_expiry(&plan.key).is_none_or(|at| at <= self.transport.now());
        if expired {
            return Err(no_such_upload());
        }
        Ok(plan)
    }

    /// The completed object's metadata, checked video and use.
    async fn check_completed(
        &self,
        plan: &UploadPlan,
    ) -> Result<(BlobMeta, crate::core::publish::spec::VideoFile, String), ApiError> {
        let blobs = self.blobs()?;
        let meta = blobs
            .head(&plan.key)
            .await?
            .ok_or_else(|| ApiError::storage("the completed upload is not in the bucket"))?;
        let usage = meta.custom(USE_META).unwrap_or_default().to_owned();
        let limits = limits_for(&usage).ok_or_else(|| unknown_use(&usage))?;
        if meta.size != plan.size {
            return Err(super::video::refused(format!(
                "the uploaded video has {} bytes, not the {} declared: upload it again",
                meta.size, plan.size
            )));
        }
        let file = check_stored(blobs, &plan.key, meta.size, &limits).await?;
        Ok((meta, file, usage))
    }
}

fn upload_id_param(req: &HttpRequest) -> Result<String, ApiError> {
    req.query_param("upload_id")?.ok_or_else(|| {
        ApiError::invalid_input(
            "upload_id",
            "give ?upload_id= (the upload_id POST /api/accounts/{id}/uploads answered)",
        )
    })
}

/// 413: over what Meta takes for this use.
pub fn video_too_large(size: u64, limits: &VideoLimits) -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!(
            "the video is {size} bytes; Instagram accepts {} of at most {} MB ({} bytes)",
            limits.what,
            limits.max_bytes / MIB,
            limits.max_bytes
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_carries_its_size_and_makes_its_parts() {
        let reference = format!("1795000000.AAAAAAAAAAAAAAAAAAAAAA-{}", PART_SIZE * 2 + 5);
        let plan = UploadPlan::of("17841400000000001", &reference).unwrap();
        assert_eq!(plan.parts(), 3);
        assert_eq!(plan.part_len(1), PART_SIZE);
        assert_eq!(plan.part_len(3), 5);
        assert!(plan.key.ends_with(&format!(
            "/17841400000000001/AAAAAAAAAAAAAAAAAAAAAA-{}",
            PART_SIZE * 2 + 5
        )));
        let exact = UploadPlan::of(
            "1",
            &format!("1795000000.AAAAAAAAAAAAAAAAAAAAAA-{}", PART_SIZE),
        )
        .unwrap();
        assert_eq!((exact.parts(), exact.part_len(1)), (1, PART_SIZE));
        assert!(UploadPlan::of("1", "1795000000.AAAAAAAAAAAAAAAAAAAAAA").is_none());
        assert!(UploadPlan::of("1", "1795000000.AAAAAAAAAAAAAAAAAAAAAA-0").is_none());
        assert!(is_video_key(&plan.key));
        // A size no upload can have (its part numbers would not fit R2's).
        let huge = format!("1795000000.AAAAAAAAAAAAAAAAAAAAAA-{}", u64::MAX);
        assert!(UploadPlan::of("1", &huge).is_none());
        let over = format!(
            "1795000000.AAAAAAAAAAAAAAAAAAAAAA-{}",
            max_video_bytes() + 1
        );
        assert!(UploadPlan::of("1", &over).is_none());
        assert!(!is_video_key("staged/1795000000/1/AAAAAAAAAAAAAAAA-AAAAA"));
        assert!(!is_video_key("staged/1795000000/1/AAAAAAAAAAAAAAAAAAA-12"));
    }
}
