//! Workers KV behind the service's [`KvStore`] trait.

use std::time::Duration;

use crate::service::error::ApiError;
use crate::service::store::{KvStore, ListPage, MIN_TTL};

/// The `INSTAGATE_KV` namespace.
#[derive(Clone)]
pub struct KvBinding {
    kv: worker::kv::KvStore,
}

impl KvBinding {
    pub fn new(kv: worker::kv::KvStore) -> KvBinding {
        KvBinding { kv }
    }
}

/// The error's message only: the Display of a JavaScript error is its Debug
/// dump with the stack (file paths, wasm offsets), which must not reach an
/// answer. Capped, since the text comes from outside the service.
fn storage(op: &str, e: worker::kv::KvError) -> ApiError {
    let detail = match &e {
        worker::kv::KvError::JavaScript(value) => {
            js_sys::Reflect::get(value, &wasm_bindgen::JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .or_else(|| value.as_string())
                .unwrap_or_else(|| "unknown error".to_owned())
        }
        other => other.to_string(),
    };
    ApiError::storage(format!("KV {op} failed: {}", first_line(&detail)))
}

/// The first line of an error text from outside, capped: answers carry no
/// stack or dump.
pub(super) fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

impl KvStore for KvBinding {
    async fn get(&self, key: &str) -> Result<Option<String>, ApiError> {
        self.kv.get(key).text().await.map_err(|e| storage("get", e))
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), ApiError> {
        let mut put = self.kv.put(key, value).map_err(|e| storage("put", e))?;
        if let Some(ttl) = ttl {
            put = put.expiration_ttl(ttl.max(MIN_TTL).as_secs());
        }
        put.execute().await.map_err(|e| storage("put", e))
    }

    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        self.kv.delete(key).await.map_err(|e| storage("delete", e))
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, ApiError> {
        let mut list = self
            .kv
            .list()
            .prefix(prefix.to_owned())
            .limit(u64::from(limit.clamp(1, 1000)));
        if let Some(c) = cursor {
            list = list.cursor(c.to_owned());
        }
        let page = list.execute().await.map_err(|e| storage("list", e))?;
        Ok(ListPage {
            keys: page.keys.into_iter().map(|k| k.name).collect(),
            cursor: if page.list_complete {
                None
            } else {
                page.cursor
            },
        })
    }
}
