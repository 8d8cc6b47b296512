//! The login routes of the Worker service, natively: both products' redirect
//! flow, the single-page flow, and every failure path, with what is (and is
//! not) stored afterwards.

mod service_common;

use instagate::service::http::HttpRequest;
use serde_json::json;
use service_common::*;

#[test]
fn instagram_redirect_login_stores_an_encrypted_account() {
    let w = World::new();
    let (state, cookie, location) = w.start_login("instagram");
    assert!(
        location.starts_with("https://www.instagram.com/oauth/authorize?"),
        "{location}"
    );
    assert_eq!(
        query(&location, "client_id").as_deref(),
        Some("1000000000000001")
    );
    assert_eq!(
        query(&location, "redirect_uri").as_deref(),
        Some("https://worker.example/auth/callback")
    );
    assert_eq!(query(&location, "code_challenge"), None);
    assert_eq!(state.len(), 43);
    // The pending login travels sealed in the login cookie: nothing in KV.
    let key = format!("state:{state}");
    assert!(w.store.dump().is_empty());
    let payload = cookie.split_once('=').unwrap().1.split('.').next().unwrap();
    let plain =
        String::from_utf8(instagate::service::crypto::b64url_decode(payload).unwrap()).unwrap();
    assert!(plain.contains(r#"\"kid\":\"k1\""#), "{plain}");
    assert!(
        !plain.contains("redirect_uri"),
        "sealed, not readable: {plain}"
    );
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        let r = w.call(HttpRequest::new("GET", &format!("{WORKER}/auth/login")));
        assert!(r.header("set-cookie").unwrap().contains(attr));
    }

    let code =
        w.meta
            .borrow_mut()
            .issue_code("instagram", "https://worker.example/auth/callback", None);
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some(format!("https://app.example/connected?connected={IG_USER}").as_str())
    );
    let session = cookie_pair(&r, "__Host-instagate_session").unwrap();
    assert!(r
        .header_all("set-cookie")
        .iter()
        .any(|c| c.starts_with("__Host-instagate_login=;") && c.contains("Max-Age=0")));
    // State used once: marked for the login's remaining lifetime.
    assert_eq!(w.store.peek(&key).as_deref(), Some("used"));
    assert_eq!(
        w.store.expiry(&key),
        Some(w.now().plus(std::time::Duration::from_secs(600)))
    );

    // Two round trips to Meta after the code: exchange, then long-lived + profile together.
    let meta = w.meta.borrow();
    assert_eq!(meta.count("api.instagram.com/oauth/access_token"), 1);
    assert_eq!(meta.count("graph.instagram.com/access_token"), 1);
    assert_eq!(meta.count("graph.instagram.com/v27.0/me"), 1);
    drop(meta);

    let stored = w.store.peek(&format!("token:{IG_USER}")).unwrap();
    for token in w.issued_tokens() {
        assert!(!w.kv_text().contains(&token), "token in clear in KV");
    }
    assert!(
        !stored.contains("standin_business"),
        "the whole record is sealed"
    );
    assert_eq!(w.store.keys("due:").len(), 1);
    assert!(w.store.keys("due:")[0].ends_with(IG_USER));
    assert_eq!(w.store.keys(&format!("alias:{IG_SCOPED}:")).len(), 1);

    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts/{IG_USER}"))
            .with_header("cookie", &session),
    );
    assert_eq!(r.status, 200);
    let a = r.json_body()["account"].clone();
    assert_eq!(a["username"], "standin_business");
    assert_eq!(a["token"]["kind"], "instagram_long_lived");
    assert_eq!(a["token"]["days_left"], 60);
    assert_eq!(a["needs_reauth"], false);
    let text = String::from_utf8(r.body.clone()).unwrap();
    for token in w.issued_tokens() {
        assert!(!text.contains(&token), "token in an API answer");
    }
    for line in w.log.lines() {
        for token in w.issued_tokens() {
            assert!(!line.contains(&token), "token in a log line: {line}");
        }
        assert!(!line.contains(&code), "code in a log line");
        assert!(!line.contains(SECRET));
    }
}

#[test]
fn facebook_redirect_login_uses_pkce_and_stores_the_page_token() {
    let w = World::new();
    let (state, cookie, location) = w.start_login("facebook");
    assert!(
        location.starts_with("https://www.facebook.com/v27.0/dialog/oauth?"),
        "{location}"
    );
    let challenge = query(&location, "code_challenge").expect("PKCE for Facebook Login");
    assert_eq!(
        query(&location, "code_challenge_method").as_deref(),
        Some("S256")
    );
    // A code minted for another challenge fails at Meta.
    let wrong = w.meta.borrow_mut().issue_code(
        "facebook",
        "https://worker.example/auth/callback",
        Some("x".repeat(43)),
    );
    let r = w.callback(&wrong, &state, Some(&cookie));
    assert_eq!(r.status, 302);
    assert!(
        r.header("location")
            .unwrap()
            .ends_with("?error=invalid_code"),
        "{:?}",
        r.header("location")
    );
    assert!(
        w.store.keys("token:").is_empty(),
        "nothing stored on failure"
    );

    let (state, cookie, _) = w.start_login("facebook");
    let code = w.meta.borrow_mut().issue_code(
        "facebook",
        "https://worker.example/auth/callback",
        Some(challenge.clone()),
    );
    let r = w.callback(&code, &state, Some(&cookie));
    // The challenge of the first login differs from this one's verifier.
    assert!(
        r.header("location").unwrap().contains("error="),
        "verifier is per login"
    );

    let (id, session) = w.connect("facebook");
    assert_eq!(id, FB_IG);
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts/{FB_IG}"))
            .with_header("cookie", &session),
    );
    let a = r.json_body()["account"].clone();
    assert_eq!(a["token"]["kind"], "facebook_page");
    assert_eq!(a["token"]["expires_at"], serde_json::Value::Null);
    assert_eq!(a["page_id"], FB_PAGE);
    assert_eq!(a["username"], "standin_page_ig");
    // The Facebook user is an alias (signed_request names it).
    assert_eq!(
        w.store.keys(&format!("alias:{FB_USER}:")),
        vec![format!("alias:{FB_USER}:{FB_IG}")]
    );
    for token in w.issued_tokens() {
        assert!(!w.kv_text().contains(&token));
    }
}

#[test]
fn callback_failures_store_nothing_and_say_why() {
    let w = World::new();
    let redirect = "https://worker.example/auth/callback";

    // No cookie (another browser): error page, pending login left alone.
    let (state, _cookie, _) = w.start_login("instagram");
    let code = w.meta.borrow_mut().issue_code("instagram", redirect, None);
    let r = w.callback(&code, &state, None);
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("state_mismatch"));
    assert!(
        w.store.keys("state:").is_empty(),
        "nothing written for a refused callback"
    );

    // A cookie for another state.
    let (other_state, other_cookie, _) = w.start_login("instagram");
    let r = w.callback(&code, &state, Some(&other_cookie));
    assert_eq!(r.status, 400);
    // A forged cookie.
    let r = w.callback(&code, &state, Some("__Host-instagate_login=e30.AAAA"));
    assert_eq!(r.status, 400);
    assert_eq!(
        w.meta.borrow().count("oauth/access_token"),
        0,
        "nothing reached Meta"
    );

    // Denied consent.
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/auth/callback?error=access_denied&error_reason=user_denied&error_description=Permissions+error&state={other_state}"))
            .with_header("cookie", &other_cookie),
    );
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("https://app.example/connected?error=oauth_denied")
    );

    // Expired pending login (11 minutes).
    let (state, cookie, _) = w.start_login("instagram");
    w.advance(std::time::Duration::from_secs(660));
    let code = w.meta.borrow_mut().issue_code("instagram", redirect, None);
    assert_eq!(w.callback(&code, &state, Some(&cookie)).status, 400);

    // Code already used / unknown: redirect with invalid_code.
    let (state, cookie, _) = w.start_login("instagram");
    let r = w.callback("CODEunknown", &state, Some(&cookie));
    assert_eq!(
        r.header("location"),
        Some("https://app.example/connected?error=invalid_code")
    );

    // Upstream 5xx on the long-lived exchange.
    let (state, cookie, _) = w.start_login("instagram");
    let code = w.meta.borrow_mut().issue_code("instagram", redirect, None);
    w.meta
        .borrow_mut()
        .fail_next("graph.instagram.com/access_token", meta_error(500, 2));
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(
        r.header("location"),
        Some("https://app.example/connected?error=transient")
    );

    // A personal account.
    w.meta.borrow_mut().account_type = "PERSONAL".into();
    let (state, cookie, _) = w.start_login("instagram");
    let code = w.meta.borrow_mut().issue_code("instagram", redirect, None);
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(
        r.header("location"),
        Some("https://app.example/connected?error=personal_account")
    );
    w.meta.borrow_mut().account_type = "BUSINESS".into();

    // A required permission unticked.
    let (state, cookie, _) = w.start_login("instagram");
    let code = w.meta.borrow_mut().issue_code("instagram", redirect, None);
    w.meta
        .borrow_mut()
        .decline_scope(&code, "instagram_business_basic");
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(
        r.header("location"),
        Some("https://app.example/connected?error=missing_permission")
    );

    // Facebook Login with no Page linked to Instagram.
    w.meta.borrow_mut().link_page = false;
    let (state, cookie, location) = w.start_login("facebook");
    let code =
        w.meta
            .borrow_mut()
            .issue_code("facebook", redirect, query(&location, "code_challenge"));
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(
        r.header("location"),
        Some("https://app.example/connected?error=no_linked_account")
    );

    // Upstream hangs: the transport times out.
    let (state, cookie, _) = w.start_login("instagram");
    let code = w.meta.borrow_mut().issue_code("instagram", redirect, None);
    w.meta
        .borrow_mut()
        .fail_next("api.instagram.com", transport_error());
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(
        r.header("location"),
        Some("https://app.example/connected?error=timeout")
    );

    assert!(
        w.store.keys("token:").is_empty(),
        "no account was stored by any failure"
    );
    assert!(w.store.keys("due:").is_empty());
    let kinds: Vec<String> = w
        .log
        .records()
        .iter()
        .filter_map(|r| r["error_kind"].as_str().map(str::to_owned))
        .collect();
    for k in [
        "state_mismatch",
        "oauth_denied",
        "invalid_code",
        "transient",
        "personal_account",
        "missing_permission",
        "no_linked_account",
        "timeout",
    ] {
        assert!(
            kinds.iter().any(|x| x == k),
            "log lines name {k}: {kinds:?}"
        );
    }
}

#[test]
fn a_used_state_cannot_be_replayed() {
    let w = World::new();
    let (code, state, cookie) = instagram_login_up_to_the_callback(&w);
    assert_eq!(w.callback(&code, &state, Some(&cookie)).status, 302);
    let exchanges = w.meta.borrow().count("oauth/access_token");
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(r.status, 400, "replayed state");
    assert_eq!(
        w.meta.borrow().count("oauth/access_token"),
        exchanges,
        "a replay never reaches Meta"
    );
}

#[test]
fn login_refuses_open_redirects_and_unknown_products() {
    let w = World::new();
    for bad in [
        "https%3A%2F%2Fevil.example%2F",
        "https%3A%2F%2Fapp.example%2Fconnectedx",
        "https%3A%2F%2Fapp.example.evil.example%2Fconnected",
        "%2F%2Fevil.example",
        "https%3A%2F%2Fapp.example%2Fconnected%40evil.example",
    ] {
        let r = w.call(HttpRequest::new(
            "GET",
            &format!("{WORKER}/auth/login?return_to={bad}"),
        ));
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.header("location").is_none());
        assert!(String::from_utf8_lossy(&r.body).contains("invalid_input"));
    }
    let r = w.call(HttpRequest::new(
        "GET",
        &format!("{WORKER}/auth/login?product=tiktok"),
    ));
    assert_eq!(r.status, 400);
    let r = w.call(HttpRequest::new("GET", &format!("{WORKER}/auth/login?return_to=https%3A%2F%2Fapp.example%2Fconnected&return_to=https%3A%2F%2Fevil.example")));
    assert_eq!(r.status, 400, "a repeated parameter is refused");
    assert!(w.store.keys("state:").is_empty());
}

fn spa_register(
    w: &World,
    state: &str,
    verifier: &str,
    product: &str,
) -> instagate::service::http::HttpResponse {
    w.call(
        HttpRequest::new("POST", &format!("{WORKER}/auth/pending"))
            .with_header("origin", APP)
            .with_json(&json!({
                "state": state,
                "codeChallenge": instagate::core::oauth::authorize::pkce_challenge(verifier),
                "redirectUri": "https://app.example/callback",
                "product": product,
            })),
    )
}

fn spa_exchange(
    w: &World,
    origin: &str,
    code: &str,
    state: &str,
    verifier: &str,
) -> instagate::service::http::HttpResponse {
    w.call(
        HttpRequest::new("POST", &format!("{WORKER}/auth/exchange"))
            .with_header("origin", origin)
            .with_json(&json!({"code": code, "state": state, "codeVerifier": verifier})),
    )
}

#[test]
fn spa_exchange_binds_the_code_to_the_registered_verifier() {
    let w = World::new();
    let verifier = "v".repeat(43) + "-verifier";
    let state = "s".repeat(43);

    // Preflight from the allowed origin, and from another.
    let r = w.call(
        HttpRequest::new("OPTIONS", &format!("{WORKER}/auth/exchange")).with_header("origin", APP),
    );
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    let r = w.call(
        HttpRequest::new("OPTIONS", &format!("{WORKER}/auth/exchange"))
            .with_header("origin", "https://evil.example"),
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.header("access-control-allow-origin"), None);

    let r = spa_register(&w, &state, &verifier, "instagram");
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    assert_eq!(
        spa_register(&w, &state, &verifier, "instagram").status,
        409,
        "a state registers once"
    );

    let code = w
        .meta
        .borrow_mut()
        .issue_code("instagram", "https://app.example/callback", None);
    // From another origin: refused before anything is used.
    assert_eq!(
        spa_exchange(&w, "https://evil.example", &code, &state, &verifier).status,
        403
    );
    // A stolen code + state without the verifier: refused, and the state is spent.
    let r = spa_exchange(&w, APP, &code, &state, &("x".repeat(43)));
    assert_eq!(r.status, 400);
    assert_eq!(r.json_body()["error"]["kind"], "state_mismatch");
    assert_eq!(w.meta.borrow().count("oauth/access_token"), 0);
    let r = spa_exchange(&w, APP, &code, &state, &verifier);
    assert_eq!(r.status, 400, "the state was spent by the failed attempt");

    // The happy path.
    let state = "t".repeat(43);
    assert_eq!(spa_register(&w, &state, &verifier, "instagram").status, 201);
    let r = spa_exchange(&w, APP, &code, &state, &verifier);
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert_eq!(r.json_body()["account"]["id"], IG_USER);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    let session = cookie_pair(&r, "__Host-instagate_session").expect("session cookie");
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts")).with_header("cookie", &session),
    );
    assert_eq!(r.json_body()["accounts"][0]["id"], IG_USER);
    // Replay.
    assert_eq!(spa_exchange(&w, APP, &code, &state, &verifier).status, 400);

    // Facebook: the verifier also goes to Meta (PKCE there too).
    let state = "f".repeat(43);
    assert_eq!(spa_register(&w, &state, &verifier, "facebook").status, 201);
    let code = w.meta.borrow_mut().issue_code(
        "facebook",
        "https://app.example/callback",
        Some(instagate::core::oauth::authorize::pkce_challenge(&verifier)),
    );
    let r = spa_exchange(&w, APP, &code, &state, &verifier);
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert_eq!(r.json_body()["account"]["id"], FB_IG);

    // Registration checks.
    let bad = w.call(HttpRequest::new("POST", &format!("{WORKER}/auth/pending")).with_header("origin", APP).with_json(&json!({
        "state": "u".repeat(43), "codeChallenge": "short", "redirectUri": "https://app.example/callback"})));
    assert_eq!(bad.json_body()["error"]["field"], "codeChallenge");
    let bad = w.call(HttpRequest::new("POST", &format!("{WORKER}/auth/pending")).with_header("origin", APP).with_json(&json!({
        "state": "u".repeat(43), "codeChallenge": "c".repeat(43), "redirectUri": "https://evil.example/callback"})));
    assert_eq!(bad.json_body()["error"]["field"], "redirectUri");
    let bad =
        w.call(HttpRequest::new("POST", &format!("{WORKER}/auth/pending")).with_json(&json!({})));
    assert_eq!(bad.status, 403, "no Origin");
}

/// An unused Instagram Login code is bound to no state or verifier by Meta:
/// every Worker answer (the callback's error page above all) tells the
/// browser never to send its address on as a Referer.
#[test]
fn every_worker_answer_sends_referrer_policy_no_referrer() {
    let w = World::new();
    let (state, _cookie, _) = w.start_login("instagram");
    let answers = [
        w.call(HttpRequest::new("GET", &format!("{WORKER}/auth/login"))),
        // No login cookie: the error page, at an address that holds the code.
        w.callback("unused-code", &state, None),
        w.call(HttpRequest::new("GET", &format!("{WORKER}/health"))),
        w.call(w.api("GET", "/api/accounts")),
        w.call(HttpRequest::new("GET", &format!("{WORKER}/nowhere"))),
    ];
    for r in &answers {
        assert_eq!(
            r.header("referrer-policy"),
            Some("no-referrer"),
            "status {}",
            r.status
        );
    }
    assert_eq!(answers[1].status, 400);
}

/// Counts calls per key and allows `limit` of each (the Rate Limiting
/// binding's part, natively).
struct CountingLimiter {
    limit: usize,
    seen: std::cell::RefCell<Vec<String>>,
}

impl instagate::service::limits::ClientLimiter for CountingLimiter {
    async fn allow(&self, key: &str) -> bool {
        self.seen.borrow_mut().push(key.to_owned());
        self.seen.borrow().iter().filter(|k| *k == key).count() <= self.limit
    }
}

/// `POST /auth/pending` writes to KV for anyone: past its per-client budget
/// it answers 429 (with CORS, so the front end can read it) and writes nothing.
#[test]
fn registering_single_page_logins_is_limited_per_client() {
    let w = World::new();
    let limiter = CountingLimiter {
        limit: 2,
        seen: Default::default(),
    };
    let register = |n: usize, ip: &str| {
        let req = HttpRequest::new("POST", &format!("{WORKER}/auth/pending"))
            .with_header("origin", APP)
            .with_header("cf-connecting-ip", ip)
            .with_json(&json!({
                "state": format!("{n:0>43}"),
                "codeChallenge": instagate::core::oauth::authorize::pkce_challenge(&"v".repeat(43)),
                "redirectUri": "https://app.example/callback",
            }));
        instagate::core::testing::block_on(w.service().handle_limited(req, &limiter))
    };
    assert_eq!(register(1, "203.0.113.7").status, 201);
    assert_eq!(register(2, "203.0.113.7").status, 201);
    let r = register(3, "203.0.113.7");
    assert_eq!(r.status, 429, "{:?}", r.json_body());
    assert_eq!(r.json_body()["error"]["kind"], "rate_limited");
    assert_eq!(r.header("retry-after"), Some("60"));
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(
        w.store.keys("state:").len(),
        2,
        "nothing written past the budget"
    );
    // Another client has its own budget; other routes are not counted.
    assert_eq!(register(4, "198.51.100.1").status, 201);
    let login = HttpRequest::new("GET", &format!("{WORKER}/auth/login"));
    assert_eq!(
        instagate::core::testing::block_on(w.service().handle_limited(login, &limiter)).status,
        302
    );
    assert_eq!(
        *limiter.seen.borrow(),
        [
            "pending:203.0.113.7",
            "pending:203.0.113.7",
            "pending:203.0.113.7",
            "pending:198.51.100.1"
        ]
    );
}

const THREE: [&str; 3] = THREE_FB_ACCOUNTS;

/// A single-page Facebook login through `/auth/pending` + `/auth/exchange`.
fn spa_facebook_login(w: &World) -> instagate::service::http::HttpResponse {
    let verifier = "v".repeat(43) + "-verifier";
    let state = "f".repeat(43);
    assert_eq!(spa_register(w, &state, &verifier, "facebook").status, 201);
    let code = w.meta.borrow_mut().issue_code(
        "facebook",
        "https://app.example/callback",
        Some(instagate::core::oauth::authorize::pkce_challenge(&verifier)),
    );
    let r = spa_exchange(w, APP, &code, &state, &verifier);
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    r
}

#[test]
fn a_facebook_login_stores_every_account_the_person_granted() {
    let w = World::new();
    w.grant_three_facebook_accounts();
    let (connected, session) = w.connect("facebook");
    assert_eq!(connected, THREE.join(","), "the redirect names them all");
    // The session may act on each; the list shows them all.
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts")).with_header("cookie", &session),
    );
    let listed: Vec<String> = r.json_body()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, THREE);
    for (id, page) in THREE
        .iter()
        .zip([FB_PAGE, "20000000000000002", "20000000000000003"])
    {
        let a = record(&w, id);
        assert_eq!(a.page_id.as_deref(), Some(page));
        assert_eq!(
            a.token.kind,
            instagate::core::token::TokenKind::FacebookPage
        );
        // Which login brought it: the Facebook user, also an alias entry.
        assert_eq!(a.facebook_user_id.as_deref(), Some(FB_USER));
        assert!(w
            .store
            .keys(&format!("alias:{FB_USER}:"))
            .contains(&format!("alias:{FB_USER}:{id}")));
    }
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts/{}", THREE[2]))
            .with_header("cookie", &session),
    );
    assert_eq!(r.json_body()["account"]["facebook_user_id"], FB_USER);
    for token in w.issued_tokens() {
        assert!(!w.kv_text().contains(&token));
    }
}

#[test]
fn the_single_page_exchange_answers_every_account() {
    let w = World::new();
    w.grant_three_facebook_accounts();
    let body = spa_facebook_login(&w).json_body();
    let ids: Vec<&str> = body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, THREE);
    assert_eq!(
        body["account"]["id"], FB_IG,
        "the first, for one-account front ends"
    );
    assert_eq!(body["skipped"], json!([]));
    assert!(!body.to_string().contains("EAAPAGE"), "never a token");
}

#[test]
fn max_accounts_per_login_limits_what_a_login_stores() {
    let w = World::with_config(config(&[("MAX_ACCOUNTS_PER_LOGIN", "1")]));
    w.grant_three_facebook_accounts();
    let body = spa_facebook_login(&w).json_body();
    assert_eq!(body["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(body["accounts"][0]["id"], FB_IG);
    let skipped: Vec<(&str, &str)> = body["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["ig_user_id"].as_str().unwrap(),
                s["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            ("17841400000000012", "over_limit"),
            ("17841400000000013", "over_limit")
        ]
    );
    assert_eq!(w.store.keys("token:"), vec![format!("token:{FB_IG}")]);
}

/// `GET /auth/login?rerequest=1`: the way back from `missing_permission` for
/// Facebook Login, whose dialog re-asks declined permissions only with
/// `auth_type=rerequest` (Manually Build a Login Flow, "Re-asking for
/// Declined Permissions"). Instagram Login has no such parameter.
#[test]
fn login_with_rerequest_asks_facebook_again_for_declined_permissions() {
    let w = World::new();
    let login = |q: &str| w.call(HttpRequest::new("GET", &format!("{WORKER}/auth/login?{q}")));
    let r = login("product=facebook&rerequest=1");
    assert_eq!(r.status, 302, "{}", String::from_utf8_lossy(&r.body));
    let location = r.header("location").unwrap().to_owned();
    assert_eq!(query(&location, "auth_type").as_deref(), Some("rerequest"));
    let r = login("product=facebook");
    assert_eq!(query(r.header("location").unwrap(), "auth_type"), None);
    for bad in [
        "product=instagram&rerequest=1",
        "product=facebook&rerequest=yes",
    ] {
        let r = login(bad);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.header("location").is_none());
    }
}

/// An Instagram Login started in a browser and allowed at Meta: (code,
/// state, login cookie) for the callback.
fn instagram_login_up_to_the_callback(w: &World) -> (String, String, String) {
    let (state, cookie, _) = w.start_login("instagram");
    let code =
        w.meta
            .borrow_mut()
            .issue_code("instagram", "https://worker.example/auth/callback", None);
    (code, state, cookie)
}

/// A KV where every operation takes one round trip: it waits one poll, and
/// the operations in flight together share a round. `rounds` lists each
/// round's operations as `"op prefix"` (e.g. `"put due"`), in order, so a
/// test sees which KV calls wait for each other.
struct RoundStore<'a> {
    inner: &'a instagate::service::memory_store::MemoryStore,
    in_flight: std::cell::Cell<usize>,
    rounds: std::cell::RefCell<Vec<Vec<String>>>,
}

impl<'a> RoundStore<'a> {
    fn new(inner: &'a instagate::service::memory_store::MemoryStore) -> RoundStore<'a> {
        RoundStore {
            inner,
            in_flight: Default::default(),
            rounds: Default::default(),
        }
    }

    async fn round_trip(&self, op: &str, key: &str) {
        if self.in_flight.get() == 0 {
            self.rounds.borrow_mut().push(Vec::new());
        }
        let prefix = key.split(':').next().unwrap_or(key);
        if let Some(round) = self.rounds.borrow_mut().last_mut() {
            round.push(format!("{op} {prefix}"));
        }
        self.in_flight.set(self.in_flight.get() + 1);
        let mut waited = false;
        std::future::poll_fn(|_| {
            if waited {
                std::task::Poll::Ready(())
            } else {
                waited = true;
                std::task::Poll::Pending
            }
        })
        .await;
        self.in_flight.set(self.in_flight.get() - 1);
    }

    /// The rounds, each sorted (the order within a round does not matter).
    fn rounds(&self) -> Vec<Vec<String>> {
        let mut rounds = self.rounds.borrow().clone();
        for r in &mut rounds {
            r.sort();
        }
        rounds
    }
}

impl instagate::service::store::KvStore for RoundStore<'_> {
    async fn get(&self, key: &str) -> Result<Option<String>, instagate::service::error::ApiError> {
        self.round_trip("get", key).await;
        self.inner.get(key).await
    }

    async fn put(
        &self,
        key: &str,
        value: &str,
        ttl: Option<std::time::Duration>,
    ) -> Result<(), instagate::service::error::ApiError> {
        self.round_trip("put", key).await;
        self.inner.put(key, value, ttl).await
    }

    async fn delete(&self, key: &str) -> Result<(), instagate::service::error::ApiError> {
        self.round_trip("delete", key).await;
        self.inner.delete(key).await
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<instagate::service::store::ListPage, instagate::service::error::ApiError> {
        self.round_trip("list", prefix).await;
        self.inner.list(prefix, cursor, limit).await
    }
}

/// A callback through `store` (each KV operation one round trip).
fn callback_through(
    w: &World,
    store: &RoundStore,
    code: &str,
    state: &str,
    cookie: &str,
) -> instagate::service::http::HttpResponse {
    let service = instagate::service::Service::new(&w.config, store, &*w.transport, &w.log);
    let req = HttpRequest::new(
        "GET",
        &format!("{WORKER}/auth/callback?code={code}&state={state}"),
    )
    .with_header("cookie", cookie);
    let r = instagate::core::testing::block_on(service.handle(req));
    assert_eq!(r.status, 302);
    assert!(r.header("location").unwrap().contains("connected="));
    r
}

#[test]
fn the_callback_waits_for_four_kv_round_trips_three_when_the_index_entry_stays() {
    let w = World::new();
    let (code, state, cookie) = instagram_login_up_to_the_callback(&w);
    let store = RoundStore::new(&w.store);
    callback_through(&w, &store, &code, &state, &cookie);
    // The used-state check is needed before the exchange (the pending login
    // itself is in the cookie); the state is marked used alongside the
    // exchange (with Meta answering at once here, it overlaps the record
    // read that follows); the alias does not depend on the existing record,
    // so it is written alongside its read; the index entry once that read
    // says it moved; the record, which points at both, last.
    assert_eq!(
        store.rounds(),
        vec![
            vec!["get state".to_owned()],
            vec![
                "get token".to_owned(),
                "put alias".to_owned(),
                "put state".to_owned()
            ],
            vec!["put due".to_owned()],
            vec!["put token".to_owned()],
        ]
    );
    let used = format!("state:{state}");
    assert_eq!(
        w.store.peek(&used).as_deref(),
        Some("used"),
        "the state is used up"
    );
    assert_eq!(w.store.keys("due:").len(), 1);
    assert_eq!(w.store.keys("alias:").len(), 1);
    // Logging in again the same day keeps the index entry: no write for it.
    let (code, state, cookie) = instagram_login_up_to_the_callback(&w);
    let store = RoundStore::new(&w.store);
    callback_through(&w, &store, &code, &state, &cookie);
    assert_eq!(
        store.rounds(),
        vec![
            vec!["get state".to_owned()],
            vec![
                "get token".to_owned(),
                "put alias".to_owned(),
                "put state".to_owned()
            ],
            vec!["put token".to_owned()],
        ]
    );
}

#[test]
fn a_facebook_login_stores_its_accounts_together_not_one_after_another() {
    let w = World::new();
    w.grant_three_facebook_accounts();
    let (state, cookie, location) = w.start_login("facebook");
    let code = w.meta.borrow_mut().issue_code(
        "facebook",
        "https://worker.example/auth/callback",
        query(&location, "code_challenge"),
    );
    let store = RoundStore::new(&w.store);
    let r = callback_through(&w, &store, &code, &state, &cookie);
    assert_eq!(
        query(r.header("location").unwrap(), "connected").unwrap(),
        THREE.join(",")
    );
    // Three accounts, and no more rounds than a one-account login: each
    // account's keys are its own, so nothing waits for another account
    // (one after another, it took three rounds per account).
    let rounds = store.rounds();
    assert!(rounds.len() <= 4, "{rounds:?}");
    let records = rounds.iter().flatten().filter(|op| *op == "put token");
    assert_eq!(records.count(), 3, "{rounds:?}");
    for account in THREE {
        assert!(record(&w, account).due_key.is_some());
    }
}

#[test]
fn a_login_that_moves_the_index_entry_drops_the_old_one_after_the_answer() {
    use instagate::service::http::Background;
    let w = World::new();
    w.connect("instagram");
    let old = w.store.keys("due:");
    assert_eq!(old.len(), 1);
    // A new login two days later expires two days later: a new index day.
    w.advance(2 * DAY);
    let (code, state, cookie) = instagram_login_up_to_the_callback(&w);
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(r.status, 302);
    // (and wakes the account's object, for its refresh alarm).
    assert_eq!(
        r.background,
        vec![
            Background::DropIndexEntry(old[0].clone()),
            Background::Wake {
                account: IG_USER.to_owned(),
                due_at: record(&w, IG_USER).due_at(&w.config),
                connected_at: Some(record(&w, IG_USER).last_login()),
            }
        ]
    );
    // The wake carries this login's time, not the first connection's (the
    // object compares it with a deletion tombstone).
    let stored = record(&w, IG_USER);
    assert!(
        stored.last_login() >= stored.connected_at.plus(2 * DAY),
        "{stored:?}"
    );
    // The answer did not wait for the delete; the record already points at
    // the new entry, so the old one is only stale until the task runs.
    let both = w.store.keys("due:");
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(
        record(&w, IG_USER).due_key.as_deref(),
        both.iter().find(|k| **k != old[0]).map(String::as_str)
    );
    for task in r.background {
        instagate::core::testing::block_on(w.service().run_background(task));
    }
    let after = w.store.keys("due:");
    assert_eq!(after.len(), 1);
    assert_ne!(after[0], old[0]);
}

/// A throttled code exchange was refused before Meta read the code (the
/// code "can only be used once" — Business Login for Instagram — and it
/// was not used), so the Worker's answer invites a retry and keeps the
/// login state for it; a failure after the code was exchanged, or one
/// that comes after the state's 10 minutes, does neither.
#[test]
fn a_throttled_single_page_exchange_can_be_retried_with_the_same_code() {
    use instagate::core::http::Response;
    let w = World::new();
    let verifier = "v".repeat(43) + "-verifier";
    // Registers a login with `state`, waits `wait`, then exchanges its code
    // with Meta throttling the call to `throttled`: (answer, code).
    let throttled_exchange = |state: &str, wait: u64, throttled: &str| {
        assert_eq!(spa_register(&w, state, &verifier, "instagram").status, 201);
        let code =
            w.meta
                .borrow_mut()
                .issue_code("instagram", "https://app.example/callback", None);
        w.advance(std::time::Duration::from_secs(wait));
        w.meta.borrow_mut().fail_next(
            throttled,
            Ok(Response::new(429, "").with_header("Retry-After", "30")),
        );
        let r = spa_exchange(&w, APP, &code, state, &verifier);
        assert_eq!(r.status, 429, "{:?}", r.json_body());
        (r.json_body()["error"].clone(), code)
    };

    let state = "r".repeat(43);
    let (error, code) = throttled_exchange(&state, 0, "api.instagram.com/oauth/access_token");
    assert_eq!(error["retryable"], true);
    let r = spa_exchange(&w, APP, &code, &state, &verifier);
    assert_eq!(r.status, 200, "the retry works: {:?}", r.json_body());
    assert_eq!(r.json_body()["account"]["id"], IG_USER);
    assert_eq!(
        spa_exchange(&w, APP, &code, &state, &verifier).status,
        400,
        "then spent"
    );

    // After the code was exchanged: not retryable, the state is gone.
    let (error, _) = throttled_exchange(&"q".repeat(43), 0, "graph.instagram.com/access_token");
    assert_eq!(error["retryable"], false, "{error:?}");
    assert!(
        w.store.keys("state:").is_empty(),
        "nothing kept for a retry that cannot work"
    );

    // Throttled with under a minute of the login left: KV cannot keep it
    // that briefly, so the answer says to start again.
    let (error, _) =
        throttled_exchange(&"p".repeat(43), 570, "api.instagram.com/oauth/access_token");
    assert_eq!(error["retryable"], false);
    assert!(error["message"].as_str().unwrap().contains("start again"));
}

/// The account cannot be stored after Meta exchanged the code: the code is
/// spent, so the 503 does not invite a retry with it, and the login state
/// is not kept for one.
#[test]
fn a_storage_failure_after_the_exchange_says_to_start_again() {
    use instagate::service::store::KvOp;
    let w = World::new();
    let verifier = "v".repeat(43) + "-verifier";
    let state = "w".repeat(43);
    assert_eq!(spa_register(&w, &state, &verifier, "instagram").status, 201);
    let code = w
        .meta
        .borrow_mut()
        .issue_code("instagram", "https://app.example/callback", None);
    w.store.fail_when(Some(Box::new(|op, key| {
        op == KvOp::Put && key.starts_with("token:")
    })));
    let r = spa_exchange(&w, APP, &code, &state, &verifier);
    assert_eq!(r.status, 503);
    let error = &r.json_body()["error"];
    assert_eq!(error["kind"], "storage");
    assert_eq!(error["retryable"], false, "{error:?}");
    assert_eq!(r.header("retry-after"), None);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("start the login again"));
    assert!(w.store.keys("state:").is_empty());
}

#[test]
fn a_reconnection_drops_the_aliases_it_no_longer_has_after_the_answer() {
    use instagate::service::http::Background;
    let w = World::new();
    w.connect("instagram");
    // The stored record names one more alias than Meta will report now.
    let accounts = instagate::service::accounts::Accounts {
        store: &w.store,
        transport: &*w.transport,
        config: &w.config,
    };
    let mut previous = record(&w, IG_USER);
    previous.aliases.push("777".to_owned());
    instagate::core::testing::block_on(accounts.save(&mut previous)).unwrap();
    let stale = format!("alias:777:{IG_USER}");
    w.store.seed(&stale, "1");
    w.advance(DAY);
    let (code, state, cookie) = instagram_login_up_to_the_callback(&w);
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(r.status, 302);
    assert!(!record(&w, IG_USER).aliases.contains(&"777".to_owned()));
    // The redirect did not wait for the delete: a stale alias deletes
    // nothing (deletion goes by the records), so it can wait.
    assert!(r
        .background
        .contains(&Background::DropAliasEntry(stale.clone())));
    assert!(w.store.peek(&stale).is_some());
    for task in r.background {
        instagate::core::testing::block_on(w.service().run_background(task));
    }
    assert!(w.store.peek(&stale).is_none());
    let aliases = w.store.keys("alias:");
    assert_eq!(aliases.len(), 1, "{aliases:?}");
}
