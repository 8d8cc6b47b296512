//! The object-store trait staged media is kept in (the Worker: an R2
//! bucket, `src/worker/bucket.rs`; tests: `service::memory_blobs`).
//!
//! The subset of R2's Workers binding the service needs: put with a
//! content type and custom metadata, get, head, delete, and list by prefix
//! in key order (<https://developers.cloudflare.com/r2/api/workers/workers-api-reference/>:
//! "objects are returned in ascending lexicographic order of their keys").
//! The futures are boxed, so a [`Service`](crate::service::Service) holds the
//! store as `&dyn BlobStore` without another type parameter; they are not
//! `Send` (on wasm they hold JS values).

use futures_util::future::LocalBoxFuture;

use crate::service::error::ApiError;
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
}
