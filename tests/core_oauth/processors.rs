//! Every response processor: the documented shapes, exact big IDs, both
//! error shapes, and broken bodies (HTML, truncated at every byte, odd
//! types), which must be errors and never panics.

use instagate::core::config::Product;
use instagate::core::error::{Error, ErrorKind};
use instagate::core::http::Response;
use instagate::core::oauth::debug_token::process_debug_token;
use instagate::core::oauth::exchange::process_code_exchange;
use instagate::core::oauth::facebook_user::process_facebook_user;
use instagate::core::oauth::long_lived::process_long_lived;
use instagate::core::oauth::pages::{pick_page, process_pages, LinkedPages};
use instagate::core::oauth::permissions::{check_permissions, process_permissions};
use instagate::core::oauth::profile::process_profile;
use instagate::core::oauth::refresh::process_refresh;
use instagate::core::secret::AccessToken;
use instagate::core::time::Timestamp;
use instagate::core::token::{TokenKind, TokenRecord};

use super::support::*;

fn ok(body: &str) -> Response {
    Response::new(200, body)
}

#[test]
fn instagram_exchange_data_shape_with_exact_big_user_id() {
    // The Business Login page's shape: data-wrapped, permissions as one string.
    let r = ok(
        r#"{"data":[{"access_token":"IGAAshort","user_id":17841400000000001,"permissions":"instagram_business_basic,instagram_business_content_publish"}]}"#,
    );
    let x = process_code_exchange(Product::Instagram, &r, T0).unwrap();
    assert_eq!(x.user_id.as_deref(), Some("17841400000000001"));
    assert_eq!(x.token.access_token.expose_secret(), "IGAAshort");
    assert_eq!(x.token.kind, TokenKind::InstagramShortLived);
    assert_eq!(x.token.issued_at, T0);
    assert_eq!(x.token.expires_at, Some(T0.plus(HOUR)));
    assert_eq!(
        x.permissions.as_deref(),
        Some(
            &[
                "instagram_business_basic".to_owned(),
                "instagram_business_content_publish".to_owned()
            ][..]
        )
    );
    assert_eq!(x.token.scopes, x.permissions.clone().unwrap());
}

#[test]
fn instagram_exchange_flat_shape() {
    // The older shape: flat, permissions as an array; 2^53 + 1 stays exact.
    let r = ok(
        r#"{"access_token": "IGAAflat", "user_id": 9007199254740993, "permissions": ["instagram_business_basic"]}"#,
    );
    let x = process_code_exchange(Product::Instagram, &r, T0).unwrap();
    assert_eq!(x.user_id.as_deref(), Some("9007199254740993"));
    assert_eq!(
        x.permissions,
        Some(vec!["instagram_business_basic".to_owned()])
    );
    // user_id as a string, and no permissions at all.
    let r = ok(r#"{"access_token":"IGAAflat","user_id":"17841400000000003"}"#);
    let x = process_code_exchange(Product::Instagram, &r, T0).unwrap();
    assert_eq!(x.user_id.as_deref(), Some("17841400000000003"));
    assert_eq!(x.permissions, None);
    assert!(x.token.scopes.is_empty());
}

#[test]
fn instagram_exchange_refuses_a_lossy_user_id() {
    for body in [
        r#"{"access_token":"t","user_id":1.7841400000000001e16}"#,
        r#"{"access_token":"t","user_id":-1}"#,
        r#"{"access_token":"t","user_id":"12ab"}"#,
        r#"{"access_token":"t"}"#,
        r#"{"data":[]}"#,
        r#"{"data":{}}"#,
        r#"[]"#,
    ] {
        let e = process_code_exchange(Product::Instagram, &ok(body), T0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnexpectedResponse, "{body}");
        assert!(!e.message.contains("\"t\""), "{}", e.message);
    }
}

#[test]
fn instagram_exchange_reads_permissions_as_a_list_a_string_or_null_only() {
    let x = process_code_exchange(
        Product::Instagram,
        &ok(r#"{"data":[{"access_token":"t","user_id":"1","permissions":null}]}"#),
        T0,
    )
    .unwrap();
    assert_eq!(x.permissions, None);
    for body in [
        r#"{"data":[{"access_token":"t","user_id":"1","permissions":[1]}]}"#,
        r#"{"access_token":"t","user_id":"1","permissions":{"a":"b"}}"#,
    ] {
        let e = process_code_exchange(Product::Instagram, &ok(body), T0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnexpectedResponse, "{body}");
    }
    // A bare node with a `data` field of its own still reads bare.
    let x = process_code_exchange(
        Product::Instagram,
        &ok(r#"{"access_token":"t","user_id":"1","data":[{"x":1}]}"#),
        T0,
    )
    .unwrap();
    assert_eq!(x.user_id.as_deref(), Some("1"));
}

#[test]
fn instagram_exchange_errors_in_the_flat_shape() {
    let body = r#"{"error_type": "OAuthException", "code": 400, "error_message": "Matching code was not found or was already used"}"#;
    let e = process_code_exchange(Product::Instagram, &Response::new(400, body), T0).unwrap_err();
    assert_eq!(e.status, Some(400));
    assert_eq!(e.code(), Some(400));
    assert_eq!(
        e.meta.as_ref().unwrap().error_type.as_deref(),
        Some("OAuthException")
    );
    assert_eq!(e.message, "Matching code was not found or was already used");
    // The same with status 200 is still an error, never a token.
    let e = process_code_exchange(Product::Instagram, &ok(body), T0).unwrap_err();
    assert_eq!(e.message, "Matching code was not found or was already used");
    let e = process_code_exchange(
        Product::Instagram,
        &Response::new(
            400,
            r#"{"error_type":"OAuthException","code":400,"error_message":"Invalid authorization code"}"#,
        ),
        T0,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidCode);
}

#[test]
fn facebook_exchange_and_its_errors() {
    let r = ok(r#"{"access_token":"EAAUshort","token_type":"bearer","expires_in":5400}"#);
    let x = process_code_exchange(Product::Facebook, &r, T0).unwrap();
    assert_eq!(x.token.kind, TokenKind::FacebookUserShortLived);
    assert_eq!(x.token.expires_at, Some(T0.plus(HOUR + HOUR / 2)));
    assert_eq!((x.user_id, x.permissions), (None, None));
    // Without expires_in: assume one hour rather than "never".
    let x = process_code_exchange(Product::Facebook, &ok(r#"{"access_token":"t"}"#), T0).unwrap();
    assert_eq!(x.token.expires_at, Some(T0.plus(HOUR)));
    // Code already used (manual-flow error 100 / 36009).
    let e = process_code_exchange(
        Product::Facebook,
        &Response::new(
            400,
            r#"{"error":{"message":"This authorization code has been used.","type":"OAuthException","code":100,"error_subcode":36009,"fbtrace_id":"AbC"}}"#,
        ),
        T0,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidCode);
    assert_eq!(e.meta.unwrap().fbtrace_id.as_deref(), Some("AbC"));
}

#[test]
fn long_lived_answers() {
    let body = r#"{"access_token":"IGAAlong","token_type":"bearer","expires_in":5184000}"#;
    let t = process_long_lived(Product::Instagram, &ok(body), T0).unwrap();
    assert_eq!(t.kind, TokenKind::InstagramLongLived);
    assert_eq!(t.expires_at, Some(T0.plus(60 * DAY)));
    let t =
        process_long_lived(Product::Facebook, &ok(r#"{"access_token":"EAAUlong"}"#), T0).unwrap();
    assert_eq!(t.kind, TokenKind::FacebookUserLongLived);
    assert_eq!(
        t.expires_at,
        Some(T0.plus(60 * DAY)),
        "60 days when not said"
    );
    let e = process_long_lived(
        Product::Instagram,
        &Response::new(
            400,
            r#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}"#,
        ),
        T0,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TokenExpired);
}

#[test]
fn refresh_answer_keeps_scopes_and_account() {
    let previous = TokenRecord {
        access_token: AccessToken::new("old"),
        kind: TokenKind::InstagramLongLived,
        issued_at: T0,
        expires_at: Some(T0.plus(60 * DAY)),
        scopes: vec!["instagram_business_basic".into()],
        ig_user_id: Some(IG_USER_ID.into()),
    };
    let now = T0.plus(40 * DAY);
    let r = ok(r#"{"access_token":"new","token_type":"bearer","expires_in":5184000}"#);
    let t = process_refresh(&r, &previous, now).unwrap();
    assert_eq!(t.access_token.expose_secret(), "new");
    assert_eq!((t.issued_at, t.expires_at), (now, Some(now.plus(60 * DAY))));
    assert_eq!(t.scopes, previous.scopes);
    assert_eq!(t.ig_user_id, previous.ig_user_id);
}

#[test]
fn instagram_profile_uses_user_id_as_the_account_id() {
    let body = format!(
        r#"{{"user_id":"{IG_USER_ID}","username":"igbiz","name":"IG Biz","account_type":"MEDIA_CREATOR","profile_picture_url":"https://cdn.example/p.jpg","followers_count":12,"follows_count":3,"media_count":4,"id":"{IG_SCOPED_ID}"}}"#
    );
    let p = process_profile(Product::Instagram, &ok(&body)).unwrap();
    assert_eq!(p.ig_user_id, IG_USER_ID);
    assert_eq!(p.app_scoped_id.as_deref(), Some(IG_SCOPED_ID));
    assert_eq!(p.username, "igbiz");
    assert_eq!(p.account_type.as_deref(), Some("MEDIA_CREATOR"));
    assert_eq!(
        (p.followers_count, p.follows_count, p.media_count),
        (Some(12), Some(3), Some(4))
    );
    // A data-wrapped answer and a numeric user_id read the same.
    let wrapped = format!(r#"{{"data":[{{"user_id":{IG_USER_ID},"username":"igbiz"}}]}}"#);
    let p = process_profile(Product::Instagram, &ok(&wrapped)).unwrap();
    assert_eq!(p.ig_user_id, IG_USER_ID);
    // Without user_id the account ID is unknown: refused, not guessed.
    let e = process_profile(
        Product::Instagram,
        &ok(r#"{"id":"27400000000000001","username":"x"}"#),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnexpectedResponse);
}

#[test]
fn personal_accounts_are_refused_with_what_to_do() {
    let body =
        r#"{"user_id":"17841400000000009","username":"me_personal","account_type":"PERSONAL"}"#;
    let e = process_profile(Product::Instagram, &ok(body)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::PersonalAccount);
    assert!(e.message.contains("@me_personal"), "{}", e.message);
    assert!(
        e.message.contains("Switch to professional account"),
        "{}",
        e.message
    );
    assert!(e.message.contains("Business or Creator"), "{}", e.message);
}

#[test]
fn facebook_profile_uses_id() {
    let body = format!(r#"{{"id":"{FB_IG_USER_ID}","username":"biz","followers_count":7}}"#);
    let p = process_profile(Product::Facebook, &ok(&body)).unwrap();
    assert_eq!(p.ig_user_id, FB_IG_USER_ID);
    assert_eq!(p.app_scoped_id, None);
    assert_eq!(p.account_type, None);
    assert_eq!(p.followers_count, Some(7));
}

#[test]
fn permissions_granted_and_declined() {
    let body = r#"{"data":[{"permission":"instagram_basic","status":"granted"},{"permission":"pages_show_list","status":"declined"},{"permission":"email","status":"expired"}]}"#;
    let p = process_permissions(&ok(body)).unwrap();
    assert_eq!(p.granted, vec!["instagram_basic"]);
    assert_eq!(p.declined, vec!["pages_show_list"]);
    let e = check_permissions(&p.granted, &["instagram_basic", "pages_show_list"]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MissingPermission);
    assert_eq!(e.field.as_deref(), Some("pages_show_list"));
    assert!(e.message.contains("pages_show_list"), "{}", e.message);
    assert!(check_permissions(&p.granted, &["instagram_basic"]).is_ok());
    let none: [&str; 0] = [];
    assert!(check_permissions(&[], &none).is_ok());
}

#[test]
fn pages_keep_only_linked_ones_and_read_next() {
    let next = "https://graph.facebook.com/v27.0/1/accounts?after=QVFI";
    let body = pages_body(
        &[
            unlinked_page("100000000000001"),
            linked_page("100000000000002", "17841400000000011", "first"),
            linked_page("100000000000003", "17841400000000012", "second"),
        ],
        Some(next),
    );
    let batch = process_pages(&ok(&body)).unwrap();
    assert_eq!(batch.pages_seen, 3);
    assert_eq!(batch.next.as_deref(), Some(next));
    assert_eq!(batch.linked.len(), 2);
    let first = &batch.linked[0];
    assert_eq!(first.page_id, "100000000000002");
    assert_eq!(first.page_name.as_deref(), Some("Page first"));
    assert_eq!(first.instagram.ig_user_id, "17841400000000011");
    assert_eq!(first.instagram.username, "first");
    assert_eq!(first.instagram.media_count, Some(44));
    assert_eq!(
        first.page_token.as_ref().map(|t| t.expose_secret()),
        Some(FB_PAGE_TOKEN)
    );

    let all = LinkedPages {
        linked: batch.linked.clone(),
        pages_seen: 3,
        truncated: false,
    };
    let picked = pick_page(all.clone(), Some("17841400000000012")).unwrap();
    assert_eq!(picked.page_id, "100000000000003");
    let picked = pick_page(all.clone(), None).unwrap();
    assert_eq!(
        picked.page_id, "100000000000002",
        "the first, in Meta's order"
    );
    let e = pick_page(all, Some("17841400000000099")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoLinkedAccount);
    assert!(e.message.contains("17841400000000099"), "{}", e.message);
}

#[test]
fn no_linked_page_says_how_to_link_one() {
    let batch = process_pages(&ok(&pages_body(
        &[unlinked_page("1"), unlinked_page("2")],
        None,
    )))
    .unwrap();
    assert!(batch.linked.is_empty() && batch.next.is_none());
    let e = pick_page(
        LinkedPages {
            linked: batch.linked,
            pages_seen: batch.pages_seen,
            truncated: false,
        },
        None,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoLinkedAccount);
    assert!(
        e.message.contains("none of the 2 Facebook Pages"),
        "{}",
        e.message
    );
    assert!(e.message.contains("Linked accounts"), "{}", e.message);
    let e = pick_page(LinkedPages::default(), None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoLinkedAccount);
    assert!(
        e.message.contains("no Facebook Page was shared"),
        "{}",
        e.message
    );
}

#[test]
fn a_page_without_a_token_is_a_permission_problem() {
    let body = format!(
        r#"{{"data":[{{"id":"5","name":"No task","instagram_business_account":{{"id":"{FB_IG_USER_ID}","username":"biz"}}}}]}}"#
    );
    let batch = process_pages(&ok(&body)).unwrap();
    let e = pick_page(
        LinkedPages {
            linked: batch.linked,
            pages_seen: 1,
            truncated: false,
        },
        None,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    assert!(
        e.message.contains("No task") && e.message.contains("@biz"),
        "{}",
        e.message
    );
}

#[test]
fn facebook_user_id_is_exact() {
    assert_eq!(
        process_facebook_user(&ok(r#"{"id":10000000000000042}"#)).unwrap(),
        "10000000000000042"
    );
}

#[test]
fn debug_token_answers() {
    let page = r#"{"data":{"app_id":"1000000000000001","type":"PAGE","application":"App","data_access_expires_at":1807776000,"expires_at":0,"is_valid":true,"issued_at":1800000000,"profile_id":"100000000000123","scopes":["instagram_basic","pages_show_list"],"user_id":"10000000000000042"}}"#;
    let info = process_debug_token(&ok(page)).unwrap();
    assert!(info.is_valid);
    assert_eq!(info.token_type.as_deref(), Some("PAGE"));
    assert_eq!(info.expires_at, None, "0 means never");
    assert_eq!(info.issued_at, Some(T0));
    assert_eq!(
        info.data_access_expires_at,
        Some(Timestamp::from_secs(1_807_776_000))
    );
    assert_eq!(info.profile_id.as_deref(), Some(PAGE_ID));
    assert_eq!(info.scopes.len(), 2);
    assert!(info.error.is_none());

    let expired = r#"{"data":{"app_id":"1000000000000001","type":"USER","expires_at":1799990000,"is_valid":false,"scopes":[],"user_id":"10000000000000042","error":{"code":190,"message":"Error validating access token: Session has expired","subcode":463}}}"#;
    let info = process_debug_token(&ok(expired)).unwrap();
    assert!(!info.is_valid);
    assert_eq!(info.expires_at, Some(Timestamp::from_secs(1_799_990_000)));
    let e = info.error.unwrap();
    assert_eq!(e.kind, ErrorKind::TokenExpired);
    assert_eq!((e.code(), e.subcode()), (Some(190), Some(463)));
    assert_eq!(e.status, None);
}

/// Every processor, on one input.
fn run_all(r: &Response) -> Vec<Result<(), Error>> {
    let prev = TokenRecord {
        access_token: AccessToken::new("p"),
        kind: TokenKind::InstagramLongLived,
        issued_at: T0,
        expires_at: None,
        scopes: vec![],
        ig_user_id: None,
    };
    vec![
        process_code_exchange(Product::Instagram, r, T0).map(drop),
        process_code_exchange(Product::Facebook, r, T0).map(drop),
        process_long_lived(Product::Instagram, r, T0).map(drop),
        process_long_lived(Product::Facebook, r, T0).map(drop),
        process_refresh(r, &prev, T0).map(drop),
        process_profile(Product::Instagram, r).map(drop),
        process_profile(Product::Facebook, r).map(drop),
        process_permissions(r).map(drop),
        process_pages(r).map(drop),
        process_facebook_user(r).map(drop),
        process_debug_token(r).map(drop),
    ]
}

#[test]
fn html_and_odd_bodies_are_unexpected_responses() {
    for body in [
        "<!DOCTYPE html><html><body>Sorry, something went wrong.</body></html>",
        "",
        "null",
        "true",
        "[]",
        "{}",
        r#"{"access_token":null}"#,
        r#"{"data":null}"#,
        "\u{feff}{",
        "{\"access_token\":\"\u{0}\"",
    ] {
        for (i, result) in run_all(&ok(body)).into_iter().enumerate() {
            let e = result.expect_err(body);
            assert_eq!(
                e.kind,
                ErrorKind::UnexpectedResponse,
                "processor {i}: {body:?}"
            );
            assert_eq!(e.status, Some(200));
        }
    }
    // An HTML 502 from a proxy is worth retrying; an HTML 404 is not.
    for e in run_all(&Response::new(502, "<html>Bad Gateway</html>")) {
        let e = e.unwrap_err();
        assert_eq!((e.kind, e.status), (ErrorKind::Transient, Some(502)));
        assert!(e.retryable());
    }
    for e in run_all(&Response::new(404, "<html>Not found</html>")) {
        assert_eq!(e.unwrap_err().kind, ErrorKind::UnexpectedResponse);
    }
}

#[test]
fn truncated_bodies_never_panic_or_leak() {
    let valid = [
        format!(
            r#"{{"data":[{{"access_token":"IGAAsecret","user_id":{IG_SCOPED_ID},"permissions":"instagram_business_basic"}}]}}"#
        ),
        r#"{"access_token":"IGAAsecret","token_type":"bearer","expires_in":5184000}"#.to_owned(),
        format!(
            r#"{{"user_id":"{IG_USER_ID}","username":"igbiz","account_type":"BUSINESS","id":"{IG_SCOPED_ID}"}}"#
        ),
        pages_body(
            &[linked_page(PAGE_ID, FB_IG_USER_ID, "biz")],
            Some("https://graph.facebook.com/v27.0/x"),
        ),
        r#"{"data":[{"permission":"instagram_basic","status":"granted"}]}"#.to_owned(),
    ];
    for body in &valid {
        for cut in 0..body.len() {
            let r = ok(&body[..cut]);
            for result in run_all(&r) {
                let e = result.unwrap_err();
                assert_eq!(e.kind, ErrorKind::UnexpectedResponse, "{:?}", &body[..cut]);
                assert!(
                    !e.message.contains("secret") && !e.message.contains("EAAP"),
                    "{}",
                    e.message
                );
            }
        }
    }
}
