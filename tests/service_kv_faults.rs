//! Workers KV failing, natively (the in-memory store's fault rules): the
//! answers and what is left in the store. The end-to-end matrix runs the
//! built Worker with a failing KV binding (tests/worker/faults.test.mjs);
//! these pin the service-side fixes it led to: an account delete that fails
//! part-way can be retried to completion, starting a login needs no KV
//! write, a cron run whose index listing
//! fails says so in its log line, and a queued publish job whose record
//! cannot be read stays queued.

mod service_common;

use instagate::core::testing::block_on;
use instagate::service::http::HttpRequest;
use instagate::service::store::KvOp;
use serde_json::json;
use service_common::*;

#[test]
fn a_delete_that_fails_part_way_is_finished_by_the_retry() {
    for failing in ["due:", "alias:", "token:"] {
        let w = World::new();
        let (id, _) = w.connect("instagram");
        assert_eq!(w.store.keys("due:").len(), 1);
        assert_eq!(w.store.keys("alias:").len(), 1);
        w.store.fail_when(Some(Box::new(move |op, key| {
            op == KvOp::Delete && key.starts_with(failing)
        })));
        let r = w.call(w.api("DELETE", &format!("/api/accounts/{id}")));
        assert_eq!(r.status, 503, "{failing}");
        assert_eq!(r.header("retry-after"), Some("5"));
        // The record is the last thing deleted: it is still there to say
        // what else to delete.
        assert_eq!(w.store.keys("token:"), [format!("token:{id}")], "{failing}");
        w.store.fail_when(None);
        let r = w.call(w.api("DELETE", &format!("/api/accounts/{id}")));
        assert_eq!(r.status, 200, "{failing}: {:?}", r.json_body());
        // Only the used login's mark is left (it expires with the login's 10 minutes).
        assert_eq!(w.store.keys(""), w.store.keys("state:"), "{failing}");
    }
}

/// Anyone may call `GET /auth/login`: it writes nothing to KV (the pending
/// login travels in the sealed cookie), so neither a KV outage nor a flood of
/// calls spends the daily KV write allowance.
#[test]
fn starting_a_login_writes_nothing_to_kv_and_works_while_kv_writes_fail() {
    let w = World::new();
    w.store.fail_when(Some(Box::new(|op, _| {
        op == KvOp::Put || op == KvOp::Delete
    })));
    let before = w.store.ops();
    for _ in 0..3 {
        let r = w.call(HttpRequest::new(
            "GET",
            &format!("{WORKER}/auth/login?product=instagram"),
        ));
        assert_eq!(r.status, 302);
        assert!(cookie_pair(&r, "__Host-instagate_login").is_some());
    }
    let used = w.store.ops().since(&before);
    assert_eq!(
        (used.puts, used.deletes, used.gets, used.lists),
        (0, 0, 0, 0)
    );
    assert!(w.store.dump().is_empty());
}

#[test]
fn a_cron_run_that_cannot_list_the_index_says_so() {
    let w = World::new();
    let (id, _) = w.connect("instagram");
    let before = w.store.dump();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(k, _)| !k.starts_with("state:"))
        .collect();
    // Due in 30 days: move past it, then make the listing fail.
    w.advance(DAY * 31);
    w.store.fail_when(Some(Box::new(|op, key| {
        op == KvOp::List && key.starts_with("due:")
    })));
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.storage_errors, 1);
    assert_eq!(stats.refresh.refreshed, 0);
    assert_eq!(w.store.dump(), before, "nothing changed");
    let line = w.cron_line();
    assert_eq!(line["refresh"]["storage_errors"], 1);
    // The next run, with KV back, refreshes the account.
    w.store.fail_when(None);
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.storage_errors, 0);
    assert_eq!(stats.refresh.refreshed, 1, "account {id}");
}

#[test]
fn a_queued_job_whose_record_cannot_be_read_stays_queued_and_finishes_later() {
    let w = World::with_config(config(&[("PUBLISH_WAIT_MS", "0")]));
    let (ig, _) = w.connect("instagram");
    let r = w.call(
        w.api("POST", &format!("/api/accounts/{ig}/publish")).with_json(&json!({
            "kind": "carousel",
            "items": [{"image_url": "https://cdn.example/1.jpg"}, {"image_url": "https://cdn.example/2.jpg"}]
        })),
    );
    assert_eq!(r.status, 202);
    let id = r.json_body()["job"]["id"].as_str().unwrap().to_owned();
    w.advance(std::time::Duration::from_secs(5));
    w.store.fail_when(Some(Box::new(|op, key| {
        op == KvOp::Get && key.starts_with("job:")
    })));
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.jobs.storage_errors, 1);
    assert_eq!(stats.jobs.advanced, 0);
    assert_eq!(
        w.store.keys("jobq:"),
        [format!("jobq:{id}")],
        "still queued"
    );
    let line = w.cron_line();
    assert_eq!(line["jobs"]["storage_errors"], 1);
    // KV back: the next runs finish it, once.
    w.store.fail_when(None);
    for _ in 0..10 {
        if block_on(w.service().run_cron()).jobs.finished == 1 {
            break;
        }
        w.advance(std::time::Duration::from_secs(2));
    }
    w.assert_published_once(&id);
}
