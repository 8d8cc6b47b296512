//! The account's Durable Object (`AccountObject`, one per account id, SQLite
//! storage) and the line that hands work to it. The object's rules live in
//! [`crate::service::account_object`]; this file binds them: its storage
//! is the object's transactional storage, its `work` method takes one
//! `{account, work}` message and answers the [`WorkReply`], both as JSON
//! text, and its alarm wakes it when a scheduled job's time comes or its
//! token is next due (so that work uses the object's own invocation and
//! subrequest budget, not the cron's).
//!
//! The Worker calls `work` over Workers RPC (`bridge.js` `callObject`), not
//! through the object's `fetch`: no `Request` or `Response` is built, sent
//! or read as a stream on either side (docs/performance.md). The
//! JavaScript class the runtime instantiates (`entry-core.mjs`) extends
//! `DurableObject`, which RPC needs, and forwards to this one; it also keeps
//! a `fetch` that takes the same message as a POST body, for a Worker of an
//! earlier version calling during a deploy.

use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use worker::{Env, State, Storage};

use crate::core::http::Transport;
use crate::core::time::Timestamp;
use crate::service::account_object::{AccountObject as Machine, ObjectStorage};
use crate::service::error::ApiError;
use crate::service::line::{AccountLine, AccountWork, WorkReply};
use crate::service::Service;

use super::bucket::R2Blobs;
use super::isolate;
use super::kv::first_line;
use super::settings::{kv_binding, ConsoleLog};

/// The Durable Object namespace binding named in `wrangler.toml`.
pub const OBJECTS_BINDING: &str = "ACCOUNT_OBJECTS";
/// Where the object keeps the id of its account (for its alarm).
const ACCOUNT_KEY: &str = "account";

#[wasm_bindgen(module = "/src/worker/bridge.js")]
extern "C" {
    /// One message to the named object, its answer's text back, in one
    /// call: the object's `work` method over Workers RPC.
    #[wasm_bindgen(js_name = callObject, catch)]
    fn call_object(
        namespace: &JsValue,
        name: &str,
        message: &str,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// What the Worker sends an object.
#[derive(Serialize, Deserialize)]
struct Message {
    account: String,
    work: AccountWork,
}

/// A rejection's message (not its stack), as a `worker::Error` would show it.
fn js_error(e: JsValue) -> worker::Error {
    let message = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_owned());
    worker::Error::RustError(message)
}

fn object_error(what: &str, e: worker::Error) -> ApiError {
    ApiError::storage(format!(
        "account object {what} failed: {}",
        first_line(&e.to_string())
    ))
}

/// The object's storage behind the service's [`ObjectStorage`].
pub struct ObjectStore(Storage);

impl ObjectStorage for ObjectStore {
    async fn get(&self, key: &str) -> Result<Option<String>, ApiError> {
        self.0
            .get::<String>(key)
            .await
            .map_err(|e| object_error("storage get", e))
    }
    async fn put(&self, key: &str, value: &str) -> Result<(), ApiError> {
        self.0
            .put(key, value)
            .await
            .map_err(|e| object_error("storage put", e))
    }
    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        self.0
            .delete(key)
            .await
            .map(|_| ())
            .map_err(|e| object_error("storage delete", e))
    }
    async fn alarm(&self) -> Result<Option<Timestamp>, ApiError> {
        let at = self
            .0
            .get_alarm()
            .await
            .map_err(|e| object_error("get alarm", e))?;
        Ok(at
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Timestamp::from_millis))
    }
    async fn set_alarm(&self, at: Timestamp) -> Result<(), ApiError> {
        // An `i64` would be an offset from now: pass the time as a Date.
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.as_millis() as f64));
        self.0
            .set_alarm(worker::ScheduledTime::new(date))
            .await
            .map_err(|e| object_error("set alarm", e))
    }
    async fn keys(&self, prefix: &str) -> Result<Vec<String>, ApiError> {
        let map = self
            .0
            .list_with_options(worker::ListOptions::new().prefix(prefix))
            .await
            .map_err(|e| object_error("storage list", e))?;
        Ok(map
            .keys()
            .into_iter()
            .filter_map(|k| k.ok().and_then(|k| k.as_string()))
            .collect())
    }
}

/// The object's Rust half: the class the runtime instantiates
/// (`entry-core.mjs`) builds one and forwards `work` and `alarm` to it.
#[wasm_bindgen]
pub struct AccountObject {
    env: Env,
    machine: Machine<ObjectStore>,
    /// The account id once read from or written to storage: the object is
    /// the only writer of its storage, so one read per object instance is
    /// enough (not one per call).
    account: std::cell::RefCell<Option<String>>,
}

#[wasm_bindgen]
impl AccountObject {
    #[wasm_bindgen(constructor)]
    pub fn new(state: worker::worker_sys::DurableObjectState, env: Env) -> AccountObject {
        let machine = Machine::new(ObjectStore(State::from(state).storage()));
        AccountObject {
            env,
            machine,
            account: std::cell::RefCell::new(None),
        }
    }

    /// One `{account, work}` message, as JSON text, answered with the
    /// [`WorkReply`]'s JSON text. Never rejects: a message that cannot be
    /// read, like any failure of the work, is an error reply.
    #[wasm_bindgen(js_name = work)]
    pub async fn work_message(&self, message: String) -> String {
        // serde_json over the text: the caller sends a string, so nothing
        // is walked field by field across the boundary.
        let reply = match serde_json::from_str::<Message>(&message) {
            Ok(message) => self.work(&message.account, message.work).await,
            Err(_) => WorkReply::object_error(&ApiError::invalid_input(
                "work",
                "not an account work message",
            )),
        };
        // Cannot fail (every map key is a string); were it to, the caller
        // refuses the empty answer as unreadable.
        serde_json::to_string(&reply).unwrap_or_default()
    }

    /// The object's alarm: the account's due work ([`AccountWork::Wake`]).
    pub async fn alarm(&self) {
        let known = self.account.borrow().clone();
        let account = match known {
            Some(account) => Some(account),
            None => self.machine.storage().get(ACCOUNT_KEY).await.ok().flatten(),
        };
        if let Some(account) = account {
            *self.account.borrow_mut() = Some(account.clone());
            let _ = self.work(&account, AccountWork::Wake).await;
        }
    }
}

impl AccountObject {
    /// Runs one piece of work in its turn; every failure is a [`WorkReply`].
    async fn work(&self, account: &str, work: AccountWork) -> WorkReply {
        let result = async {
            let prepared = isolate::prepared(&self.env).map_err(|e| misconfigured(&e))?;
            let kv = kv_binding(&self.env).map_err(|e| misconfigured(&e))?;
            let transport = &prepared.transport;
            let blobs = R2Blobs::from_env(&self.env);
            let mut service = Service::new(&prepared.config, &kv, transport, &ConsoleLog);
            if let Some(blobs) = &blobs {
                // A finished job deletes the media it staged.
                service = service.with_blobs(blobs);
            }
            self.remember_account(account).await?;
            self.machine
                .run(work, transport.now(), |work, deleted_at| {
                    service.perform(account, work, deleted_at)
                })
                .await
        }
        .await;
        result.unwrap_or_else(|e| WorkReply::object_error(&e))
    }
}

impl AccountObject {
    /// Keeps the account id in storage for the alarm (which has no message).
    async fn remember_account(&self, account: &str) -> Result<(), ApiError> {
        if self.account.borrow().as_deref() == Some(account) {
            return Ok(());
        }
        let storage = self.machine.storage();
        if storage.get(ACCOUNT_KEY).await?.as_deref() != Some(account) {
            storage.put(ACCOUNT_KEY, account).await?;
        }
        *self.account.borrow_mut() = Some(account.to_owned());
        Ok(())
    }
}

/// Hands account work to the account's object (one per account id).
#[derive(Clone)]
pub struct DurableLine {
    /// The namespace binding, used only through `bridge.js` `callObject`.
    namespace: JsValue,
}

impl DurableLine {
    /// The binding read as a plain property: workers-rs's `durable_object`
    /// also checks its class name, which costs a string copy and compare
    /// on every request (`scripts/profile-worker.mjs`).
    pub fn from_env(env: &Env) -> Result<DurableLine, crate::core::error::Error> {
        let env: &JsValue = env.as_ref();
        js_sys::Reflect::get(env, &JsValue::from_str(OBJECTS_BINDING))
            .ok()
            .filter(|namespace| namespace.is_object())
            .map(|namespace| DurableLine { namespace })
            .ok_or_else(|| {
                crate::core::error::Error::config(
                    OBJECTS_BINDING,
                    "the Durable Object binding ACCOUNT_OBJECTS is missing (wrangler.toml [[durable_objects.bindings]])",
                )
            })
    }

    async fn send(&self, account: &str, work: AccountWork) -> Result<WorkReply, ApiError> {
        let message = Message {
            account: account.to_owned(),
            work,
        };
        let body = serde_json::to_string(&message)
            .map_err(|e| ApiError::storage(format!("could not encode account work: {e}")))?;
        let call = call_object(&self.namespace, account, &body)
            .map_err(|e| object_error("call", js_error(e)))?;
        let answer = JsFuture::from(call)
            .await
            .map_err(|e| object_error("call", js_error(e)))?;
        let answer = answer.as_string().unwrap_or_default();
        serde_json::from_str::<WorkReply>(&answer)
            .map_err(|e| object_error("answer", worker::Error::RustError(e.to_string())))?
            .into_result()
    }
}

impl AccountLine for DurableLine {
    fn run<'a>(
        &'a self,
        account: &'a str,
        work: AccountWork,
    ) -> LocalBoxFuture<'a, Result<WorkReply, ApiError>> {
        Box::pin(self.send(account, work))
    }
}

/// A settings error inside the object: the operator's log names the setting
/// (config messages never quote a secret's value); the caller gets the
/// generic [`ApiError::config`].
fn misconfigured(error: &crate::core::error::Error) -> ApiError {
    worker::console_error!(
        "{}",
        serde_json::json!({"event": "config_error", "error_field": error.field, "message": error.message})
    );
    ApiError::config()
}
