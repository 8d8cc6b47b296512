//! `complete_login` end to end for both products: the exact requests, in
//! order, how many sequential round trips they take (on a transport that
//! models concurrency in fake time), and every way it can fail midway.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use instagate::core::config::{Config, Product};
use instagate::core::error::{Error, ErrorKind};
use instagate::core::http::Method;
use instagate::core::http::Transport;
use instagate::core::oauth::login::{complete_login, CompletedLogin, ConnectedAccount};
use instagate::core::oauth::pages::{AccountChoice, SkipReason, MAX_PAGE_REQUESTS};
use instagate::core::secret::PkceVerifier;
use instagate::core::testing::{block_on, ScriptedTransport};
use instagate::core::token::TokenKind;

use super::support::*;

const LATENCY: Duration = Duration::from_millis(100);
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Runs complete_login against the fake Meta on a ScriptedTransport.
fn login_with(
    product: Product,
    meta: Meta,
    choice: &AccountChoice,
) -> (Result<CompletedLogin, Error>, ScriptedTransport) {
    let t = ScriptedTransport::new(T0);
    let served = Rc::new(Cell::new(0));
    t.set_handler(move |req, _| Ok(meta.answer(req, &served)));
    let c = config(product);
    let verifier = PkceVerifier::new(VERIFIER);
    let v = (product == Product::Facebook).then_some(&verifier);
    let result = block_on(complete_login(&t, &c, &secret(), &callback(&c), v, choice));
    (result, t)
}

/// complete_login of `c` on `t` for every account (`verifier`: Facebook
/// Login's PKCE).
fn complete_on(
    t: &ScriptedTransport,
    c: &Config,
    verifier: Option<&PkceVerifier>,
) -> Result<CompletedLogin, Error> {
    block_on(complete_login(
        t,
        c,
        &secret(),
        &callback(c),
        verifier,
        &AccountChoice::all(),
    ))
}

/// A login whose one account is the answer.
fn login(product: Product, meta: Meta) -> (Result<ConnectedAccount, Error>, ScriptedTransport) {
    let (result, t) = login_with(product, meta, &AccountChoice::all());
    (result.map(only_account), t)
}

/// The error a login with `choice` fails with.
fn refused(product: Product, meta: Meta, choice: &AccountChoice) -> Error {
    login_with(product, meta, choice).0.unwrap_err()
}

/// complete_login on the concurrency-modelling transport: its one account.
fn sim_login(t: &SimTransport, c: &Config, v: Option<&PkceVerifier>) -> ConnectedAccount {
    let login = t.run(complete_login(
        t,
        c,
        &secret(),
        &callback(c),
        v,
        &AccountChoice::all(),
    ));
    only_account(login.unwrap())
}

fn only_account(login: CompletedLogin) -> ConnectedAccount {
    assert_eq!(login.accounts.len(), 1, "one account");
    login.accounts.into_iter().next().unwrap()
}

fn paths(t: &ScriptedTransport) -> Vec<String> {
    t.requests().iter().map(|r| r.path().to_owned()).collect()
}

#[test]
fn instagram_login_connects_the_professional_account() {
    let (result, t) = login(Product::Instagram, Meta::default());
    let a = result.unwrap();
    assert_eq!(
        paths(&t),
        [
            "https://api.instagram.com/oauth/access_token",
            "https://graph.instagram.com/access_token",
            "https://graph.instagram.com/v27.0/me",
        ]
    );
    // The profile is read with the short-lived token, concurrently with the exchange.
    assert_eq!(
        param(&t.requests()[2], "access_token").as_deref(),
        Some(IG_SHORT)
    );
    assert_eq!(a.ig_user_id, IG_USER_ID);
    assert_eq!(a.username, "igbiz");
    assert_eq!(a.account_type.as_deref(), Some("BUSINESS"));
    assert_eq!(a.product, Product::Instagram);
    assert_eq!(a.media_count, Some(4));
    assert_eq!(a.page, None);
    assert_eq!(a.aliases, vec![IG_SCOPED_ID.to_owned()]);
    assert_eq!(
        a.granted_scopes,
        [
            "instagram_business_basic",
            "instagram_business_content_publish"
        ]
    );
    let token = &a.token;
    assert_eq!(token.access_token.expose_secret(), IG_LONG);
    assert_eq!(token.kind, TokenKind::InstagramLongLived);
    assert_eq!(token.issued_at, T0);
    assert_eq!(token.expires_at, Some(T0.plus(60 * DAY)));
    assert_eq!(token.ig_user_id.as_deref(), Some(IG_USER_ID));
    assert_eq!(token.scopes, a.granted_scopes);
}

#[test]
fn facebook_login_connects_through_the_page() {
    let (result, t) = login(Product::Facebook, Meta::default());
    let a = result.unwrap();
    assert_eq!(
        paths(&t),
        [
            "https://graph.facebook.com/v27.0/oauth/access_token",
            "https://graph.facebook.com/v27.0/oauth/access_token",
            "https://graph.facebook.com/v27.0/me/permissions",
            "https://graph.facebook.com/v27.0/me",
            "https://graph.facebook.com/v27.0/me/accounts",
        ]
    );
    let r = t.requests();
    assert!(r.iter().all(|r| r.method == Method::Get));
    assert_eq!(param(&r[0], "code_verifier").as_deref(), Some(VERIFIER));
    assert_eq!(
        param(&r[1], "grant_type").as_deref(),
        Some("fb_exchange_token")
    );
    // Pages are listed with the long-lived token: their tokens never expire.
    assert_eq!(param(&r[4], "access_token").as_deref(), Some(FB_LONG));
    assert_eq!(a.ig_user_id, FB_IG_USER_ID);
    assert_eq!(a.username, "biz");
    assert_eq!(a.name.as_deref(), Some("Name biz"));
    assert_eq!(a.followers_count, Some(1200));
    assert_eq!(a.product, Product::Facebook);
    let page = a.page.as_ref().unwrap();
    assert_eq!(
        (page.page_id.as_str(), page.page_name.as_deref()),
        (PAGE_ID, Some("Page biz"))
    );
    assert_eq!(a.aliases, vec![FB_USER_ID.to_owned()]);
    assert_eq!(a.token.access_token.expose_secret(), FB_PAGE_TOKEN);
    assert_eq!(a.token.kind, TokenKind::FacebookPage);
    assert_eq!(a.token.expires_at, None);
    assert_eq!(a.token.ig_user_id.as_deref(), Some(FB_IG_USER_ID));
    assert!(a
        .granted_scopes
        .contains(&"instagram_content_publish".to_owned()));
    assert_eq!(a.token.scopes, a.granted_scopes);
}

#[test]
fn instagram_login_takes_two_round_trips() {
    let t = SimTransport::new(Meta::default(), LATENCY);
    let c = config(Product::Instagram);
    let a = sim_login(&t, &c, None);
    assert_eq!(a.ig_user_id, IG_USER_ID);
    assert_eq!(t.now().since(T0), 2 * LATENCY, "not 3 round trips");
    assert_eq!(
        t.send_offsets(),
        [
            (
                Duration::ZERO,
                "https://api.instagram.com/oauth/access_token".to_owned()
            ),
            (
                LATENCY,
                "https://graph.instagram.com/access_token".to_owned()
            ),
            (LATENCY, "https://graph.instagram.com/v27.0/me".to_owned()),
        ]
    );
    // Issued when the long-lived answer arrived.
    assert_eq!(a.token.issued_at, T0.plus(2 * LATENCY));
}

#[test]
fn facebook_login_takes_three_round_trips() {
    let t = SimTransport::new(Meta::default(), LATENCY);
    let c = config(Product::Facebook);
    let v = PkceVerifier::new(VERIFIER);
    let a = sim_login(&t, &c, Some(&v));
    assert_eq!(a.token.kind, TokenKind::FacebookPage);
    assert_eq!(t.now().since(T0), 3 * LATENCY, "not 5 round trips");
    let offsets: Vec<Duration> = t.send_offsets().into_iter().map(|(d, _)| d).collect();
    assert_eq!(
        offsets,
        [Duration::ZERO, LATENCY, LATENCY, LATENCY, 2 * LATENCY]
    );
}

#[test]
fn paged_results_add_round_trips_only_when_needed() {
    let next = "https://graph.facebook.com/v27.0/10000000000000042/accounts?access_token=EAAUlong-token&limit=100&after=QVFI";
    let meta = Meta {
        pages: vec![
            pages_body(&[unlinked_page("100000000000001")], Some(next)),
            pages_body(&[linked_page(PAGE_ID, FB_IG_USER_ID, "later")], None),
        ],
        ..Meta::default()
    };
    let t = SimTransport::new(meta, LATENCY);
    let c = config(Product::Facebook);
    let a = sim_login(&t, &c, None);
    assert_eq!(a.username, "later");
    assert_eq!(t.now().since(T0), 4 * LATENCY);
    assert_eq!(t.log.borrow().last().unwrap().1.url, next);
}

#[test]
fn paging_stops_at_the_bound() {
    // Every answer has a new `next`: read MAX_PAGE_REQUESTS, then stop.
    let bodies = (0..=MAX_PAGE_REQUESTS)
        .map(|i| {
            let next = format!(
                "https://graph.facebook.com/v27.0/1/accounts?access_token=EAAUlong-token&after=MORE{i}"
            );
            pages_body(&[unlinked_page(&format!("10000000000{i:04}"))], Some(&next))
        })
        .collect();
    let meta = Meta {
        pages: bodies,
        ..Meta::default()
    };
    let (result, t) = login(Product::Facebook, meta);
    let e = result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoLinkedAccount);
    assert!(
        e.message.contains(&format!(
            "only the first {MAX_PAGE_REQUESTS} Pages were read"
        )),
        "{}",
        e.message
    );
    let listed = paths(&t)
        .iter()
        .filter(|p| p.ends_with("/accounts"))
        .count();
    assert_eq!(listed, MAX_PAGE_REQUESTS);
}

#[test]
fn an_empty_page_with_next_is_followed_to_the_end() {
    // https://developers.facebook.com/docs/graph-api/results: "it is
    // possible that a page may be empty but contain a next paging link.
    // Stop paging when the next link no longer appears."
    let one = "https://graph.facebook.com/v26.0/1/accounts?access_token=EAAUlong-token&after=A";
    let two = "https://graph.facebook.com/v26.0/1/accounts?access_token=EAAUlong-token&after=B";
    let meta = Meta {
        pages: vec![
            pages_body(
                &[linked_page("100000000000001", "17841400000000021", "one")],
                Some(one),
            ),
            pages_body(&[], Some(two)),
            pages_body(
                &[linked_page("100000000000003", "17841400000000023", "three")],
                None,
            ),
        ],
        ..Meta::default()
    };
    let (result, t) = login_with(Product::Facebook, meta, &AccountChoice::all());
    let login = result.unwrap();
    let names: Vec<&str> = login.accounts.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(names, ["one", "three"]);
    assert_eq!(t.requests().last().unwrap().url, two);
}

#[test]
fn a_repeated_next_is_not_followed_twice() {
    let same = "https://graph.facebook.com/v26.0/1/accounts?access_token=EAAUlong-token&after=SAME";
    let meta = Meta {
        pages: vec![pages_body(
            &[linked_page(PAGE_ID, FB_IG_USER_ID, "biz")],
            Some(same),
        )],
        ..Meta::default()
    };
    let (result, t) = login_with(Product::Facebook, meta, &AccountChoice::all());
    let login = result.unwrap();
    assert_eq!(login.accounts.len(), 1, "the repeated page adds no account");
    let listed = paths(&t)
        .iter()
        .filter(|p| p.ends_with("/accounts"))
        .count();
    assert_eq!(listed, 2);
}

fn three_linked_pages() -> Meta {
    let no_task = r#"{"id":"100000000000004","name":"No task","instagram_business_account":{"id":"17841400000000024","username":"notask"}}"#;
    Meta {
        pages: vec![pages_body(
            &[
                unlinked_page("100000000000001"),
                linked_page("100000000000002", "17841400000000021", "one"),
                linked_page("100000000000003", "17841400000000022", "two"),
                no_task.to_owned(),
                linked_page("100000000000005", "17841400000000025", "three"),
            ],
            None,
        )],
        ..Meta::default()
    }
}

#[test]
fn a_facebook_login_connects_every_linked_account_the_person_granted() {
    let (result, t) = login_with(
        Product::Facebook,
        three_linked_pages(),
        &AccountChoice::all(),
    );
    let login = result.unwrap();
    assert_eq!(login.product, Product::Facebook);
    let got: Vec<(&str, &str, &str)> = login
        .accounts
        .iter()
        .map(|a| {
            (
                a.ig_user_id.as_str(),
                a.username.as_str(),
                a.page.as_ref().unwrap().page_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("17841400000000021", "one", "100000000000002"),
            ("17841400000000022", "two", "100000000000003"),
            ("17841400000000025", "three", "100000000000005"),
        ]
    );
    for a in &login.accounts {
        assert_eq!(a.token.kind, TokenKind::FacebookPage);
        assert_eq!(a.token.expires_at, None);
        assert_eq!(a.token.ig_user_id.as_deref(), Some(a.ig_user_id.as_str()));
        assert_eq!(a.aliases, [FB_USER_ID], "each names the Facebook user");
    }
    assert_eq!(login.facebook_user_id.as_deref(), Some(FB_USER_ID));
    // The Page without a token (no task for the person) is said, not hidden.
    assert_eq!(login.skipped.len(), 1);
    assert_eq!(login.skipped[0].ig_user_id, "17841400000000024");
    assert_eq!(login.skipped[0].reason, SkipReason::NoPageToken);
    // Every account came in the one Pages answer.
    assert_eq!(
        paths(&t)
            .iter()
            .filter(|p| p.ends_with("/accounts"))
            .count(),
        1
    );
}

#[test]
fn the_chosen_accounts_by_instagram_id_or_page_id() {
    let choice = AccountChoice::only(["17841400000000025", "100000000000002"]);
    let (result, _) = login_with(Product::Facebook, three_linked_pages(), &choice);
    let login = result.unwrap();
    let ids: Vec<&str> = login
        .accounts
        .iter()
        .map(|a| a.ig_user_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["17841400000000021", "17841400000000025"],
        "Meta's order"
    );
    let skipped: Vec<(&str, SkipReason)> = login
        .skipped
        .iter()
        .map(|s| (s.ig_user_id.as_str(), s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            ("17841400000000022", SkipReason::NotChosen),
            ("17841400000000024", SkipReason::NotChosen),
        ]
    );

    // A chosen account that is not linked, or came without a Page token.
    let only = |id: &str| AccountChoice::only([id]);
    let e = refused(
        Product::Facebook,
        three_linked_pages(),
        &only("17841400000000099"),
    );
    assert_eq!(e.kind, ErrorKind::NoLinkedAccount);
    assert!(e.message.contains("17841400000000099"), "{}", e.message);
    let e = refused(
        Product::Facebook,
        three_linked_pages(),
        &only("17841400000000024"),
    );
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    assert!(e.message.contains("@notask"), "{}", e.message);
}

#[test]
fn a_limit_keeps_the_first_accounts_and_says_which_were_left_out() {
    let choice = AccountChoice {
        only: vec![],
        max: Some(1),
    };
    let (result, _) = login_with(Product::Facebook, three_linked_pages(), &choice);
    let login = result.unwrap();
    assert_eq!(login.accounts.len(), 1);
    assert_eq!(login.accounts[0].username, "one");
    let over: Vec<&str> = login
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::OverLimit)
        .map(|s| s.username.as_str())
        .collect();
    assert_eq!(over, ["two", "three"]);
}

#[test]
fn instagram_login_answers_its_one_account_and_checks_a_choice() {
    let (result, _) = login_with(Product::Instagram, Meta::default(), &AccountChoice::all());
    let login = result.unwrap();
    assert_eq!(login.accounts.len(), 1);
    assert_eq!(login.facebook_user_id, None);
    assert!(login.skipped.is_empty());
    // Named by its professional ID or its app-scoped ID: kept.
    for id in [IG_USER_ID, IG_SCOPED_ID] {
        let (result, _) = login_with(
            Product::Instagram,
            Meta::default(),
            &AccountChoice::only([id]),
        );
        assert_eq!(result.unwrap().accounts[0].ig_user_id, IG_USER_ID);
    }
    let choice = AccountChoice::only(["17841400000000099"]);
    let e = refused(Product::Instagram, Meta::default(), &choice);
    assert_eq!(e.kind, ErrorKind::NoLinkedAccount);
    assert!(e.message.contains("@igbiz"), "{}", e.message);
}

#[test]
fn no_linked_account() {
    let meta = Meta {
        pages: vec![pages_body(&[unlinked_page("100000000000001")], None)],
        ..Meta::default()
    };
    let (result, _) = login(Product::Facebook, meta);
    let e = result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoLinkedAccount);
    assert!(
        e.message
            .contains("connect your Instagram professional account to a Facebook Page"),
        "{}",
        e.message
    );
}

#[test]
fn missing_permissions_are_named() {
    let meta = Meta {
        ig_permissions: "instagram_business_content_publish",
        ..Meta::default()
    };
    let (result, t) = login(Product::Instagram, meta);
    let e = result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::MissingPermission);
    assert_eq!(e.field.as_deref(), Some("instagram_business_basic"));
    assert!(
        e.message.contains("instagram_business_basic"),
        "{}",
        e.message
    );
    assert_eq!(
        t.requests().len(),
        1,
        "checked right after the code exchange"
    );

    let meta = Meta {
        fb_permissions: vec![
            ("instagram_basic", "declined"),
            ("pages_show_list", "granted"),
        ],
        ..Meta::default()
    };
    let (result, t) = login(Product::Facebook, meta);
    let e = result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::MissingPermission);
    assert_eq!(e.field.as_deref(), Some("instagram_basic"));
    assert!(!paths(&t).iter().any(|p| p.ends_with("/accounts")));
}

#[test]
fn personal_accounts_are_refused() {
    let meta = Meta {
        account_type: "PERSONAL",
        ..Meta::default()
    };
    let (result, _) = login(Product::Instagram, meta);
    let e = result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PersonalAccount);
    assert!(e.message.contains("professional"), "{}", e.message);
}

#[test]
fn a_failure_midway_is_meta_s_error() {
    // The code was already used.
    let t = ScriptedTransport::new(T0);
    t.expect(
        "api.instagram.com/oauth/access_token",
        400,
        r#"{"error_type":"OAuthException","code":400,"error_message":"This authorization code has been used"}"#,
    );
    let c = config(Product::Instagram);
    let e = complete_on(&t, &c, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidCode);
    assert!(t.script_done());
    assert_eq!(t.requests().len(), 1);

    // The long-lived exchange hits a rate limit.
    let t = ScriptedTransport::new(T0);
    t.expect(
        "oauth/access_token",
        200,
        &format!(r#"{{"access_token":"{IG_SHORT}","user_id":{IG_SCOPED_ID},"permissions":["instagram_business_basic"]}}"#),
    )
    .expect_response(
        "graph.instagram.com/access_token",
        Ok(instagate::core::http::Response::new(429, "").with_header("Retry-After", "30")),
    )
    .expect(
        "v27.0/me",
        200,
        &format!(r#"{{"user_id":"{IG_USER_ID}","username":"igbiz","account_type":"BUSINESS"}}"#),
    );
    let e = complete_on(&t, &c, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    // The code was exchanged before the throttled call: completing the
    // login again with it cannot work (single-use code, see below), so the
    // error is not retryable and carries no wait.
    assert!(!e.retryable(), "{e:?}");
    assert_eq!(e.retry_after, None);
    assert!(e.message.contains("start the login again"), "{}", e.message);
    assert!(t.script_done());

    // A transport failure on the Pages list.
    let t = ScriptedTransport::new(T0);
    let meta = Meta::default();
    let served = Rc::new(Cell::new(0));
    t.set_handler(move |req, _| {
        if req.path().ends_with("/accounts") {
            Err(Error::new(ErrorKind::Transport, "connection reset"))
        } else {
            Ok(meta.answer(req, &served))
        }
    });
    let c = config(Product::Facebook);
    let e = complete_on(&t, &c, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    assert!(!e.retryable(), "the code is spent by now: {e:?}");
}

/// Every failure after the code exchange: the code "can only be used once"
/// (developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login),
/// so whatever the kind of the later failure, repeating `complete_login`
/// with the same code cannot succeed and the error must not say it may.
#[test]
fn a_failure_after_the_code_exchange_is_not_retryable_single_use_code() {
    let later_calls = [
        (Product::Instagram, "graph.instagram.com/access_token"),
        (Product::Instagram, "graph.instagram.com/v27.0/me"),
        (Product::Facebook, "v27.0/oauth/access_token"),
        (Product::Facebook, "v27.0/me/permissions"),
        (Product::Facebook, "v27.0/me"),
        (Product::Facebook, "/me/accounts"),
    ];
    for (product, later) in later_calls {
        let t = ScriptedTransport::new(T0);
        let meta = Meta::default();
        let served = Rc::new(Cell::new(0));
        t.set_handler(move |req, _| {
            let exchanges_the_code = req.params().iter().any(|(k, _)| k == "code");
            if !exchanges_the_code && req.path().ends_with(later) {
                Ok(instagate::core::http::Response::new(
                    503,
                    "<html>busy</html>",
                ))
            } else {
                Ok(meta.answer(req, &served))
            }
        });
        let c = config(product);
        let verifier = PkceVerifier::new(VERIFIER);
        let v = (product == Product::Facebook).then_some(&verifier);
        let e = complete_on(&t, &c, v).expect_err(later);
        assert_eq!(e.kind, ErrorKind::Transient, "{later}: {e:?}");
        assert!(!e.retryable(), "{product:?} {later}: {e:?}");
        assert!(e.message.contains("start the login again"), "{}", e.message);
    }
}

/// Business Login for Instagram: the code "can only be used once"
/// (developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login):
/// when the exchange's answer is lost, Meta may have used the code already,
/// so the error is not retryable and says to start a new login.
#[test]
fn a_lost_code_exchange_answer_is_not_retryable_business_login_single_use_code() {
    for product in [Product::Instagram, Product::Facebook] {
        for lost in [
            Err(Error::new(ErrorKind::Timeout, "no answer in 30 s")),
            Err(Error::new(ErrorKind::Transport, "connection reset")),
            Ok(instagate::core::http::Response::new(
                502,
                "<html>Bad Gateway</html>",
            )),
            Ok(instagate::core::http::Response::new(200, r#"{"access_tok"#)),
        ] {
            let t = ScriptedTransport::new(T0);
            t.expect_response("oauth/access_token", lost.clone());
            let c = config(product);
            let e = complete_on(&t, &c, None).unwrap_err();
            assert!(!e.retryable(), "{product:?} {lost:?}: {e:?}");
            assert!(e.message.contains("single-use"), "{}", e.message);
            assert!(e.message.contains("new login"), "{}", e.message);
            assert_eq!(t.requests().len(), 1, "sent once, never again");
        }
    }
    // Meta's own refusal of the code keeps its kind and message.
    let t = ScriptedTransport::new(T0);
    t.expect_response(
        "oauth/access_token",
        Ok(instagate::core::http::Response::new(429, "").with_header("Retry-After", "5")),
    );
    let c = config(Product::Instagram);
    let e = complete_on(&t, &c, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert!(
        e.retryable(),
        "a throttled exchange was refused before the code was read"
    );
}

#[test]
fn a_bad_configuration_sends_nothing() {
    let t = ScriptedTransport::new(T0);
    let mut c = config(Product::Instagram);
    let cb = callback(&c);
    c.scopes = vec!["pages_show_list".into()];
    let e = block_on(complete_login(
        &t,
        &c,
        &secret(),
        &cb,
        None,
        &AccountChoice::all(),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(t.requests().is_empty());
}
