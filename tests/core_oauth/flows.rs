//! `complete_login` end to end for both products: the exact requests, in
//! order, how many sequential round trips they take (on a transport that
//! models concurrency in fake time), and every way it can fail midway.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use instagate::core::config::Product;
use instagate::core::error::{Error, ErrorKind};
use instagate::core::http::Method;
use instagate::core::http::Transport;
use instagate::core::oauth::login::{complete_login, ConnectedAccount};
use instagate::core::oauth::pages::MAX_PAGE_REQUESTS;
use instagate::core::secret::PkceVerifier;
use instagate::core::testing::{block_on, ScriptedTransport};
use instagate::core::token::TokenKind;

use super::support::*;

const LATENCY: Duration = Duration::from_millis(100);
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Runs complete_login against the fake Meta on a ScriptedTransport.
fn login(product: Product, meta: Meta) -> (Result<ConnectedAccount, Error>, ScriptedTransport) {
    let t = ScriptedTransport::new(T0);
    let served = Rc::new(Cell::new(0));
    t.set_handler(move |req, _| Ok(meta.answer(req, &served)));
    let c = config(product);
    let verifier = PkceVerifier::new(VERIFIER);
    let v = (product == Product::Facebook).then_some(&verifier);
    let result = block_on(complete_login(&t, &c, &secret(), &callback(&c), v));
    (result, t)
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
    let a = t
        .run(complete_login(&t, &c, &secret(), &callback(&c), None))
        .unwrap();
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
    let a = t
        .run(complete_login(&t, &c, &secret(), &callback(&c), Some(&v)))
        .unwrap();
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
    let a = t
        .run(complete_login(&t, &c, &secret(), &callback(&c), None))
        .unwrap();
    assert_eq!(a.username, "later");
    assert_eq!(t.now().since(T0), 4 * LATENCY);
    assert_eq!(t.log.borrow().last().unwrap().1.url, next);
}

#[test]
fn paging_stops_at_the_bound() {
    let next = "https://graph.facebook.com/v27.0/1/accounts?access_token=EAAUlong-token&after=MORE";
    let meta = Meta {
        pages: vec![pages_body(&[unlinked_page("100000000000001")], Some(next))],
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
fn a_page_is_picked_from_several() {
    let meta = Meta {
        pages: vec![pages_body(
            &[
                unlinked_page("100000000000001"),
                linked_page("100000000000002", "17841400000000021", "one"),
                linked_page("100000000000003", "17841400000000022", "two"),
            ],
            None,
        )],
        ..Meta::default()
    };
    let (result, _) = login(Product::Facebook, meta);
    let a = result.unwrap();
    assert_eq!(
        (a.ig_user_id.as_str(), a.username.as_str()),
        ("17841400000000021", "one")
    );
    assert_eq!(a.page.unwrap().page_id, "100000000000002");
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
    let e = block_on(complete_login(&t, &c, &secret(), &callback(&c), None)).unwrap_err();
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
    let e = block_on(complete_login(&t, &c, &secret(), &callback(&c), None)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
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
    let e = block_on(complete_login(&t, &c, &secret(), &callback(&c), None)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
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
            let e = block_on(complete_login(&t, &c, &secret(), &callback(&c), None)).unwrap_err();
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
    let e = block_on(complete_login(&t, &c, &secret(), &callback(&c), None)).unwrap_err();
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
    let e = block_on(complete_login(&t, &c, &secret(), &cb, None)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(t.requests().is_empty());
}
