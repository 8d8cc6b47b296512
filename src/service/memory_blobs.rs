//! An in-memory [`BlobStore`] for native tests (feature `testing`: never in
//! a library build). It counts operations and can fail every one of them
//! (to prove a failed store leaves nothing half-staged).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use futures_util::future::LocalBoxFuture;

use crate::service::error::ApiError;
use crate::service::media::blobs::{Blob, BlobMeta, BlobStore};
use crate::service::store::ListPage;

/// Objects in key order.
#[derive(Default)]
pub struct MemoryBlobs {
    objects: RefCell<BTreeMap<String, Blob>>,
    /// Every operation fails while set.
    pub failing: Cell<bool>,
    /// Operations made (put, get, head, delete, list).
    pub ops: Cell<u64>,
}

impl MemoryBlobs {
    pub fn new() -> MemoryBlobs {
        MemoryBlobs::default()
    }

    /// Every key held, in order.
    pub fn keys(&self) -> Vec<String> {
        self.objects.borrow().keys().cloned().collect()
    }

    fn op(&self) -> Result<(), ApiError> {
        self.ops.set(self.ops.get() + 1);
        if self.failing.get() {
            return Err(ApiError::storage("R2 failed: injected"));
        }
        Ok(())
    }
}

impl BlobStore for MemoryBlobs {
    fn put<'a>(
        &'a self,
        key: &'a str,
        bytes: Vec<u8>,
        mut meta: BlobMeta,
    ) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            self.op()?;
            meta.size = bytes.len() as u64;
            self.objects
                .borrow_mut()
                .insert(key.to_owned(), Blob { meta, bytes });
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<Blob>, ApiError>> {
        Box::pin(async move {
            self.op()?;
            Ok(self.objects.borrow().get(key).cloned())
        })
    }

    fn head<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<BlobMeta>, ApiError>> {
        Box::pin(async move {
            self.op()?;
            Ok(self.objects.borrow().get(key).map(|b| b.meta.clone()))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            self.op()?;
            self.objects.borrow_mut().remove(key);
            Ok(())
        })
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        cursor: Option<&'a str>,
        limit: u32,
    ) -> LocalBoxFuture<'a, Result<ListPage, ApiError>> {
        Box::pin(async move {
            self.op()?;
            let objects = self.objects.borrow();
            let keys: Vec<String> = objects
                .keys()
                .filter(|k| k.starts_with(prefix))
                .filter(|k| cursor.is_none_or(|c| k.as_str() > c))
                .take(limit as usize + 1)
                .cloned()
                .collect();
            let more = keys.len() > limit as usize;
            let keys: Vec<String> = keys.into_iter().take(limit as usize).collect();
            let cursor = if more { keys.last().cloned() } else { None };
            Ok(ListPage { keys, cursor })
        })
    }
}
