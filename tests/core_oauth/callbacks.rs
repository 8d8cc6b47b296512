//! Every callback edge, through all three entry points (full URL, query
//! string, decoded pairs): what passes, what is refused, and as what.

use instagate::core::config::{Config, Product};
use instagate::core::error::{Error, ErrorKind};
use instagate::core::oauth::authorize::{start_login, LoginOptions};
use instagate::core::oauth::callback::{
    validate_callback, validate_callback_params, validate_callback_query, ValidatedCallback,
};
use instagate::core::testing::ScriptedTransport;

use super::support::*;

fn check(url: &str) -> Result<ValidatedCallback, Error> {
    validate_callback(&config(Product::Instagram), url, STATE)
}

fn refused(result: Result<ValidatedCallback, Error>) -> (ErrorKind, Option<String>) {
    let e = result.expect_err("the callback should be refused");
    (e.kind, e.field)
}

fn invalid(field: &str) -> (ErrorKind, Option<String>) {
    (ErrorKind::InvalidCallback, Some(field.to_owned()))
}

#[test]
fn a_good_callback_from_each_product() {
    // Instagram appends "#_", Facebook "#_=_".
    for (product, suffix) in [(Product::Instagram, "#_"), (Product::Facebook, "#_=_")] {
        let url = format!("{REDIRECT}?code={CODE}&state={STATE}{suffix}");
        let cb = validate_callback(&config(product), &url, STATE).unwrap();
        assert_eq!(cb.code().expose_secret(), CODE);
        assert_eq!(cb.state(), STATE);
    }
}

#[test]
fn the_whole_browser_round_trip() {
    // start_login's state comes back through the consent page's redirect.
    let t = ScriptedTransport::new(T0);
    let c = config(Product::Facebook);
    let pending = start_login(&t, &c, &LoginOptions::default()).unwrap();
    let url = format!(
        "{}?code=c0de&state={}#_=_",
        pending.redirect_uri, pending.state
    );
    let cb = validate_callback(&c, &url, &pending.state).unwrap();
    assert_eq!(cb.code().expose_secret(), "c0de");
    let other = start_login(&t, &c, &LoginOptions::default()).unwrap();
    assert_eq!(
        validate_callback(&c, &url, &other.state).unwrap_err().kind,
        ErrorKind::StateMismatch
    );
}

#[test]
fn missing_code_or_state_names_the_parameter() {
    assert_eq!(
        refused(check(&format!("{REDIRECT}?state={STATE}"))),
        invalid("code")
    );
    assert_eq!(
        refused(check(&format!("{REDIRECT}?code=&state={STATE}"))),
        invalid("code")
    );
    assert_eq!(
        refused(check(&format!("{REDIRECT}?code={CODE}"))),
        invalid("state")
    );
    assert_eq!(
        refused(check(&format!("{REDIRECT}?code={CODE}&state="))),
        invalid("state")
    );
    assert_eq!(refused(check(REDIRECT)), invalid("state"));
    let e = check(&format!("{REDIRECT}?state={STATE}")).unwrap_err();
    assert!(e.message.contains("code"), "{}", e.message);
}

#[test]
fn denial_is_typed_only_with_the_right_state() {
    let denied = format!(
        "{REDIRECT}?error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request.&state={STATE}#_"
    );
    let e = check(&denied).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OAuthDenied);
    assert!(e.message.contains("access_denied"), "{}", e.message);
    assert!(e.message.contains("user_denied"), "{}", e.message);
    assert!(
        e.message.contains("The user denied your request."),
        "{}",
        e.message
    );
    // Facebook's denial also carries error_code=200.
    let fb = format!(
        "{REDIRECT}?error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied&state={STATE}#_=_"
    );
    assert_eq!(
        validate_callback(&config(Product::Facebook), &fb, STATE)
            .unwrap_err()
            .kind,
        ErrorKind::OAuthDenied
    );
    // A forged denial: wrong state, or none at all.
    let forged = format!("{REDIRECT}?error=access_denied&error_reason=user_denied&state=forged");
    assert_eq!(refused(check(&forged)).0, ErrorKind::StateMismatch);
    let no_state = format!("{REDIRECT}?error=access_denied");
    assert_eq!(refused(check(&no_state)), invalid("state"));
    // A denial with a code too is still a denial.
    let both = format!("{REDIRECT}?code={CODE}&error=access_denied&state={STATE}");
    assert_eq!(refused(check(&both)).0, ErrorKind::OAuthDenied);
}

#[test]
fn repeated_parameters_are_refused() {
    for (url, field) in [
        (format!("{REDIRECT}?code=a&code=b&state={STATE}"), "code"),
        (
            format!("{REDIRECT}?code={CODE}&state={STATE}&state={STATE}"),
            "state",
        ),
        (
            format!("{REDIRECT}?code={CODE}&state=evil&state={STATE}"),
            "state",
        ),
        (
            format!("{REDIRECT}?code={CODE}&state={STATE}&error=x&error=y"),
            "error",
        ),
        // The same name spelled with an encoded letter is the same name.
        (format!("{REDIRECT}?code=a&%63ode=b&state={STATE}"), "code"),
    ] {
        assert_eq!(refused(check(&url)), invalid(field), "{url}");
    }
}

#[test]
fn state_is_compared_exactly() {
    let flipped = format!("{}{}", &STATE[..STATE.len() - 1], "J");
    for state in [flipped.as_str(), &STATE[..42], "", "x"] {
        let url = format!("{REDIRECT}?code={CODE}&state={state}");
        let kind = refused(check(&url)).0;
        assert!(
            matches!(kind, ErrorKind::StateMismatch | ErrorKind::InvalidCallback),
            "{state:?}: {kind:?}"
        );
        if !state.is_empty() {
            assert_eq!(kind, ErrorKind::StateMismatch, "{state:?}");
        }
    }
    let longer = format!("{REDIRECT}?code={CODE}&state={STATE}A");
    assert_eq!(refused(check(&longer)).0, ErrorKind::StateMismatch);
    // No pending login (empty expected state) never matches.
    let url = format!("{REDIRECT}?code={CODE}&state={STATE}");
    assert_eq!(
        validate_callback(&config(Product::Instagram), &url, "")
            .unwrap_err()
            .kind,
        ErrorKind::StateMismatch
    );
}

#[test]
fn redirect_uri_must_match_exactly() {
    for base in [
        "https://app.example/cb/",          // trailing slash
        "https://app.example/cbx",          // suffix
        "https://app.example/c",            // prefix
        "https://app.example/cb/extra",     // deeper path
        "https://app.example/CB",           // path case
        "https://APP.example/cb",           // host case
        "HTTPS://app.example/cb",           // scheme case
        "https://app.example:443/cb",       // explicit port
        "https://app.example:8443/cb",      // other port
        "http://app.example/cb",            // scheme
        "https://app.example.evil.test/cb", // host suffix
        "https://evil.test/https://app.example/cb",
        "https://app.example@evil.test/cb", // userinfo
        "https://evil.test@app.example/cb",
        "https://app.example/%63b", // percent-encoded path
        "https://app.example//cb",
        " https://app.example/cb",
        "/cb",
        "",
    ] {
        let url = format!("{base}?code={CODE}&state={STATE}");
        assert_eq!(refused(check(&url)), invalid("redirect_uri"), "{base:?}");
    }
    // The message names the configured address, never the attacker's.
    let e = check(&format!("https://evil.test/x?code={CODE}&state={STATE}")).unwrap_err();
    assert!(
        e.message.contains(REDIRECT) && !e.message.contains("evil"),
        "{}",
        e.message
    );
}

#[test]
fn a_redirect_uri_with_its_own_query() {
    let c = Config::new(
        Product::Instagram,
        CLIENT_ID,
        "https://app.example/cb?tenant=a%20b",
    )
    .unwrap();
    let ok = format!("https://app.example/cb?tenant=a+b&code={CODE}&state={STATE}#_");
    assert_eq!(
        validate_callback(&c, &ok, STATE)
            .unwrap()
            .code()
            .expose_secret(),
        CODE
    );
    for bad in [
        format!("https://app.example/cb?tenant=other&code={CODE}&state={STATE}"),
        format!("https://app.example/cb?code={CODE}&state={STATE}"),
        format!("https://app.example/cb?tenant=a+b&tenant=a+b&code={CODE}&state={STATE}"),
    ] {
        assert_eq!(
            refused(validate_callback(&c, &bad, STATE)).0,
            ErrorKind::InvalidCallback,
            "{bad}"
        );
    }
    // The query-only entry point applies the same rule.
    let q = format!("?tenant=a+b&code={CODE}&state={STATE}");
    assert!(validate_callback_query(&c, &q, STATE).is_ok());
    let q = format!("code={CODE}&state={STATE}");
    assert!(validate_callback_query(&c, &q, STATE).is_err());
}

#[test]
fn percent_encoding_is_decoded_once() {
    let url = format!(
        "{REDIRECT}?code=AQB%2Bx%2F1%3D%3D&state={}",
        STATE.replace('-', "%2D")
    );
    let cb = check(&url).unwrap();
    assert_eq!(cb.code().expose_secret(), "AQB+x/1==");
    assert_eq!(cb.state(), STATE);
    // A doubly encoded state is a different state.
    let double = format!(
        "{REDIRECT}?code=c&state={}",
        STATE.replacen('c', "%2563", 1)
    );
    assert_eq!(refused(check(&double)).0, ErrorKind::StateMismatch);
    // "#_" glued into the code (some copy-paste paths) is dropped too.
    let glued = format!("{REDIRECT}?state={STATE}&code={CODE}%23_");
    assert_eq!(check(&glued).unwrap().code().expose_secret(), CODE);
}

#[test]
fn fragments_are_never_parameters() {
    let url = format!("{REDIRECT}?state={STATE}#code=evil");
    assert_eq!(refused(check(&url)), invalid("code"));
    let url = format!("{REDIRECT}#?code={CODE}&state={STATE}");
    assert_eq!(refused(check(&url)), invalid("state"));
}

#[test]
fn query_and_params_entry_points() {
    let c = config(Product::Facebook);
    for q in [
        format!("code={CODE}&state={STATE}"),
        format!("?code={CODE}&state={STATE}#_=_"),
    ] {
        let cb = validate_callback_query(&c, &q, STATE).unwrap();
        assert_eq!(cb.code().expose_secret(), CODE);
    }
    let p = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    };
    assert!(validate_callback_params(&p(&[("code", CODE), ("state", STATE)]), STATE).is_ok());
    assert_eq!(
        validate_callback_params(
            &p(&[("code", CODE), ("code", "x"), ("state", STATE)]),
            STATE
        )
        .unwrap_err()
        .field
        .as_deref(),
        Some("code")
    );
    assert_eq!(
        validate_callback_params(&p(&[("error", "access_denied"), ("state", STATE)]), STATE)
            .unwrap_err()
            .kind,
        ErrorKind::OAuthDenied
    );
    assert_eq!(
        validate_callback_params(&p(&[("code", CODE), ("state", "nope")]), STATE)
            .unwrap_err()
            .kind,
        ErrorKind::StateMismatch
    );
}
