//! The key-value trait the Worker keeps everything in, and the counting
//! wrapper the cron measures its cost with. The in-memory store of tests and
//! benchmarks is `service::memory_store` (feature `testing`).
//!
//! The trait is the subset of Workers KV the service needs: get, put with an
//! optional TTL, delete, and list by prefix in key order with a cursor and a
//! page limit (<https://developers.cloudflare.com/kv/api/list-keys/>: keys
//! come back in lexicographic order of their UTF-8 bytes, at most 1,000 per
//! page). The futures are not `Send`: on wasm they hold JS values.
//!

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use crate::service::error::ApiError;

/// Workers KV refuses TTLs under 60 seconds.
pub const MIN_TTL: Duration = Duration::from_secs(60);

/// The most keys one list call returns (Workers KV's cap).
pub const MAX_LIST_LIMIT: u32 = 1000;

/// One page of a prefix listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Key names, in order.
    pub keys: Vec<String>,
    /// Where the next page starts; `None` when the listing is complete.
    pub cursor: Option<String>,
}

/// What the service needs from a key-value store.
pub trait KvStore {
    /// The value at `key`, or `None`.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<String>, ApiError>>;

    /// Writes `value` at `key`; with `ttl`, the key disappears after it
    /// (at least [`MIN_TTL`]).
    fn put(
        &self,
        key: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> impl Future<Output = Result<(), ApiError>>;

    /// Removes `key` (no error when it is absent).
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), ApiError>>;

    /// Keys starting with `prefix`, in order, at most `limit`, continuing
    /// from `cursor` (from a previous page).
    fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<ListPage, ApiError>>;
}

impl<S: KvStore> KvStore for Rc<S> {
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<String>, ApiError>> {
        (**self).get(key)
    }
    fn put(
        &self,
        key: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> impl Future<Output = Result<(), ApiError>> {
        (**self).put(key, value, ttl)
    }
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), ApiError>> {
        (**self).delete(key)
    }
    fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<ListPage, ApiError>> {
        (**self).list(prefix, cursor, limit)
    }
}

/// Counts the operations the service makes through it, whatever the
/// backend: the cron reports them and stops before its KV budget runs out.
pub struct CountingStore<'a, S> {
    inner: &'a S,
    ops: Cell<KvOps>,
}

impl<'a, S: KvStore> CountingStore<'a, S> {
    pub fn new(inner: &'a S) -> CountingStore<'a, S> {
        CountingStore {
            inner,
            ops: Cell::new(KvOps::default()),
        }
    }

    pub fn ops(&self) -> KvOps {
        self.ops.get()
    }

    fn count(&self, op: KvOp) {
        let mut ops = self.ops.get();
        match op {
            KvOp::Get => ops.gets += 1,
            KvOp::Put => ops.puts += 1,
            KvOp::Delete => ops.deletes += 1,
            KvOp::List => ops.lists += 1,
        }
        self.ops.set(ops);
    }
}

impl<S: KvStore> KvStore for CountingStore<'_, S> {
    async fn get(&self, key: &str) -> Result<Option<String>, ApiError> {
        self.count(KvOp::Get);
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), ApiError> {
        self.count(KvOp::Put);
        self.inner.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        self.count(KvOp::Delete);
        self.inner.delete(key).await
    }
    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, ApiError> {
        self.count(KvOp::List);
        self.inner.list(prefix, cursor, limit).await
    }
}

/// Which operation, for counting and fault injection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvOp {
    Get,
    Put,
    Delete,
    List,
}

/// Operation counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KvOps {
    pub gets: u64,
    pub puts: u64,
    pub deletes: u64,
    pub lists: u64,
}

impl KvOps {
    pub fn total(&self) -> u64 {
        self.gets + self.puts + self.deletes + self.lists
    }

    /// `self - earlier`, per operation.
    pub fn since(&self, earlier: &KvOps) -> KvOps {
        KvOps {
            gets: self.gets - earlier.gets,
            puts: self.puts - earlier.puts,
            deletes: self.deletes - earlier.deletes,
            lists: self.lists - earlier.lists,
        }
    }
}
