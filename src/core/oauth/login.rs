//! The whole server side of a login, from a validated callback to a
//! connected account, in as few sequential round trips as Meta allows.
//!
//! Instagram Login, 2 round trips:
//! 1. code → short-lived token (and the granted permissions, checked at once);
//! 2. long-lived exchange and `/me` profile, concurrently (both need only
//!    the short-lived token).
//!
//! Facebook Login, 3 round trips (more only when the Pages list is paged):
//! 1. code (+ PKCE verifier) → short-lived user token;
//! 2. long-lived user token, `/me/permissions` and the user's ID, concurrently;
//! 3. `/me/accounts` with the long-lived token, so the Page tokens never
//!    expire, the linked accounts' profiles coming in the same answer.
//!
//! A Facebook login connects every Instagram account the person granted
//! (one per linked Page with a Page token), or the chosen ones
//! ([`AccountChoice`]); an Instagram login connects its one account. Both
//! answer with a [`CompletedLogin`].
//!
//! Nothing is stored here: a failure at any step leaves nothing behind,
//! and the caller stores the accounts only once it has them all.

use futures_util::future::{join, join3};
use serde::Serialize;

use super::callback::ValidatedCallback;
use super::exchange::exchange_code;
use super::facebook_user::fetch_facebook_user_id;
use super::long_lived::exchange_for_long_lived;
use super::pages::{fetch_linked_pages, select_pages, AccountChoice, SkippedAccount};
use super::permissions::{check_permissions, fetch_permissions};
use super::profile::{fetch_profile, Profile};
use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::Transport;
use crate::core::secret::{ClientSecret, PkceVerifier};
use crate::core::token::{TokenKind, TokenRecord};

/// A connected Instagram professional account and its token. Serializable
/// (token included, for encrypted storage); `Debug` redacts the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectedAccount {
    /// The professional account ID: the one to publish with.
    pub ig_user_id: String,
    /// The Instagram handle, without `@`.
    pub username: String,
    /// The profile's display name.
    pub name: Option<String>,
    /// Instagram Login: `BUSINESS` or `MEDIA_CREATOR`; Facebook Login: not given.
    pub account_type: Option<String>,
    /// The login product it was connected with.
    pub product: Product,
    /// A CDN URL of the profile picture (it changes; do not store it for long).
    pub profile_picture_url: Option<String>,
    /// Followers when connected.
    pub followers_count: Option<u64>,
    /// Accounts it follows when connected.
    pub follows_count: Option<u64>,
    /// Published media when connected.
    pub media_count: Option<u64>,
    /// Instagram Login: long-lived (60 days, refreshable); Facebook Login:
    /// the non-expiring Page token.
    pub token: TokenRecord,
    /// The permissions Meta reported as granted (Instagram Login: the
    /// requested ones when the exchange did not list them).
    pub granted_scopes: Vec<String>,
    /// Facebook Login: the Page the account is reached through.
    pub page: Option<ConnectedPage>,
    /// Other IDs Meta uses for this person: Instagram Login's app-scoped
    /// user ID and the code exchange's `user_id`; Facebook Login's user ID.
    pub aliases: Vec<String>,
}

/// What a login connected: Instagram Login's one account, or every account
/// of a Facebook login the person granted (or the chosen ones).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompletedLogin {
    /// The login product.
    pub product: Product,
    /// At least one account; Instagram Login: exactly one.
    pub accounts: Vec<ConnectedAccount>,
    /// Facebook Login: the person's app-scoped Facebook user ID, the one
    /// Meta's deauthorize and data-deletion callbacks name.
    pub facebook_user_id: Option<String>,
    /// Facebook Login: linked accounts left out, and why.
    pub skipped: Vec<SkippedAccount>,
}

/// The Facebook Page behind a Facebook Login account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectedPage {
    /// The Facebook Page ID.
    pub page_id: String,
    /// The Page's name, as the person knows it.
    pub page_name: Option<String>,
}

/// Exchanges the callback's code and gathers the accounts. `config` must be
/// the one the consent URL was built with (same `redirect_uri`);
/// `code_verifier` is the pending login's, for Facebook Login
/// ([`super::authorize::PendingLogin::verifier_for_exchange`]); `choice`
/// says which accounts to keep ([`AccountChoice::all`] for all; with
/// Instagram Login a choice that does not name the login's account is a
/// `no_linked_account` error).
pub async fn complete_login<T: Transport>(
    transport: &T,
    config: &Config,
    client_secret: &ClientSecret,
    callback: &ValidatedCallback,
    code_verifier: Option<&PkceVerifier>,
    choice: &AccountChoice,
) -> Result<CompletedLogin, Error> {
    config.validate()?;
    match config.product {
        Product::Instagram => {
            let account = instagram(transport, config, client_secret, callback).await?;
            let named = choice.only.is_empty()
                || choice
                    .only
                    .iter()
                    .any(|id| *id == account.ig_user_id || account.aliases.contains(id));
            if !named {
                return Err(Error::new(
                    ErrorKind::NoLinkedAccount,
                    format!(
                        "this Instagram login is for @{} ({}), not the chosen account {}: log in again as that account",
                        account.username,
                        account.ig_user_id,
                        choice.only.join(", ")
                    ),
                ));
            }
            Ok(CompletedLogin {
                product: Product::Instagram,
                accounts: vec![account],
                facebook_user_id: None,
                skipped: Vec::new(),
            })
        }
        Product::Facebook => {
            facebook(
                transport,
                config,
                client_secret,
                callback,
                code_verifier,
                choice,
            )
            .await
        }
    }
}

async fn instagram<T: Transport>(
    transport: &T,
    config: &Config,
    client_secret: &ClientSecret,
    callback: &ValidatedCallback,
) -> Result<ConnectedAccount, Error> {
    let exchanged = exchange_code(transport, config, client_secret, callback, None).await?;
    let granted = match &exchanged.permissions {
        Some(granted) => {
            check_permissions(granted, config.product.required_scopes())?;
            granted.clone()
        }
        None => config.scopes.clone(),
    };
    let short = &exchanged.token;
    let (long, profile) = join(
        exchange_for_long_lived(transport, config, client_secret, short),
        fetch_profile(transport, config, &short.access_token, None),
    )
    .await;
    // The profile's error first: a personal account is the more useful news.
    let profile = profile.map_err(code_spent)?;
    let mut token = long.map_err(code_spent)?;
    token.scopes = granted.clone();
    token.ig_user_id = Some(profile.ig_user_id.clone());
    let aliases = profile
        .app_scoped_id
        .iter()
        .chain(exchanged.user_id.iter())
        .cloned()
        .collect();
    Ok(account(
        config.product,
        profile,
        token,
        granted,
        None,
        aliases,
    ))
}

async fn facebook<T: Transport>(
    transport: &T,
    config: &Config,
    client_secret: &ClientSecret,
    callback: &ValidatedCallback,
    code_verifier: Option<&PkceVerifier>,
    choice: &AccountChoice,
) -> Result<CompletedLogin, Error> {
    let exchanged =
        exchange_code(transport, config, client_secret, callback, code_verifier).await?;
    let short = &exchanged.token;
    let (long, permissions, user_id) = join3(
        exchange_for_long_lived(transport, config, client_secret, short),
        fetch_permissions(transport, config, &short.access_token),
        fetch_facebook_user_id(transport, config, &short.access_token),
    )
    .await;
    let permissions = permissions.map_err(code_spent)?;
    check_permissions(&permissions.granted, config.product.required_scopes())?;
    let long = long.map_err(code_spent)?;
    let user_id = user_id.map_err(code_spent)?;

    let pages = fetch_linked_pages(transport, config, &long.access_token)
        .await
        .map_err(code_spent)?;
    let chosen = select_pages(pages, choice)?;
    let issued_at = transport.now();
    let accounts = chosen
        .selected
        .into_iter()
        .map(|selected| {
            let page = selected.page;
            let token = TokenRecord {
                access_token: selected.page_token,
                kind: TokenKind::FacebookPage,
                issued_at,
                // Got with a long-lived user token: no expiry date.
                expires_at: None,
                scopes: permissions.granted.clone(),
                ig_user_id: Some(page.instagram.ig_user_id.clone()),
            };
            let connected_page = ConnectedPage {
                page_id: page.page_id,
                page_name: page.page_name,
            };
            account(
                config.product,
                page.instagram,
                token,
                permissions.granted.clone(),
                Some(connected_page),
                vec![user_id.clone()],
            )
        })
        .collect();
    Ok(CompletedLogin {
        product: Product::Facebook,
        accounts,
        facebook_user_id: Some(user_id),
        skipped: chosen.skipped,
    })
}

/// A failure after the code was exchanged: the code is single-use, so
/// completing the login again with it cannot work, whatever the failure's
/// kind. The caller starts a new login instead (a Worker keeps the login
/// state only while a retry can still succeed).
fn code_spent(error: Error) -> Error {
    if error.retryable() {
        error.with_no_retry("the code was already exchanged, so start the login again")
    } else {
        error
    }
}

fn account(
    product: Product,
    profile: Profile,
    token: TokenRecord,
    granted_scopes: Vec<String>,
    page: Option<ConnectedPage>,
    aliases: Vec<String>,
) -> ConnectedAccount {
    // Sorted, without repeats or the account's own ID. Built by insertion
    // (a few IDs) rather than `sort` + `dedup`: the sort routine was ~2 KB
    // of gzip in the npm package's wasm, for lists this short.
    let mut unique: Vec<String> = Vec::with_capacity(aliases.len());
    for alias in aliases {
        if alias != profile.ig_user_id {
            if let Err(at) = unique.binary_search(&alias) {
                unique.insert(at, alias);
            }
        }
    }
    ConnectedAccount {
        ig_user_id: profile.ig_user_id,
        username: profile.username,
        name: profile.name,
        account_type: profile.account_type,
        product,
        profile_picture_url: profile.profile_picture_url,
        followers_count: profile.followers_count,
        follows_count: profile.follows_count,
        media_count: profile.media_count,
        token,
        granted_scopes,
        page,
        aliases: unique,
    }
}
