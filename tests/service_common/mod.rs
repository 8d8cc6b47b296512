//! Shared harness for the Worker service's native tests: a fake Meta (both
//! login products, refresh, Page token checks; content publishing is the
//! core's fake, `core::publish::fake::FakeGraph`, behind this one's token
//! check) on the scripted transport, an in-memory KV on the same fake
//! clock, a configuration, and helpers that walk a browser through the login.
#![allow(dead_code, clippy::result_large_err)]

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use instagate::core::error::{Error, ErrorKind};
use instagate::core::http::{Method, Request, Response, Transport};
use instagate::core::publish::fake::{FakeGraph, Fault, Media};
use instagate::core::testing::{block_on, graph_error, ScriptedTransport};
use instagate::core::time::Timestamp;
use instagate::service::config::ServiceConfig;
use instagate::service::http::{HttpRequest, HttpResponse};
use instagate::service::memory_blobs::MemoryBlobs;
use instagate::service::memory_log::MemoryLog;
use instagate::service::memory_store::MemoryStore;
use instagate::service::Service;

pub const START: Timestamp = Timestamp::from_millis(1_795_000_000_000);
pub const DAY: Duration = Duration::from_secs(86_400);
pub const WORKER: &str = "https://worker.example";
pub const APP: &str = "https://app.example";
pub const API_KEY: &str = "test-api-key-0123456789";
// Not the sample secrets of .dev.vars.example, which an https Worker refuses.
pub const SECRET: &str = "test-app-secret-0123456789";
pub const K1: &str = "k1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
pub const K2: &str = "k2:__79_Pv6-fj39vX08_Lx8O_u7ezr6uno5-bl5OPi4eA";

/// The Instagram Login test account.
pub const IG_USER: &str = "17841400000000001";
pub const IG_SCOPED: &str = "9000000000000001";
/// The Facebook Login test user, Page and linked Instagram account.
pub const FB_USER: &str = "10000000000000001";
pub const FB_PAGE: &str = "20000000000000001";
pub const FB_IG: &str = "17841400000000002";
/// What a login of the Facebook test user connects after
/// [`World::grant_three_facebook_accounts`], in Meta's order.
pub const THREE_FB_ACCOUNTS: [&str; 3] = [FB_IG, "17841400000000012", "17841400000000013"];

pub const LONG_LIVED: Duration = Duration::from_secs(60 * 86_400);

#[derive(Clone, Debug)]
pub struct TokenInfo {
    pub product: &'static str,
    /// short, long, page
    pub kind: &'static str,
    pub subject: String,
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
    pub scopes: Vec<String>,
}

struct CodeInfo {
    product: &'static str,
    redirect_uri: String,
    challenge: Option<String>,
    used: bool,
    scopes: Vec<String>,
}

/// A small model of Meta's servers.
#[derive(Default)]
pub struct FakeMeta {
    /// Content publishing on either Graph host (containers, status,
    /// `media_publish`, media reads, the quota), for a valid token.
    pub graph: FakeGraph,
    /// The published media, as `graph` holds them after the last request.
    pub media: Vec<Media>,
    /// The next media_publish takes effect but its answer is lost.
    pub lose_next_publish_answer: bool,
    codes: HashMap<String, CodeInfo>,
    pub tokens: HashMap<String, TokenInfo>,
    next: u64,
    /// First matching entry (path contains) answers instead, once.
    faults: VecDeque<(String, Result<Response, Error>)>,
    pub calls: Vec<String>,
    pub account_type: String,
    pub link_page: bool,
    /// The Facebook user a Facebook Login code is issued to (default
    /// `FB_USER`): another Page admin connecting the same account.
    pub facebook_user: Option<String>,
    /// More Pages the Facebook user granted, each linked to an Instagram
    /// account: (Page ID, IG user ID, username).
    pub more_linked_pages: Vec<(String, String, String)>,
}

impl FakeMeta {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{:016x}", self.next * 0x9E37_79B9)
    }

    pub fn issue_code(
        &mut self,
        product: &'static str,
        redirect_uri: &str,
        challenge: Option<String>,
    ) -> String {
        let code = self.fresh("CODE");
        let scopes = match product {
            "instagram" => vec![
                "instagram_business_basic",
                "instagram_business_content_publish",
            ],
            _ => vec![
                "instagram_basic",
                "instagram_content_publish",
                "pages_show_list",
                "pages_read_engagement",
                "business_management",
            ],
        };
        self.codes.insert(
            code.clone(),
            CodeInfo {
                product,
                redirect_uri: redirect_uri.to_owned(),
                challenge,
                used: false,
                scopes: scopes.into_iter().map(str::to_owned).collect(),
            },
        );
        code
    }

    pub fn decline_scope(&mut self, code: &str, scope: &str) {
        if let Some(c) = self.codes.get_mut(code) {
            c.scopes.retain(|s| s != scope);
        }
    }

    pub fn issue_token(
        &mut self,
        product: &'static str,
        kind: &'static str,
        subject: &str,
        now: Timestamp,
        life: Option<Duration>,
        scopes: Vec<String>,
    ) -> String {
        let prefix = match (product, kind) {
            ("instagram", _) => "IGQVJ",
            (_, "page") => "EAAPAGE",
            _ => "EAAUSER",
        };
        let token = self.fresh(prefix);
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                product,
                kind,
                subject: subject.to_owned(),
                issued_at: now,
                expires_at: life.map(|l| now.plus(l)),
                revoked: false,
                scopes,
            },
        );
        token
    }

    pub fn fail_next(&mut self, path_contains: &str, answer: Result<Response, Error>) {
        self.faults.push_back((path_contains.to_owned(), answer));
    }

    /// Revokes every token of `subject` (the user removed the app).
    pub fn revoke_all(&mut self, subject: &str) {
        for t in self.tokens.values_mut() {
            if t.subject == subject {
                t.revoked = true;
            }
        }
    }

    pub fn count(&self, path_contains: &str) -> usize {
        self.calls
            .iter()
            .filter(|c| c.contains(path_contains))
            .count()
    }

    pub fn answer(&mut self, req: &Request, now: Timestamp) -> Result<Response, Error> {
        let path = req.path().to_owned();
        self.calls.push(format!("{} {path}", req.method.as_str()));
        if let Some(i) = self
            .faults
            .iter()
            .position(|(p, _)| path.contains(p.as_str()))
        {
            return self
                .faults
                .remove(i)
                .map(|(_, a)| a)
                .unwrap_or_else(|| Ok(Response::new(500, "")));
        }
        let p: HashMap<String, String> = req.params().into_iter().collect();
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        let ok = |v: serde_json::Value| Ok(Response::new(200, v.to_string()));
        let bad_token = || Ok(invalid_token());

        // Instagram Login
        if path == "https://api.instagram.com/oauth/access_token" {
            let Some(code) = self.codes.get_mut(&get("code")) else {
                return Ok(Response::new(
                    400,
                    r#"{"error_type":"OAuthException","code":400,"error_message":"Invalid authorization code: not found or already used"}"#,
                ));
            };
            if code.used
                || code.product != "instagram"
                || code.redirect_uri != get("redirect_uri")
                || get("client_secret") != SECRET
            {
                return Ok(Response::new(
                    400,
                    r#"{"error_type":"OAuthException","code":400,"error_message":"Invalid authorization code"}"#,
                ));
            }
            code.used = true;
            let scopes = code.scopes.clone();
            let t = self.issue_token(
                "instagram",
                "short",
                IG_USER,
                now,
                Some(Duration::from_secs(3600)),
                scopes.clone(),
            );
            return Ok(Response::new(
                200,
                format!(
                    r#"{{"data":[{{"access_token":"{t}","user_id":{IG_SCOPED},"permissions":"{}"}}]}}"#,
                    scopes.join(",")
                ),
            ));
        }
        if path == "https://graph.instagram.com/access_token" {
            let Some(info) = self.valid(&get("access_token"), now) else {
                return bad_token();
            };
            if get("client_secret") != SECRET {
                return bad_token();
            }
            let t = self.issue_token(
                "instagram",
                "long",
                &info.subject,
                now,
                Some(LONG_LIVED),
                info.scopes,
            );
            return ok(
                serde_json::json!({"access_token": t, "token_type": "bearer", "expires_in": LONG_LIVED.as_secs()}),
            );
        }
        if path == "https://graph.instagram.com/refresh_access_token" {
            let Some(info) = self.valid(&get("access_token"), now) else {
                return bad_token();
            };
            if now.since(info.issued_at) < DAY {
                return Ok(graph_error(400, 100, None, "too young"));
            }
            let t = self.issue_token(
                "instagram",
                "long",
                &info.subject,
                now,
                Some(LONG_LIVED),
                info.scopes,
            );
            return ok(
                serde_json::json!({"access_token": t, "token_type": "bearer", "expires_in": LONG_LIVED.as_secs()}),
            );
        }
        if path == "https://graph.instagram.com/v27.0/me" {
            let Some(_) = self.valid(&get("access_token"), now) else {
                return bad_token();
            };
            return ok(
                serde_json::json!({"id": IG_SCOPED, "user_id": IG_USER, "username": "standin_business", "name": "Stand-in Business", "account_type": self.account_type}),
            );
        }
        // Facebook Login
        if path == "https://graph.facebook.com/v27.0/oauth/access_token" {
            if get("grant_type") == "fb_exchange_token" {
                let Some(info) = self.valid(&get("fb_exchange_token"), now) else {
                    return bad_token();
                };
                let t = self.issue_token(
                    "facebook",
                    "long",
                    &info.subject,
                    now,
                    Some(LONG_LIVED),
                    info.scopes,
                );
                return ok(
                    serde_json::json!({"access_token": t, "token_type": "bearer", "expires_in": LONG_LIVED.as_secs()}),
                );
            }
            let Some(code) = self.codes.get_mut(&get("code")) else {
                return Ok(graph_error(
                    400,
                    100,
                    None,
                    "Invalid verification code format.",
                ));
            };
            let pkce_ok = match &code.challenge {
                None => true,
                Some(c) => {
                    *c == instagate::core::oauth::authorize::pkce_challenge(&get("code_verifier"))
                }
            };
            if code.used
                || code.product != "facebook"
                || code.redirect_uri != get("redirect_uri")
                || !pkce_ok
            {
                return Ok(graph_error(
                    400,
                    100,
                    None,
                    "Invalid code verifier or authorization code",
                ));
            }
            code.used = true;
            let scopes = code.scopes.clone();
            let user = self
                .facebook_user
                .clone()
                .unwrap_or_else(|| FB_USER.to_owned());
            let t = self.issue_token(
                "facebook",
                "short",
                &user,
                now,
                Some(Duration::from_secs(3600)),
                scopes,
            );
            return ok(
                serde_json::json!({"access_token": t, "token_type": "bearer", "expires_in": 3600}),
            );
        }
        if path == "https://graph.facebook.com/v27.0/me/permissions" {
            let Some(info) = self.valid(&get("access_token"), now) else {
                return bad_token();
            };
            let data: Vec<_> = info
                .scopes
                .iter()
                .map(|s| serde_json::json!({"permission": s, "status": "granted"}))
                .collect();
            return ok(serde_json::json!({ "data": data }));
        }
        if path == "https://graph.facebook.com/v27.0/me" {
            let Some(info) = self.valid(&get("access_token"), now) else {
                return bad_token();
            };
            return ok(serde_json::json!({"id": info.subject, "name": "Someone"}));
        }
        if path == "https://graph.facebook.com/v27.0/me/accounts" {
            let Some(info) = self.valid(&get("access_token"), now) else {
                return bad_token();
            };
            if !self.link_page {
                return ok(
                    serde_json::json!({"data": [{"id": FB_PAGE, "name": "Unlinked Page", "access_token": "x"}]}),
                );
            }
            let page_token =
                self.issue_token("facebook", "page", FB_PAGE, now, None, info.scopes.clone());
            // The linked account's profile comes in the same answer when
            // its fields are expanded (`instagram_business_account{...}`).
            let mut data = vec![
                serde_json::json!({"id": FB_PAGE, "name": "Stand-in Page", "access_token": page_token, "instagram_business_account": {"id": FB_IG, "username": "standin_page_ig", "name": "Page IG"}}),
            ];
            for (page, ig, username) in self.more_linked_pages.clone() {
                let token =
                    self.issue_token("facebook", "page", &page, now, None, info.scopes.clone());
                data.push(serde_json::json!({"id": page, "name": format!("Page {username}"), "access_token": token, "instagram_business_account": {"id": ig, "username": username}}));
            }
            return ok(serde_json::json!({ "data": data }));
        }
        if path == format!("https://graph.facebook.com/v27.0/{FB_IG}") {
            let Some(_) = self.valid(&get("access_token"), now) else {
                return bad_token();
            };
            return ok(
                serde_json::json!({"id": FB_IG, "username": "standin_page_ig", "name": "Page IG"}),
            );
        }
        if path.starts_with("https://graph.instagram.com/v27.0/")
            || path.starts_with("https://graph.facebook.com/v27.0/")
        {
            return self.answer_publish(req, now);
        }
        panic!("FakeMeta: unexpected {} {path}", req.method.as_str());
    }

    /// Content publishing: the core's fake, for a token this Meta issued
    /// and has neither revoked nor seen expire.
    fn answer_publish(&mut self, req: &Request, now: Timestamp) -> Result<Response, Error> {
        let token = req
            .params()
            .into_iter()
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v)
            .unwrap_or_default();
        if self.valid(&token, now).is_none() {
            return Ok(invalid_token());
        }
        if req.method == Method::Post
            && req.path().ends_with("/media_publish")
            && std::mem::take(&mut self.lose_next_publish_answer)
        {
            self.graph
                .fault(Some(Method::Post), "/media_publish", Fault::LostAnswer, 1);
        }
        let answer = self.graph.handle(req, now);
        self.media = self.graph.media();
        answer
    }

    fn valid(&self, token: &str, now: Timestamp) -> Option<TokenInfo> {
        let info = self.tokens.get(token)?;
        let expired = info.expires_at.is_some_and(|e| e <= now);
        (!info.revoked && !expired).then(|| info.clone())
    }
}

/// Meta's answer to a revoked, expired or unknown token (code 190).
fn invalid_token() -> Response {
    graph_error(
        400,
        190,
        None,
        "Error validating access token: The session has been invalidated",
    )
}

/// Everything a test needs, sharing one fake clock.
pub struct World {
    pub transport: Rc<ScriptedTransport>,
    pub store: MemoryStore,
    pub config: ServiceConfig,
    pub log: MemoryLog,
    pub meta: Rc<RefCell<FakeMeta>>,
    /// The Worker's R2 bucket (staged media).
    pub blobs: MemoryBlobs,
}

pub fn env(extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = [
        ("PRODUCTS", "instagram,facebook"),
        ("CLIENT_ID", "1000000000000001"),
        ("REDIRECT_URI", "https://worker.example/auth/callback"),
        ("APP_RETURN_URLS", "https://app.example/connected"),
        ("ALLOWED_ORIGINS", "https://app.example"),
        ("SPA_REDIRECT_URIS", "https://app.example/callback"),
        ("APP_SECRET", SECRET),
        ("TOKEN_KEYS", K1),
        ("SESSION_KEY", "0123456789abcdef0123456789abcdef-session"),
        ("API_KEY", API_KEY),
        ("WEBHOOK_VERIFY_TOKEN", "verify-me"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        m.insert(k.to_string(), v.to_string());
    }
    m
}

pub fn config(extra: &[(&str, &str)]) -> ServiceConfig {
    let m = env(extra);
    ServiceConfig::from_env(|k| m.get(k).cloned()).expect("test config")
}

impl World {
    pub fn new() -> World {
        World::with_config(config(&[]))
    }

    pub fn with_config(config: ServiceConfig) -> World {
        let transport = Rc::new(ScriptedTransport::new(START));
        let clock = transport.clone();
        let store = MemoryStore::with_clock(move || clock.now());
        let graph = FakeGraph::new();
        graph.set_processing(Duration::from_millis(300), Duration::from_secs(3));
        let meta = Rc::new(RefCell::new(FakeMeta {
            graph,
            account_type: "BUSINESS".into(),
            link_page: true,
            more_linked_pages: Vec::new(),
            ..FakeMeta::default()
        }));
        let m = meta.clone();
        transport.set_handler(move |req, now| m.borrow_mut().answer(req, now));
        World {
            transport,
            store,
            config,
            log: MemoryLog::default(),
            meta,
            blobs: MemoryBlobs::new(),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.transport.now()
    }

    pub fn advance(&self, d: Duration) {
        self.transport.advance(d);
    }

    pub fn service(&self) -> Service<'_, MemoryStore, ScriptedTransport> {
        Service::new(&self.config, &self.store, &*self.transport, &self.log).with_blobs(&self.blobs)
    }

    pub fn call(&self, req: HttpRequest) -> HttpResponse {
        block_on(self.service().handle(req))
    }

    /// The Facebook user also granted two more Pages, each linked to an
    /// Instagram account: a login connects [`THREE_FB_ACCOUNTS`].
    pub fn grant_three_facebook_accounts(&self) {
        self.meta.borrow_mut().more_linked_pages = THREE_FB_ACCOUNTS[1..]
            .iter()
            .zip(["20000000000000002", "20000000000000003"])
            .map(|(ig, page)| (page.to_string(), ig.to_string(), format!("ig_{ig}")))
            .collect();
    }

    /// `GET /auth/login`: returns (state, login cookie, consent URL).
    pub fn start_login(&self, product: &str) -> (String, String, String) {
        let r = self.call(HttpRequest::new("GET", &format!("{WORKER}/auth/login?product={product}&return_to=https%3A%2F%2Fapp.example%2Fconnected")));
        assert_eq!(r.status, 302, "{}", String::from_utf8_lossy(&r.body));
        let location = r.header("location").unwrap().to_owned();
        let state = query(&location, "state").expect("state in the consent URL");
        let cookie = cookie_pair(&r, "__Host-instagate_login").expect("login cookie");
        (state, cookie, location)
    }

    /// The whole redirect login; returns (account id, session cookie pair).
    pub fn connect(&self, product: &'static str) -> (String, String) {
        let (state, cookie, location) = self.start_login(product);
        let challenge = query(&location, "code_challenge");
        let code = self.meta.borrow_mut().issue_code(
            product,
            "https://worker.example/auth/callback",
            challenge,
        );
        let r = self.callback(&code, &state, Some(&cookie));
        assert_eq!(r.status, 302);
        let location = r.header("location").unwrap();
        let id = query(location, "connected").unwrap_or_else(|| panic!("login failed: {location}"));
        let session = cookie_pair(&r, "__Host-instagate_session").expect("session cookie");
        (id, session)
    }

    pub fn callback(&self, code: &str, state: &str, cookie: Option<&str>) -> HttpResponse {
        let mut req = HttpRequest::new(
            "GET",
            &format!("{WORKER}/auth/callback?code={code}&state={state}"),
        );
        if let Some(c) = cookie {
            req = req.with_header("cookie", c);
        }
        self.call(req)
    }

    /// Every stored value (for "no token in clear" scans).
    pub fn kv_text(&self) -> String {
        self.store
            .dump()
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect()
    }

    /// Every token Meta ever issued.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.meta.borrow().tokens.keys().cloned().collect()
    }

    pub fn api(&self, method: &str, path: &str) -> HttpRequest {
        HttpRequest::new(method, &format!("{WORKER}{path}"))
            .with_header("authorization", &format!("Bearer {API_KEY}"))
    }

    /// The newest cron run's log line.
    pub fn cron_line(&self) -> serde_json::Value {
        self.log
            .records()
            .into_iter()
            .rev()
            .find(|l| l["event"] == "cron")
            .expect("no cron log line")
    }

    /// Job `id` reads as published, Meta holds exactly one media, and no
    /// job is left queued.
    pub fn assert_published_once(&self, id: &str) {
        let r = self.call(self.api("GET", &format!("/api/jobs/{id}")));
        assert_eq!(
            r.json_body()["job"]["status"],
            "published",
            "{:?}",
            r.json_body()
        );
        assert_eq!(self.meta.borrow().media.len(), 1);
        assert!(self.store.keys("jobq:").is_empty());
    }
}

/// A query parameter of a URL, decoded.
pub fn query(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    let q = q.split('#').next().unwrap_or(q);
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `name=value` of a Set-Cookie in the response.
pub fn cookie_pair(r: &HttpResponse, name: &str) -> Option<String> {
    r.header_all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0"))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
}

pub fn meta_error(status: u16, code: i64) -> Result<Response, Error> {
    Ok(graph_error(status, code, None, "fault"))
}

pub fn transport_error() -> Result<Response, Error> {
    Err(Error::new(
        ErrorKind::Timeout,
        "upstream did not answer in time",
    ))
}

/// Stores an Instagram Login account directly (as a login would) whose
/// token Meta knows; returns the token.
pub fn seed_instagram_account(w: &World, id: &str, issued_at: Timestamp) -> String {
    use instagate::core::config::Product;
    use instagate::core::secret::AccessToken;
    use instagate::core::token::{TokenKind, TokenRecord};
    use instagate::service::accounts::{AccountRecord, Accounts};
    let token = w.meta.borrow_mut().issue_token(
        "instagram",
        "long",
        id,
        issued_at,
        Some(LONG_LIVED),
        vec![
            "instagram_business_basic".into(),
            "instagram_business_content_publish".into(),
        ],
    );
    let mut record = AccountRecord {
        id: id.to_owned(),
        product: Product::Instagram,
        username: format!("user_{id}"),
        name: None,
        account_type: Some("BUSINESS".into()),
        token: TokenRecord {
            access_token: AccessToken::new(token.clone()),
            kind: TokenKind::InstagramLongLived,
            scopes: vec!["instagram_business_basic".into()],
            issued_at,
            expires_at: Some(issued_at.plus(LONG_LIVED)),
            ig_user_id: Some(id.to_owned()),
        },
        page_id: None,
        page_name: None,
        aliases: vec![],
        facebook_user_id: None,
        connected_at: issued_at,
        logged_in_at: Some(issued_at),
        updated_at: issued_at,
        needs_reauth: false,
        reauth_reason: None,
        last_checked_at: None,
        consecutive_failures: 0,
        history: vec![],
        due_key: None,
        meta_user: Some(id.to_owned()),
        sessions_valid_after: None,
    };
    let accounts = Accounts {
        store: &w.store,
        transport: &*w.transport,
        config: &w.config,
    };
    block_on(accounts.save(&mut record)).expect("seed");
    token
}

/// The decrypted record of an account.
pub fn record(w: &World, id: &str) -> instagate::service::accounts::AccountRecord {
    let accounts = instagate::service::accounts::Accounts {
        store: &w.store,
        transport: &*w.transport,
        config: &w.config,
    };
    block_on(accounts.load(id))
        .expect("load")
        .expect("record exists")
}

/// Graph's time format: `2026-11-22T10:15:30+0000`.
pub fn graph_time(t: Timestamp) -> String {
    format!("{}+0000", &t.to_rfc3339()[..19])
}

/// A Meta `signed_request` for `user_id` (deauthorize, data deletion).
pub fn signed_request(secret: &str, user_id: &str, algorithm: &str) -> String {
    signed_request_issued(secret, user_id, algorithm, 1_795_000_000)
}

/// A `signed_request` issued at `issued_at_secs` (Meta refuses nothing by
/// age, the Worker does: more than an hour old is a replay).
pub fn signed_request_issued(
    secret: &str,
    user_id: &str,
    algorithm: &str,
    issued_at_secs: u64,
) -> String {
    let payload = instagate::service::crypto::b64url(format!(r#"{{"algorithm":"{algorithm}","expires":0,"issued_at":{issued_at_secs},"user_id":"{user_id}"}}"#).as_bytes());
    let sig = instagate::service::crypto::b64url(&instagate::service::crypto::hmac_sha256(
        secret.as_bytes(),
        payload.as_bytes(),
    ));
    format!("{sig}.{payload}")
}

/// A form POST of `signed_request` to `path`.
pub fn form_post(path: &str, signed: &str) -> HttpRequest {
    HttpRequest::new("POST", &format!("{WORKER}{path}"))
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(format!("signed_request={signed}"))
}

/// Pending once, then ready: lets every other future run, as a `fetch`
/// inside a Durable Object lets other requests in.
#[derive(Default)]
pub struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}
