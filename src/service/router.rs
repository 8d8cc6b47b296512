//! Routing: method + path to a handler, CORS for the allowed front ends,
//! body size limits, JSON errors, and the one log line per request.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::core::error::Error;
use crate::core::http::Transport;
use crate::core::publish::image_file::IMAGE_MAX_BYTES;
use crate::core::time::Timestamp;
use crate::service::error::ApiError;
use crate::service::http::{HttpRequest, HttpResponse};
use crate::service::invocation::Service;
use crate::service::limits::{over_budget, ClientLimiter, NoLimit};
use crate::service::log::{emit, LogSink, RequestLog};
use crate::service::media::uploads::PART_SIZE;
use crate::service::store::KvStore;

/// A route's work, boxed (see `Service::dispatch`).
type RouteWork<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, ApiError>> + 'a>>;

/// The largest body the Worker reads for API and auth routes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most header bytes a request may carry (cookies included).
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Webhook deliveries batch many events; they get more room.
pub const MAX_WEBHOOK_BODY_BYTES: usize = 1024 * 1024;

/// The largest body `route` takes (the Worker stops reading past it).
pub fn body_limit(route: &Route) -> usize {
    match route {
        Route::Webhook => MAX_WEBHOOK_BODY_BYTES,
        // An image to stage: Meta's limit (media::routes).
        Route::AccountMedia(_) => IMAGE_MAX_BYTES as usize,
        // A video's part (media::uploads).
        Route::UploadPart(..) => PART_SIZE as usize,
        _ => MAX_BODY_BYTES,
    }
}

/// 413 for a body of `size` bytes over `route`'s limit (an image to stage
/// says what Meta accepts).
pub fn body_too_large(route: &Route, size: u64) -> ApiError {
    match route {
        Route::AccountMedia(_) => crate::service::media::routes::too_large(size),
        Route::UploadPart(..) => ApiError::new(
            413,
            "payload_too_large",
            format!(
                "a part is at most {PART_SIZE} bytes (the upload's part_size); this one has {size}"
            ),
        ),
        _ => ApiError::payload_too_large(body_limit(route)),
    }
}

/// The budget key of a request that writes to KV for anyone, if it is one.
pub fn client_budget_key(route: &Route, req: &HttpRequest) -> Option<String> {
    if !(req.method == "POST" && *route == Route::Pending) {
        return None;
    }
    let client = req
        .header("cf-connecting-ip")
        .map(str::trim)
        .filter(|ip| !ip.is_empty())
        .unwrap_or("unknown");
    Some(format!("pending:{client}"))
}

/// What a handler learned, for the log line.
#[derive(Default)]
pub struct LogFields {
    pub route: &'static str,
    pub account_id: Option<String>,
    pub job_id: Option<String>,
    /// A failure the handler answered with a redirect (login callback).
    pub error_kind: Option<&'static str>,
}

/// The route a request matches, with its path parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Health,
    Login,
    Callback,
    Pending,
    Exchange,
    Logout,
    Accounts,
    Account(String),
    AccountRefresh(String),
    AccountPublish(String),
    AccountQuota(String),
    AccountJobs(String),
    AccountSessions(String),
    AccountMedia(String),
    /// Start a video upload (account).
    AccountUploads(String),
    /// One video upload (account, upload reference).
    Upload(String, String),
    /// A part of a video upload (account, upload, part number).
    UploadPart(String, String, String),
    /// Completing a video upload (account, upload).
    UploadComplete(String, String),
    Job(String),
    /// A staged object's signed download (its path segments after `/media/`).
    StagedMedia(Vec<String>),
    Webhook,
    Deauthorize,
    DataDeletion,
    DataDeletionStatus,
    NotFound,
}

impl Route {
    pub fn parse(path: &str) -> Route {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        match segments.as_slice() {
            ["health"] => Route::Health,
            ["auth", "login"] => Route::Login,
            ["auth", "callback"] => Route::Callback,
            ["auth", "pending"] => Route::Pending,
            ["auth", "exchange"] => Route::Exchange,
            ["auth", "logout"] => Route::Logout,
            ["auth", "deauthorize"] => Route::Deauthorize,
            ["auth", "data-deletion"] => Route::DataDeletion,
            ["auth", "data-deletion", "status"] => Route::DataDeletionStatus,
            ["api", "accounts"] => Route::Accounts,
            ["api", "accounts", id] => Route::Account((*id).to_owned()),
            ["api", "accounts", id, "refresh"] => Route::AccountRefresh((*id).to_owned()),
            ["api", "accounts", id, "publish"] => Route::AccountPublish((*id).to_owned()),
            ["api", "accounts", id, "quota"] => Route::AccountQuota((*id).to_owned()),
            ["api", "accounts", id, "jobs"] => Route::AccountJobs((*id).to_owned()),
            ["api", "accounts", id, "sessions"] => Route::AccountSessions((*id).to_owned()),
            ["api", "accounts", id, "media"] => Route::AccountMedia((*id).to_owned()),
            ["api", "accounts", id, "uploads"] => Route::AccountUploads((*id).to_owned()),
            ["api", "accounts", id, "uploads", up] => {
                Route::Upload((*id).to_owned(), (*up).to_owned())
            }
            ["api", "accounts", id, "uploads", up, "parts", n] => {
                Route::UploadPart((*id).to_owned(), (*up).to_owned(), (*n).to_owned())
            }
            ["api", "accounts", id, "uploads", up, "complete"] => {
                Route::UploadComplete((*id).to_owned(), (*up).to_owned())
            }
            ["api", "jobs", id] => Route::Job((*id).to_owned()),
            ["media", rest @ ..] if !rest.is_empty() => {
                Route::StagedMedia(rest.iter().map(|s| (*s).to_owned()).collect())
            }
            ["webhooks", "instagram"] => Route::Webhook,
            _ => Route::NotFound,
        }
    }

    /// The pattern, for logs (no IDs or values).
    pub fn pattern(&self) -> &'static str {
        match self {
            Route::Health => "/health",
            Route::Login => "/auth/login",
            Route::Callback => "/auth/callback",
            Route::Pending => "/auth/pending",
            Route::Exchange => "/auth/exchange",
            Route::Logout => "/auth/logout",
            Route::Accounts => "/api/accounts",
            Route::Account(_) => "/api/accounts/{id}",
            Route::AccountRefresh(_) => "/api/accounts/{id}/refresh",
            Route::AccountPublish(_) => "/api/accounts/{id}/publish",
            Route::AccountQuota(_) => "/api/accounts/{id}/quota",
            Route::AccountJobs(_) => "/api/accounts/{id}/jobs",
            Route::AccountSessions(_) => "/api/accounts/{id}/sessions",
            Route::AccountMedia(_) => "/api/accounts/{id}/media",
            Route::AccountUploads(_) => "/api/accounts/{id}/uploads",
            Route::Upload(..) => "/api/accounts/{id}/uploads/{upload}",
            Route::UploadPart(..) => "/api/accounts/{id}/uploads/{upload}/parts/{n}",
            Route::UploadComplete(..) => "/api/accounts/{id}/uploads/{upload}/complete",
            Route::StagedMedia(_) => "/media/{key}",
            Route::Job(_) => "/api/jobs/{id}",
            Route::Webhook => "/webhooks/instagram",
            Route::Deauthorize => "/auth/deauthorize",
            Route::DataDeletion => "/auth/data-deletion",
            Route::DataDeletionStatus => "/auth/data-deletion/status",
            Route::NotFound => "(none)",
        }
    }

    /// Routes a browser front end on another origin may call (CORS).
    fn cross_origin(&self) -> bool {
        matches!(
            self,
            Route::Pending
                | Route::Exchange
                | Route::Logout
                | Route::Accounts
                | Route::Account(_)
                | Route::AccountRefresh(_)
                | Route::AccountPublish(_)
                | Route::AccountQuota(_)
                | Route::AccountJobs(_)
                | Route::AccountSessions(_)
                | Route::AccountMedia(_)
                | Route::AccountUploads(_)
                | Route::Upload(..)
                | Route::UploadPart(..)
                | Route::UploadComplete(..)
                | Route::Job(_)
        )
    }
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    /// Answers one request and logs one line about it.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        self.handle_limited(req, &NoLimit).await
    }

    /// [`Service::handle`], with the per-client budget of the routes that
    /// write to KV for anyone (`service::limits`).
    pub async fn handle_limited<L: ClientLimiter>(
        &self,
        req: HttpRequest,
        limiter: &L,
    ) -> HttpResponse {
        let started = self.transport.now();
        let route = Route::parse(&req.path);
        let mut fields = LogFields {
            route: route.pattern(),
            ..LogFields::default()
        };
        let result = match client_budget_key(&route, &req) {
            Some(key) if !limiter.allow(&key).await => Err(over_budget()),
            _ => self.dispatch(&route, &req, &mut fields).await,
        };
        let (mut response, error) = match result {
            Ok(r) => (r, None),
            // The browser-facing login routes show a page, not JSON.
            Err(e) if matches!(route, Route::Login | Route::Callback) => {
                let mut page = HttpResponse::html_page(
                    e.status,
                    "The login did not complete",
                    &format!("{} (error: {})", e.message, e.kind),
                );
                if let Some(after) = e.retry_after {
                    page = page.with_header("retry-after", &after.as_secs().max(1).to_string());
                }
                (page, Some(e))
            }
            Err(e) => (HttpResponse::error(&e), Some(e)),
        };
        if route.cross_origin() {
            response = self.with_cors(&req, response);
        }
        // The callback's address holds an Instagram Login code, which Meta
        // binds to no state or verifier: no page or redirect of the Worker
        // lets the browser send its address on as a Referer.
        response = response.with_header("referrer-policy", "no-referrer");
        let finished = self.transport.now();
        emit(
            self.log,
            finished.as_millis(),
            &RequestLog {
                event: "request",
                method: &req.method,
                route: fields.route,
                status: response.status,
                duration_ms: finished.since(started).as_millis() as u64,
                account_id: fields.account_id.as_deref(),
                job_id: fields.job_id.as_deref(),
                error_kind: error.as_ref().map(|e| e.kind).or(fields.error_kind),
                error_field: error.as_ref().and_then(|e| e.field.as_deref()),
                meta_code: error.as_ref().and_then(|e| e.code),
                fbtrace_id: error.as_ref().and_then(|e| e.fbtrace_id.as_deref()),
            },
        );
        response
    }

    async fn dispatch(
        &self,
        route: &Route,
        req: &HttpRequest,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let limit = body_limit(route);
        if req.body.len() > limit {
            return Err(body_too_large(route, req.body.len() as u64));
        }
        let header_bytes: usize = req.headers.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
        if header_bytes > MAX_HEADER_BYTES {
            return Err(ApiError::new(
                431,
                "headers_too_large",
                format!("the request headers are larger than {MAX_HEADER_BYTES} bytes"),
            ));
        }
        if req.method == "OPTIONS" && route.cross_origin() {
            return self.preflight(req);
        }
        let method = req.method.as_str();
        // Each route's work is its own boxed future, so its state machine is
        // its own function: not inlined into one poll function for every
        // route (106 KB of wasm in the Worker), which a first request had
        // to compile whole whatever its route (docs/performance.md).
        let work: RouteWork<'_> = match (method, route) {
            ("GET" | "HEAD", Route::Health) => {
                return Ok(HttpResponse::json(
                    200,
                    &serde_json::json!({"status": "ok", "time": self.transport.now().to_rfc3339()}),
                ))
            }
            ("GET", Route::Login) => Box::pin(self.login(req)),
            ("GET", Route::Callback) => Box::pin(self.callback(req, fields)),
            ("POST", Route::Pending) => Box::pin(self.register_pending(req)),
            ("POST", Route::Exchange) => Box::pin(self.exchange(req, fields)),
            ("POST", Route::Logout) => return self.logout(req),
            ("GET", Route::Accounts) => Box::pin(self.list_accounts(req)),
            ("GET", Route::Account(id)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.get_account(req, id))
            }
            ("DELETE", Route::Account(id)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.delete_account(req, id))
            }
            ("POST", Route::AccountRefresh(id)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.refresh_now(req, id))
            }
            ("POST", Route::AccountPublish(id)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.publish(req, id, fields))
            }
            ("GET", Route::AccountQuota(id)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.quota(req, id))
            }
            ("GET", Route::AccountJobs(id)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.list_jobs(req, id))
            }
            ("DELETE", Route::AccountSessions(id)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.revoke_sessions(req, id))
            }
            ("POST", Route::AccountMedia(id)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.stage_media(req, id))
            }
            ("POST", Route::AccountUploads(id)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.create_upload(req, id))
            }
            ("PUT", Route::UploadPart(id, upload, n)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.upload_part(req, id, upload, n))
            }
            ("POST", Route::UploadComplete(id, upload)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.complete_upload(req, id, upload))
            }
            ("DELETE", Route::Upload(id, upload)) => {
                fields.account_id = Some(id.clone());
                Box::pin(self.abort_upload(req, id, upload))
            }
            ("GET" | "HEAD", Route::StagedMedia(segments)) => {
                Box::pin(self.serve_media(req, segments))
            }
            ("GET", Route::Job(id)) => {
                fields.job_id = Some(id.clone());
                Box::pin(self.get_job(req, id, fields))
            }
            ("DELETE", Route::Job(id)) => {
                fields.job_id = Some(id.clone());
                Box::pin(self.delete_job(req, id, fields))
            }
            ("GET", Route::Webhook) => return self.webhook_verify(req),
            ("POST", Route::Webhook) => return self.webhook_event(req),
            ("POST", Route::Deauthorize) => Box::pin(self.deauthorize(req, fields)),
            ("POST", Route::DataDeletion) => Box::pin(self.data_deletion(req, fields)),
            ("GET", Route::DataDeletionStatus) => Box::pin(self.data_deletion_status(req)),
            (_, Route::NotFound) => {
                return Err(ApiError::not_found(format!(
                    "no route {} {}",
                    req.method, req.path
                )))
            }
            _ => return Err(ApiError::method_not_allowed(&req.method, route.pattern())),
        };
        work.await
    }

    /// Answers a CORS preflight: allowed origins get the methods and
    /// headers the API takes; others a 403.
    fn preflight(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        match req.header("origin") {
            Some(origin) if self.config.origin_allowed(origin) => Ok(HttpResponse::new(204)
                .with_header(
                    "access-control-allow-methods",
                    "GET, POST, PUT, DELETE, OPTIONS",
                )
                .with_header(
                    "access-control-allow-headers",
                    "content-type, authorization, idempotency-key",
                )
                .with_header(
                    "access-control-max-age",
                    &Duration::from_secs(600).as_secs().to_string(),
                )),
            _ => Err(ApiError::forbidden("this origin is not in ALLOWED_ORIGINS")),
        }
    }

    /// Adds the CORS answer headers for an allowed `Origin`.
    fn with_cors(&self, req: &HttpRequest, response: HttpResponse) -> HttpResponse {
        let response = response.with_header("vary", "Origin");
        match req.header("origin") {
            Some(origin) if self.config.origin_allowed(origin) => response
                .with_header("access-control-allow-origin", origin)
                .with_header("access-control-allow-credentials", "true"),
            _ => response,
        }
    }
}

/// The answer when the Worker's settings are missing or malformed: a
/// generic 500 (callers are anonymous), and log lines naming the setting and
/// what is wrong with it (config messages never quote a secret's value).
/// Used instead of a [`Service`](crate::service::Service), which needs a
/// valid configuration.
pub fn misconfigured(
    error: &Error,
    req: &HttpRequest,
    log: &dyn LogSink,
    now: Timestamp,
) -> HttpResponse {
    let api = ApiError::config();
    let route = Route::parse(&req.path);
    emit(
        log,
        now.as_millis(),
        &serde_json::json!({
            "event": "config_error",
            "error_field": error.field,
            "message": error.message,
        }),
    );
    emit(
        log,
        now.as_millis(),
        &RequestLog {
            event: "request",
            method: &req.method,
            route: route.pattern(),
            status: api.status,
            duration_ms: 0,
            account_id: None,
            job_id: None,
            error_kind: Some(api.kind),
            error_field: error.field.as_deref(),
            meta_code: None,
            fbtrace_id: None,
        },
    );
    HttpResponse::error(&api).with_header("referrer-policy", "no-referrer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse() {
        assert_eq!(Route::parse("/health"), Route::Health);
        assert_eq!(Route::parse("/api/accounts/"), Route::Accounts);
        assert_eq!(
            Route::parse("/api/accounts/17841400000000001/publish"),
            Route::AccountPublish("17841400000000001".into())
        );
        assert_eq!(Route::parse("/api/accounts/1/x"), Route::NotFound);
        assert_eq!(Route::parse("/"), Route::NotFound);
        assert_eq!(
            Route::parse("/api/accounts/1/media"),
            Route::AccountMedia("1".into())
        );
        assert_eq!(
            Route::parse("/media/1/2/3"),
            Route::StagedMedia(vec!["1".into(), "2".into(), "3".into()])
        );
        assert_eq!(Route::parse("/media/"), Route::NotFound);
        assert_eq!(
            Route::parse("/api/accounts/1/uploads/u/parts/2"),
            Route::UploadPart("1".into(), "u".into(), "2".into())
        );
        assert_eq!(
            Route::parse("/api/accounts/1/uploads/u/complete"),
            Route::UploadComplete("1".into(), "u".into())
        );
        assert_eq!(
            Route::parse("/api/accounts/1/uploads/u"),
            Route::Upload("1".into(), "u".into())
        );
        assert_eq!(
            Route::parse("/auth/data-deletion/status"),
            Route::DataDeletionStatus
        );
    }
}
