//! An in-memory [`BlobStore`] for native tests (feature `testing`: never in
//! a library build). It counts operations and can fail every one of them
//! (to prove a failed store leaves nothing half-staged). Multipart uploads
//! follow R2's rules: an upload belongs to one key, a part sent again
//! replaces the first, completing checks every etag and that all parts
//! but the last have one size.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use futures_util::future::LocalBoxFuture;

use crate::service::error::ApiError;
use crate::service::media::blobs::{
    no_such_upload, Blob, BlobBody, BlobMeta, BlobStore, UploadedPart,
};
use crate::service::store::ListPage;

/// Objects in key order.
#[derive(Default)]
pub struct MemoryBlobs {
    objects: RefCell<BTreeMap<String, Blob>>,
    /// Every operation fails while set.
    pub failing: Cell<bool>,
    /// Operations made (put, get, head, delete, list, multipart calls).
    pub ops: Cell<u64>,
    /// Multipart uploads in progress, by upload id.
    uploads: RefCell<BTreeMap<String, Upload>>,
    /// Ranged reads made (`get_range`, `open` with a range), and the bytes they read.
    pub ranged_reads: Cell<u64>,
    pub ranged_bytes: Cell<u64>,
    /// Whole-object reads (`get`, `open` without a range).
    pub whole_reads: Cell<u64>,
    serial: Cell<u64>,
}

struct Upload {
    key: String,
    meta: BlobMeta,
    /// Part number → (etag, bytes).
    parts: BTreeMap<u16, (String, Vec<u8>)>,
}

impl MemoryBlobs {
    pub fn new() -> MemoryBlobs {
        MemoryBlobs::default()
    }

    /// Every key held, in order.
    pub fn keys(&self) -> Vec<String> {
        self.objects.borrow().keys().cloned().collect()
    }

    /// Multipart uploads in progress.
    pub fn uploads_in_progress(&self) -> usize {
        self.uploads.borrow().len()
    }

    /// The bytes of the object at `key`.
    pub fn bytes(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.borrow().get(key).map(|b| b.bytes.clone())
    }

    fn next_serial(&self) -> u64 {
        self.serial.set(self.serial.get() + 1);
        self.serial.get()
    }

    fn slice(&self, key: &str, offset: u64, len: u64) -> Option<Blob> {
        let objects = self.objects.borrow();
        let blob = objects.get(key)?;
        let from = (offset as usize).min(blob.bytes.len());
        let to = from.saturating_add(len as usize).min(blob.bytes.len());
        self.ranged_reads.set(self.ranged_reads.get() + 1);
        self.ranged_bytes
            .set(self.ranged_bytes.get() + (to - from) as u64);
        Some(Blob {
            meta: blob.meta.clone(),
            bytes: blob.bytes[from..to].to_vec(),
        })
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
            self.whole_reads.set(self.whole_reads.get() + 1);
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

    fn get_range<'a>(
        &'a self,
        key: &'a str,
        offset: u64,
        len: u64,
    ) -> LocalBoxFuture<'a, Result<Option<Blob>, ApiError>> {
        Box::pin(async move {
            self.op()?;
            Ok(self.slice(key, offset, len))
        })
    }

    fn open<'a>(
        &'a self,
        key: &'a str,
        range: Option<(u64, u64)>,
    ) -> LocalBoxFuture<'a, Result<Option<(BlobMeta, BlobBody)>, ApiError>> {
        Box::pin(async move {
            self.op()?;
            let blob = match range {
                Some((offset, len)) => self.slice(key, offset, len),
                None => {
                    self.whole_reads.set(self.whole_reads.get() + 1);
                    self.objects.borrow().get(key).cloned()
                }
            };
            Ok(blob.map(|b| (b.meta, BlobBody::Bytes(b.bytes))))
        })
    }

    fn create_multipart<'a>(
        &'a self,
        key: &'a str,
        meta: BlobMeta,
    ) -> LocalBoxFuture<'a, Result<String, ApiError>> {
        Box::pin(async move {
            self.op()?;
            let id = format!("upload-{}", self.next_serial());
            let upload = Upload {
                key: key.to_owned(),
                meta,
                parts: BTreeMap::new(),
            };
            self.uploads.borrow_mut().insert(id.clone(), upload);
            Ok(id)
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
            self.op()?;
            let etag = format!("etag-{}", self.next_serial());
            let mut uploads = self.uploads.borrow_mut();
            let upload = uploads
                .get_mut(upload_id)
                .filter(|u| u.key == key)
                .ok_or_else(no_such_upload)?;
            upload.parts.insert(number, (etag.clone(), bytes));
            Ok(UploadedPart { number, etag })
        })
    }

    fn complete_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<UploadedPart>,
    ) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            self.op()?;
            let mut uploads = self.uploads.borrow_mut();
            let upload = uploads
                .get(upload_id)
                .filter(|u| u.key == key)
                .ok_or_else(no_such_upload)?;
            let mut bytes = Vec::new();
            let mut sizes = Vec::new();
            for part in &parts {
                match upload.parts.get(&part.number) {
                    Some((etag, data)) if *etag == part.etag => {
                        bytes.extend_from_slice(data);
                        sizes.push(data.len());
                    }
                    _ => {
                        return Err(ApiError::invalid_input(
                            "parts",
                            format!(
                                "part {} has no upload with etag {:?}",
                                part.number, part.etag
                            ),
                        ))
                    }
                }
            }
            if let Some((_, but_last)) = sizes.split_last() {
                if but_last.windows(2).any(|w| w[0] != w[1]) {
                    return Err(ApiError::invalid_input(
                        "parts",
                        "all parts but the last must have one size",
                    ));
                }
            }
            let mut meta = upload.meta.clone();
            meta.size = bytes.len() as u64;
            uploads.remove(upload_id);
            self.objects
                .borrow_mut()
                .insert(key.to_owned(), Blob { meta, bytes });
            Ok(())
        })
    }

    fn abort_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
    ) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            self.op()?;
            let mut uploads = self.uploads.borrow_mut();
            if uploads.get(upload_id).is_none_or(|u| u.key != key) {
                return Err(no_such_upload());
            }
            uploads.remove(upload_id);
            Ok(())
        })
    }
}
