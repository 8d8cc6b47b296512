//! The HTTP API's protection and plumbing: sessions vs API key, another
//! account's session, CSRF on cookie writes, deletion, listing, limits,
//! unknown routes, health, CORS and misconfiguration.

mod service_common;

use instagate::service::http::HttpRequest;
use instagate::service::memory_log::MemoryLog;
use service_common::*;

#[test]
fn the_api_needs_a_session_or_the_api_key() {
    let w = World::new();
    let (ig, ig_session) = w.connect("instagram");
    let url = format!("{WORKER}/api/accounts/{ig}");

    let r = w.call(HttpRequest::new("GET", &url));
    assert_eq!(r.status, 401);
    assert_eq!(r.json_body()["error"]["kind"], "unauthorized");
    for bad in [
        "Bearer wrong-key",
        "Basic abc",
        "Bearer ",
        &format!("Bearer {API_KEY}x"),
    ] {
        let r = w.call(HttpRequest::new("GET", &url).with_header("authorization", bad));
        assert_eq!(r.status, 401, "{bad}");
    }
    // A wrong bearer is not rescued by a valid cookie.
    let r = w.call(
        HttpRequest::new("GET", &url)
            .with_header("authorization", "Bearer nope")
            .with_header("cookie", &ig_session),
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        w.call(w.api("GET", &format!("/api/accounts/{ig}"))).status,
        200
    );
    assert_eq!(
        w.call(HttpRequest::new("GET", &url).with_header("cookie", &ig_session))
            .status,
        200
    );
    // A tampered session cookie.
    let tampered = ig_session.replacen('.', "x.", 1);
    assert_eq!(
        w.call(HttpRequest::new("GET", &url).with_header("cookie", &tampered))
            .status,
        401
    );
}

#[test]
fn another_accounts_session_cannot_reach_an_account() {
    let w = World::new();
    let (ig, ig_session) = w.connect("instagram");
    // Another browser connects the Facebook-linked account.
    let (fb, fb_session) = w.connect("facebook");
    for (method, path) in [
        ("GET", format!("/api/accounts/{ig}")),
        ("POST", format!("/api/accounts/{ig}/refresh")),
        ("DELETE", format!("/api/accounts/{ig}")),
        ("POST", format!("/api/accounts/{ig}/publish")),
        ("GET", format!("/api/accounts/{ig}/quota")),
    ] {
        let r = w.call(
            HttpRequest::new(method, &format!("{WORKER}{path}"))
                .with_header("cookie", &fb_session)
                .with_header("origin", WORKER)
                .with_json(
                    &serde_json::json!({"kind": "image", "image_url": "https://cdn.example/a.jpg"}),
                ),
        );
        assert_eq!(r.status, 404, "{method} {path}");
        // The same answer as for an account that does not exist.
        let missing = w.call(
            HttpRequest::new(
                method,
                &format!("{WORKER}{}", path.replace(&ig, "17841499999999999")),
            )
            .with_header("cookie", &fb_session)
            .with_header("origin", WORKER),
        );
        assert_eq!(missing.status, 404);
    }
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts"))
            .with_header("cookie", &fb_session),
    );
    let ids: Vec<_> = r.json_body()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![fb.clone()]);
    assert!(record(&w, &ig).id == ig, "untouched");
    let _ = ig_session;
}

#[test]
fn one_browser_can_connect_several_accounts() {
    let w = World::new();
    let (ig, session) = w.connect("instagram");
    let (state, cookie, location) = w.start_login("facebook");
    let code = w.meta.borrow_mut().issue_code(
        "facebook",
        "https://worker.example/auth/callback",
        query(&location, "code_challenge"),
    );
    let r = w.callback(&code, &state, Some(&format!("{cookie}; {session}")));
    let both = cookie_pair(&r, "__Host-instagate_session").unwrap();
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts")).with_header("cookie", &both),
    );
    let ids: Vec<_> = r.json_body()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![FB_IG.to_owned(), ig]);
}

#[test]
fn cookie_writes_need_the_workers_own_or_an_allowed_origin() {
    let w = World::new();
    let (ig, session) = w.connect("instagram");
    let req = |origin: Option<&str>| {
        let r = HttpRequest::new("DELETE", &format!("{WORKER}/api/accounts/{ig}"))
            .with_header("cookie", &session);
        match origin {
            Some(o) => r.with_header("origin", o),
            None => r,
        }
    };
    assert_eq!(w.call(req(None)).status, 403);
    assert_eq!(w.call(req(Some("https://evil.example"))).status, 403);
    assert!(w.store.peek(&format!("token:{ig}")).is_some());
    let r = w.call(req(Some(APP)));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    // The session forgets the account.
    assert!(r
        .header_all("set-cookie")
        .iter()
        .any(|c| c.starts_with("__Host-instagate_session=;")));
}

#[test]
fn deleting_an_account_removes_everything_about_it() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    assert!(!w.store.keys("alias:").is_empty());
    let r = w.call(w.api("DELETE", &format!("/api/accounts/{ig}")));
    assert_eq!(r.status, 200);
    assert_eq!(r.json_body()["deleted"], ig);
    assert!(w.store.keys("token:").is_empty());
    assert!(w.store.keys("due:").is_empty());
    assert!(w.store.keys("alias:").is_empty());
    assert_eq!(
        w.call(w.api("DELETE", &format!("/api/accounts/{ig}")))
            .status,
        404
    );
    assert_eq!(
        w.call(w.api("GET", &format!("/api/accounts/{ig}"))).status,
        404
    );
}

#[test]
fn listing_pages_with_the_api_key() {
    let w = World::new();
    for n in 0..5u64 {
        seed_instagram_account(&w, &format!("1784140000000{n:04}"), START);
    }
    let r = w.call(w.api("GET", "/api/accounts?limit=2"));
    assert_eq!(r.status, 200);
    let body = r.json_body();
    assert_eq!(body["accounts"].as_array().unwrap().len(), 2);
    let cursor = body["cursor"].as_str().unwrap().to_owned();
    let r = w.call(w.api("GET", &format!("/api/accounts?limit=10&cursor={cursor}")));
    assert_eq!(r.json_body()["accounts"].as_array().unwrap().len(), 3);
    assert!(r.json_body()["cursor"].is_null());
    assert_eq!(
        w.call(w.api("GET", "/api/accounts?limit=0")).json_body()["error"]["field"],
        "limit"
    );
    let text = String::from_utf8(w.call(w.api("GET", "/api/accounts")).body).unwrap();
    for token in w.issued_tokens() {
        assert!(!text.contains(&token));
    }
}

#[test]
fn plumbing_health_limits_unknown_routes_and_methods() {
    let w = World::new();
    let r = w.call(HttpRequest::new("GET", &format!("{WORKER}/health")));
    assert_eq!(r.status, 200);
    assert_eq!(r.json_body()["status"], "ok");
    let r = w.call(HttpRequest::new("GET", &format!("{WORKER}/nope")));
    assert_eq!(r.status, 404);
    assert_eq!(r.json_body()["error"]["kind"], "not_found");
    let r = w.call(HttpRequest::new("PUT", &format!("{WORKER}/api/accounts")));
    assert_eq!(r.status, 405);
    let r = w.call(
        w.api("POST", "/api/accounts/1/publish")
            .with_body(vec![b'a'; 70 * 1024]),
    );
    assert_eq!(r.status, 413);
    assert_eq!(r.json_body()["error"]["kind"], "payload_too_large");
    let r = w.call(
        HttpRequest::new("POST", &format!("{WORKER}/auth/exchange"))
            .with_header("origin", APP)
            .with_header("content-type", "text/plain")
            .with_body("x"),
    );
    assert_eq!(r.json_body()["error"]["field"], "content-type");
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts"))
            .with_header("cookie", &format!("x={}", "a".repeat(40 * 1024))),
    );
    assert_eq!(r.status, 431);
    assert_eq!(r.json_body()["error"]["kind"], "headers_too_large");
    // One log line per request, with the route pattern and no IDs in it.
    let lines = w.log.records();
    assert_eq!(lines.len(), 6);
    assert!(lines
        .iter()
        .all(|l| l["event"] == "request" && l["duration_ms"].is_u64()));
    assert_eq!(lines[3]["route"], "/api/accounts/{id}/publish");
    assert_eq!(lines[3]["status"], 413);
    assert_eq!(lines[3]["error_kind"], "payload_too_large");
}

#[test]
fn a_bad_setting_answers_a_generic_500_and_logs_which_one_without_its_value() {
    // A key pasted the wrong way round (base64key:id): its id is key material.
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    for (tokens, leaked) in [("k1:tooshort", "tooshort"), (&*format!("{key}:k1"), key)] {
        let m = env(&[("TOKEN_KEYS", tokens)]);
        let error =
            instagate::service::config::ServiceConfig::from_env(|k| m.get(k).cloned()).unwrap_err();
        let log = MemoryLog::default();
        let req = HttpRequest::new("GET", &format!("{WORKER}/api/accounts"));
        let r = instagate::service::misconfigured(&error, &req, &log, START);
        assert_eq!(r.status, 500);
        let body = r.json_body();
        assert_eq!(body["error"]["kind"], "config");
        // Anonymous callers learn nothing about the settings.
        assert_eq!(body["error"].get("field"), None, "{body}");
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            !text.contains("TOKEN_KEYS") && !text.contains(leaked),
            "{text}"
        );
        // The operator's log names the setting and says what is wrong.
        let lines = log.records();
        let detail = lines.iter().find(|l| l["event"] == "config_error").unwrap();
        assert_eq!(detail["error_field"], "TOKEN_KEYS");
        assert!(detail["message"].as_str().unwrap().len() > 10);
        let request = lines.iter().find(|l| l["event"] == "request").unwrap();
        assert_eq!(request["error_field"], "TOKEN_KEYS");
        assert_eq!(request["status"], 500);
        assert!(!log.lines().concat().contains(leaked), "{:?}", log.lines());
    }
}
