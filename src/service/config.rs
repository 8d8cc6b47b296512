//! The Worker's settings, read from its vars and secrets.
//!
//! Plain vars live in `wrangler.toml` (`[vars]`); secrets come from
//! `wrangler secret put` (or `.dev.vars` locally). [`ServiceConfig::from_env`]
//! takes a lookup function, so the Worker adapter and tests feed it the same
//! way. A missing or malformed setting is a `Config` error naming it, which
//! the Worker answers as a 500 with that name and logs; it never panics.
//!
//! | name | kind | meaning |
//! |---|---|---|
//! | `PRODUCTS` | var | login products served, e.g. `instagram,facebook` (first is the default) |
//! | `CLIENT_ID` / `INSTAGRAM_CLIENT_ID` / `FACEBOOK_CLIENT_ID` | var | the app ID (per product overrides the shared one) |
//! | `REDIRECT_URI` | var | this Worker's `/auth/callback` URL, registered with the app |
//! | `INSTAGRAM_SCOPES` / `FACEBOOK_SCOPES` | var | comma-separated scopes (default: the product's) |
//! | `GRAPH_VERSION` | var | e.g. `v27.0` |
//! | `FACEBOOK_CONFIG_ID` | var | Facebook Login for Business configuration ID: the dialog gets it instead of `scope` |
//! | `STANDIN_ORIGIN` | var | send every Meta call to the local stand-in at this origin (development: `.dev.vars`; refused unless loopback when `REDIRECT_URI` is https, see `config_guard`) |
//! | `APP_RETURN_URLS` | var | allowed places to send the browser after login; the first is the default |
//! | `ALLOWED_ORIGINS` | var | front-end origins allowed by CORS (SPA exchange and API) |
//! | `SPA_REDIRECT_URIS` | var | redirect URIs single-page front ends may use with `/auth/exchange` |
//! | `REFRESH_WINDOW_DAYS` | var | refresh tokens this many days before expiry (default 30) |
//! | `PAGE_TOKEN_CHECK_DAYS` | var | validate non-expiring Page tokens this often (default 7) |
//! | `CRON_MAX_SUBREQUESTS` / `CRON_MAX_KV_OPS` / `CRON_CONCURRENCY` | var | per-run budget (40 / 900 / 6) |
//! | `PUBLISH_WAIT_MS` | var | how long a publish request advances its job before answering 202 (default 8000) |
//! | `UPSTREAM_TIMEOUT_MS` | var | abort a call to Meta after this long (default 15000) |
//! | `SESSION_TTL_DAYS` | var | browser session lifetime (default 30) |
//! | `MAX_ACCOUNTS_PER_LOGIN` | var | a Facebook login stores at most this many of the accounts the person granted, in Meta's order (default and most: 50, what a browser session holds; 1 keeps only the first) |
//! | `WEBHOOK_FORWARD_URL` | var | deliver verified webhook events here (https; http only to 127.0.0.1/localhost) |
//! | `WEBHOOK_FORWARD_KEY` | secret | signs deliveries (at least 32 characters; required with the URL) |
//! | `WEBHOOK_RETRY_BASE_SECONDS` | var | first retry wait of a failed delivery, doubling (default 30) |
//! | `APP_SECRET` / `INSTAGRAM_APP_SECRET` / `FACEBOOK_APP_SECRET` | secret | the app secret |
//! | `TOKEN_KEYS` | secret | `id:base64key,...` AES-256 keys, first one writes |
//! | `SESSION_KEY` | secret | at least 32 bytes, signs cookies |
//! | `API_KEY` | secret | optional: enables `Authorization: Bearer` access |
//! | `WEBHOOK_VERIFY_TOKEN` | secret | optional: enables the webhook verification challenge |

use std::fmt;
use std::time::Duration;

use crate::core::appsecret_proof::SignedGraph;
use crate::core::config::{Config, Endpoints, Product};
use crate::core::error::Error;
use crate::core::secret::ClientSecret;
use crate::service::cookies::MAX_SESSION_ACCOUNTS;
use crate::service::crypto::Keyring;

/// One login product the Worker serves.
#[derive(Clone, Debug)]
pub struct ProductSettings {
    pub config: Config,
    pub app_secret: ClientSecret,
}

/// Everything the service reads from its environment.
#[derive(Clone)]
pub struct ServiceConfig {
    /// Served products; the first is the default for `/auth/login`.
    pub products: Vec<ProductSettings>,
    pub app_return_urls: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub spa_redirect_uris: Vec<String>,
    pub refresh_window: Duration,
    pub page_token_check: Duration,
    pub cron_max_subrequests: u32,
    pub cron_max_kv_ops: u32,
    pub cron_concurrency: usize,
    pub publish_wait: Duration,
    pub upstream_timeout: Duration,
    pub session_ttl: Duration,
    /// A Facebook login stores at most this many accounts.
    pub max_accounts_per_login: usize,
    pub keyring: Keyring,
    pub session_key: Vec<u8>,
    pub api_key: Option<ClientSecret>,
    pub webhook_verify_token: Option<ClientSecret>,
    /// Where verified webhook events are delivered (delivery.rs), if anywhere.
    pub webhook_forward: Option<WebhookForward>,
}

/// The operator's endpoint for webhook events.
#[derive(Clone)]
pub struct WebhookForward {
    /// `https://…` (or `http://127.0.0.1…` / `http://localhost…` for local runs).
    pub url: String,
    /// Signs every delivery (HMAC-SHA256).
    pub key: ClientSecret,
    /// The first retry's wait; each later one doubles it (capped at an hour).
    pub retry_base: Duration,
}

impl fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("products", &self.products)
            .field("app_return_urls", &self.app_return_urls)
            .field("allowed_origins", &self.allowed_origins)
            .field("refresh_window", &self.refresh_window)
            .field("keyring", &self.keyring)
            .field("session_key", &"[redacted]")
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

const DAY: u64 = 86_400;

impl ServiceConfig {
    /// The transport to Meta: Facebook Login's Graph calls carry
    /// `appsecret_proof` (required when the Meta app turns on "Require App
    /// Secret", recommended always); Instagram Login's pass through.
    pub fn upstream<T>(&self, inner: T) -> SignedGraph<T> {
        match self
            .products
            .iter()
            .find(|p| p.config.product == Product::Facebook)
        {
            Some(fb) => SignedGraph::new(
                inner,
                fb.app_secret.clone(),
                &fb.config.endpoints.graph_base,
            ),
            None => SignedGraph::unsigned(inner),
        }
    }

    /// Reads every setting through `get` (vars and secrets by name).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<ServiceConfig, Error> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required =
            |name: &str| var(name).ok_or_else(|| Error::config(name, format!("{name} is not set")));

        let product_names = var("PRODUCTS").unwrap_or_else(|| "instagram".to_owned());
        let redirect_uri = required("REDIRECT_URI")?;
        crate::service::config_guard::refuse_development_settings(&redirect_uri, var)?;
        let standin = var("STANDIN_ORIGIN");
        if let Some(origin) = &standin {
            check_origin("STANDIN_ORIGIN", origin)?;
        }
        let mut products = Vec::new();
        for name in list(&product_names) {
            let product =
                Product::parse(&name).map_err(|e| Error::config("PRODUCTS", e.message))?;
            if products
                .iter()
                .any(|p: &ProductSettings| p.config.product == product)
            {
                return Err(Error::config("PRODUCTS", format!("{name} is listed twice")));
            }
            let upper = name.to_ascii_uppercase();
            let id_name = format!("{upper}_CLIENT_ID");
            let client_id = var(&id_name)
                .or_else(|| var("CLIENT_ID"))
                .ok_or_else(|| Error::config("CLIENT_ID", format!("set CLIENT_ID or {id_name}")))?;
            let mut config = Config::new(product, &client_id, &redirect_uri).map_err(|e| {
                let field = match e.field.as_deref() {
                    Some("client_id") => "CLIENT_ID",
                    Some("redirect_uri") => "REDIRECT_URI",
                    _ => "PRODUCTS",
                };
                Error::config(field, e.message)
            })?;
            let scopes_name = format!("{upper}_SCOPES");
            if let Some(scopes) = var(&scopes_name) {
                config.scopes = list(&scopes);
            }
            if let Some(version) = var("GRAPH_VERSION") {
                config.graph_version = version;
            }
            if product == Product::Facebook {
                config.config_id = var("FACEBOOK_CONFIG_ID");
            }
            if let Some(origin) = &standin {
                config.endpoints = Endpoints::standin(product, origin);
            }
            config.validate().map_err(|e| {
                let field = match e.field.as_deref() {
                    Some("scopes") => scopes_name.as_str(),
                    Some("graph_version") => "GRAPH_VERSION",
                    Some("config_id") => "FACEBOOK_CONFIG_ID",
                    _ => "STANDIN_ORIGIN",
                };
                Error::config(field, e.message)
            })?;
            let secret_name = format!("{upper}_APP_SECRET");
            let app_secret = var(&secret_name)
                .or_else(|| var("APP_SECRET"))
                .ok_or_else(|| {
                    Error::config(
                        "APP_SECRET",
                        format!("set the APP_SECRET (or {secret_name}) secret"),
                    )
                })?;
            products.push(ProductSettings {
                config,
                app_secret: ClientSecret::new(app_secret),
            });
        }
        if products.is_empty() {
            return Err(Error::config("PRODUCTS", "PRODUCTS names no product"));
        }

        let app_return_urls = list(&required("APP_RETURN_URLS")?);
        for url in &app_return_urls {
            check_absolute_url("APP_RETURN_URLS", url)?;
        }
        let allowed_origins = list(&var("ALLOWED_ORIGINS").unwrap_or_default());
        for origin in &allowed_origins {
            check_origin("ALLOWED_ORIGINS", origin)?;
        }
        let spa_redirect_uris = list(&var("SPA_REDIRECT_URIS").unwrap_or_default());
        for uri in &spa_redirect_uris {
            check_absolute_url("SPA_REDIRECT_URIS", uri)?;
        }

        let keyring = Keyring::parse(&required("TOKEN_KEYS")?)?;
        let session_key = required("SESSION_KEY")?.into_bytes();
        if session_key.len() < 32 {
            return Err(Error::config(
                "SESSION_KEY",
                "SESSION_KEY must be at least 32 characters (e.g. openssl rand -base64 32)",
            ));
        }

        let number = |name: &str, default: u64, min: u64, max: u64| -> Result<u64, Error> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        Error::config(
                            name,
                            format!("{name} must be a whole number from {min} to {max}, got {v:?}"),
                        )
                    }),
            }
        };
        Ok(ServiceConfig {
            products,
            app_return_urls,
            allowed_origins,
            spa_redirect_uris,
            refresh_window: Duration::from_secs(number("REFRESH_WINDOW_DAYS", 30, 1, 58)? * DAY),
            page_token_check: Duration::from_secs(
                number("PAGE_TOKEN_CHECK_DAYS", 7, 1, 365)? * DAY,
            ),
            cron_max_subrequests: number("CRON_MAX_SUBREQUESTS", 40, 1, 10_000)? as u32,
            cron_max_kv_ops: number("CRON_MAX_KV_OPS", 900, 10, 100_000)? as u32,
            cron_concurrency: number("CRON_CONCURRENCY", 6, 1, 50)? as usize,
            publish_wait: Duration::from_millis(number("PUBLISH_WAIT_MS", 8_000, 0, 25_000)?),
            upstream_timeout: Duration::from_millis(number(
                "UPSTREAM_TIMEOUT_MS",
                15_000,
                100,
                60_000,
            )?),
            session_ttl: Duration::from_secs(number("SESSION_TTL_DAYS", 30, 1, 400)? * DAY),
            max_accounts_per_login: number(
                "MAX_ACCOUNTS_PER_LOGIN",
                MAX_SESSION_ACCOUNTS as u64,
                1,
                MAX_SESSION_ACCOUNTS as u64,
            )? as usize,
            keyring,
            session_key,
            api_key: var("API_KEY").map(ClientSecret::new),
            webhook_verify_token: var("WEBHOOK_VERIFY_TOKEN").map(ClientSecret::new),
            webhook_forward: match var("WEBHOOK_FORWARD_URL") {
                None => None,
                Some(url) => {
                    check_forward_url(&url)?;
                    let key = required("WEBHOOK_FORWARD_KEY")?;
                    if key.len() < 32 {
                        return Err(Error::config(
                            "WEBHOOK_FORWARD_KEY",
                            "WEBHOOK_FORWARD_KEY must be at least 32 characters",
                        ));
                    }
                    Some(WebhookForward {
                        url,
                        key: ClientSecret::new(key),
                        retry_base: Duration::from_secs(number(
                            "WEBHOOK_RETRY_BASE_SECONDS",
                            30,
                            1,
                            3600,
                        )?),
                    })
                }
            },
        })
    }

    /// The settings of `product`, if served.
    pub fn product(&self, product: Product) -> Option<&ProductSettings> {
        self.products.iter().find(|p| p.config.product == product)
    }

    /// The default product (first listed).
    pub fn default_product(&self) -> &ProductSettings {
        &self.products[0]
    }

    /// This Worker's public origin (`scheme://host[:port]` of `REDIRECT_URI`,
    /// its own callback): where the signed media URLs Meta fetches point.
    pub fn public_origin(&self) -> String {
        let uri = &self.default_product().config.redirect_uri;
        let after_scheme = uri.find("://").map_or(0, |i| i + 3);
        let end = uri[after_scheme..]
            .find(['/', '?', '#'])
            .map_or(uri.len(), |i| after_scheme + i);
        uri[..end].to_owned()
    }

    /// Where the browser goes after login when it asked for nowhere.
    pub fn default_return_url(&self) -> &str {
        &self.app_return_urls[0]
    }

    /// Whether `url` may receive the browser after login: it must start
    /// with an allowed URL, at a path boundary (`https://app/x` allows
    /// `https://app/x/y` and `https://app/x?a`, not `https://app/xy` nor
    /// `https://app.evil/`). Relative URLs, userinfo, backslashes and
    /// control characters are refused outright.
    pub fn return_url_allowed(&self, url: &str) -> bool {
        if url.contains(['\\', '@']) || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return false;
        }
        self.app_return_urls.iter().any(|allowed| {
            url == allowed
                || url
                    .strip_prefix(allowed.as_str())
                    .is_some_and(|rest| allowed.ends_with('/') || rest.starts_with(['/', '?', '#']))
        })
    }

    /// Whether a browser origin may call the Worker cross-origin.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn check_absolute_url(field: &str, url: &str) -> Result<(), Error> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty() && !rest.starts_with('/') && !url.contains(['\\', '@', ' ']) =>
        {
            Ok(())
        }
        _ => Err(Error::config(
            field,
            format!("{field}: {url:?} is not an absolute http(s) URL"),
        )),
    }
}

/// The webhook endpoint: HTTPS, or plain HTTP to this machine for local runs.
fn check_forward_url(url: &str) -> Result<(), Error> {
    let field = "WEBHOOK_FORWARD_URL";
    check_absolute_url(field, url)?;
    let local = ["http://127.0.0.1", "http://localhost"].iter().any(|p| {
        url.strip_prefix(p)
            .is_some_and(|r| r.is_empty() || r.starts_with([':', '/']))
    });
    if url.starts_with("https://") || local {
        Ok(())
    } else {
        Err(Error::config(
            field,
            format!("{field}: {url:?} must be https:// (http:// only to 127.0.0.1 or localhost, for local runs)"),
        ))
    }
}

fn check_origin(field: &str, origin: &str) -> Result<(), Error> {
    check_absolute_url(field, origin)?;
    let host_part = origin.split_once("://").map_or("", |(_, h)| h);
    if host_part.contains(['/', '?', '#']) {
        return Err(Error::config(
            field,
            format!("{field}: {origin:?} must be an origin (scheme://host[:port]) without a path or trailing slash"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = [
            ("CLIENT_ID", "1000000000000001"),
            ("REDIRECT_URI", "https://w.example/auth/callback"),
            (
                "APP_RETURN_URLS",
                "https://app.example/connected,https://app.example/settings/",
            ),
            ("APP_SECRET", "unit-test-app-secret"),
            (
                "TOKEN_KEYS",
                "k1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
            ),
            ("SESSION_KEY", "0123456789abcdef0123456789abcdef"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            m.insert(k.to_string(), v.to_string());
        }
        m
    }

    fn load(m: &HashMap<String, String>) -> Result<ServiceConfig, Error> {
        ServiceConfig::from_env(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_overrides() {
        let c = load(&env(&[
            ("PRODUCTS", "facebook, instagram"),
            ("INSTAGRAM_CLIENT_ID", "2000000000000002"),
            ("STANDIN_ORIGIN", "http://127.0.0.1:8790"),
            ("CRON_MAX_SUBREQUESTS", "10"),
        ]))
        .unwrap();
        assert_eq!(c.default_product().config.product, Product::Facebook);
        assert_eq!(c.default_product().config.client_id, "1000000000000001");
        let ig = c.product(Product::Instagram).unwrap();
        assert_eq!(ig.config.client_id, "2000000000000002");
        assert_eq!(
            ig.config.endpoints.graph_base,
            "http://127.0.0.1:8790/graph.instagram.com"
        );
        assert_eq!(c.cron_max_subrequests, 10);
        assert_eq!(c.refresh_window, Duration::from_secs(30 * DAY));
        assert_eq!(
            c.max_accounts_per_login, 50,
            "every account of a login by default"
        );
        let first_only = load(&env(&[("MAX_ACCOUNTS_PER_LOGIN", "1")])).unwrap();
        assert_eq!(first_only.max_accounts_per_login, 1);
        assert!(!format!("{c:?}").contains("standin-app-secret"));
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases: &[(&str, &str, &str)] = &[
            ("REDIRECT_URI", "", "REDIRECT_URI"),
            ("REDIRECT_URI", "http://evil.example/cb", "REDIRECT_URI"),
            ("CLIENT_ID", "abc", "CLIENT_ID"),
            ("PRODUCTS", "tiktok", "PRODUCTS"),
            ("PRODUCTS", "instagram,instagram", "PRODUCTS"),
            ("INSTAGRAM_SCOPES", "instagram_basic", "INSTAGRAM_SCOPES"),
            ("GRAPH_VERSION", "26", "GRAPH_VERSION"),
            ("TOKEN_KEYS", "k1:short", "TOKEN_KEYS"),
            ("TOKEN_KEYS", "", "TOKEN_KEYS"),
            ("SESSION_KEY", "short", "SESSION_KEY"),
            ("MAX_ACCOUNTS_PER_LOGIN", "0", "MAX_ACCOUNTS_PER_LOGIN"),
            ("MAX_ACCOUNTS_PER_LOGIN", "51", "MAX_ACCOUNTS_PER_LOGIN"),
            ("MAX_ACCOUNTS_PER_LOGIN", "all", "MAX_ACCOUNTS_PER_LOGIN"),
            ("APP_SECRET", "", "APP_SECRET"),
            ("APP_RETURN_URLS", "/relative", "APP_RETURN_URLS"),
            ("ALLOWED_ORIGINS", "https://app.example/", "ALLOWED_ORIGINS"),
            ("REFRESH_WINDOW_DAYS", "90", "REFRESH_WINDOW_DAYS"),
            ("CRON_CONCURRENCY", "many", "CRON_CONCURRENCY"),
            ("STANDIN_ORIGIN", "localhost:1", "STANDIN_ORIGIN"),
        ];
        for (name, value, field) in cases {
            let e = load(&env(&[(name, value)])).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(*field), "{name}={value}: {e:?}");
        }
    }

    #[test]
    fn return_urls_are_checked_at_path_boundaries() {
        let c = load(&env(&[])).unwrap();
        for ok in [
            "https://app.example/connected",
            "https://app.example/connected?tab=1",
            "https://app.example/connected/x",
            "https://app.example/settings/profile",
        ] {
            assert!(c.return_url_allowed(ok), "{ok}");
        }
        for bad in [
            "https://app.example/connectedx",
            "https://app.example.evil.com/connected",
            "https://evil.example/",
            "//evil.example",
            "/connected",
            "https://app.example/connected@evil.example",
            "https://app.example/connected\\..\\x",
            "javascript:alert(1)",
            "https://app.example/connected\n",
        ] {
            assert!(!c.return_url_allowed(bad), "{bad}");
        }
    }
}
