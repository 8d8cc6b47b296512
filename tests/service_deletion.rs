//! Deleting data, natively: a deletion removes exactly the requester's data
//! (not an account someone else reconnected since), the token goes first
//! and jobs are finished by the cron when one invocation cannot do them
//! all, a data-deletion request says "pending" until nothing is left, and a
//! replayed `signed_request` deletes nothing.
//! Meta's callbacks: <https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback/>

mod service_common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use instagate::core::testing::block_on;
use instagate::service::crypto::{b64url, hmac_sha256};
use instagate::service::http::{HttpRequest, HttpResponse};
use serde_json::json;
use service_common::*;

fn signed_request_at(user_id: &str, issued_at_secs: u64) -> String {
    signed_request_issued(SECRET, user_id, "HMAC-SHA256", issued_at_secs)
}

fn callback(w: &World, path: &str, user_id: &str) -> HttpResponse {
    let signed = signed_request_at(user_id, w.now().as_millis() / 1000);
    post_signed(w, path, &signed)
}

fn post_signed(w: &World, path: &str, signed: &str) -> HttpResponse {
    w.call(
        HttpRequest::new("POST", &format!("{WORKER}{path}"))
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(format!("signed_request={signed}")),
    )
}

/// Connects the Facebook Login test account as Facebook user `user`.
fn connect_as(w: &World, user: &str) -> (String, String) {
    w.meta.borrow_mut().facebook_user = Some(user.to_owned());
    w.connect("facebook")
}

const OTHER_FB_USER: &str = "10000000000000002";

#[test]
fn a_deauthorize_from_the_previous_connector_leaves_the_account_its_new_owner_connected() {
    let w = World::new();
    let (ig, _) = connect_as(&w, FB_USER);
    assert_eq!(ig, FB_IG);
    // Another admin of the Page reconnects the same Instagram account.
    connect_as(&w, OTHER_FB_USER);
    assert_eq!(record(&w, FB_IG).aliases, [OTHER_FB_USER]);
    // The previous connector's alias is dropped after the reconnection's
    // answer (`Background::DropAliasEntry`, which `World::call` leaves
    // undone), because a stale alias deletes nothing:
    assert_eq!(
        w.store.keys(&format!("alias:{FB_USER}:")),
        [format!("alias:{FB_USER}:{FB_IG}")],
    );

    let r = callback(&w, "/auth/deauthorize", FB_USER);
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert_eq!(r.json_body()["deleted_accounts"], 0);
    assert!(
        w.store.peek(&format!("token:{FB_IG}")).is_some(),
        "the new owner's account stays"
    );
    assert!(
        w.store.keys(&format!("alias:{FB_USER}:")).is_empty(),
        "the requester's own alias key is gone, so a later request deletes nothing either"
    );
    assert_eq!(w.store.keys(&format!("alias:{OTHER_FB_USER}:")).len(), 1);

    let r = callback(&w, "/auth/deauthorize", OTHER_FB_USER);
    assert_eq!(r.json_body()["deleted_accounts"], 1);
    assert!(w.store.keys("token:").is_empty());
    assert!(w.store.keys("alias:").is_empty());
    assert!(w.store.keys("due:").is_empty());
}

/// Seeds `n` publish jobs of `account` (as the Worker keys them).
fn seed_jobs(w: &World, account: &str, n: usize) {
    for i in 0..n {
        let job = format!("job{i:05}xxxxxxxx");
        w.store.seed(&format!("jobacct:{account}:{job}"), "1");
        w.store.seed(&format!("job:{job}"), "{}");
        w.store.seed(&format!("jobq:{job}"), "1");
    }
}

/// Makes the store fail like a Worker invocation past the free plan's
/// 1,000 KV operations; call again to start a new invocation.
fn invocation_limit(w: &World) {
    let ops = Rc::new(Cell::new(0u32));
    w.store.fail_when(Some(Box::new(move |_, _| {
        ops.set(ops.get() + 1);
        ops.get() > 1000
    })));
}

fn job_keys(w: &World) -> usize {
    ["jobacct:", "job:", "jobq:"]
        .iter()
        .map(|p| w.store.keys(p).len())
        .sum()
}

#[test]
fn deleting_an_account_with_many_jobs_under_listing_lag_removes_the_token_and_the_cron_finishes() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    seed_jobs(&w, &ig, 400);
    // KV lists deleted keys for a while: listing again from the start would
    // see the same keys until the invocation's KV limit throws.
    w.store.set_read_lag(Duration::from_secs(60));
    w.advance(Duration::from_secs(120));
    invocation_limit(&w);
    let r = w.call(w.api("DELETE", &format!("/api/accounts/{ig}")));
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert!(
        w.store.keys("token:").is_empty(),
        "the token is gone at once"
    );
    assert!(w.store.keys("alias:").is_empty());
    assert!(w.store.keys("due:").is_empty());
    assert_eq!(w.store.keys("purge:"), [format!("purge:{ig}")]);
    assert!(job_keys(&w) > 0, "more jobs than one request removes");

    for _ in 0..6 {
        w.advance(Duration::from_secs(3600));
        invocation_limit(&w);
        block_on(w.service().run_cron());
    }
    assert_eq!(job_keys(&w), 0);
    assert!(w.store.keys("purge:").is_empty());
}

#[test]
fn data_deletion_says_pending_until_the_cron_removed_the_last_job_then_completed() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    seed_jobs(&w, &ig, 400);
    let r = callback(&w, "/auth/data-deletion", IG_SCOPED);
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    let url = r.json_body()["url"].as_str().unwrap().to_owned();
    assert!(w.store.keys("token:").is_empty());
    let status = w.call(HttpRequest::new("GET", &url)).json_body();
    assert_eq!(status["status"], "pending", "{status}");
    assert_eq!(status["completed_at"], serde_json::Value::Null);
    assert_eq!(status["accounts_deleted"], 1);

    let mut runs = 0;
    while w.store.keys("purge:").len() == 1 {
        runs += 1;
        assert!(runs < 10, "the cron never finished");
        w.advance(Duration::from_secs(3600));
        let stats = block_on(w.service().run_cron());
        assert!(stats.purge.jobs_deleted > 0, "{stats:?}");
    }
    assert_eq!(job_keys(&w), 0);
    let status = w.call(HttpRequest::new("GET", &url)).json_body();
    assert_eq!(status["status"], "completed", "{status}");
    assert!(status["completed_at"].is_string());
}

#[test]
fn data_deletion_with_nothing_left_over_completes_at_once() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    seed_jobs(&w, &ig, 3);
    let r = callback(&w, "/auth/data-deletion", IG_SCOPED);
    let url = r.json_body()["url"].as_str().unwrap().to_owned();
    assert_eq!(
        w.call(HttpRequest::new("GET", &url)).json_body()["status"],
        "completed"
    );
    assert_eq!(job_keys(&w), 0);
    assert!(w.store.keys("purge:").is_empty());
}

#[test]
fn a_job_index_entry_lives_exactly_as_long_as_its_job() {
    let w = World::with_config(config(&[("PUBLISH_WAIT_MS", "0")]));
    let (ig, _) = w.connect("instagram");
    let r = w.call(
        w.api("POST", &format!("/api/accounts/{ig}/publish"))
            .with_json(&json!({"kind": "reel", "video_url": "https://cdn.example/r.mp4"})),
    );
    assert_eq!(r.status, 202, "{:?}", r.json_body());
    let job = r.json_body()["job"]["id"].as_str().unwrap().to_owned();
    let index = format!("jobacct:{ig}:{job}");
    assert_eq!(
        w.store.expiry(&format!("job:{job}")),
        None,
        "an unfinished job does not expire"
    );
    assert_eq!(w.store.expiry(&index), None, "nor does its index entry");
    for _ in 0..20 {
        w.advance(Duration::from_secs(2));
        let r = w.call(w.api("GET", &format!("/api/jobs/{job}")));
        if r.json_body()["job"]["status"] == "published" {
            break;
        }
    }
    let expiry = w.store.expiry(&format!("job:{job}"));
    assert!(expiry.is_some(), "the finished job expires");
    assert_eq!(w.store.expiry(&index), expiry);
}

#[test]
fn an_old_signed_request_is_refused_and_a_replay_deletes_nothing_again() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let now = w.now().as_millis() / 1000;
    for old in [now - 2 * 3600, now + 3600] {
        let r = post_signed(
            &w,
            "/auth/data-deletion",
            &signed_request_at(IG_SCOPED, old),
        );
        assert_eq!(r.status, 401, "issued_at {old}");
        let r = post_signed(&w, "/auth/deauthorize", &signed_request_at(IG_SCOPED, old));
        assert_eq!(r.status, 401);
    }
    // No issued_at at all.
    let payload = b64url(br#"{"algorithm":"HMAC-SHA256","user_id":"9000000000000001"}"#);
    let sig = b64url(&hmac_sha256(SECRET.as_bytes(), payload.as_bytes()));
    assert_eq!(
        post_signed(&w, "/auth/deauthorize", &format!("{sig}.{payload}")).status,
        401
    );
    assert!(
        w.store.peek(&format!("token:{ig}")).is_some(),
        "nothing deleted"
    );

    let signed = signed_request_at(IG_SCOPED, now);
    let first = post_signed(&w, "/auth/data-deletion", &signed);
    assert_eq!(first.status, 200);
    assert!(w.store.keys("token:").is_empty());
    // The person connects again; the same request replayed deletes nothing
    // and answers the same confirmation.
    w.advance(Duration::from_secs(60));
    w.connect("instagram");
    let again = post_signed(&w, "/auth/data-deletion", &signed);
    assert_eq!(again.status, 200);
    assert_eq!(
        again.json_body()["confirmation_code"],
        first.json_body()["confirmation_code"]
    );
    assert!(
        w.store.peek(&format!("token:{ig}")).is_some(),
        "the new connection stays"
    );
    assert_eq!(w.store.keys("deletion:").len(), 1);
}

/// Meta retries a callback that failed: whatever KV delete failed part-way,
/// the retry still finds the account through the requester's alias (it is
/// removed last) and leaves nothing of it.
#[test]
fn a_deauthorize_that_fails_part_way_is_finished_by_meta_s_retry() {
    for failing in ["due:", "alias:", "token:"] {
        let w = World::new();
        let (ig, _) = w.connect("instagram");
        let signed = signed_request_at(IG_SCOPED, w.now().as_millis() / 1000);
        w.store.fail_when(Some(Box::new(move |op, key| {
            op == instagate::service::store::KvOp::Delete && key.starts_with(failing)
        })));
        assert_eq!(
            post_signed(&w, "/auth/deauthorize", &signed).status,
            503,
            "{failing}"
        );
        w.store.fail_when(None);
        let r = post_signed(&w, "/auth/deauthorize", &signed);
        assert_eq!(r.status, 200, "{failing}: {:?}", r.json_body());
        for prefix in ["token:", "due:", "alias:"] {
            assert!(w.store.keys(prefix).is_empty(), "{failing}: {prefix} {ig}");
        }
    }
}
