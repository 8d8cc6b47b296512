//! What every Worker entry point (the `fetch` and `scheduled` handlers, the
//! account objects) shares besides its settings (`isolate.rs`): the KV
//! binding, and where log lines go.

use wasm_bindgen::JsValue;
use worker::Env;

use crate::service::log::LogSink;

use super::kv::KvBinding;

/// The KV namespace binding named in `wrangler.toml`.
pub const KV_BINDING: &str = "INSTAGATE_KV";

/// Log lines go to `console.log` (Workers Logs indexes JSON).
pub(super) struct ConsoleLog;

impl LogSink for ConsoleLog {
    fn line(&self, line: &str) {
        // Not `console_log!`, which formats the line into a second String.
        worker::worker_sys::web_sys::console::log_1(&line.into());
    }
}

/// The KV namespace binding (any object with KV's methods: the tests put a
/// fault-injecting one in front).
pub(super) fn kv_binding(env: &Env) -> Result<KvBinding, crate::core::error::Error> {
    let env: &JsValue = env.as_ref();
    js_sys::Reflect::get(env, &JsValue::from_str(KV_BINDING))
        .ok()
        .filter(|kv| kv.is_object())
        .map(KvBinding::new)
        .ok_or_else(|| {
            crate::core::error::Error::config(
                KV_BINDING,
                "the KV namespace binding INSTAGATE_KV is missing (wrangler.toml [[kv_namespaces]])",
            )
        })
}
