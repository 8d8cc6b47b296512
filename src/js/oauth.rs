//! The server-side OAuth calls, one JS function each: `exchangeCode`,
//! `getLongLivedToken`, `refreshToken`, `getProfile`, `getPermissions`,
//! `getFacebookPages`, `resolveInstagramAccount`, and `connectAccount`, which
//! runs the whole sequence (`core::oauth::login::complete_login`) and
//! answers `{product, accounts, facebookUserId, skipped}` for both products
//! (Instagram Login: one account; Facebook Login: every account the person
//! granted, or those named by `accounts`).

use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::config::config_field;
use super::fetch::FetchTransport;
use super::input::Obj;
use super::output::promise_of;
use super::server_input::{
    access_token_of, input_object, open_call, open_call_with_secret, optional_client_secret,
    signed, ServerCall,
};
use super::token::{record_field, JsTokenRecord};
use crate::core::config::{Config, Product};
use crate::core::error::Error;
use crate::core::oauth::callback::{
    validate_callback, validate_callback_params, ValidatedCallback,
};
use crate::core::oauth::exchange::exchange_code as core_exchange_code;
use crate::core::oauth::login::{complete_login, CompletedLogin, ConnectedAccount};
use crate::core::oauth::long_lived::exchange_for_long_lived;
use crate::core::oauth::pages::{
    fetch_linked_pages, pick_page, AccountChoice, LinkedPage, SkipReason, SkippedAccount,
};
use crate::core::oauth::permissions::fetch_permissions;
use crate::core::oauth::profile::{fetch_profile, Profile};
use crate::core::oauth::refresh::refresh_token as core_refresh_token;
use crate::core::secret::PkceVerifier;

/// The callback to exchange: `callbackUrl` checked here against
/// `expectedState`, or a bare `code` whose state the browser already
/// checked (`completeLogin` posts `{code, state, codeVerifier}` to the
/// backend, which has no expected state of its own to compare with).
fn callback_of(config: &Config, input: &Obj) -> Result<ValidatedCallback, Error> {
    if let Some(url) = input.opt_string("callbackUrl")? {
        let state = input
            .opt_string("expectedState")?
            .ok_or_else(|| input.error("expectedState", "is required with callbackUrl"))?;
        return validate_callback(config, &url, &state);
    }
    let code = input
        .opt_string("code")?
        .filter(|c| !c.is_empty())
        .ok_or_else(|| input.error("code", "or callbackUrl + expectedState is required"))?;
    let state = input
        .opt_string("state")?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "checked-by-the-browser".to_owned());
    let params = [
        ("code".to_owned(), code),
        ("state".to_owned(), state.clone()),
    ];
    validate_callback_params(&params, &state).map_err(|e| e.with_field("code"))
}

fn verifier_of(input: &Obj) -> Result<Option<PkceVerifier>, Error> {
    Ok(input.opt_string("codeVerifier")?.map(PkceVerifier::new))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsProfile {
    ig_user_id: String,
    app_scoped_id: Option<String>,
    username: String,
    name: Option<String>,
    account_type: Option<String>,
    profile_picture_url: Option<String>,
    // Counts, not IDs: far below 2^53.
    followers_count: Option<u64>,
    follows_count: Option<u64>,
    media_count: Option<u64>,
}

impl From<Profile> for JsProfile {
    fn from(p: Profile) -> JsProfile {
        JsProfile {
            ig_user_id: p.ig_user_id,
            app_scoped_id: p.app_scoped_id,
            username: p.username,
            name: p.name,
            account_type: p.account_type,
            profile_picture_url: p.profile_picture_url,
            followers_count: p.followers_count,
            follows_count: p.follows_count,
            media_count: p.media_count,
        }
    }
}

// exchangeCode ---------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Exchanged {
    token: JsTokenRecord,
    user_id: Option<String>,
    permissions: Option<Vec<String>>,
}

async fn exchange(input: JsValue) -> Result<Exchanged, Error> {
    let input = input_object(input)?;
    let (ServerCall { config, transport }, secret) = open_call_with_secret(&input)?;
    let callback = callback_of(&config, &input)?;
    let verifier = verifier_of(&input)?;
    let out =
        core_exchange_code(&transport, &config, &secret, &callback, verifier.as_ref()).await?;
    Ok(Exchanged {
        token: JsTokenRecord::from(&out.token),
        user_id: out.user_id,
        permissions: out.permissions,
    })
}

/// `exchangeCode({config, clientSecret, code | callbackUrl + expectedState,
/// codeVerifier?})` → `{token, userId, permissions}` (a short-lived token).
#[wasm_bindgen(js_name = exchangeCode)]
pub fn exchange_code(input: JsValue) -> Promise {
    promise_of(exchange(input))
}

// getLongLivedToken / refreshToken ----------------------------------------------

async fn long_lived(input: JsValue) -> Result<JsTokenRecord, Error> {
    let input = input_object(input)?;
    let (ServerCall { config, transport }, secret) = open_call_with_secret(&input)?;
    let short = record_field(&input, "token")?;
    let long = exchange_for_long_lived(&transport, &config, &secret, &short).await?;
    Ok(JsTokenRecord::from(&long))
}

/// `getLongLivedToken({config, clientSecret, token})` → the long-lived token record.
#[wasm_bindgen(js_name = getLongLivedToken)]
pub fn get_long_lived_token(input: JsValue) -> Promise {
    promise_of(long_lived(input))
}

async fn refresh(input: JsValue) -> Result<JsTokenRecord, Error> {
    let input = input_object(input)?;
    let config = config_field(&input)?;
    let transport = FetchTransport::from_input(&input)?;
    let token = record_field(&input, "token")?;
    let fresh = core_refresh_token(&transport, &config, &token).await?;
    Ok(JsTokenRecord::from(&fresh))
}

/// `refreshToken({config, token})` → the refreshed record (Instagram Login,
/// long-lived tokens ≥ 24 h old and unexpired; the error says otherwise).
#[wasm_bindgen(js_name = refreshToken)]
pub fn refresh_token(input: JsValue) -> Promise {
    promise_of(refresh(input))
}

// getProfile / getPermissions ---------------------------------------------------

async fn profile(input: JsValue) -> Result<JsProfile, Error> {
    let input = input_object(input)?;
    let ServerCall { config, transport } = open_call(&input)?;
    let token = access_token_of(&input)?;
    let ig_user_id = input.opt_string("igUserId")?;
    if config.product == Product::Facebook && ig_user_id.is_none() {
        return Err(input.error(
            "igUserId",
            "is required with Facebook Login (the Page's instagram_business_account, see resolveInstagramAccount)",
        ));
    }
    let profile = fetch_profile(&transport, &config, &token, ig_user_id.as_deref()).await?;
    Ok(profile.into())
}

/// `getProfile({config, accessToken, igUserId?})` → the professional account.
#[wasm_bindgen(js_name = getProfile)]
pub fn get_profile(input: JsValue) -> Promise {
    promise_of(profile(input))
}

#[derive(Serialize)]
struct JsPermissions {
    granted: Vec<String>,
    declined: Vec<String>,
}

async fn permissions(input: JsValue) -> Result<JsPermissions, Error> {
    let input = input_object(input)?;
    let ServerCall { config, transport } = open_call(&input)?;
    let token = access_token_of(&input)?;
    let p = fetch_permissions(&transport, &config, &token).await?;
    Ok(JsPermissions {
        granted: p.granted,
        declined: p.declined,
    })
}

/// `getPermissions({config, accessToken})` → `{granted, declined}` (Facebook
/// Login; Instagram Login lists them in `exchangeCode`'s `permissions`).
#[wasm_bindgen(js_name = getPermissions)]
pub fn get_permissions(input: JsValue) -> Promise {
    promise_of(permissions(input))
}

// getFacebookPages / resolveInstagramAccount -------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsLinkedPage {
    page_id: String,
    page_name: Option<String>,
    page_token: Option<String>,
    instagram: JsProfile,
}

impl From<LinkedPage> for JsLinkedPage {
    fn from(p: LinkedPage) -> JsLinkedPage {
        JsLinkedPage {
            page_id: p.page_id,
            page_name: p.page_name,
            page_token: p.page_token.map(|t| t.expose_secret().to_owned()),
            instagram: p.instagram.into(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsPages {
    pages: Vec<JsLinkedPage>,
    pages_seen: usize,
    truncated: bool,
}

async fn pages_of(input: &Obj) -> Result<crate::core::oauth::pages::LinkedPages, Error> {
    let config = config_field(input)?;
    if config.product != Product::Facebook {
        return Err(Error::config(
            "product",
            "Pages are Facebook Login's way to the Instagram account: use product \"facebook\"",
        ));
    }
    let secret = optional_client_secret(input)?;
    let transport = signed(FetchTransport::from_input(input)?, &config, secret.as_ref());
    let token = access_token_of(input)?;
    fetch_linked_pages(&transport, &config, &token).await
}

async fn pages(input: JsValue) -> Result<JsPages, Error> {
    let input = input_object(input)?;
    let pages = pages_of(&input).await?;
    Ok(JsPages {
        pages: pages.linked.into_iter().map(JsLinkedPage::from).collect(),
        pages_seen: pages.pages_seen,
        truncated: pages.truncated,
    })
}

/// `getFacebookPages({config, accessToken})` → the person's Pages linked to
/// an Instagram account, each with its Page token and the account's profile.
#[wasm_bindgen(js_name = getFacebookPages)]
pub fn get_facebook_pages(input: JsValue) -> Promise {
    promise_of(pages(input))
}

async fn resolve(input: JsValue) -> Result<JsLinkedPage, Error> {
    let input = input_object(input)?;
    let wanted = input.opt_string("igUserId")?;
    let pages = pages_of(&input).await?;
    Ok(pick_page(pages, wanted.as_deref())?.into())
}

/// `resolveInstagramAccount({config, accessToken, igUserId?})` → the Page
/// (with its token) linked to `igUserId`, or the only linked one.
#[wasm_bindgen(js_name = resolveInstagramAccount)]
pub fn resolve_instagram_account(input: JsValue) -> Promise {
    promise_of(resolve(input))
}

// connectAccount -----------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsConnectedPage {
    page_id: String,
    page_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsConnectedAccount {
    ig_user_id: String,
    username: String,
    name: Option<String>,
    account_type: Option<String>,
    product: Product,
    profile_picture_url: Option<String>,
    followers_count: Option<u64>,
    follows_count: Option<u64>,
    media_count: Option<u64>,
    token: JsTokenRecord,
    granted_scopes: Vec<String>,
    page: Option<JsConnectedPage>,
    aliases: Vec<String>,
}

impl From<ConnectedAccount> for JsConnectedAccount {
    fn from(a: ConnectedAccount) -> JsConnectedAccount {
        JsConnectedAccount {
            token: JsTokenRecord::from(&a.token),
            ig_user_id: a.ig_user_id,
            username: a.username,
            name: a.name,
            account_type: a.account_type,
            product: a.product,
            profile_picture_url: a.profile_picture_url,
            followers_count: a.followers_count,
            follows_count: a.follows_count,
            media_count: a.media_count,
            granted_scopes: a.granted_scopes,
            page: a.page.map(|p| JsConnectedPage {
                page_id: p.page_id,
                page_name: p.page_name,
            }),
            aliases: a.aliases,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsSkippedAccount {
    ig_user_id: String,
    username: String,
    page_id: String,
    page_name: Option<String>,
    reason: SkipReason,
}

impl From<SkippedAccount> for JsSkippedAccount {
    fn from(s: SkippedAccount) -> JsSkippedAccount {
        JsSkippedAccount {
            ig_user_id: s.ig_user_id,
            username: s.username,
            page_id: s.page_id,
            page_name: s.page_name,
            reason: s.reason,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsCompletedLogin {
    product: Product,
    accounts: Vec<JsConnectedAccount>,
    facebook_user_id: Option<String>,
    skipped: Vec<JsSkippedAccount>,
}

impl From<CompletedLogin> for JsCompletedLogin {
    fn from(c: CompletedLogin) -> JsCompletedLogin {
        JsCompletedLogin {
            product: c.product,
            accounts: c.accounts.into_iter().map(Into::into).collect(),
            facebook_user_id: c.facebook_user_id,
            skipped: c.skipped.into_iter().map(Into::into).collect(),
        }
    }
}

/// `accounts`: the Instagram user IDs or Page IDs to keep; absent or empty
/// keeps every account.
fn choice_of(input: &Obj) -> Result<AccountChoice, Error> {
    let only = input.opt_strings("accounts")?.unwrap_or_default();
    if only.iter().any(|id| id.is_empty()) {
        return Err(input.error(
            "accounts",
            "must be Instagram user IDs or Page IDs, not empty strings",
        ));
    }
    Ok(AccountChoice::only(only))
}

async fn connect(input: JsValue) -> Result<JsCompletedLogin, Error> {
    let input = input_object(input)?;
    let (ServerCall { config, transport }, secret) = open_call_with_secret(&input)?;
    let choice = choice_of(&input)?;
    let callback = callback_of(&config, &input)?;
    let verifier = verifier_of(&input)?;
    let completed = complete_login(
        &transport,
        &config,
        &secret,
        &callback,
        verifier.as_ref(),
        &choice,
    )
    .await?;
    Ok(completed.into())
}

/// `connectAccount({config, clientSecret, code | callbackUrl + expectedState,
/// codeVerifier?, accounts?})` → `{product, accounts, facebookUserId,
/// skipped}`: code exchange, long-lived token, permissions check, profile
/// and (Facebook Login) every linked Page the person granted, in as few
/// round trips as Meta allows.
#[wasm_bindgen(js_name = connectAccount)]
pub fn connect_account(input: JsValue) -> Promise {
    promise_of(connect(input))
}
