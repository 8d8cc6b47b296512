//! The server-side Meta calls that complete a login (code → token →
//! long-lived token + profile → for Facebook Login, the Page and its
//! Instagram account). The consent URL, state, PKCE and callback checks are
//! the core's (`core::oauth`).
//!
//! Interim: when the core grows its exchange / long-lived / profile / Page
//! calls (issue 2), this module shrinks to a mapping from the core's
//! connected account to [`ConnectedAccount`] here.
//!
//! References:
//! - Instagram Login: <https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login>
//!   (authorize at www.instagram.com, code exchange at api.instagram.com,
//!   `ig_exchange_token` and `/me` at graph.instagram.com);
//! - Facebook Login: <https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow>,
//!   <https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived>,
//!   <https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-facebook-login/get-started>.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Transport};
use crate::core::json::parse_success;
use crate::core::secret::{AccessToken, ClientSecret, PkceVerifier};
use crate::core::time::Timestamp;
use crate::service::accounts::TokenKind;

/// A login that completed: everything the Worker stores.
pub struct ConnectedAccount {
    pub ig_user_id: String,
    pub username: String,
    pub name: Option<String>,
    pub account_type: Option<String>,
    pub token: AccessToken,
    pub kind: TokenKind,
    pub scopes: Vec<String>,
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub page_id: Option<String>,
    pub page_name: Option<String>,
    /// Other IDs Meta may name this person by (token user ID, Facebook user).
    pub aliases: Vec<String>,
}

/// Exchanges `code` and gathers the account. `redirect_uri` must be the one
/// the consent page was opened with.
pub async fn complete_login<T: Transport>(
    transport: &T,
    config: &Config,
    secret: &ClientSecret,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&PkceVerifier>,
) -> Result<ConnectedAccount, Error> {
    match config.product {
        Product::Instagram => instagram(transport, config, secret, code, redirect_uri).await,
        Product::Facebook => {
            facebook(transport, config, secret, code, redirect_uri, verifier).await
        }
    }
}

#[derive(Deserialize)]
struct LongLived {
    access_token: AccessToken,
    expires_in: Option<u64>,
}

async fn instagram<T: Transport>(
    transport: &T,
    config: &Config,
    secret: &ClientSecret,
    code: &str,
    redirect_uri: &str,
) -> Result<ConnectedAccount, Error> {
    // 1. code -> short-lived token (flat or data-wrapped answer).
    let exchange = Request::post_form(
        &format!("{}/oauth/access_token", config.endpoints.token_base),
        &[
            ("client_id", &config.client_id),
            ("client_secret", secret.expose_secret()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri),
            ("code", code),
        ],
    );
    let response = transport.send(exchange).await?;
    let body: Value = parse_success(&response, "code exchange")?;
    let entry = body
        .get("data")
        .and_then(|d| d.get(0))
        .unwrap_or(&body)
        .clone();
    #[derive(Deserialize)]
    struct Short {
        access_token: AccessToken,
        #[serde(deserialize_with = "crate::core::json::id")]
        user_id: String,
        #[serde(default)]
        permissions: Option<Value>,
    }
    let short: Short =
        serde_json::from_value(entry).map_err(|_| Error::unexpected(&response, "code exchange"))?;
    let scopes = match &short.permissions {
        Some(Value::String(s)) => s
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect(),
        _ => config.scopes.clone(),
    };
    require_scopes(config.product, &scopes)?;

    // 2. long-lived token and profile at the same time: two round trips in all.
    let long_req = Request::get(
        &format!("{}/access_token", config.endpoints.graph_base),
        &[
            ("grant_type", "ig_exchange_token"),
            ("client_secret", secret.expose_secret()),
            ("access_token", short.access_token.expose_secret()),
        ],
    );
    let profile_req = Request::get(
        &config.graph_url("me"),
        &[
            ("fields", "user_id,username,name,account_type"),
            ("access_token", short.access_token.expose_secret()),
        ],
    );
    let (long_resp, profile_resp) =
        futures_util::future::join(transport.send(long_req), transport.send(profile_req)).await;
    let issued_at = transport.now();
    let long: LongLived = parse_success(&long_resp?, "long-lived token exchange")?;
    #[derive(Deserialize)]
    struct Profile {
        #[serde(deserialize_with = "crate::core::json::id")]
        id: String,
        #[serde(default, deserialize_with = "crate::core::json::opt_id")]
        user_id: Option<String>,
        username: String,
        name: Option<String>,
        account_type: Option<String>,
    }
    let profile: Profile = parse_success(&profile_resp?, "profile")?;
    if profile.account_type.as_deref() == Some("PERSONAL") {
        return Err(Error::new(
            ErrorKind::PersonalAccount,
            "this is a personal Instagram account; switch it to a professional (Business or Creator) account and log in again",
        ));
    }
    let ig_user_id = profile
        .user_id
        .clone()
        .unwrap_or_else(|| profile.id.clone());
    let mut aliases = vec![profile.id.clone(), short.user_id.clone()];
    aliases.retain(|a| *a != ig_user_id);
    aliases.dedup();
    Ok(ConnectedAccount {
        ig_user_id,
        username: profile.username,
        name: profile.name,
        account_type: profile.account_type,
        token: long.access_token,
        kind: TokenKind::InstagramUser,
        scopes,
        issued_at,
        expires_at: long
            .expires_in
            .map(|s| issued_at.plus(Duration::from_secs(s))),
        page_id: None,
        page_name: None,
        aliases,
    })
}

async fn facebook<T: Transport>(
    transport: &T,
    config: &Config,
    secret: &ClientSecret,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&PkceVerifier>,
) -> Result<ConnectedAccount, Error> {
    let token_url = format!(
        "{}/{}/oauth/access_token",
        config.endpoints.token_base, config.graph_version
    );
    // 1. code -> short-lived user token (with the PKCE verifier when used).
    let mut params = vec![
        ("client_id", config.client_id.as_str()),
        ("client_secret", secret.expose_secret()),
        ("redirect_uri", redirect_uri),
        ("code", code),
    ];
    if let Some(v) = verifier {
        params.push(("code_verifier", v.expose_secret()));
    }
    let response = transport.send(Request::get(&token_url, &params)).await?;
    #[derive(Deserialize)]
    struct Short {
        access_token: AccessToken,
    }
    let short: Short = parse_success(&response, "code exchange")?;

    // 2. long-lived user token, granted permissions and the user, together.
    let long_req = Request::get(
        &token_url,
        &[
            ("grant_type", "fb_exchange_token"),
            ("client_id", &config.client_id),
            ("client_secret", secret.expose_secret()),
            ("fb_exchange_token", short.access_token.expose_secret()),
        ],
    );
    let perms_req = Request::get(
        &config.graph_url("me/permissions"),
        &[("access_token", short.access_token.expose_secret())],
    );
    let me_req = Request::get(
        &config.graph_url("me"),
        &[
            ("fields", "id,name"),
            ("access_token", short.access_token.expose_secret()),
        ],
    );
    let (long_resp, perms_resp, me_resp) = futures_util::future::join3(
        transport.send(long_req),
        transport.send(perms_req),
        transport.send(me_req),
    )
    .await;
    let long: LongLived = parse_success(&long_resp?, "long-lived token exchange")?;
    #[derive(Deserialize)]
    struct Perms {
        data: Vec<Perm>,
    }
    #[derive(Deserialize)]
    struct Perm {
        permission: String,
        status: String,
    }
    let perms: Perms = parse_success(&perms_resp?, "permissions")?;
    let scopes: Vec<String> = perms
        .data
        .into_iter()
        .filter(|p| p.status == "granted")
        .map(|p| p.permission)
        .collect();
    require_scopes(config.product, &scopes)?;
    #[derive(Deserialize)]
    struct Me {
        #[serde(deserialize_with = "crate::core::json::id")]
        id: String,
    }
    let me: Me = parse_success(&me_resp?, "user")?;

    // 3. the Pages, each with a Page token and its Instagram account.
    let pages_req = Request::get(
        &config.graph_url("me/accounts"),
        &[
            ("fields", "id,name,access_token,instagram_business_account"),
            ("access_token", long.access_token.expose_secret()),
        ],
    );
    let pages_resp = transport.send(pages_req).await?;
    #[derive(Deserialize)]
    struct Pages {
        data: Vec<Page>,
    }
    #[derive(Deserialize)]
    struct Page {
        #[serde(deserialize_with = "crate::core::json::id")]
        id: String,
        name: Option<String>,
        access_token: Option<AccessToken>,
        instagram_business_account: Option<IgRef>,
    }
    #[derive(Deserialize)]
    struct IgRef {
        #[serde(deserialize_with = "crate::core::json::id")]
        id: String,
    }
    let pages: Pages = parse_success(&pages_resp, "Pages")?;
    let (page, ig, page_token) = pages
        .data
        .into_iter()
        .find_map(|p| {
            let ig = p.instagram_business_account.as_ref()?.id.clone();
            let token = p.access_token.clone()?;
            Some((p, ig, token))
        })
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NoLinkedAccount,
                "none of your Facebook Pages is linked to an Instagram professional account: link one in the Page's settings and log in again",
            )
        })?;

    // 4. the Instagram account's profile, with the Page token.
    let profile_req = Request::get(
        &config.graph_url(&ig),
        &[
            ("fields", "id,username,name"),
            ("access_token", page_token.expose_secret()),
        ],
    );
    let profile_resp = transport.send(profile_req).await?;
    #[derive(Deserialize)]
    struct Profile {
        username: String,
        name: Option<String>,
    }
    let profile: Profile = parse_success(&profile_resp, "profile")?;
    Ok(ConnectedAccount {
        ig_user_id: ig,
        username: profile.username,
        name: profile.name,
        account_type: Some("BUSINESS".into()),
        token: page_token,
        kind: TokenKind::FacebookPage,
        scopes,
        issued_at: transport.now(),
        // A Page token from a long-lived user token does not expire.
        expires_at: None,
        page_id: Some(page.id),
        page_name: page.name,
        aliases: vec![me.id],
    })
}

/// A required permission the user unticked is a clear error naming it.
fn require_scopes(product: Product, granted: &[String]) -> Result<(), Error> {
    for required in product.required_scopes() {
        if !granted.iter().any(|g| g == required) {
            return Err(Error::new(
                ErrorKind::MissingPermission,
                format!("the permission {required} was not granted; log in again and allow it"),
            )
            .with_field(required));
        }
    }
    Ok(())
}
