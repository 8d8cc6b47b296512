//! The R2 bucket `MEDIA_BUCKET` behind the service's [`BlobStore`] trait
//! (staged media, `service::media`). Optional: without the binding the
//! media routes answer 503 and the cron sweeps nothing.

use std::collections::HashMap;

use futures_util::future::LocalBoxFuture;
use worker::{Bucket, Env, HttpMetadata, Object, Range, ResponseBody};

use crate::service::error::ApiError;
use crate::service::http::StreamedBody;
use crate::service::media::blobs::{
    no_such_upload, Blob, BlobBody, BlobMeta, BlobStore, UploadedPart,
};
use crate::service::store::ListPage;

use super::kv::first_line;

/// The R2 bucket binding named in `wrangler.toml`.
pub const MEDIA_BINDING: &str = "MEDIA_BUCKET";

/// The staged-media bucket.
#[derive(Clone)]
pub struct R2Blobs(Bucket);

impl R2Blobs {
    /// The bound bucket, if the Worker has one.
    pub fn from_env(env: &Env) -> Option<R2Blobs> {
        env.bucket(MEDIA_BINDING).ok().map(R2Blobs)
    }

    /// The object at `key` (all of it, or `(offset, length)`), body unread.
    async fn object(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
    ) -> Result<Option<Object>, ApiError> {
        let mut get = self.0.get(key);
        if let Some((offset, length)) = range {
            get = get.range(Range::OffsetWithLength { offset, length });
        }
        get.execute().await.map_err(|e| storage("get", e))
    }

    /// The object at `key` (or its range) read whole into memory.
    async fn read(&self, key: &str, range: Option<(u64, u64)>) -> Result<Option<Blob>, ApiError> {
        let Some(object) = self.object(key, range).await? else {
            return Ok(None);
        };
        let meta = meta_of(&object);
        let bytes = match object.body() {
            Some(body) => body.bytes().await.map_err(|e| storage("read", e))?,
            None => Vec::new(),
        };
        Ok(Some(Blob { meta, bytes }))
    }
}

fn storage(op: &str, e: worker::Error) -> ApiError {
    ApiError::storage(format!("R2 {op} failed: {}", first_line(&e.to_string())))
}

/// A multipart call's failure: R2's `NoSuchUpload` (10024: no such upload
/// for this key) is a 404, `InvalidPart` (10025: an etag that is not the
/// stored part's) a 400 (<https://developers.cloudflare.com/r2/api/error-codes/>);
/// anything else a storage failure.
fn multipart_error(op: &str, e: worker::Error) -> ApiError {
    let text = e.to_string();
    if text.contains("NoSuchUpload") || text.contains("10024") || text.contains("does not exist") {
        return no_such_upload();
    }
    if text.contains("InvalidPart") || text.contains("10025") {
        return ApiError::invalid_input(
            "parts",
            "a part's etag is not the one this upload stored: send the etags the part uploads answered",
        );
    }
    storage(op, e)
}

/// Metadata for a put or a multipart upload.
fn http_metadata(meta: &BlobMeta) -> HttpMetadata {
    HttpMetadata {
        content_type: Some(meta.content_type.clone()),
        ..HttpMetadata::default()
    }
}

fn meta_of(object: &Object) -> BlobMeta {
    let mut custom: Vec<(String, String)> = object
        .custom_metadata()
        .unwrap_or_default()
        .into_iter()
        .collect();
    custom.sort();
    BlobMeta {
        content_type: object
            .http_metadata()
            .content_type
            .unwrap_or_else(|| "application/octet-stream".into()),
        size: object.size(),
        custom,
    }
}

impl BlobStore for R2Blobs {
    fn put<'a>(
        &'a self,
        key: &'a str,
        bytes: Vec<u8>,
        meta: BlobMeta,
    ) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let custom: HashMap<String, String> = meta.custom.iter().cloned().collect();
            self.0
                .put(key, bytes)
                .http_metadata(http_metadata(&meta))
                .custom_metadata(custom)
                .execute()
                .await
                .map(|_| ())
                .map_err(|e| storage("put", e))
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<Blob>, ApiError>> {
        Box::pin(self.read(key, None))
    }

    fn head<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<BlobMeta>, ApiError>> {
        Box::pin(async move {
            let object = self.0.head(key).await.map_err(|e| storage("head", e))?;
            Ok(object.as_ref().map(meta_of))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move { self.0.delete(key).await.map_err(|e| storage("delete", e)) })
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        cursor: Option<&'a str>,
        limit: u32,
    ) -> LocalBoxFuture<'a, Result<ListPage, ApiError>> {
        Box::pin(async move {
            let mut list = self.0.list().prefix(prefix).limit(limit);
            if let Some(c) = cursor {
                list = list.cursor(c);
            }
            let objects = list.execute().await.map_err(|e| storage("list", e))?;
            Ok(ListPage {
                keys: objects.objects().iter().map(Object::key).collect(),
                cursor: objects.truncated().then(|| objects.cursor()).flatten(),
            })
        })
    }

    fn get_range<'a>(
        &'a self,
        key: &'a str,
        offset: u64,
        len: u64,
    ) -> LocalBoxFuture<'a, Result<Option<Blob>, ApiError>> {
        Box::pin(self.read(key, Some((offset, len))))
    }

    fn open<'a>(
        &'a self,
        key: &'a str,
        range: Option<(u64, u64)>,
    ) -> LocalBoxFuture<'a, Result<Option<(BlobMeta, BlobBody)>, ApiError>> {
        Box::pin(async move {
            let Some(object) = self.object(key, range).await? else {
                return Ok(None);
            };
            let meta = meta_of(&object);
            // The object's stream goes to the response as it is: a video
            // larger than the isolate's memory is never held.
            let body = match object.body().map(|b| b.response_body()) {
                Some(Ok(ResponseBody::Stream(stream))) => {
                    BlobBody::Stream(StreamedBody::new(stream))
                }
                Some(Ok(ResponseBody::Body(bytes))) => BlobBody::Bytes(bytes),
                Some(Ok(ResponseBody::Empty)) | None => BlobBody::Bytes(Vec::new()),
                Some(Err(e)) => return Err(storage("read", e)),
            };
            Ok(Some((meta, body)))
        })
    }

    fn create_multipart<'a>(
        &'a self,
        key: &'a str,
        meta: BlobMeta,
    ) -> LocalBoxFuture<'a, Result<String, ApiError>> {
        Box::pin(async move {
            let custom: HashMap<String, String> = meta.custom.iter().cloned().collect();
            let upload = self
                .0
                .create_multipart_upload(key)
                .http_metadata(http_metadata(&meta))
                .custom_metadata(custom)
                .execute()
                .await
                .map_err(|e| storage("createMultipartUpload", e))?;
            Ok(upload.upload_id().await)
        })
    }

    fn upload_part<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        number: u16,
        bytes: Vec<u8>,
    ) -> LocalBoxFuture<'a, Result<UploadedPart, ApiError>> {
        Box::pin(async move {
            let upload = self
                .0
                .resume_multipart_upload(key, upload_id)
                .map_err(|e| multipart_error("uploadPart", e))?;
            let part = upload
                .upload_part(number, bytes)
                .await
                .map_err(|e| multipart_error("uploadPart", e))?;
            Ok(UploadedPart {
                number: part.part_number(),
                etag: part.etag(),
            })
        })
    }

    fn complete_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<UploadedPart>,
    ) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let upload = self
                .0
                .resume_multipart_upload(key, upload_id)
                .map_err(|e| multipart_error("complete", e))?;
            let parts = parts
                .into_iter()
                .map(|p| worker::UploadedPart::new(p.number, p.etag));
            upload
                .complete(parts)
                .await
                .map(|_| ())
                .map_err(|e| multipart_error("complete", e))
        })
    }

    fn abort_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
    ) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let upload = self
                .0
                .resume_multipart_upload(key, upload_id)
                .map_err(|e| multipart_error("abort", e))?;
            upload
                .abort()
                .await
                .map_err(|e| multipart_error("abort", e))
        })
    }
}
