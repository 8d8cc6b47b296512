//! Browser sessions can be revoked: a cookie names, per account, the Meta
//! user who connected it and when the browser was let in, and is refused
//! once the account was deleted (and connected again), reconnected by
//! another Meta user, or logged out everywhere.

mod service_common;

use std::time::Duration;

use instagate::service::cookies::{CookieSigner, SESSION_COOKIE, SESSION_PURPOSE};
use instagate::service::http::{HttpRequest, HttpResponse};
use serde_json::json;
use service_common::*;

fn get_account(w: &World, session: &str, id: &str) -> HttpResponse {
    w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts/{id}"))
            .with_header("cookie", session),
    )
}

fn listed(w: &World, session: &str) -> usize {
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts")).with_header("cookie", session),
    );
    r.json_body()["accounts"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_deleted_account_s_old_cookies_stay_dead_after_it_is_connected_again() {
    let w = World::new();
    let (ig, old_session) = w.connect("instagram");
    assert_eq!(get_account(&w, &old_session, &ig).status, 200);
    w.advance(Duration::from_secs(60));
    assert_eq!(
        w.call(w.api("DELETE", &format!("/api/accounts/{ig}")))
            .status,
        200
    );
    w.advance(Duration::from_secs(60));
    // Connected again, from another browser.
    let (_, new_session) = w.connect("instagram");
    assert_eq!(get_account(&w, &new_session, &ig).status, 200);
    assert_eq!(get_account(&w, &old_session, &ig).status, 404);
    assert_eq!(listed(&w, &old_session), 0);
    assert_eq!(listed(&w, &new_session), 1);
}

#[test]
fn a_reconnection_by_another_meta_user_revokes_older_sessions_and_one_by_the_same_user_does_not() {
    let w = World::new();
    w.meta.borrow_mut().facebook_user = Some(FB_USER.into());
    let (ig, first) = w.connect("facebook");
    w.advance(Duration::from_secs(60));
    let (_, again) = w.connect("facebook");
    assert_eq!(
        get_account(&w, &first, &ig).status,
        200,
        "same Meta user: still in"
    );
    assert_eq!(get_account(&w, &again, &ig).status, 200);

    w.advance(Duration::from_secs(60));
    w.meta.borrow_mut().facebook_user = Some("10000000000000002".into());
    let (_, other) = w.connect("facebook");
    assert_eq!(get_account(&w, &other, &ig).status, 200);
    for old in [&first, &again] {
        assert_eq!(get_account(&w, old, &ig).status, 404);
        let publish = w.call(
            HttpRequest::new("POST", &format!("{WORKER}/api/accounts/{ig}/publish"))
                .with_header("cookie", old)
                .with_header("origin", WORKER)
                .with_json(&json!({"kind": "image", "image_url": "https://cdn.example/a.jpg"})),
        );
        assert_eq!(publish.status, 404);
        let delete = w.call(
            HttpRequest::new("DELETE", &format!("{WORKER}/api/accounts/{ig}"))
                .with_header("cookie", old)
                .with_header("origin", WORKER),
        );
        assert_eq!(delete.status, 404);
    }
    assert!(w.store.peek(&format!("token:{ig}")).is_some());
}

#[test]
fn log_out_everywhere_refuses_every_session_until_the_next_login() {
    let w = World::new();
    let (ig, first) = w.connect("instagram");
    let (_, second) = w.connect("instagram");
    // A cookie-authenticated write needs an Origin.
    let logout = |session: &str, origin: Option<&str>| {
        let mut req = HttpRequest::new("DELETE", &format!("{WORKER}/api/accounts/{ig}/sessions"))
            .with_header("cookie", session);
        if let Some(o) = origin {
            req = req.with_header("origin", o);
        }
        w.call(req)
    };
    assert_eq!(logout(&first, None).status, 403);
    let r = logout(&first, Some(WORKER));
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert!(r
        .header_all("set-cookie")
        .iter()
        .any(|c| c.starts_with(&format!("{SESSION_COOKIE}=;"))));
    for session in [&first, &second] {
        assert_eq!(get_account(&w, session, &ig).status, 404);
    }
    w.advance(Duration::from_secs(1));
    let (_, fresh) = w.connect("instagram");
    assert_eq!(get_account(&w, &fresh, &ig).status, 200);
    // The API key may do it too.
    assert_eq!(
        w.call(w.api("DELETE", &format!("/api/accounts/{ig}/sessions")))
            .status,
        200
    );
    assert_eq!(get_account(&w, &fresh, &ig).status, 404);
}

#[test]
fn a_cookie_of_the_former_shape_without_user_and_time_is_refused() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let old = CookieSigner::new(b"0123456789abcdef0123456789abcdef-session").sign(
        SESSION_PURPOSE,
        &json!({ "accounts": [ig] }),
        w.now().plus(Duration::from_secs(3600)),
    );
    let r = get_account(&w, &format!("{SESSION_COOKIE}={old}"), &ig);
    assert_eq!(r.status, 401);
}
