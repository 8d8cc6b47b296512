//! Shared fixtures: configurations, a fake Meta that answers both products'
//! endpoints, and a transport that models concurrent requests in time.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use instagate::core::config::{Config, Product};
use instagate::core::error::Error;
use instagate::core::http::{Method, Request, Response, Transport};
use instagate::core::oauth::callback::{validate_callback, ValidatedCallback};
use instagate::core::secret::ClientSecret;
use instagate::core::testing::graph_error;
use instagate::core::time::Timestamp;

pub const CLIENT_ID: &str = "1000000000000001";
pub const REDIRECT: &str = "https://app.example/cb";
pub const SECRET: &str = "app-secret-0123456789";
pub const STATE: &str = "s7aTe-0123456789_abcdefghijklmnopqrstuvwxyz";
pub const CODE: &str = "AQDcode-0123456789";
pub const T0: Timestamp = Timestamp::from_secs(1_800_000_000);

// Instagram Login fixtures.
pub const IG_SHORT: &str = "IGAAshort-token";
pub const IG_LONG: &str = "IGAAlong-token";
/// The exchange's `user_id` and `/me`'s `id` (app-scoped), above 2^53.
pub const IG_SCOPED_ID: &str = "27400000000000001";
/// `/me`'s `user_id`: the professional account ID.
pub const IG_USER_ID: &str = "17841400000000001";

// Facebook Login fixtures.
pub const FB_SHORT: &str = "EAAUshort-token";
pub const FB_LONG: &str = "EAAUlong-token";
pub const FB_PAGE_TOKEN: &str = "EAAPpage-token";
pub const FB_USER_ID: &str = "10000000000000042";
pub const PAGE_ID: &str = "100000000000123";
pub const FB_IG_USER_ID: &str = "17841400000000002";

pub const HOUR: Duration = Duration::from_secs(3600);
pub const DAY: Duration = Duration::from_secs(86_400);

pub fn config(product: Product) -> Config {
    Config::new(product, CLIENT_ID, REDIRECT).unwrap()
}

pub fn secret() -> ClientSecret {
    ClientSecret::new(SECRET)
}

/// A callback that passed validation, as the exchange requires.
pub fn callback(config: &Config) -> ValidatedCallback {
    let url = format!("{REDIRECT}?code={CODE}&state={STATE}#_");
    validate_callback(config, &url, STATE).unwrap()
}

/// The value of query/form parameter `name` (exactly one allowed).
pub fn param(request: &Request, name: &str) -> Option<String> {
    let values: Vec<String> = request
        .params()
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect();
    assert!(values.len() <= 1, "{name} repeated");
    values.into_iter().next()
}

/// The parameters, sorted, for exact comparison.
pub fn sorted_params(request: &Request) -> Vec<(String, String)> {
    let mut p = request.params();
    p.sort();
    p
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    p.sort();
    p
}

/// Knobs of the fake Meta.
#[derive(Clone)]
pub struct Meta {
    pub ig_permissions: &'static str,
    pub account_type: &'static str,
    pub fb_permissions: Vec<(&'static str, &'static str)>,
    /// `/me/accounts` answers, in order; the last repeats.
    pub pages: Vec<String>,
}

impl Default for Meta {
    fn default() -> Meta {
        Meta {
            ig_permissions: "instagram_business_basic,instagram_business_content_publish",
            account_type: "BUSINESS",
            fb_permissions: vec![
                ("instagram_basic", "granted"),
                ("instagram_content_publish", "granted"),
                ("pages_show_list", "granted"),
                ("public_profile", "granted"),
            ],
            pages: vec![pages_body(
                &[linked_page(PAGE_ID, FB_IG_USER_ID, "biz")],
                None,
            )],
        }
    }
}

pub fn linked_page(page_id: &str, ig_id: &str, username: &str) -> String {
    format!(
        r#"{{"id":"{page_id}","name":"Page {username}","access_token":"{FB_PAGE_TOKEN}","instagram_business_account":{{"id":"{ig_id}","username":"{username}","name":"Name {username}","profile_picture_url":"https://cdn.example/{username}.jpg","followers_count":1200,"follows_count":30,"media_count":44}}}}"#
    )
}

pub fn unlinked_page(page_id: &str) -> String {
    format!(r#"{{"id":"{page_id}","name":"Plain page","access_token":"{FB_PAGE_TOKEN}"}}"#)
}

pub fn pages_body(pages: &[String], next: Option<&str>) -> String {
    let paging = match next {
        Some(n) => format!(r#","paging":{{"cursors":{{"after":"x"}},"next":"{n}"}}"#),
        None => String::new(),
    };
    format!(r#"{{"data":[{}]{paging}}}"#, pages.join(","))
}

impl Meta {
    /// Answers a request like Meta would, checking the token each call needs.
    pub fn answer(&self, request: &Request, pages_served: &Cell<usize>) -> Response {
        let path = request.path().to_owned();
        let token = param(request, "access_token");
        let has = |t: &str| token.as_deref() == Some(t);
        let grant = param(request, "grant_type");
        if path == "https://api.instagram.com/oauth/access_token" {
            assert_eq!(request.method, Method::Post);
            if param(request, "code").as_deref() != Some(CODE) {
                return Response::new(
                    400,
                    r#"{"error_type":"OAuthException","code":400,"error_message":"Invalid authorization code"}"#,
                );
            }
            return Response::new(
                200,
                format!(
                    r#"{{"data":[{{"access_token":"{IG_SHORT}","user_id":{IG_SCOPED_ID},"permissions":"{}"}}]}}"#,
                    self.ig_permissions
                ),
            );
        }
        if path == "https://graph.instagram.com/access_token" {
            if !has(IG_SHORT) || grant.as_deref() != Some("ig_exchange_token") {
                return graph_error(400, 190, None, "Invalid OAuth access token");
            }
            return Response::new(
                200,
                format!(
                    r#"{{"access_token":"{IG_LONG}","token_type":"bearer","expires_in":5184000}}"#
                ),
            );
        }
        if path == "https://graph.instagram.com/v27.0/me" {
            if !has(IG_SHORT) && !has(IG_LONG) {
                return graph_error(400, 190, None, "Invalid OAuth access token");
            }
            return Response::new(
                200,
                format!(
                    r#"{{"user_id":"{IG_USER_ID}","username":"igbiz","name":"IG Biz","account_type":"{}","profile_picture_url":"https://cdn.example/igbiz.jpg","followers_count":12,"follows_count":3,"media_count":4,"id":"{IG_SCOPED_ID}"}}"#,
                    self.account_type
                ),
            );
        }
        if path == "https://graph.facebook.com/v27.0/oauth/access_token" {
            if grant.as_deref() == Some("fb_exchange_token") {
                if param(request, "fb_exchange_token").as_deref() != Some(FB_SHORT) {
                    return graph_error(400, 190, None, "Invalid OAuth access token");
                }
                return Response::new(
                    200,
                    format!(
                        r#"{{"access_token":"{FB_LONG}","token_type":"bearer","expires_in":5183944}}"#
                    ),
                );
            }
            if param(request, "code").as_deref() != Some(CODE) {
                return graph_error(400, 100, None, "Invalid verification code format.");
            }
            return Response::new(
                200,
                format!(
                    r#"{{"access_token":"{FB_SHORT}","token_type":"bearer","expires_in":5400}}"#
                ),
            );
        }
        if path == "https://graph.facebook.com/v27.0/me/permissions" {
            if !has(FB_SHORT) && !has(FB_LONG) {
                return graph_error(400, 190, None, "Invalid OAuth access token");
            }
            let data: Vec<String> = self
                .fb_permissions
                .iter()
                .map(|(p, s)| format!(r#"{{"permission":"{p}","status":"{s}"}}"#))
                .collect();
            return Response::new(200, format!(r#"{{"data":[{}]}}"#, data.join(",")));
        }
        if path == "https://graph.facebook.com/v27.0/me" {
            if !has(FB_SHORT) && !has(FB_LONG) {
                return graph_error(400, 190, None, "Invalid OAuth access token");
            }
            return Response::new(200, format!(r#"{{"id":"{FB_USER_ID}"}}"#));
        }
        if path.ends_with("/accounts") {
            // Only the long-lived user token gives non-expiring Page tokens.
            if !has(FB_LONG) {
                return graph_error(
                    400,
                    190,
                    None,
                    "/me/accounts was not called with the long-lived token",
                );
            }
            let i = pages_served.get();
            pages_served.set(i + 1);
            let body = self
                .pages
                .get(i)
                .or(self.pages.last())
                .cloned()
                .unwrap_or_default();
            return Response::new(200, body);
        }
        graph_error(400, 100, None, "Unsupported get request.")
    }
}

/// A transport where requests take `latency` of fake time and run
/// concurrently when the flow awaits them together: the clock jumps to the
/// earliest answer only when every pending request is waiting.
pub struct SimTransport {
    now: Cell<u64>,
    latency: u64,
    meta: Meta,
    pages_served: Cell<usize>,
    due: RefCell<Vec<u64>>,
    /// (time sent, request)
    pub log: RefCell<Vec<(Timestamp, Request)>>,
}

impl SimTransport {
    pub fn new(meta: Meta, latency: Duration) -> SimTransport {
        SimTransport {
            now: Cell::new(T0.as_millis()),
            latency: latency.as_millis() as u64,
            meta,
            pages_served: Cell::new(0),
            due: RefCell::new(Vec::new()),
            log: RefCell::new(Vec::new()),
        }
    }

    /// Runs `future`, advancing the clock whenever everything waits.
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            let next = self.due.borrow().iter().copied().min();
            let next = next.expect("the flow waits on something other than this transport");
            assert!(next > self.now.get(), "a ready request was not polled");
            self.now.set(next);
        }
    }

    /// Send times of the requests, relative to the start.
    pub fn send_offsets(&self) -> Vec<(Duration, String)> {
        self.log
            .borrow()
            .iter()
            .map(|(t, r)| (t.since(T0), r.path().to_owned()))
            .collect()
    }
}

struct Until<'a> {
    clock: &'a Cell<u64>,
    due: u64,
}

impl Future for Until<'_> {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.clock.get() >= self.due {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Transport for SimTransport {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        let sent = self.now.get();
        self.log
            .borrow_mut()
            .push((Timestamp::from_millis(sent), request.clone()));
        let due = sent + self.latency;
        self.due.borrow_mut().push(due);
        Until {
            clock: &self.now,
            due,
        }
        .await;
        let mut dues = self.due.borrow_mut();
        if let Some(i) = dues.iter().position(|d| *d == due) {
            dues.swap_remove(i);
        }
        drop(dues);
        Ok(self.meta.answer(&request, &self.pages_served))
    }

    async fn sleep(&self, duration: Duration) {
        let due = self.now.get() + duration.as_millis() as u64;
        self.due.borrow_mut().push(due);
        Until {
            clock: &self.now,
            due,
        }
        .await;
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.now.get())
    }

    fn fill_random(&self, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = i as u8;
        }
    }
}
