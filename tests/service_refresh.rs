//! The cron's refresh phase and "refresh now", natively: what is refreshed,
//! what it costs, the budget, invalid tokens, transient failures, Page
//! token checks and key rotation.

mod service_common;

use std::cell::Cell;
use std::time::Duration;

use instagate::core::error::Error;
use instagate::core::http::{Request, Response, Transport};
use instagate::core::testing::block_on;
use instagate::core::time::Timestamp;
use instagate::service::http::HttpRequest;
use instagate::service::log::NoLog;
use instagate::service::Service;
use service_common::*;

fn id(n: u64) -> String {
    format!("{}", 17_841_400_000_100_000u64 + n)
}

#[test]
fn a_due_instagram_token_is_refreshed_and_the_index_moves() {
    let w = World::new();
    let (account, session) = w.connect("instagram");
    let before = record(&w, &account);
    let old_due = before.due_key.clone().unwrap();

    // Not due yet: the cron reads one index page and touches nothing.
    let stats = block_on(w.service().run_cron());
    assert_eq!((stats.refresh.due, stats.refresh.refreshed), (0, 0));
    assert_eq!(stats.subrequests, 0);

    w.advance(DAY * 31);
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.refreshed, 1, "{stats:?}");
    assert_eq!(stats.subrequests, 1);
    let after = record(&w, &account);
    assert_ne!(
        after.token.access_token.expose_secret(),
        before.token.access_token.expose_secret()
    );
    assert_eq!(after.token.expires_at, Some(w.now().plus(LONG_LIVED)));
    let new_due = after.due_key.clone().unwrap();
    assert_ne!(new_due, old_due);
    assert_eq!(w.store.keys("due:"), vec![new_due]);
    assert_eq!(after.history[0].outcome, "refreshed");
    for token in w.issued_tokens() {
        assert!(!w.kv_text().contains(&token));
    }
    // (The 30-day session ran out meanwhile; the API key still works.)
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/accounts/{account}"))
            .with_header("cookie", &session),
    );
    assert_eq!(r.status, 401);
    let r = w.call(w.api("GET", &format!("/api/accounts/{account}")));
    assert_eq!(
        r.json_body()["account"]["last_refresh"]["outcome"],
        "refreshed"
    );
    assert_eq!(r.json_body()["account"]["token"]["days_left"], 60);
    let cron_line = w.cron_line();
    assert_eq!(cron_line["refresh"]["refreshed"], 1);
}

#[test]
fn cron_cost_grows_with_due_accounts_not_all_accounts() {
    // Same number due, ten times as many accounts: the same KV operations.
    let mut costs = Vec::new();
    for total in [100u64, 1000] {
        let w = World::new();
        for n in 0..total {
            // 10 accounts due today, the rest spread over the next 25 days.
            let issued = if n < 10 {
                START.minus(DAY * 31)
            } else {
                START.minus(DAY * (n % 25) as u32)
            };
            seed_instagram_account(&w, &id(n), issued);
        }
        let before = w.store.ops();
        let stats = block_on(w.service().run_cron());
        let used = w.store.ops().since(&before);
        assert_eq!(stats.refresh.refreshed, 10, "{stats:?}");
        assert_eq!(
            stats.refresh.kv_ops.total(),
            used.total() - stats.jobs.kv_ops.total() - stats.purge.kv_ops.total()
        );
        assert_eq!(stats.purge.kv_ops.total(), 1, "one list of purge: markers");
        costs.push((used.total(), stats.subrequests));
    }
    assert_eq!(
        costs[0], costs[1],
        "cost must not depend on the number of accounts"
    );
    assert!(costs[0].0 <= 10 * 4 + 4, "{costs:?}");
}

#[test]
fn the_budget_is_respected_and_leftovers_come_next_run() {
    let w = World::with_config(config(&[("CRON_MAX_SUBREQUESTS", "20")]));
    for n in 0..25 {
        seed_instagram_account(&w, &id(n), START.minus(DAY * 31));
    }
    let stats = block_on(w.service().run_cron());
    // Jobs get half the budget; with no jobs the refresh gets all 20.
    assert_eq!(stats.refresh.refreshed, 20);
    assert!(stats.subrequests <= 20);
    // It listed one entry past what it could afford, so it knows more is due.
    assert_eq!(stats.refresh.left_over, 1);
    assert!(stats.refresh.more_due);
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.refreshed, 5);
    assert_eq!(stats.refresh.left_over, 0);
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.refreshed, 0);

    // The KV budget binds too.
    let w = World::with_config(config(&[("CRON_MAX_KV_OPS", "30")]));
    for n in 0..25 {
        seed_instagram_account(&w, &id(n), START.minus(DAY * 31));
    }
    let before = w.store.ops();
    let stats = block_on(w.service().run_cron());
    assert!(w.store.ops().since(&before).total() <= 30, "{stats:?}");
    assert!(stats.refresh.refreshed >= 1 && stats.refresh.refreshed < 25);
}

/// A transport that makes each call wait one poll, counting calls in flight.
struct Concurrent<'a> {
    inner: &'a instagate::core::testing::ScriptedTransport,
    in_flight: Cell<usize>,
    max: Cell<usize>,
}

impl Transport for Concurrent<'_> {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        self.in_flight.set(self.in_flight.get() + 1);
        self.max.set(self.max.get().max(self.in_flight.get()));
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                std::task::Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
        let r = self.inner.send(request).await;
        self.in_flight.set(self.in_flight.get() - 1);
        r
    }
    async fn sleep(&self, d: Duration) {
        self.inner.sleep(d).await
    }
    fn now(&self) -> Timestamp {
        self.inner.now()
    }
    fn fill_random(&self, buf: &mut [u8]) {
        self.inner.fill_random(buf)
    }
}

#[test]
fn refreshes_run_with_bounded_concurrency() {
    let w = World::with_config(config(&[("CRON_CONCURRENCY", "4")]));
    for n in 0..12 {
        seed_instagram_account(&w, &id(n), START.minus(DAY * 31));
    }
    let t = Concurrent {
        inner: &w.transport,
        in_flight: Cell::new(0),
        max: Cell::new(0),
    };
    let service = Service::new(&w.config, &w.store, &t, &NoLog);
    let stats = block_on(service.run_cron());
    assert_eq!(stats.refresh.refreshed, 12);
    assert_eq!(
        t.max.get(),
        4,
        "at most CRON_CONCURRENCY calls at once, and that many"
    );
}

#[test]
fn an_invalid_token_marks_needs_reauth_and_keeps_the_last_good_token() {
    let w = World::new();
    let (account, _) = w.connect("instagram");
    let before = record(&w, &account);
    w.meta.borrow_mut().revoke_all(IG_USER);
    w.advance(DAY * 31);
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.needs_reauth, 1);
    let after = record(&w, &account);
    assert!(after.needs_reauth);
    assert_eq!(after.reauth_reason.as_deref(), Some("invalid_token"));
    assert_eq!(
        after.token.access_token.expose_secret(),
        before.token.access_token.expose_secret(),
        "the last good token is kept"
    );
    assert!(w.store.keys("due:").is_empty(), "no more refresh attempts");
    let r = w.call(w.api("GET", &format!("/api/accounts/{account}")));
    assert_eq!(r.json_body()["account"]["needs_reauth"], true);
    assert_eq!(r.json_body()["account"]["reauth_reason"], "invalid_token");
    // Refresh now: a clear 409.
    let r = w.call(w.api("POST", &format!("/api/accounts/{account}/refresh")));
    assert_eq!(r.status, 409);
    assert_eq!(r.json_body()["error"]["kind"], "needs_reauth");
    // Logging in again clears it.
    let (again, _) = w.connect("instagram");
    assert_eq!(again, account);
    assert!(!record(&w, &account).needs_reauth);
    assert_eq!(w.store.keys("due:").len(), 1);
}

#[test]
fn a_transient_failure_retries_next_run() {
    let w = World::new();
    let (account, _) = w.connect("instagram");
    w.advance(DAY * 31);
    w.meta
        .borrow_mut()
        .fail_next("refresh_access_token", meta_error(503, 2));
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.failed, 1);
    let r = record(&w, &account);
    assert!(!r.needs_reauth);
    assert_eq!(r.history[0].error_kind.as_deref(), Some("transient"));
    assert_eq!(
        w.store.keys("due:"),
        vec![r.due_key.clone().unwrap()],
        "still indexed"
    );
    w.meta
        .borrow_mut()
        .fail_next("refresh_access_token", transport_error());
    assert_eq!(block_on(w.service().run_cron()).refresh.failed, 1);
    w.advance(Duration::from_secs(3600));
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.refreshed, 1);
    assert_eq!(record(&w, &account).consecutive_failures, 0);
}

#[test]
fn refresh_now_and_its_24_hour_rule() {
    let w = World::new();
    let (account, session) = w.connect("instagram");
    let r = w.call(
        HttpRequest::new("POST", &format!("{WORKER}/api/accounts/{account}/refresh"))
            .with_header("cookie", &session)
            .with_header("origin", WORKER),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.json_body()["error"]["kind"], "refresh_too_early");
    w.advance(DAY + Duration::from_secs(60));
    let r = w.call(
        HttpRequest::new("POST", &format!("{WORKER}/api/accounts/{account}/refresh"))
            .with_header("cookie", &session)
            .with_header("origin", WORKER),
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert_eq!(r.json_body()["outcome"], "refreshed");
    // Rate limited upstream: 429 with Retry-After, nothing lost.
    w.advance(DAY * 2);
    w.meta.borrow_mut().fail_next(
        "refresh_access_token",
        Ok(
            Response::new(429, r#"{"error":{"message":"limit","code":4}}"#)
                .with_header("Retry-After", "120"),
        ),
    );
    let r = w.call(w.api("POST", &format!("/api/accounts/{account}/refresh")));
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("120"));
    assert_eq!(r.json_body()["error"]["kind"], "rate_limited");
}

#[test]
fn page_tokens_are_checked_and_flagged_when_they_stop_working() {
    let w = World::new();
    let (account, _) = w.connect("facebook");
    let first_due = record(&w, &account).due_key.unwrap();
    w.advance(DAY * 8);
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.checked, 1, "{stats:?}");
    let r = record(&w, &account);
    assert_eq!(r.last_checked_at, Some(w.now()));
    assert_ne!(r.due_key.unwrap(), first_due);
    w.meta.borrow_mut().revoke_all(FB_PAGE);
    w.advance(DAY * 8);
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.needs_reauth, 1);
    assert!(record(&w, &account).needs_reauth);
}

#[test]
fn keys_rotate_old_records_still_open_and_a_missing_key_overwrites_nothing() {
    let w = World::new();
    let (account, _) = w.connect("instagram");
    let sealed_k1 = w.store.peek(&format!("token:{account}")).unwrap();
    assert!(sealed_k1.contains("\"kid\":\"k1\""));

    // Rotate: k2 writes, k1 still reads.
    let rotated = config(&[("TOKEN_KEYS", &format!("{K2},{K1}"))]);
    let svc = Service::new(&rotated, &w.store, &*w.transport, &w.log);
    let r = block_on(svc.handle(w.api("GET", &format!("/api/accounts/{account}"))));
    assert_eq!(r.status, 200);
    w.advance(DAY * 31);
    let stats = block_on(svc.run_cron());
    assert_eq!(stats.refresh.refreshed, 1);
    assert!(w
        .store
        .peek(&format!("token:{account}"))
        .unwrap()
        .contains("\"kid\":\"k2\""));

    // Another account still under k1, and k1 removed too early.
    seed_instagram_account(&w, &id(1), START.minus(DAY * 31));
    let sealed = w.store.peek(&format!("token:{}", id(1))).unwrap();
    assert!(sealed.contains("\"kid\":\"k1\""));
    let k2_only = config(&[("TOKEN_KEYS", K2)]);
    let svc = Service::new(&k2_only, &w.store, &*w.transport, &w.log);
    let r = block_on(svc.handle(w.api("GET", &format!("/api/accounts/{}", id(1)))));
    assert_eq!(r.status, 500);
    assert_eq!(r.json_body()["error"]["kind"], "key_unavailable");
    assert!(r.json_body()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("k1"));
    let stats = block_on(svc.run_cron());
    assert_eq!(stats.refresh.failed, 1);
    assert_eq!(
        w.store.peek(&format!("token:{}", id(1))).unwrap(),
        sealed,
        "nothing overwritten"
    );
    assert_eq!(
        w.store.keys("due:").len(),
        2,
        "index kept for when the key is back"
    );
}

#[test]
fn stale_index_entries_are_dropped() {
    let w = World::new();
    seed_instagram_account(&w, &id(1), START.minus(DAY * 31));
    // An entry whose record is gone, and one the record no longer points at.
    w.store.seed(
        &format!("due:{}:{}", START.minus(DAY).yyyymmdd(), id(2)),
        "1",
    );
    w.store.seed(
        &format!("due:{}:{}", START.minus(DAY * 2).yyyymmdd(), id(1)),
        "1",
    );
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.stale, 2);
    assert_eq!(stats.refresh.refreshed, 1);
    assert_eq!(w.store.keys("due:").len(), 1);
}

#[test]
fn expired_tokens_need_a_new_login() {
    let w = World::new();
    seed_instagram_account(&w, &id(1), START.minus(DAY * 61));
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.needs_reauth, 1);
    assert_eq!(
        stats.subrequests, 0,
        "no call for a token known to be expired"
    );
    let r = record(&w, &id(1));
    assert_eq!(r.reauth_reason.as_deref(), Some("token_expired"));
}

#[test]
fn entries_due_later_today_do_not_fill_the_run() {
    // The index is by day. 25 accounts due this evening sort before one
    // due now; with 20 subrequests, the run must spend them on refreshes
    // (a few hours early) rather than read the same not-yet-due entries
    // every hour while the one behind them waits (found by tests/sim: with
    // REFRESH_WINDOW_DAYS=1 tokens expired that way).
    let w = World::with_config(config(&[("CRON_MAX_SUBREQUESTS", "20")]));
    let evening = Duration::from_secs(5 * 3600);
    assert_eq!(START.plus(evening).yyyymmdd(), START.yyyymmdd());
    for n in 0..25 {
        seed_instagram_account(&w, &id(n), START.minus(DAY * 30).plus(evening));
    }
    seed_instagram_account(&w, &id(99), START.minus(DAY * 30 + evening));
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.refreshed, 20, "{stats:?}");
    assert_eq!(stats.refresh.not_due_yet, 0, "{stats:?}");
    w.advance(Duration::from_secs(3600));
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.refreshed, 6, "{stats:?}");
    assert_eq!(record(&w, &id(99)).history[0].outcome, "refreshed");
}

#[test]
fn a_refresh_answer_without_expires_in_lives_60_days() {
    // Meta's refresh_access_token reference: "Refreshed tokens are valid for
    // 60 days from the date at which they are refreshed"
    // (https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token).
    // An answer that leaves out `expires_in` still means 60 days, not "never
    // expires" (the Worker's old copy of the reader said the latter).
    let w = World::new();
    seed_instagram_account(&w, &id(1), START.minus(DAY * 31));
    w.meta.borrow_mut().fail_next(
        "refresh_access_token",
        Ok(Response::new(
            200,
            r#"{"access_token":"IGQVJrefreshedwithoutexpiry","token_type":"bearer"}"#,
        )),
    );
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.refreshed, 1, "{stats:?}");
    let r = record(&w, &id(1));
    assert_eq!(r.token.expires_at, Some(w.now().plus(LONG_LIVED)));
    assert_eq!(
        r.due_key,
        Some(format!(
            "due:{}:{}",
            w.now().plus(DAY * 30).yyyymmdd(),
            id(1)
        ))
    );
}

#[test]
fn a_facebook_user_token_is_checked_once_per_period_not_every_run() {
    // A long-lived Facebook User token expires but cannot be refreshed: like
    // a Page token it is checked every PAGE_TOKEN_CHECK_DAYS. (The old rule
    // dated its check from the expiry alone, so once checked it stayed due
    // and was checked again on every cron run.)
    use instagate::core::token::TokenKind;
    use instagate::service::accounts::Accounts;
    let w = World::new();
    let (account, _) = w.connect("facebook");
    let mut r = record(&w, &account);
    r.token.kind = TokenKind::FacebookUserLongLived;
    r.token.expires_at = Some(w.now().plus(LONG_LIVED));
    let accounts = Accounts {
        store: &w.store,
        transport: &*w.transport,
        config: &w.config,
    };
    block_on(accounts.save(&mut r)).unwrap();
    w.advance(DAY * 31);
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.refresh.checked, 1, "{stats:?}");
    w.advance(Duration::from_secs(3600));
    let stats = block_on(w.service().run_cron());
    assert_eq!((stats.refresh.due, stats.subrequests), (0, 0), "{stats:?}");
}
