//! The Cloudflare Worker entry points: a thin adapter from workers-rs to
//! the pure [`crate::service`]. `fetch` converts the request, builds a
//! [`Service`] over the KV binding and the isolate's prepared settings and
//! `fetch`-based transport (`isolate`: parsed once per isolate), answers,
//! and hands leftover work to `ctx.waitUntil`; `scheduled` runs the cron.
//! Account work (refresh, publish, delete) goes to the account's Durable
//! Object (`objects.rs`); staged media lives in the R2 bucket (`bucket.rs`).
//! Everything else (routes, storage layout, refresh planning) lives in the
//! service and is tested natively.

// The core's error carries Meta's fields by value (see src/service/mod.rs).
#![allow(clippy::result_large_err)]

mod bucket;
mod isolate;
mod kv;
mod objects;
mod request_url;
mod settings;
mod transport;

use worker::{event, Context, Env, Headers, Request, Response, ScheduleContext, ScheduledEvent};

use crate::core::http::Transport;
use crate::service::body::read_capped;
use crate::service::error::ApiError;
use crate::service::http::{HttpRequest, HttpResponse};
use crate::service::limits::ClientLimiter;
use crate::service::log::emit;
use crate::service::router::{body_limit, body_too_large, Route};
use crate::service::{misconfigured, Service};

use bucket::R2Blobs;
use objects::DurableLine;
use settings::{kv_binding, ConsoleLog};
use transport::FetchTransport;

/// The Rate Limiting binding for `POST /auth/pending` (`service::limits`).
pub const PENDING_LIMITER_BINDING: &str = "PENDING_RATE_LIMITER";

/// Cloudflare's Rate Limiting binding as the service's per-client budget.
/// Without the binding (or when it fails) calls are allowed: the budget
/// protects the KV write allowance, it is not an access control.
struct BindingLimiter(Option<worker::RateLimiter>);

impl ClientLimiter for BindingLimiter {
    async fn allow(&self, key: &str) -> bool {
        match &self.0 {
            None => true,
            Some(limiter) => limiter
                .limit(key.to_owned())
                .await
                .map_or(true, |outcome| outcome.success),
        }
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let request = match read_request(req).await {
        Ok(r) => r,
        Err(e) => return write_response(HttpResponse::error(&e)),
    };
    let prepared = isolate::prepared(&env)
        .and_then(|p| Ok((p, kv_binding(&env)?, DurableLine::from_env(&env)?)));
    let (prepared, store, line) = match prepared {
        Ok(p) => p,
        Err(e) => {
            let now = FetchTransport::new(std::time::Duration::ZERO).now();
            return write_response(misconfigured(&e, &request, &ConsoleLog, now));
        }
    };
    let blobs = R2Blobs::from_env(&env);
    let mut service =
        Service::new(&prepared.config, &store, &prepared.transport, &ConsoleLog).with_line(&line);
    if let Some(blobs) = &blobs {
        service = service.with_blobs(blobs);
    }
    let mut response = service
        .handle_limited(
            request,
            &BindingLimiter(env.rate_limiter(PENDING_LIMITER_BINDING).ok()),
        )
        .await;
    for task in std::mem::take(&mut response.background) {
        let (prepared, store, line, blobs) =
            (prepared.clone(), store.clone(), line.clone(), blobs.clone());
        ctx.wait_until(async move {
            let mut service =
                Service::new(&prepared.config, &store, &prepared.transport, &ConsoleLog)
                    .with_line(&line);
            if let Some(blobs) = &blobs {
                service = service.with_blobs(blobs);
            }
            service.run_background(task).await;
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
    let bindings = kv_binding(&env).and_then(|kv| Ok((kv, DurableLine::from_env(&env)?)));
    let (store, line) = match bindings {
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
    let blobs = R2Blobs::from_env(&env);
    let mut service =
        Service::new(&prepared.config, &store, &prepared.transport, &ConsoleLog).with_line(&line);
    if let Some(blobs) = &blobs {
        service = service.with_blobs(blobs);
    }
    service.run_cron().await;
}

/// Converts the incoming request. The body is read as a stream with a
/// running cap (the route's limit): a declared `Content-Length` over it is
/// refused before reading, and a body without one stops at the limit.
async fn read_request(mut req: Request) -> Result<HttpRequest, ApiError> {
    let url = request_url::split(&req.inner().url())
        .ok_or_else(|| ApiError::invalid_input("url", "the request URL is not valid"))?;
    let route = Route::parse(&url.path);
    let limit = body_limit(&route);
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(n) = declared.filter(|n| *n > limit) {
        return Err(body_too_large(&route, n as u64));
    }
    let method = req.method().to_string().to_ascii_uppercase();
    let headers: Vec<(String, String)> = req.headers().entries().collect();
    let has_body = req.inner().body().is_some();
    let body = if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") || !has_body {
        Vec::new()
    } else {
        let stream = req
            .stream()
            .map_err(|_| ApiError::invalid_input("body", "the request body could not be read"))?;
        read_capped(stream, limit).await?
    };
    Ok(HttpRequest {
        method,
        origin: url.origin,
        path: url.path,
        query: url.query,
        headers,
        body,
    })
}

fn write_response(response: HttpResponse) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.append(name, value)?;
    }
    let body = if matches!(response.status, 204 | 304) {
        None
    } else {
        Some(response.body)
    };
    // A staged object's stream (service::media) goes out as R2 gave it.
    let stream = response
        .stream
        .as_ref()
        .and_then(|s| s.take::<worker::web_sys::ReadableStream>());
    let out = match (stream, body) {
        (Some(stream), Some(_)) => Response::from_body(worker::ResponseBody::Stream(stream))?,
        (_, Some(bytes)) => Response::from_bytes(bytes)?,
        (_, None) => Response::empty()?,
    };
    Ok(out.with_status(response.status).with_headers(headers))
}
