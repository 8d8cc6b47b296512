//! The bindings a Worker invocation uses (KV, the account objects, the
//! media bucket), read once per `env` object as `isolate.rs` keeps the
//! settings: workerd hands every request of an isolate the same `env`, so
//! the common case costs one identity check. Each read was a property
//! lookup by a name copied into JavaScript, and workers-rs checks the
//! bucket's class name, a string copy and compare per request
//! (`scripts/profile-worker.mjs`). A panic resets the wasm instance, and
//! this cache with it.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use worker::Env;

use crate::core::error::Error;

use super::bucket::R2Blobs;
use super::kv::KvBinding;
use super::objects::DurableLine;
use super::settings::kv_binding;

/// The bindings of one `env`.
pub struct Bindings {
    pub kv: KvBinding,
    pub line: DurableLine,
    /// `None` without the bucket binding (the media routes answer 503).
    pub blobs: Option<R2Blobs>,
}

thread_local! {
    // The Workers runtime runs one isolate's wasm on one thread.
    static BINDINGS: RefCell<Option<(JsValue, Rc<Bindings>)>> = const { RefCell::new(None) };
}

/// The bindings of `env`, read once per `env` object. A missing KV or
/// object binding is the configuration error naming it (read again at
/// every call until it is there).
pub fn bindings(env: &Env) -> Result<Rc<Bindings>, Error> {
    let identity: &JsValue = env.as_ref();
    let seen = BINDINGS.with_borrow(|cached| match cached {
        Some((seen, bindings)) if seen == identity => Some(bindings.clone()),
        _ => None,
    });
    if let Some(bindings) = seen {
        return Ok(bindings);
    }
    let bindings = Rc::new(Bindings {
        kv: kv_binding(env)?,
        line: DurableLine::from_env(env)?,
        blobs: R2Blobs::from_env(env),
    });
    BINDINGS.set(Some((identity.clone(), bindings.clone())));
    Ok(bindings)
}
