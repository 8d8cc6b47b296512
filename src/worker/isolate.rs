//! What one Worker isolate keeps between requests: the settings read,
//! validated and prepared once (the keyring's AES keys expanded, each
//! product's endpoints built, the upstream transport with its
//! `appsecret_proof` signing), instead of on every request. The bindings
//! are kept the same way in `bindings.rs`.
//!
//! workerd hands every request of an isolate the same `env` object, so the
//! common case costs one identity check. Another `env` object (a wrapper
//! entry, a test harness) has the settings the build read compared again,
//! and a changed var or secret builds anew (the pure rule and its tests:
//! `crate::service::config_cache`). A deploy starts new isolates anyway.
//! A panic resets the wasm instance, and this cache with it.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use worker::Env;

use crate::core::appsecret_proof::SignedGraph;
use crate::core::error::Error;
use crate::service::config::ServiceConfig;
use crate::service::config_cache::ConfigCache;

use super::transport::FetchTransport;

/// The settings and the transport to Meta built over them.
pub struct Prepared {
    pub config: ServiceConfig,
    pub transport: SignedGraph<FetchTransport>,
}

thread_local! {
    // The Workers runtime runs one isolate's wasm on one thread.
    static CACHE: RefCell<ConfigCache<JsValue, Prepared>> = const { RefCell::new(ConfigCache::new()) };
}

/// A var or secret by name (`Env::var` reads both as text).
fn setting(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|s| s.to_string()))
        .ok()
}

/// This isolate's prepared settings for `env` (built on first use, or when
/// the settings changed). A missing or malformed setting is the
/// configuration error naming it, every time until it is fixed.
pub fn prepared(env: &Env) -> Result<Rc<Prepared>, Error> {
    CACHE.with_borrow_mut(|cache| {
        let identity: &JsValue = env.as_ref();
        cache.get_or_build(
            identity.clone(),
            |name| setting(env, name),
            |lookup| {
                let config = ServiceConfig::from_env(lookup)?;
                let transport = config.upstream(FetchTransport::new(config.upstream_timeout));
                Ok(Prepared { config, transport })
            },
        )
    })
}
