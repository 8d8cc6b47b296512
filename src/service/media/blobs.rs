//! The object-store trait staged media is kept in (the Worker: an R2
//! bucket, `src/worker/bucket.rs`; tests: `service::memory_blobs`).
//!
//! The subset of R2's Workers binding the service needs: put with a
//! content type and custom metadata, get (whole, a byte range, or a range
//! as a stream handed to the response), head, delete, list by prefix in
//! key order, and multipart uploads (create, upload a part, complete,
//! abort: staged videos, `super::uploads`) (<https://developers.cloudflare.com/r2/api/workers/workers-api-reference/>:
//! "objects are returned in ascending lexicographic order of their keys").
//! The futures are boxed, so a [`Service`](crate::service::Service) holds the
//! store as `&dyn BlobStore` without another type parameter; they are not
//! `Send` (on wasm they hold JS values).

use futures_util::future::LocalBoxFuture;

use crate::service::error::ApiError;
use crate::service::http::StreamedBody;
use crate::service::store::ListPage;

/// What is kept with an object besides its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlobMeta {
    pub content_type: String,
    pub size: u64,
    /// Small name/value pairs (R2 custom metadata).
    pub custom: Vec<(String, String)>,
}

impl BlobMeta {
    /// A custom metadata value by name.
    pub fn custom(&self, name: &str) -> Option<&str> {
        self.custom
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An object with its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub meta: BlobMeta,
    pub bytes: Vec<u8>,
}

/// A part of a multipart upload, as the store answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedPart {
    pub number: u16,
    pub etag: String,
}

/// An object's bytes read for an answer: in memory (native tests), or a
/// stream the runtime sends on without the Worker holding it (R2).
#[derive(Debug)]
pub enum BlobBody {
    Bytes(Vec<u8>),
    Stream(StreamedBody),
}

/// What the service needs from an object store.
pub trait BlobStore {
    /// Stores `bytes` at `key` (replacing what was there); `meta.size` is
    /// taken from `bytes`.
    fn put<'a>(
        &'a self,
        key: &'a str,
        bytes: Vec<u8>,
        meta: BlobMeta,
    ) -> LocalBoxFuture<'a, Result<(), ApiError>>;

    /// The object at `key`, or `None`.
    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<Blob>, ApiError>>;

    /// The metadata of the object at `key`, or `None` (no body read).
    fn head<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<BlobMeta>, ApiError>>;

    /// Removes `key` (no error when it is absent).
    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<(), ApiError>>;

    /// Keys starting with `prefix`, in order, at most `limit`, continuing
    /// from `cursor`.
    fn list<'a>(
        &'a self,
        prefix: &'a str,
        cursor: Option<&'a str>,
        limit: u32,
    ) -> LocalBoxFuture<'a, Result<ListPage, ApiError>>;

    /// `len` bytes of the object at `key` from `offset` (fewer at its
    /// end), with its metadata; `None` when there is no object.
    fn get_range<'a>(
        &'a self,
        key: &'a str,
        offset: u64,
        len: u64,
    ) -> LocalBoxFuture<'a, Result<Option<Blob>, ApiError>>;

    /// The object at `key` to send on: all of it, or `(offset, len)`.
    fn open<'a>(
        &'a self,
        key: &'a str,
        range: Option<(u64, u64)>,
    ) -> LocalBoxFuture<'a, Result<Option<(BlobMeta, BlobBody)>, ApiError>>;

    /// Starts a multipart upload to `key` (the object gets `meta` when
    /// completed); returns its upload id.
    fn create_multipart<'a>(
        &'a self,
        key: &'a str,
        meta: BlobMeta,
    ) -> LocalBoxFuture<'a, Result<String, ApiError>>;

    /// Stores part `number` (replacing one sent before); 404 when no such
    /// upload is in progress for `key`.
    fn upload_part<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        number: u16,
        bytes: Vec<u8>,
    ) -> LocalBoxFuture<'a, Result<UploadedPart, ApiError>>;

    /// Joins `parts` into the object at `key`; 404 when no such upload is
    /// in progress, 400 when a part's etag is not the one stored.
    fn complete_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<UploadedPart>,
    ) -> LocalBoxFuture<'a, Result<(), ApiError>>;

    /// Abandons an upload and its parts; 404 when there is none.
    fn abort_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
    ) -> LocalBoxFuture<'a, Result<(), ApiError>>;
}

/// 404: no multipart upload `upload_id` in progress (never started,
/// completed, aborted, or for another object).
pub fn no_such_upload() -> ApiError {
    ApiError::not_found(
        "no such upload in progress: it was completed, aborted or expired, or belongs to another account; start again with POST /api/accounts/{id}/uploads",
    )
}
