//! Secrets never show in `Debug`: the pending login's verifier, the
//! callback's code, tokens in records and connected accounts, the app
//! secret in requests.

use std::cell::Cell;
use std::rc::Rc;

use instagate::core::config::Product;
use instagate::core::http::Response;
use instagate::core::oauth::authorize::{start_login, LoginOptions};
use instagate::core::oauth::exchange::code_exchange_request;
use instagate::core::oauth::login::complete_login;
use instagate::core::oauth::pages::{process_pages, AccountChoice};
use instagate::core::testing::{block_on, ScriptedTransport};

use super::support::*;

#[test]
fn pending_login_and_callback() {
    let t = ScriptedTransport::new(T0);
    let p = start_login(&t, &config(Product::Facebook), &LoginOptions::default()).unwrap();
    let debug = format!("{p:?}");
    assert!(!debug.contains(p.code_verifier.expose_secret()), "{debug}");
    assert!(debug.contains("PkceVerifier([redacted])"), "{debug}");

    let c = config(Product::Instagram);
    let cb = callback(&c);
    let debug = format!("{cb:?}");
    assert!(!debug.contains(CODE), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
}

#[test]
fn requests_records_and_accounts() {
    let c = config(Product::Instagram);
    let r = code_exchange_request(&c, &secret(), &callback(&c), None);
    let debug = format!("{r:?}");
    assert!(!debug.contains(SECRET) && !debug.contains(CODE), "{debug}");

    for product in [Product::Instagram, Product::Facebook] {
        let t = ScriptedTransport::new(T0);
        let meta = Meta::default();
        let served = Rc::new(Cell::new(0));
        t.set_handler(move |req, _| Ok(meta.answer(req, &served)));
        let c = config(product);
        let login = block_on(complete_login(
            &t,
            &c,
            &secret(),
            &callback(&c),
            None,
            &AccountChoice::all(),
        ))
        .unwrap();
        let account = &login.accounts[0];
        let debug = format!("{login:?} {account:?} {:?}", account.token);
        for secret_text in [
            IG_SHORT,
            IG_LONG,
            FB_SHORT,
            FB_LONG,
            FB_PAGE_TOKEN,
            SECRET,
            CODE,
        ] {
            assert!(!debug.contains(secret_text), "{secret_text} in {debug}");
        }
        assert!(debug.contains(&account.ig_user_id));
        // Serialization keeps the token: the record is meant to be stored (encrypted).
        let json = serde_json::to_string(&login).unwrap();
        assert!(json.contains(account.token.access_token.expose_secret()));
    }

    let batch = process_pages(&Response::new(
        200,
        pages_body(&[linked_page(PAGE_ID, FB_IG_USER_ID, "biz")], None),
    ))
    .unwrap();
    assert!(!format!("{batch:?}").contains(FB_PAGE_TOKEN));
}
