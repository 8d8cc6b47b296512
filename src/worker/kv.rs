//! Workers KV behind the service's [`KvStore`] trait, called through
//! `bridge.js` with plain arguments: workers-rs's KV builders look up the
//! method and build an options object (serde-wasm-bindgen) on every call.

use std::time::Duration;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::service::error::ApiError;
use crate::service::store::{KvStore, ListPage, MIN_TTL};

#[wasm_bindgen(module = "/src/worker/bridge.js")]
extern "C" {
    #[wasm_bindgen(js_name = kvGet, catch)]
    fn kv_get(kv: &JsValue, key: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = kvPut, catch)]
    fn kv_put(
        kv: &JsValue,
        key: &str,
        value: &str,
        ttl_secs: Option<f64>,
    ) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = kvDelete, catch)]
    fn kv_delete(kv: &JsValue, key: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = kvList, catch)]
    fn kv_list(
        kv: &JsValue,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// The `INSTAGATE_KV` namespace.
#[derive(Clone)]
pub struct KvBinding {
    kv: JsValue,
}

impl KvBinding {
    pub fn new(kv: JsValue) -> KvBinding {
        KvBinding { kv }
    }
}

/// Runs one KV call to its settled value.
async fn settle(op: &str, call: Result<js_sys::Promise, JsValue>) -> Result<JsValue, ApiError> {
    JsFuture::from(call.map_err(|e| storage(op, e))?)
        .await
        .map_err(|e| storage(op, e))
}

/// The error's message only: the Display of a JavaScript error is its Debug
/// dump with the stack (file paths, wasm offsets), which must not reach an
/// answer. Capped, since the text comes from outside the service.
fn storage(op: &str, e: JsValue) -> ApiError {
    let detail = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_owned());
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
        Ok(settle("get", kv_get(&self.kv, key)).await?.as_string())
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), ApiError> {
        let ttl = ttl.map(|t| t.max(MIN_TTL).as_secs() as f64);
        settle("put", kv_put(&self.kv, key, value, ttl)).await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        settle("delete", kv_delete(&self.kv, key)).await?;
        Ok(())
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, ApiError> {
        let page: js_sys::Array = settle(
            "list",
            kv_list(&self.kv, prefix, cursor, limit.clamp(1, 1000)),
        )
        .await?
        .unchecked_into();
        let names: js_sys::Array = page.get(0).unchecked_into();
        Ok(ListPage {
            keys: names.iter().filter_map(|k| k.as_string()).collect(),
            cursor: page.get(1).as_string(),
        })
    }
}
