//! Starting a login: `state`, the PKCE pair, and the consent-page URL.
//!
//! - Instagram Login: `{authorize_base}/oauth/authorize` with `client_id`,
//!   `redirect_uri`, `response_type=code`, comma-separated `scope`, `state`,
//!   and the optional `force_reauth` / `enable_fb_login`
//!   (<https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login>).
//! - Facebook Login: `{authorize_base}/{version}/dialog/oauth` with the same
//!   parameters plus `code_challenge` / `code_challenge_method=S256`
//!   (<https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow>,
//!   <https://developers.facebook.com/docs/facebook-login/guides/advanced/oidc-token>).
//!
//! A PKCE verifier is made for both products. Meta checks it only for
//! Facebook Login; for Instagram Login the challenge still binds the login
//! to the browser that started it when a backend (the Worker's
//! `/auth/pending` + `/auth/exchange`) completes it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::config::{validate_scopes, Config, Product};
use crate::core::error::Error;
use crate::core::http::{with_query, Transport};
use crate::core::secret::PkceVerifier;
use crate::core::time::Timestamp;

/// Options of the consent page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginOptions {
    /// Instagram Login: ask for the password again even with a session.
    #[serde(default)]
    pub force_reauth: bool,
    /// Instagram Login: offer (or hide) "Log in with Facebook".
    #[serde(default)]
    pub enable_fb_login: Option<bool>,
    /// Facebook Login: ask again for permissions the person declined before
    /// (`auth_type=rerequest`); without it the dialog does not offer them again
    /// (<https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow>,
    /// "Re-asking for Declined Permissions").
    #[serde(default)]
    pub rerequest: bool,
}

/// A login in progress: keep it until the callback; never send the
/// verifier anywhere but to the backend that exchanges the code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The consent-page URL to send the browser to.
    pub url: String,
    /// 32 random bytes, base64url: the callback must bring it back.
    pub state: String,
    /// The PKCE verifier (RFC 7636), 32 random bytes base64url (43 characters).
    pub code_verifier: PkceVerifier,
    /// `BASE64URL(SHA256(code_verifier))`.
    pub code_challenge: String,
    /// The product whose consent page `url` opens.
    pub product: Product,
    /// The redirect URI the consent page was opened with (the exchange needs the same).
    pub redirect_uri: String,
    /// When the login started (pending logins should expire after minutes).
    pub created_at: Timestamp,
}

impl PendingLogin {
    /// The verifier to send with the code exchange: Facebook Login checks
    /// it against the challenge the dialog got; Instagram Login takes none.
    pub fn verifier_for_exchange(&self) -> Option<&PkceVerifier> {
        (self.product == Product::Facebook).then_some(&self.code_verifier)
    }
}

/// Makes the state and PKCE pair from the transport's secure randomness
/// and builds the consent-page URL.
pub fn start_login<T: Transport>(
    transport: &T,
    config: &Config,
    options: &LoginOptions,
) -> Result<PendingLogin, Error> {
    let mut random = [0u8; 64];
    transport.fill_random(&mut random);
    start_login_with_random(config, options, &random, transport.now())
}

/// [`start_login`] without a transport: `random` must be 64 bytes from a
/// cryptographically secure source (32 for `state`, 32 for the verifier).
pub fn start_login_with_random(
    config: &Config,
    options: &LoginOptions,
    random: &[u8; 64],
    now: Timestamp,
) -> Result<PendingLogin, Error> {
    config.validate()?;
    let state = URL_SAFE_NO_PAD.encode(&random[..32]);
    // 32 bytes give 43 base64url characters: RFC 7636 §4.1's minimum length,
    // from its unreserved alphabet.
    let verifier = URL_SAFE_NO_PAD.encode(&random[32..]);
    let challenge = pkce_challenge(&verifier);
    let url = authorization_url(config, &state, &challenge, options)?;
    Ok(PendingLogin {
        url,
        state,
        code_verifier: PkceVerifier::new(verifier),
        code_challenge: challenge,
        product: config.product,
        redirect_uri: config.redirect_uri.clone(),
        created_at: now,
    })
}

/// The S256 PKCE challenge of `verifier` (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The consent-page URL for `config.product`. `code_challenge` is sent to
/// Meta only for Facebook Login, the product that verifies it.
pub fn authorization_url(
    config: &Config,
    state: &str,
    code_challenge: &str,
    options: &LoginOptions,
) -> Result<String, Error> {
    validate_scopes(config.product, &config.scopes)?;
    if state.is_empty() {
        return Err(Error::invalid_input("state", "state must not be empty"));
    }
    let scope = config.scopes.join(",");
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", &config.client_id),
        ("redirect_uri", &config.redirect_uri),
        ("response_type", "code"),
    ];
    // Facebook Login for Business: the saved configuration replaces `scope`.
    match &config.config_id {
        Some(id) => params.push(("config_id", id)),
        None => params.push(("scope", &scope)),
    }
    params.push(("state", state));
    let base = match config.product {
        Product::Instagram => {
            if options.rerequest {
                return Err(Error::invalid_input(
                    "options",
                    "rerequest is a Facebook Login option (Instagram Login shows every permission again on a new login)",
                ));
            }
            if options.force_reauth {
                params.push(("force_reauth", "true"));
            }
            match options.enable_fb_login {
                Some(true) => params.push(("enable_fb_login", "1")),
                Some(false) => params.push(("enable_fb_login", "0")),
                None => {}
            }
            format!("{}/oauth/authorize", config.endpoints.authorize_base)
        }
        Product::Facebook => {
            if options.force_reauth || options.enable_fb_login.is_some() {
                return Err(Error::invalid_input(
                    "options",
                    "forceReauth and enableFbLogin are Instagram Login options",
                ));
            }
            params.push(("code_challenge", code_challenge));
            params.push(("code_challenge_method", "S256"));
            if options.rerequest {
                params.push(("auth_type", "rerequest"));
            }
            format!(
                "{}/{}/dialog/oauth",
                config.endpoints.authorize_base, config.graph_version
            )
        }
    };
    Ok(with_query(&base, &params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;
    use crate::core::testing::ScriptedTransport;

    fn config(product: Product) -> Config {
        Config::new(product, "1000000000000001", "https://app.example/cb").unwrap()
    }

    fn params(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').unwrap().1;
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn rfc7636_appendix_b_challenge() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn instagram_url_has_the_documented_parameters() {
        let options = LoginOptions {
            force_reauth: true,
            enable_fb_login: Some(false),
            rerequest: false,
        };
        let url = authorization_url(&config(Product::Instagram), "st", "ch", &options).unwrap();
        assert!(
            url.starts_with("https://www.instagram.com/oauth/authorize?"),
            "{url}"
        );
        let p = params(&url);
        let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("client_id"), Some("1000000000000001"));
        assert_eq!(get("redirect_uri"), Some("https://app.example/cb"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(
            get("scope"),
            Some("instagram_business_basic,instagram_business_content_publish")
        );
        assert_eq!(get("state"), Some("st"));
        assert_eq!(get("force_reauth"), Some("true"));
        assert_eq!(get("enable_fb_login"), Some("0"));
        assert_eq!(
            get("code_challenge"),
            None,
            "Instagram Login does not take PKCE"
        );
    }

    #[test]
    fn facebook_url_is_versioned_and_carries_pkce() {
        let url = authorization_url(
            &config(Product::Facebook),
            "st",
            "ch",
            &LoginOptions::default(),
        )
        .unwrap();
        assert!(
            url.starts_with("https://www.facebook.com/v27.0/dialog/oauth?"),
            "{url}"
        );
        let p = params(&url);
        assert!(p.contains(&("code_challenge".into(), "ch".into())));
        assert!(p.contains(&("code_challenge_method".into(), "S256".into())));
        let e = authorization_url(
            &config(Product::Facebook),
            "st",
            "ch",
            &LoginOptions {
                force_reauth: true,
                enable_fb_login: None,
                rerequest: false,
            },
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
    }

    /// Manually Build a Login Flow, "Re-asking for Declined Permissions":
    /// `auth_type=rerequest` (Facebook Login only).
    #[test]
    fn rerequest_asks_facebook_for_declined_permissions_again() {
        let rerequest = LoginOptions {
            rerequest: true,
            ..LoginOptions::default()
        };
        let url = authorization_url(&config(Product::Facebook), "st", "ch", &rerequest).unwrap();
        assert!(params(&url).contains(&("auth_type".into(), "rerequest".into())));
        let plain = authorization_url(
            &config(Product::Facebook),
            "st",
            "ch",
            &LoginOptions::default(),
        )
        .unwrap();
        assert!(!plain.contains("auth_type"), "{plain}");
        let e = authorization_url(&config(Product::Instagram), "st", "ch", &rerequest).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("options"));
    }

    /// Facebook Login for Business: the dialog takes the saved configuration
    /// (`config_id`) instead of `scope`; the classic `scope` dialog stays.
    #[test]
    fn a_config_id_replaces_scope_in_the_facebook_dialog() {
        let mut c = config(Product::Facebook);
        c.config_id = Some("1234567890123456".into());
        let url = authorization_url(&c, "st", "ch", &LoginOptions::default()).unwrap();
        let p = params(&url);
        assert!(p.contains(&("config_id".into(), "1234567890123456".into())));
        assert!(!p.iter().any(|(k, _)| k == "scope"), "{url}");
        assert!(p.contains(&("code_challenge".into(), "ch".into())));
        c.config_id = Some("not-a-number".into());
        assert_eq!(
            c.validate().unwrap_err().field.as_deref(),
            Some("config_id")
        );
        let mut ig = config(Product::Instagram);
        ig.config_id = Some("1234567890123456".into());
        assert_eq!(
            ig.validate().unwrap_err().field.as_deref(),
            Some("config_id")
        );
    }

    #[test]
    fn start_login_makes_fresh_state_and_verifier() {
        let t = ScriptedTransport::new(Timestamp::from_secs(1_800_000_000));
        let a = start_login(&t, &config(Product::Facebook), &LoginOptions::default()).unwrap();
        let b = start_login(&t, &config(Product::Facebook), &LoginOptions::default()).unwrap();
        assert_eq!(a.state.len(), 43);
        assert_eq!(a.code_verifier.expose_secret().len(), 43);
        assert_ne!(a.state, b.state);
        assert_ne!(a.code_verifier, b.code_verifier);
        assert_eq!(
            a.code_challenge,
            pkce_challenge(a.code_verifier.expose_secret())
        );
        assert!(params(&a.url).contains(&("state".into(), a.state.clone())));
        assert_eq!(a.created_at, Timestamp::from_secs(1_800_000_000));
        let debug = format!("{a:?}");
        assert!(!debug.contains(a.code_verifier.expose_secret()), "{debug}");
        assert_eq!(a.verifier_for_exchange(), Some(&a.code_verifier));
        let ig = start_login(&t, &config(Product::Instagram), &LoginOptions::default()).unwrap();
        assert_eq!(ig.verifier_for_exchange(), None);
    }

    #[test]
    fn start_login_with_random_is_pure() {
        let mut random = [0u8; 64];
        random[32..].copy_from_slice(&[0xFF; 32]);
        let now = Timestamp::from_secs(1_800_000_000);
        let p = start_login_with_random(
            &config(Product::Facebook),
            &LoginOptions::default(),
            &random,
            now,
        )
        .unwrap();
        assert_eq!(p.state, "A".repeat(43));
        assert_eq!(
            p.code_verifier.expose_secret(),
            format!("{}8", "_".repeat(42))
        );
        assert_eq!(
            p.code_challenge,
            pkce_challenge(p.code_verifier.expose_secret())
        );
        assert!(params(&p.url).contains(&("code_challenge".into(), p.code_challenge.clone())));
        // Serializable for KV / sessionStorage, verifier included.
        let json = serde_json::to_string(&p).unwrap();
        let back: PendingLogin = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn scopes_of_the_other_product_are_refused() {
        let mut c = config(Product::Instagram);
        c.scopes = vec!["instagram_basic".into()];
        let e = authorization_url(&c, "st", "ch", &LoginOptions::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config);
        assert_eq!(e.field.as_deref(), Some("scopes"));
    }
}
