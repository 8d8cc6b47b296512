//! The R2 bucket `MEDIA_BUCKET` behind the service's [`BlobStore`] trait
//! (staged media, `service::media`). Optional: without the binding the
//! media routes answer 503 and the cron sweeps nothing.

use std::collections::HashMap;

use futures_util::future::LocalBoxFuture;
use worker::{Bucket, Env, HttpMetadata, Object};

use crate::service::error::ApiError;
use crate::service::media::blobs::{Blob, BlobMeta, BlobStore};
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
}

fn storage(op: &str, e: worker::Error) -> ApiError {
    ApiError::storage(format!("R2 {op} failed: {}", first_line(&e.to_string())))
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
            let custom: HashMap<String, String> = meta.custom.into_iter().collect();
            self.0
                .put(key, bytes)
                .http_metadata(HttpMetadata {
                    content_type: Some(meta.content_type),
                    ..HttpMetadata::default()
                })
                .custom_metadata(custom)
                .execute()
                .await
                .map(|_| ())
                .map_err(|e| storage("put", e))
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<Blob>, ApiError>> {
        Box::pin(async move {
            let Some(object) = self
                .0
                .get(key)
                .execute()
                .await
                .map_err(|e| storage("get", e))?
            else {
                return Ok(None);
            };
            let meta = meta_of(&object);
            let bytes = match object.body() {
                Some(body) => body.bytes().await.map_err(|e| storage("read", e))?,
                None => Vec::new(),
            };
            Ok(Some(Blob { meta, bytes }))
        })
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
}
