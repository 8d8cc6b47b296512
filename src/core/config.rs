//! Which Meta login product to use, and where its endpoints live.
//!
//! Meta offers two ways into the Instagram API:
//! - *Instagram API with Instagram Login* (`Product::Instagram`): no Facebook
//!   Page; consent at www.instagram.com, code exchange at api.instagram.com,
//!   everything else at graph.instagram.com
//!   (<https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login>);
//! - *Instagram API with Facebook Login* (`Product::Facebook`): the Instagram
//!   account is reached through a Facebook Page; consent at www.facebook.com,
//!   everything else at graph.facebook.com
//!   (<https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-facebook-login/get-started>).
//!
//! Every base URL is configuration so tests and the demo can point at the
//! local stand-in (`Endpoints::standin`).

use serde::{Deserialize, Serialize};

use crate::core::error::Error;

/// The latest Graph API version: v27.0, released on November 4, 2026
/// (<https://developers.facebook.com/blog/post/2026/11/04/introducing-graph-api-v27-and-marketing-api-v27/>;
/// the version table is <https://developers.facebook.com/docs/graph-api/changelog/versions/>).
pub const DEFAULT_GRAPH_VERSION: &str = "v27.0";

/// Which Meta login product a configuration uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Instagram API with Instagram Login.
    Instagram,
    /// Instagram API with Facebook Login (Page-linked accounts).
    Facebook,
}

impl Product {
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Instagram => "instagram",
            Product::Facebook => "facebook",
        }
    }

    pub fn parse(s: &str) -> Result<Product, Error> {
        match s {
            "instagram" => Ok(Product::Instagram),
            "facebook" => Ok(Product::Facebook),
            other => Err(Error::config(
                "product",
                format!("unknown login product {other:?}: use \"instagram\" or \"facebook\""),
            )),
        }
    }

    /// The scopes requested when the configuration names none: enough to read
    /// the profile and publish. Facebook Login: the publishing and media
    /// references' permissions (`instagram_basic`, `instagram_content_publish`,
    /// `pages_read_engagement`), `pages_show_list` for `/me/accounts`, and
    /// `ads_read`, because "if the app user was granted a role via the
    /// Business Manager on the Page ..., your app will also need one of:
    /// ads_management, ads_read"
    /// (<https://developers.facebook.com/documentation/instagram-platform/reference/instagram-media>,
    /// <https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media_publish>).
    /// `ads_read`, the read-only one of the two, is enough to publish.
    pub fn default_scopes(self) -> &'static [&'static str] {
        match self {
            Product::Instagram => &[
                "instagram_business_basic",
                "instagram_business_content_publish",
            ],
            Product::Facebook => &[
                "instagram_basic",
                "instagram_content_publish",
                "pages_show_list",
                "pages_read_engagement",
                "ads_read",
            ],
        }
    }

    /// Permissions without which nothing works: checked against what the user granted.
    pub fn required_scopes(self) -> &'static [&'static str] {
        match self {
            Product::Instagram => &["instagram_business_basic"],
            Product::Facebook => &["instagram_basic", "pages_show_list"],
        }
    }
}

/// Base URLs of the Meta hosts a product talks to, without trailing slash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// Serves the consent page: `https://www.instagram.com` / `https://www.facebook.com`.
    pub authorize_base: String,
    /// Instagram Login's code exchange host: `https://api.instagram.com`
    /// (Facebook Login exchanges codes on the Graph host).
    pub token_base: String,
    /// `https://graph.instagram.com` / `https://graph.facebook.com`.
    pub graph_base: String,
    /// Facebook Login's video upload host, `https://rupload.facebook.com`.
    /// When unset it follows `graph_base`: Meta's host for Meta's Graph
    /// host, the stand-in's `{origin}/rupload.facebook.com` for the
    /// stand-in's; set it when the Graph host is elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rupload_base: Option<String>,
}

impl Endpoints {
    /// Meta's production hosts for `product`.
    pub fn meta(product: Product) -> Endpoints {
        match product {
            Product::Instagram => Endpoints {
                authorize_base: "https://www.instagram.com".into(),
                token_base: "https://api.instagram.com".into(),
                graph_base: "https://graph.instagram.com".into(),
                rupload_base: None,
            },
            Product::Facebook => Endpoints {
                authorize_base: "https://www.facebook.com".into(),
                token_base: "https://graph.facebook.com".into(),
                graph_base: "https://graph.facebook.com".into(),
                rupload_base: None,
            },
        }
    }

    /// The local Instagram stand-in at `origin` (e.g. `http://127.0.0.1:8790`),
    /// which serves each Meta host under a path named after it.
    pub fn standin(product: Product, origin: &str) -> Endpoints {
        let origin = origin.trim_end_matches('/');
        let meta = Endpoints::meta(product);
        let swap = |url: &str| format!("{origin}/{}", url.trim_start_matches("https://"));
        Endpoints {
            authorize_base: swap(&meta.authorize_base),
            token_base: swap(&meta.token_base),
            graph_base: swap(&meta.graph_base),
            rupload_base: None,
        }
    }
}

/// A login product's configuration. Holds no secret: the app secret is
/// passed separately to the calls that need it, so this value can be sent to
/// a browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub product: Product,
    /// The Meta App ID (Instagram App ID for Instagram Login).
    pub client_id: String,
    /// Must match a redirect URI registered with the app, character for character.
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub graph_version: String,
    pub endpoints: Endpoints,
    /// Facebook Login for Business: the saved login configuration whose ID
    /// the dialog gets instead of `scope` (the configuration sets the
    /// permissions, assets and token type;
    /// <https://developers.facebook.com/docs/facebook-login/facebook-login-for-business/>).
    /// `scopes` then only lists what the login must have granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_id: Option<String>,
}

impl Config {
    /// A configuration with the product's default scopes, the current Graph
    /// version and Meta's hosts, validated.
    pub fn new(product: Product, client_id: &str, redirect_uri: &str) -> Result<Config, Error> {
        let config = Config {
            product,
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scopes: product
                .default_scopes()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            graph_version: DEFAULT_GRAPH_VERSION.to_owned(),
            endpoints: Endpoints::meta(product),
            config_id: None,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), Error> {
        if self.client_id.is_empty() || !self.client_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::config(
                "client_id",
                "client_id must be the app's numeric App ID from the Meta App Dashboard",
            ));
        }
        validate_redirect_uri(&self.redirect_uri)?;
        validate_graph_version(&self.graph_version)?;
        validate_scopes(self.product, &self.scopes)?;
        if let Some(id) = &self.config_id {
            if self.product != Product::Facebook {
                return Err(Error::config(
                    "config_id",
                    "config_id is a Facebook Login for Business setting; Instagram Login takes scopes",
                ));
            }
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::config(
                    "config_id",
                    "config_id must be the numeric Configuration ID from Facebook Login for Business > Configurations",
                ));
            }
        }
        let bases = [
            (
                "endpoints.authorize_base",
                Some(&self.endpoints.authorize_base),
            ),
            ("endpoints.token_base", Some(&self.endpoints.token_base)),
            ("endpoints.graph_base", Some(&self.endpoints.graph_base)),
            (
                "endpoints.rupload_base",
                self.endpoints.rupload_base.as_ref(),
            ),
        ];
        for (field, url) in bases.into_iter().filter_map(|(f, u)| Some((f, u?))) {
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.ends_with('/') {
                return Err(Error::config(
                    field,
                    format!("{field} must be an http(s) URL without a trailing slash"),
                ));
            }
        }
        Ok(())
    }

    /// `{graph_base}/{version}/{path}`.
    pub fn graph_url(&self, path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.endpoints.graph_base,
            self.graph_version,
            path.trim_start_matches('/')
        )
    }

    /// The resumable video upload URL of a container:
    /// `https://rupload.facebook.com/ig-api-upload/{version}/{container_id}`.
    /// Meta documents this host for Facebook Login only
    /// (<https://developers.facebook.com/documentation/instagram-platform/content-publishing/resumable-uploads>):
    /// `endpoints.rupload_base` when set, else derived from a
    /// `graph.facebook.com` Graph base (Meta's, or the stand-in's
    /// `{origin}/graph.facebook.com`). Instagram Login has none.
    pub fn rupload_url(&self, container_id: &str) -> Result<String, Error> {
        let not_offered = || {
            Error::invalid_input(
                "videoFile",
                "uploading a video file is available only with Instagram API with Facebook Login (graph.facebook.com); with Instagram Login, give a public videoUrl instead",
            )
        };
        if self.product != Product::Facebook {
            return Err(not_offered());
        }
        let base = match &self.endpoints.rupload_base {
            Some(base) => base.clone(),
            None => {
                let graph = self.endpoints.graph_base.trim_end_matches('/');
                let prefix = graph
                    .strip_suffix("graph.facebook.com")
                    .ok_or_else(not_offered)?;
                format!("{prefix}rupload.facebook.com")
            }
        };
        Ok(format!(
            "{base}/ig-api-upload/{}/{container_id}",
            self.graph_version
        ))
    }
}

/// Meta requires an absolute URL registered with the app; HTTPS unless it is
/// a loopback address (used by local development and the CLI).
fn validate_redirect_uri(uri: &str) -> Result<(), Error> {
    let bad = |why: &str| Err(Error::config("redirect_uri", format!("redirect_uri {why}")));
    let rest = if let Some(rest) = uri.strip_prefix("https://") {
        rest
    } else if let Some(rest) = uri.strip_prefix("http://") {
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            return bad("must use https:// (plain http is only allowed for localhost)");
        }
        rest
    } else {
        return bad("must be an absolute https:// URL");
    };
    if rest.is_empty() || rest.starts_with('/') {
        return bad("has no host");
    }
    if uri.contains('#') {
        return bad("must not contain a fragment");
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("must not contain whitespace");
    }
    Ok(())
}

fn validate_graph_version(v: &str) -> Result<(), Error> {
    let ok = v
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            "graph_version",
            format!("graph_version {v:?} must look like \"v27.0\""),
        ))
    }
}

/// Instagram Login takes only `instagram_business_*` scopes (the old
/// `business_*` names were retired on 2025-01-27); Facebook Login takes
/// Facebook permissions and never the `instagram_business_*` ones.
pub fn validate_scopes(product: Product, scopes: &[String]) -> Result<(), Error> {
    if scopes.is_empty() {
        return Err(Error::config("scopes", "at least one scope is required"));
    }
    for scope in scopes {
        let valid_name = !scope.is_empty()
            && scope
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_name {
            return Err(Error::config(
                "scopes",
                format!("{scope:?} is not a permission name"),
            ));
        }
        let ig_login_scope = scope.starts_with("instagram_business_");
        match product {
            Product::Instagram if scope.starts_with("business_") => {
                return Err(Error::config(
                    "scopes",
                    format!("{scope} was retired on 2025-01-27; use instagram_{scope}"),
                ));
            }
            Product::Instagram if !ig_login_scope => {
                return Err(Error::config(
                    "scopes",
                    format!("{scope} is a Facebook Login permission; Instagram Login takes instagram_business_* scopes"),
                ));
            }
            Product::Facebook if ig_login_scope => {
                return Err(Error::config(
                    "scopes",
                    format!("{scope} is an Instagram Login scope; Facebook Login uses e.g. instagram_basic, instagram_content_publish"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

    fn field(r: Result<Config, Error>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config);
        e.field.unwrap()
    }

    #[test]
    fn defaults_per_product() {
        let c = Config::new(
            Product::Instagram,
            "1000000000000001",
            "https://app.example/cb",
        )
        .unwrap();
        assert_eq!(
            c.scopes,
            [
                "instagram_business_basic",
                "instagram_business_content_publish"
            ]
        );
        assert_eq!(c.graph_url("/me"), "https://graph.instagram.com/v27.0/me");
        let c = Config::new(
            Product::Facebook,
            "1000000000000001",
            "http://localhost:8787/cb",
        )
        .unwrap();
        // The publishing references' permissions, not business_management.
        assert_eq!(
            c.scopes,
            [
                "instagram_basic",
                "instagram_content_publish",
                "pages_show_list",
                "pages_read_engagement",
                "ads_read"
            ]
        );
        assert_eq!(c.endpoints.token_base, "https://graph.facebook.com");
    }

    #[test]
    fn bad_settings_name_their_field() {
        assert_eq!(
            field(Config::new(Product::Instagram, "", "https://a/cb")),
            "client_id"
        );
        assert_eq!(
            field(Config::new(Product::Instagram, "12ab", "https://a/cb")),
            "client_id"
        );
        assert_eq!(
            field(Config::new(
                Product::Instagram,
                "1",
                "http://evil.example/cb"
            )),
            "redirect_uri"
        );
        assert_eq!(
            field(Config::new(Product::Instagram, "1", "https://a/cb#x")),
            "redirect_uri"
        );
        assert_eq!(
            field(Config::new(Product::Instagram, "1", "/relative")),
            "redirect_uri"
        );
        assert_eq!(
            field(Config::new(Product::Instagram, "1", "https:///nohost")),
            "redirect_uri"
        );
        let mut c = Config::new(Product::Instagram, "1", "https://a/cb").unwrap();
        c.graph_version = "26".into();
        assert_eq!(
            c.validate().unwrap_err().field.as_deref(),
            Some("graph_version")
        );
        c.graph_version = "v27.0".into();
        c.endpoints.graph_base = "https://graph.instagram.com/".into();
        assert_eq!(
            c.validate().unwrap_err().field.as_deref(),
            Some("endpoints.graph_base")
        );
    }

    #[test]
    fn scopes_must_belong_to_the_product() {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(validate_scopes(Product::Instagram, &s(&["instagram_business_basic"])).is_ok());
        let e = validate_scopes(Product::Instagram, &s(&["instagram_basic"])).unwrap_err();
        assert!(
            e.message.contains("Facebook Login permission"),
            "{}",
            e.message
        );
        let e = validate_scopes(Product::Facebook, &s(&["instagram_business_basic"])).unwrap_err();
        assert!(e.message.contains("Instagram Login scope"), "{}", e.message);
        let e = validate_scopes(Product::Instagram, &s(&["business_basic"])).unwrap_err();
        assert!(
            e.message.contains("instagram_business_basic"),
            "{}",
            e.message
        );
        assert!(validate_scopes(Product::Facebook, &s(&[])).is_err());
        assert!(validate_scopes(Product::Facebook, &s(&["pages show"])).is_err());
    }

    #[test]
    fn standin_endpoints_keep_the_host_as_a_path() {
        let e = Endpoints::standin(Product::Instagram, "http://127.0.0.1:8790/");
        assert_eq!(e.authorize_base, "http://127.0.0.1:8790/www.instagram.com");
        assert_eq!(e.token_base, "http://127.0.0.1:8790/api.instagram.com");
        assert_eq!(e.graph_base, "http://127.0.0.1:8790/graph.instagram.com");
        let e = Endpoints::standin(Product::Facebook, "http://127.0.0.1:8790");
        assert_eq!(e.graph_base, "http://127.0.0.1:8790/graph.facebook.com");
    }
}
