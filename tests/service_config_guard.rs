//! A Worker whose REDIRECT_URI is https refuses development-only settings:
//! a STANDIN_ORIGIN that is not loopback, and every sample secret of
//! `.dev.vars.example` (read from the file itself, so the list cannot
//! drift). Local runs (http REDIRECT_URI) keep both.

// The core error carries Meta's fields by value, as everywhere in the crate.
#![allow(clippy::result_large_err)]

mod service_common;

use instagate::service::config::ServiceConfig;
use service_common::*;

fn from(extra: &[(&str, &str)]) -> Result<ServiceConfig, instagate::core::error::Error> {
    let m = env(extra);
    ServiceConfig::from_env(|k| m.get(k).cloned())
}

/// `KEY="value"` lines of `.dev.vars.example`.
fn dev_vars_example() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.dev.vars.example");
    std::fs::read_to_string(path)
        .expect(".dev.vars.example")
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !k.trim_start().starts_with('#'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect()
}

#[test]
fn an_https_worker_refuses_each_sample_secret_of_dev_vars_example_without_quoting_it() {
    let samples: Vec<_> = dev_vars_example()
        .into_iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "STANDIN_ORIGIN"
                    | "REDIRECT_URI"
                    | "CLIENT_ID"
                    | "APP_RETURN_URLS"
                    | "ALLOWED_ORIGINS"
                    | "SPA_REDIRECT_URIS"
            )
        })
        .collect();
    assert!(samples.len() >= 5, "{samples:?}");
    for (name, value) in &samples {
        let error = from(&[(name, value)]).expect_err(name);
        assert_eq!(error.field.as_deref(), Some(name.as_str()), "{error:?}");
        assert!(
            error.message.contains(".dev.vars.example"),
            "{}",
            error.message
        );
        assert!(
            !error.message.contains(value.as_str()),
            "the message quotes the secret"
        );
        // A local run (http REDIRECT_URI) keeps it.
        let local = from(&[
            (name, value),
            ("REDIRECT_URI", "http://127.0.0.1:8787/auth/callback"),
        ]);
        assert!(local.is_ok(), "{name}: {local:?}");
    }
    // The sample key under another id is still the sample key.
    let (_, keys) = samples.iter().find(|(k, _)| k == "TOKEN_KEYS").unwrap();
    let renamed = format!("prod:{}", keys.split_once(':').unwrap().1);
    assert_eq!(
        from(&[("TOKEN_KEYS", &renamed)])
            .unwrap_err()
            .field
            .as_deref(),
        Some("TOKEN_KEYS")
    );
}

#[test]
fn an_https_worker_refuses_a_standin_origin_that_is_not_loopback() {
    let error = from(&[("STANDIN_ORIGIN", "http://standin.example:8790")]).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("STANDIN_ORIGIN"));
    assert!(from(&[("STANDIN_ORIGIN", "http://127.0.0.1:8790")]).is_ok());
    let local = from(&[
        ("STANDIN_ORIGIN", "http://standin.example:8790"),
        ("REDIRECT_URI", "http://127.0.0.1:8787/auth/callback"),
    ]);
    assert!(local.is_ok(), "{local:?}");
}

/// What a bare `wrangler deploy` ships: wrangler.toml's default `[vars]`.
#[test]
fn wrangler_toml_default_vars_hold_no_development_setting() {
    let toml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/wrangler.toml"))
        .expect("wrangler.toml");
    let vars = toml.split("\n[vars]\n").nth(1).expect("a [vars] table");
    let vars = vars.split("\n[").next().unwrap();
    let set: Vec<&str> = vars
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .collect();
    assert!(set.iter().any(|l| l.starts_with("PRODUCTS")), "{set:?}");
    for line in &set {
        assert!(!line.starts_with("STANDIN_ORIGIN"), "{line}");
        assert!(
            !line.contains("127.0.0.1") && !line.contains("localhost"),
            "{line}"
        );
    }
    // The local runs take them from .dev.vars(.example).
    let local: Vec<String> = dev_vars_example().into_iter().map(|(k, _)| k).collect();
    for name in [
        "STANDIN_ORIGIN",
        "REDIRECT_URI",
        "CLIENT_ID",
        "APP_RETURN_URLS",
    ] {
        assert!(
            local.iter().any(|k| k == name),
            "{name} missing from .dev.vars.example"
        );
    }
}
