//! Every request builder, for both products: method, URL and parameters
//! exactly as Meta documents them (URLs cited in each module of
//! `core::oauth`).

use instagate::core::config::{Endpoints, Product};
use instagate::core::error::ErrorKind;
use instagate::core::http::Method;
use instagate::core::oauth::authorize::{
    authorization_url, pkce_challenge, start_login_with_random, LoginOptions,
};
use instagate::core::oauth::debug_token::debug_token_request;
use instagate::core::oauth::exchange::code_exchange_request;
use instagate::core::oauth::facebook_user::facebook_user_request;
use instagate::core::oauth::long_lived::long_lived_request;
use instagate::core::oauth::pages::{next_pages_request, pages_request};
use instagate::core::oauth::permissions::permissions_request;
use instagate::core::oauth::profile::{facebook_profile_request, instagram_profile_request};
use instagate::core::oauth::refresh::refresh_request;
use instagate::core::secret::{AccessToken, PkceVerifier};
use instagate::core::token::{TokenKind, TokenRecord};

use super::support::*;

#[test]
fn instagram_consent_url_is_the_documented_one() {
    // https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login
    let url = authorization_url(
        &config(Product::Instagram),
        STATE,
        "challenge",
        &LoginOptions::default(),
    )
    .unwrap();
    assert_eq!(
        url,
        format!(
            "https://www.instagram.com/oauth/authorize?client_id={CLIENT_ID}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=instagram_business_basic%2Cinstagram_business_content_publish&state={STATE}"
        )
    );
    let with_options = authorization_url(
        &config(Product::Instagram),
        STATE,
        "challenge",
        &LoginOptions {
            force_reauth: true,
            enable_fb_login: Some(true),
            rerequest: false,
        },
    )
    .unwrap();
    assert!(
        with_options.ends_with(&format!(
            "&state={STATE}&force_reauth=true&enable_fb_login=1"
        )),
        "{with_options}"
    );
}

#[test]
fn facebook_consent_url_is_versioned_with_pkce() {
    // https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
    // https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = pkce_challenge(verifier);
    let url = authorization_url(
        &config(Product::Facebook),
        STATE,
        &challenge,
        &LoginOptions::default(),
    )
    .unwrap();
    assert_eq!(
        url,
        format!(
            "https://www.facebook.com/v27.0/dialog/oauth?client_id={CLIENT_ID}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=instagram_basic%2Cinstagram_content_publish%2Cpages_show_list%2Cpages_read_engagement%2Cads_read&state={STATE}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        )
    );
}

#[test]
fn pkce_matches_rfc_7636_appendix_b() {
    // RFC 7636 Appendix B: the verifier made of these 32 octets...
    let octets: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    let mut random = [0u8; 64];
    random[32..].copy_from_slice(&octets);
    let p = start_login_with_random(
        &config(Product::Facebook),
        &LoginOptions::default(),
        &random,
        T0,
    )
    .unwrap();
    // ...is this base64url string, and its S256 challenge this one.
    assert_eq!(
        p.code_verifier.expose_secret(),
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
    assert_eq!(
        p.code_challenge,
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(
        p.state.len(),
        43,
        "32 random bytes, base64url without padding"
    );
    assert!(!p.state.contains('='));
    assert_eq!(p.created_at, T0);
}

#[test]
fn consent_url_refuses_the_other_products_scopes_and_options() {
    let mut c = config(Product::Facebook);
    c.scopes = vec!["instagram_business_basic".into()];
    let e = authorization_url(&c, STATE, "ch", &LoginOptions::default()).unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Config, Some("scopes"))
    );
    let mut c = config(Product::Instagram);
    c.scopes = vec!["pages_show_list".into()];
    assert_eq!(
        authorization_url(&c, STATE, "ch", &LoginOptions::default())
            .unwrap_err()
            .kind,
        ErrorKind::Config
    );
    let e = authorization_url(
        &config(Product::Facebook),
        STATE,
        "ch",
        &LoginOptions {
            force_reauth: false,
            enable_fb_login: Some(false),
            rerequest: false,
        },
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
}

#[test]
fn instagram_code_exchange_is_a_form_post_with_the_secret_in_the_body() {
    let c = config(Product::Instagram);
    let verifier = PkceVerifier::new("not-sent-to-instagram");
    let r = code_exchange_request(&c, &secret(), &callback(&c), Some(&verifier));
    assert_eq!(r.method, Method::Post);
    assert_eq!(r.url, "https://api.instagram.com/oauth/access_token");
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        sorted_params(&r),
        pairs(&[
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
            ("code", CODE),
        ])
    );
    assert!(!r.url.contains(SECRET));
}

#[test]
fn facebook_code_exchange_is_a_versioned_get_with_the_verifier() {
    let c = config(Product::Facebook);
    let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    let r = code_exchange_request(&c, &secret(), &callback(&c), Some(&verifier));
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.path(),
        "https://graph.facebook.com/v27.0/oauth/access_token"
    );
    assert_eq!(r.body, None);
    assert_eq!(
        sorted_params(&r),
        pairs(&[
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("client_secret", SECRET),
            ("code", CODE),
            (
                "code_verifier",
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
            ),
        ])
    );
    let without = code_exchange_request(&c, &secret(), &callback(&c), None);
    assert_eq!(param(&without, "code_verifier"), None);
}

#[test]
fn long_lived_exchange_per_product() {
    // https://developers.facebook.com/documentation/instagram-platform/reference/access_token
    let r = long_lived_request(
        &config(Product::Instagram),
        &secret(),
        &AccessToken::new(IG_SHORT),
    );
    assert_eq!(
        (r.method, r.path()),
        (Method::Get, "https://graph.instagram.com/access_token")
    );
    assert_eq!(
        sorted_params(&r),
        pairs(&[
            ("grant_type", "ig_exchange_token"),
            ("client_secret", SECRET),
            ("access_token", IG_SHORT),
        ])
    );
    // https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
    let r = long_lived_request(
        &config(Product::Facebook),
        &secret(),
        &AccessToken::new(FB_SHORT),
    );
    assert_eq!(
        (r.method, r.path()),
        (
            Method::Get,
            "https://graph.facebook.com/v27.0/oauth/access_token"
        )
    );
    assert_eq!(
        sorted_params(&r),
        pairs(&[
            ("grant_type", "fb_exchange_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("fb_exchange_token", FB_SHORT),
        ])
    );
}

#[test]
fn refresh_is_instagram_only_and_checked_first() {
    // https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token
    let token = TokenRecord {
        access_token: AccessToken::new(IG_LONG),
        kind: TokenKind::InstagramLongLived,
        issued_at: T0,
        expires_at: Some(T0.plus(60 * DAY)),
        scopes: vec![],
        ig_user_id: None,
    };
    let r = refresh_request(&config(Product::Instagram), &token, T0.plus(DAY)).unwrap();
    assert_eq!(
        (r.method, r.path()),
        (
            Method::Get,
            "https://graph.instagram.com/refresh_access_token"
        )
    );
    assert_eq!(
        sorted_params(&r),
        pairs(&[
            ("grant_type", "ig_refresh_token"),
            ("access_token", IG_LONG)
        ])
    );
    let e = refresh_request(&config(Product::Facebook), &token, T0.plus(DAY)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    let page = TokenRecord {
        kind: TokenKind::FacebookPage,
        expires_at: None,
        ..token
    };
    let e = refresh_request(&config(Product::Facebook), &page, T0.plus(DAY)).unwrap_err();
    assert!(e.message.contains("no refresh endpoint"), "{}", e.message);
}

#[test]
fn profile_requests_per_product() {
    let r = instagram_profile_request(&config(Product::Instagram), &AccessToken::new(IG_LONG));
    assert_eq!(r.path(), "https://graph.instagram.com/v27.0/me");
    assert_eq!(
        sorted_params(&r),
        pairs(&[
            (
                "fields",
                "user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count"
            ),
            ("access_token", IG_LONG),
        ])
    );
    let r = facebook_profile_request(
        &config(Product::Facebook),
        &AccessToken::new(FB_PAGE_TOKEN),
        FB_IG_USER_ID,
    );
    assert_eq!(
        r.path(),
        format!("https://graph.facebook.com/v27.0/{FB_IG_USER_ID}")
    );
    assert_eq!(
        param(&r, "fields").as_deref(),
        Some("id,username,name,profile_picture_url,followers_count,follows_count,media_count")
    );
}

#[test]
fn facebook_graph_reads() {
    let c = config(Product::Facebook);
    let r = permissions_request(&c, &AccessToken::new(FB_SHORT)).unwrap();
    assert_eq!(r.path(), "https://graph.facebook.com/v27.0/me/permissions");
    assert_eq!(sorted_params(&r), pairs(&[("access_token", FB_SHORT)]));
    let e =
        permissions_request(&config(Product::Instagram), &AccessToken::new(IG_SHORT)).unwrap_err();
    assert!(
        e.message.contains("no permissions endpoint"),
        "{}",
        e.message
    );

    let r = facebook_user_request(&c, &AccessToken::new(FB_SHORT));
    assert_eq!(r.path(), "https://graph.facebook.com/v27.0/me");
    assert_eq!(param(&r, "fields").as_deref(), Some("id"));

    let r = pages_request(&c, &AccessToken::new(FB_LONG));
    assert_eq!(r.path(), "https://graph.facebook.com/v27.0/me/accounts");
    assert_eq!(
        sorted_params(&r),
        pairs(&[
            (
                "fields",
                "id,name,access_token,instagram_business_account{id,username,name,profile_picture_url,followers_count,follows_count,media_count}"
            ),
            ("limit", "100"),
            ("access_token", FB_LONG),
        ])
    );

    let r = debug_token_request(&c, &secret(), &AccessToken::new(FB_PAGE_TOKEN)).unwrap();
    assert_eq!(r.path(), "https://graph.facebook.com/v27.0/debug_token");
    assert_eq!(
        sorted_params(&r),
        pairs(&[
            ("input_token", FB_PAGE_TOKEN),
            ("access_token", &format!("{CLIENT_ID}|{SECRET}")),
        ])
    );
    assert!(debug_token_request(
        &config(Product::Instagram),
        &secret(),
        &AccessToken::new(IG_LONG)
    )
    .is_err());
}

#[test]
fn paging_next_is_followed_only_on_the_graph_host() {
    let c = config(Product::Facebook);
    let next = "https://graph.facebook.com/v27.0/10000000000000042/accounts?access_token=EAAUlong-token&limit=100&after=QVFI";
    let r = next_pages_request(&c, next).unwrap();
    assert_eq!(r.url, next);
    for bad in [
        "https://graph.facebook.com.evil.test/v27.0/me/accounts?after=x",
        "https://graph.facebook.com@evil.test/v27.0/me/accounts",
        "http://graph.facebook.com/v27.0/me/accounts",
        "https://evil.test/https://graph.facebook.com/v27.0/me/accounts",
        "https://graph.facebook.com",
    ] {
        let e = next_pages_request(&c, bad).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnexpectedResponse, "{bad}");
    }
}

#[test]
fn every_builder_uses_the_configured_hosts() {
    let origin = "http://127.0.0.1:8790";
    let mut ig = config(Product::Instagram);
    ig.endpoints = Endpoints::standin(Product::Instagram, origin);
    let r = code_exchange_request(&ig, &secret(), &callback(&config(Product::Instagram)), None);
    assert_eq!(
        r.url,
        format!("{origin}/api.instagram.com/oauth/access_token")
    );
    let r = long_lived_request(&ig, &secret(), &AccessToken::new(IG_SHORT));
    assert_eq!(
        r.path(),
        format!("{origin}/graph.instagram.com/access_token")
    );
    let url = authorization_url(&ig, STATE, "ch", &LoginOptions::default()).unwrap();
    assert!(url.starts_with(&format!("{origin}/www.instagram.com/oauth/authorize?")));

    let mut fb = config(Product::Facebook);
    fb.endpoints = Endpoints::standin(Product::Facebook, origin);
    fb.graph_version = "v21.0".into();
    let r = code_exchange_request(&fb, &secret(), &callback(&config(Product::Facebook)), None);
    assert_eq!(
        r.path(),
        format!("{origin}/graph.facebook.com/v21.0/oauth/access_token")
    );
    let url = authorization_url(&fb, STATE, "ch", &LoginOptions::default()).unwrap();
    assert!(url.starts_with(&format!("{origin}/www.facebook.com/v21.0/dialog/oauth?")));
}
