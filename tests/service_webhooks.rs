//! Requests from Meta: webhook verification and signed events, and the
//! deauthorize / data-deletion `signed_request` callbacks.

mod service_common;

use instagate::service::crypto::{b64url, hmac_sha256};
use instagate::service::http::HttpRequest;
use service_common::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn signed_request(secret: &str, user_id: &str, algorithm: &str) -> String {
    let payload = b64url(format!(r#"{{"algorithm":"{algorithm}","expires":0,"issued_at":1795000000,"user_id":"{user_id}"}}"#).as_bytes());
    let sig = b64url(&hmac_sha256(secret.as_bytes(), payload.as_bytes()));
    format!("{sig}.{payload}")
}

fn form_post(path: &str, signed: &str) -> HttpRequest {
    HttpRequest::new("POST", &format!("{WORKER}{path}"))
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(format!("signed_request={signed}"))
}

#[test]
fn webhook_verification_challenge() {
    let w = World::new();
    let ok = w.call(HttpRequest::new("GET", &format!("{WORKER}/webhooks/instagram?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me")));
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, b"1158201444");
    let bad = w.call(HttpRequest::new(
        "GET",
        &format!(
            "{WORKER}/webhooks/instagram?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope"
        ),
    ));
    assert_eq!(bad.status, 403);
    assert_ne!(bad.body, b"1");
    let bad = w.call(HttpRequest::new("GET", &format!("{WORKER}/webhooks/instagram?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me")));
    assert_eq!(bad.status, 400);
    let off = World::with_config(config(&[("WEBHOOK_VERIFY_TOKEN", "")]));
    let r = off.call(HttpRequest::new(
        "GET",
        &format!(
            "{WORKER}/webhooks/instagram?hub.mode=subscribe&hub.challenge=1&hub.verify_token="
        ),
    ));
    assert_eq!(r.status, 403);
}

#[test]
fn webhook_events_need_the_signature_of_the_raw_body() {
    let w = World::new();
    let body = br#"{"object":"instagram","entry":[{"id":"17841400000000001","time":1795000000,"changes":[{"field":"comments","value":{"id":"1","text":"hi"}}]}]}"#;
    let post = |sig: Option<String>, body: &[u8]| {
        let mut r = HttpRequest::new("POST", &format!("{WORKER}/webhooks/instagram"))
            .with_header("content-type", "application/json")
            .with_body(body.to_vec());
        if let Some(s) = sig {
            r = r.with_header("x-hub-signature-256", &s);
        }
        w.call(r)
    };
    let good = format!("sha256={}", hex(&hmac_sha256(SECRET.as_bytes(), body)));
    let r = post(Some(good.clone()), body);
    assert_eq!(r.status, 200);
    assert_eq!(r.json_body()["received"], 1);
    let webhook_lines = || {
        w.log
            .records()
            .into_iter()
            .filter(|l| l["event"] == "webhook")
            .count()
    };
    assert_eq!(webhook_lines(), 1);

    assert_eq!(post(None, body).status, 401);
    assert_eq!(
        post(
            Some(format!("sha256={}", hex(&hmac_sha256(b"other", body)))),
            body
        )
        .status,
        401
    );
    assert_eq!(
        post(Some(good.replace("sha256=", "sha1=")), body).status,
        401
    );
    // The same signature over a changed body.
    let mut changed = body.to_vec();
    changed[30] ^= 1;
    assert_eq!(post(Some(good), &changed).status, 401);
    assert_eq!(webhook_lines(), 1, "nothing processed for a bad signature");
}

#[test]
fn deauthorize_deletes_the_account_named_by_a_valid_signed_request() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    // Forged or wrong: 401 and nothing deleted.
    for signed in [
        signed_request("not-the-secret", IG_SCOPED, "HMAC-SHA256"),
        signed_request(SECRET, IG_SCOPED, "none"),
        "garbage".to_owned(),
    ] {
        let r = w.call(form_post("/auth/deauthorize", &signed));
        assert_eq!(r.status, 401, "{signed}");
    }
    assert_eq!(
        w.call(HttpRequest::new(
            "POST",
            &format!("{WORKER}/auth/deauthorize")
        ))
        .status,
        401
    );
    assert!(w.store.peek(&format!("token:{ig}")).is_some());

    // Instagram Login names the app-scoped user: found through the alias.
    let r = w.call(form_post(
        "/auth/deauthorize",
        &signed_request(SECRET, IG_SCOPED, "HMAC-SHA256"),
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.json_body()["deleted_accounts"], 1);
    assert!(w.store.keys("token:").is_empty());
    assert!(w.store.keys("due:").is_empty());
    assert!(w.store.keys("alias:").is_empty());
}

#[test]
fn data_deletion_answers_a_status_url_that_works() {
    let w = World::new();
    let (fb_ig, _) = w.connect("facebook");
    // Facebook Login names the app-scoped Facebook user.
    let r = w.call(form_post(
        "/auth/data-deletion",
        &signed_request(SECRET, FB_USER, "HMAC-SHA256"),
    ));
    assert_eq!(r.status, 200);
    let body = r.json_body();
    let code = body["confirmation_code"].as_str().unwrap().to_owned();
    let url = body["url"].as_str().unwrap().to_owned();
    assert_eq!(
        url,
        format!("{WORKER}/auth/data-deletion/status?code={code}")
    );
    assert!(w.store.peek(&format!("token:{fb_ig}")).is_none());

    let r = w.call(HttpRequest::new("GET", &url));
    assert_eq!(r.status, 200);
    assert_eq!(r.json_body()["status"], "completed");
    assert_eq!(r.json_body()["accounts_deleted"], 1);
    let page = w.call(HttpRequest::new("GET", &url).with_header("accept", "text/html"));
    assert!(String::from_utf8(page.body).unwrap().contains(&code));
    assert_eq!(
        w.call(HttpRequest::new(
            "GET",
            &format!("{WORKER}/auth/data-deletion/status?code=unknown123")
        ))
        .status,
        404
    );
    assert_eq!(
        w.call(HttpRequest::new(
            "GET",
            &format!("{WORKER}/auth/data-deletion/status?code=../x")
        ))
        .status,
        400
    );

    // A request for someone with no data still gets a confirmation.
    let r = w.call(form_post(
        "/auth/data-deletion",
        &signed_request(SECRET, "123456", "HMAC-SHA256"),
    ));
    assert_eq!(r.status, 200);
    assert_eq!(
        w.call(HttpRequest::new(
            "GET",
            r.json_body()["url"].as_str().unwrap()
        ))
        .json_body()["accounts_deleted"],
        0
    );
    // Forged: nothing recorded.
    let before = w.store.keys("deletion:").len();
    assert_eq!(
        w.call(form_post(
            "/auth/data-deletion",
            &signed_request("x", FB_USER, "HMAC-SHA256")
        ))
        .status,
        401
    );
    assert_eq!(w.store.keys("deletion:").len(), before);
}

#[test]
fn deauthorizing_a_facebook_user_removes_every_account_their_login_connected() {
    for path in ["/auth/deauthorize", "/auth/data-deletion"] {
        let w = World::new();
        w.grant_three_facebook_accounts();
        let (connected, _) = w.connect("facebook");
        assert_eq!(connected.split(',').count(), 3);
        // An Instagram Login account of someone else stays.
        let (other, _) = w.connect("instagram");
        let r = w.call(form_post(
            path,
            &signed_request(SECRET, FB_USER, "HMAC-SHA256"),
        ));
        assert_eq!(r.status, 200, "{path}: {:?}", r.json_body());
        assert_eq!(
            w.store.keys("token:"),
            vec![format!("token:{other}")],
            "{path}"
        );
        assert!(
            w.store.keys(&format!("alias:{FB_USER}:")).is_empty(),
            "{path}"
        );
        assert!(
            w.store.keys("due:").iter().all(|k| k.ends_with(&other)),
            "{path}: {:?}",
            w.store.keys("due:")
        );
    }
}
