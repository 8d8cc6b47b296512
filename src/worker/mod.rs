//! The Cloudflare Worker entry points: a thin adapter from workers-rs to
//! the pure [`crate::service`], called by the hand-written JavaScript entry
//! (`entry.mjs`, which owns the wasm instance). `handleFetch` converts the
//! request, builds a [`Service`] over the isolate's bindings (`bindings`)
//! and prepared settings and `fetch`-based transport (`isolate`; both read
//! once per isolate), answers (synchronously when the answer needs no I/O: see
//! [`handle_fetch`]), and hands leftover work to `ctx.waitUntil`;
//! `scheduled` runs the cron. Account work (refresh, publish, delete) goes
//! to the account's Durable Object (`objects.rs`); staged media lives in
//! the R2 bucket (`bucket.rs`). Everything else (routes, storage layout,
//! refresh planning) lives in the service and is tested natively.

// The core's error carries Meta's fields by value (see src/service/mod.rs).
#![allow(clippy::result_large_err)]

mod bindings;
mod bucket;
mod exchange;
mod isolate;
mod kv;
mod objects;
mod settings;
mod transport;

use std::future::Future;
use std::task::{Poll, Waker};

use wasm_bindgen::prelude::*;
use worker::worker_sys::web_sys;
use worker::{event, Context, Env, ScheduleContext, ScheduledEvent};

use crate::core::appsecret_proof::SignedGraph;
use crate::core::http::Transport;
use crate::service::http::HttpResponse;
use crate::service::limits::ClientLimiter;
use crate::service::log::emit;
use crate::service::{misconfigured, Service};

use bindings::Bindings;
use exchange::{read_request, write_response};
use isolate::Prepared;
use kv::KvBinding;
use settings::ConsoleLog;
use transport::FetchTransport;

/// The Rate Limiting binding for `POST /auth/pending` (`service::limits`).
pub const PENDING_LIMITER_BINDING: &str = "PENDING_RATE_LIMITER";

/// Cloudflare's Rate Limiting binding as the service's per-client budget,
/// looked up only when a route asks (most requests never do).
/// Without the binding (or when it fails) calls are allowed: the budget
/// protects the KV write allowance, it is not an access control.
struct BindingLimiter<'a>(&'a Env);

impl ClientLimiter for BindingLimiter<'_> {
    async fn allow(&self, key: &str) -> bool {
        match self.0.rate_limiter(PENDING_LIMITER_BINDING) {
            Err(_) => true,
            Ok(limiter) => limiter
                .limit(key.to_owned())
                .await
                .map_or(true, |outcome| outcome.success),
        }
    }
}

/// The Worker's `fetch` handler (called by `entry.mjs`): the answer as a
/// `Response` when it is ready at the first poll, else a `Promise` of it.
///
/// Answers that need no I/O (`/health`, `GET /auth/login`, CORS
/// preflights, 404/405, refused credentials ...) are complete after one
/// poll, so they skip wasm-bindgen's executor (a task, a `queueMicrotask`
/// and a promise per request); the runtime accepts a `Response` or a
/// promise of one from a `fetch` handler. The first poll uses a no-op
/// waker. Handing the same, already-polled future to the executor when it
/// is pending is sound: a future must register the waker of the context it
/// was last polled with (the `Future::poll` contract), and the executor
/// polls it once when the task is spawned, so every pending leaf (a
/// `JsFuture`, whose promise callbacks were attached when it was created
/// and whose result waits in it) takes the executor's waker then; a
/// promise that settled in between is seen at that poll.
#[wasm_bindgen(js_name = handleFetch)]
pub fn handle_fetch(req: web_sys::Request, env: Env, ctx: worker::worker_sys::Context) -> JsValue {
    let mut answer = Box::pin(fetch(req, env, Context::new(ctx)));
    let mut first = std::task::Context::from_waker(Waker::noop());
    match answer.as_mut().poll(&mut first) {
        Poll::Ready(response) => response,
        Poll::Pending => {
            wasm_bindgen_futures::future_to_promise(async move { Ok(answer.await) }).into()
        }
    }
}

/// The answer, or a generic 500 when even the `Response` cannot be built
/// (what workers-rs's `#[event(fetch)]` answered for an error).
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> JsValue {
    match answer(req, env, ctx).await {
        Ok(response) => response.into(),
        Err(e) => {
            web_sys::console::error_2(&"the response could not be built:".into(), &e);
            web_sys::Response::new_with_opt_str_and_init(Some("Internal Server Error"), &{
                let init = web_sys::ResponseInit::new();
                init.set_status(500);
                init
            })
            .map_or(e, JsValue::from)
        }
    }
}

/// The service over the isolate's prepared settings and its bindings (a
/// request, its after-answer tasks and the cron each make one).
fn service_over<'a>(
    prepared: &'a Prepared,
    bindings: &'a Bindings,
) -> Service<'a, KvBinding, SignedGraph<FetchTransport>> {
    let service = Service::new(
        &prepared.config,
        &bindings.kv,
        &prepared.transport,
        &ConsoleLog,
    )
    .with_line(&bindings.line);
    match &bindings.blobs {
        Some(blobs) => service.with_blobs(blobs),
        None => service,
    }
}

// The runtime's own `Request` and `Response` (not workers-rs's wrappers):
// see exchange.rs.
async fn answer(
    req: web_sys::Request,
    env: Env,
    ctx: Context,
) -> Result<web_sys::Response, JsValue> {
    let request = match read_request(&req).await {
        Ok(r) => r,
        Err(e) => return write_response(HttpResponse::error(&e)),
    };
    let prepared = isolate::prepared(&env).and_then(|p| Ok((p, bindings::bindings(&env)?)));
    let (prepared, bindings) = match prepared {
        Ok(p) => p,
        Err(e) => {
            let now = FetchTransport::new(std::time::Duration::ZERO).now();
            return write_response(misconfigured(&e, &request, &ConsoleLog, now));
        }
    };
    let mut response = service_over(&prepared, &bindings)
        .handle_limited(request, &BindingLimiter(&env))
        .await;
    for task in std::mem::take(&mut response.background) {
        let (prepared, bindings) = (prepared.clone(), bindings.clone());
        ctx.wait_until(async move {
            service_over(&prepared, &bindings)
                .run_background(task)
                .await;
        });
    }
    write_response(response)
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now = FetchTransport::new(std::time::Duration::ZERO).now();
    let prepared = match isolate::prepared(&env) {
        Ok(p) => p,
        Err(e) => {
            emit(
                &ConsoleLog,
                now.as_millis(),
                &serde_json::json!({"event": "cron", "error_kind": "config", "error_field": e.field, "message": e.message}),
            );
            return;
        }
    };
    let bindings = match bindings::bindings(&env) {
        Ok(b) => b,
        Err(e) => {
            emit(
                &ConsoleLog,
                now.as_millis(),
                &serde_json::json!({"event": "cron", "error_kind": "config", "error_field": e.field}),
            );
            return;
        }
    };
    service_over(&prepared, &bindings).run_cron().await;
}
