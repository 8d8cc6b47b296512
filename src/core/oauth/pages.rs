//! Facebook Login's way to the Instagram account: the person's Pages, each
//! with a Page token and its linked Instagram professional account.
//!
//! `GET {graph_base}/{version}/me/accounts?fields=id,name,access_token,
//! instagram_business_account{...}` lists the Pages the person shared, each
//! with a Page access token; a Page's `instagram_business_account` is the
//! IG User linked to it, absent when none is
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-facebook-login/get-started>,
//! <https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/page>).
//! The profile fields are asked for inside the expansion, so one round trip
//! gives Page, token and profile.
//!
//! Called with a long-lived user token, the Page tokens do not expire
//! (<https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived>,
//! "long-lived Page access token").
//!
//! Results are cursor-paged: `paging.next` is a full URL (carrying the
//! token) of the next page, present until the last page; a page may be
//! empty and still have one, so paging stops only when `next` is absent
//! (<https://developers.facebook.com/docs/graph-api/results>, "Cursor-based
//! Pagination"). It is followed only while it points at the configured
//! Graph host, never twice to the same URL, and at most
//! [`MAX_PAGE_REQUESTS`] times (then the listing says it was cut short).
//!
//! A person who manages several Pages, each linked to an Instagram
//! professional account, grants them in one dialog: [`select_pages`] keeps
//! every linked account that came with a Page token, or the chosen ones
//! ([`AccountChoice`]), and says why each other one was left out.

use serde::Serialize;

use super::profile::{Profile, RawProfile, FACEBOOK_PROFILE_FIELDS};
use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::meta_body::parse_success;
use crate::core::secret::AccessToken;

/// Pages asked for per request.
pub const PAGE_LIMIT: usize = 100;

/// At most this many `/me/accounts` requests per listing (4,000 Pages at
/// [`PAGE_LIMIT`] a page): a bound on a loop, not on what people manage.
pub const MAX_PAGE_REQUESTS: usize = 40;

/// A Page linked to an Instagram professional account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedPage {
    /// The Facebook Page ID.
    pub page_id: String,
    /// The Page's name.
    pub page_name: Option<String>,
    /// `None` when Meta gave no Page token (the person has no task on the Page).
    pub page_token: Option<AccessToken>,
    /// The linked account's profile.
    pub instagram: Profile,
}

/// One `/me/accounts` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PagesBatch {
    /// The Pages with a linked Instagram account.
    pub linked: Vec<LinkedPage>,
    /// All Pages in this answer, linked or not.
    pub pages_seen: usize,
    /// `paging.next`, when there are more.
    pub next: Option<String>,
}

/// Every linked Page found, across pages of results.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkedPages {
    /// The Pages with a linked Instagram account, in Meta's order.
    pub linked: Vec<LinkedPage>,
    /// All Pages read, linked or not.
    pub pages_seen: usize,
    /// More Pages existed than [`MAX_PAGE_REQUESTS`] requests could read.
    pub truncated: bool,
}

/// The `fields` of the `/me/accounts` request.
pub fn page_fields() -> String {
    format!("id,name,access_token,instagram_business_account{{{FACEBOOK_PROFILE_FIELDS}}}")
}

/// The first `/me/accounts` request, with the (long-lived) user token.
pub fn pages_request(config: &Config, user_token: &AccessToken) -> Request {
    Request::get(
        &config.graph_url("me/accounts"),
        &[
            ("fields", &page_fields()),
            ("limit", &PAGE_LIMIT.to_string()),
            ("access_token", user_token.expose_secret()),
        ],
    )
}

/// The request for a `paging.next` URL, refused unless it is on the
/// configured Graph host (it carries the token).
pub fn next_pages_request(config: &Config, next_url: &str) -> Result<Request, Error> {
    let host = format!("{}/", config.endpoints.graph_base);
    if !next_url.starts_with(&host) || next_url.contains('#') {
        return Err(Error::new(
            ErrorKind::UnexpectedResponse,
            format!("the Pages list's paging.next is not on {host}; it was not followed"),
        ));
    }
    Ok(Request::get(next_url, &[]))
}

/// Reads one `/me/accounts` answer.
pub fn process_pages(response: &Response) -> Result<PagesBatch, Error> {
    struct Page {
        id: String,
        name: Option<String>,
        access_token: Option<AccessToken>,
        instagram_business_account: Option<RawProfile>,
    }
    struct Body {
        data: Vec<Page>,
        next: Option<String>,
    }
    let body = parse_success(response, "Pages", |body| {
        body.required_array("data")?;
        let data = body
            .objects("data")?
            .iter()
            .map(|page| {
                Ok(Page {
                    id: page.id("id")?,
                    name: page.opt_string("name")?,
                    access_token: page.opt_string("access_token")?.map(AccessToken::new),
                    instagram_business_account: page
                        .opt_object("instagram_business_account")?
                        .map(|node| RawProfile::read(&node))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let next = match body.opt_object("paging")? {
            Some(paging) => paging.opt_string("next")?,
            None => None,
        };
        Ok(Body { data, next })
    })?;
    let pages_seen = body.data.len();
    let mut linked = Vec::new();
    for page in body.data {
        let Some(raw) = page.instagram_business_account else {
            continue;
        };
        // Accounts reached through a Page are professional; a profile
        // without its ID is not the documented shape.
        let instagram = raw.into_profile(Product::Facebook)?.ok_or_else(|| {
            Error::unexpected(response, "Pages: instagram_business_account without id")
        })?;
        linked.push(LinkedPage {
            page_id: page.id,
            page_name: page.name,
            page_token: page.access_token,
            instagram,
        });
    }
    Ok(PagesBatch {
        linked,
        pages_seen,
        next: body.next,
    })
}

/// Lists the linked Pages, following `paging.next` to the last page (up to
/// [`MAX_PAGE_REQUESTS`]; a `next` already followed ends the listing as
/// cut short rather than looping).
pub async fn fetch_linked_pages<T: Transport>(
    transport: &T,
    config: &Config,
    user_token: &AccessToken,
) -> Result<LinkedPages, Error> {
    let mut out = LinkedPages::default();
    let mut followed: Vec<String> = Vec::new();
    let mut request = pages_request(config, user_token);
    for round in 1..=MAX_PAGE_REQUESTS {
        let response = transport.send(request).await?;
        let batch = process_pages(&response)?;
        for page in batch.linked {
            // One account is linked to one Page; a repeat (a page read
            // twice while the list changed) is the same account.
            if !out
                .linked
                .iter()
                .any(|p| p.instagram.ig_user_id == page.instagram.ig_user_id)
            {
                out.linked.push(page);
            }
        }
        out.pages_seen += batch.pages_seen;
        let Some(next) = batch.next else {
            break;
        };
        if round == MAX_PAGE_REQUESTS || followed.contains(&next) {
            out.truncated = true;
            break;
        }
        request = next_pages_request(config, &next)?;
        followed.push(next);
    }
    Ok(out)
}

/// Which linked accounts a Facebook login keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountChoice {
    /// Instagram user IDs or Page IDs; empty keeps every linked account.
    pub only: Vec<String>,
    /// Keep at most this many (in Meta's order); `None`: no limit.
    pub max: Option<usize>,
}

impl AccountChoice {
    /// Every linked account the person granted.
    pub fn all() -> AccountChoice {
        AccountChoice::default()
    }

    /// The accounts named by Instagram user ID or Page ID.
    pub fn only<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> AccountChoice {
        AccountChoice {
            only: ids.into_iter().map(Into::into).collect(),
            max: None,
        }
    }

    /// Whether `page` is one of the chosen (always, without a choice).
    pub fn names(&self, page: &LinkedPage) -> bool {
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|id| *id == page.instagram.ig_user_id || *id == page.page_id)
    }
}

/// Why a linked account was not connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Meta gave no Page token: the person has no task on that Page.
    NoPageToken,
    /// Not among the chosen accounts.
    NotChosen,
    /// Past the limit of accounts per login.
    OverLimit,
}

/// A linked account a login left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedAccount {
    pub ig_user_id: String,
    pub username: String,
    pub page_id: String,
    pub page_name: Option<String>,
    pub reason: SkipReason,
}

impl SkippedAccount {
    fn of(page: &LinkedPage, reason: SkipReason) -> SkippedAccount {
        SkippedAccount {
            ig_user_id: page.instagram.ig_user_id.clone(),
            username: page.instagram.username.clone(),
            page_id: page.page_id.clone(),
            page_name: page.page_name.clone(),
            reason,
        }
    }
}

/// A linked Page kept by [`select_pages`], with its Page token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectedPage {
    pub page: LinkedPage,
    pub page_token: AccessToken,
}

/// What [`select_pages`] kept and left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectedPages {
    /// At least one, in Meta's order.
    pub selected: Vec<SelectedPage>,
    pub skipped: Vec<SkippedAccount>,
}

/// The linked accounts to connect: every one with a Page token, or the
/// chosen ones, at most `choice.max`.
/// Errors: `NoLinkedAccount` when nothing is linked (saying how to link an
/// account) or a chosen ID is not among the linked accounts;
/// `PermissionDenied` when a chosen account, or every linked one, came
/// without a Page token.
pub fn select_pages(pages: LinkedPages, choice: &AccountChoice) -> Result<SelectedPages, Error> {
    let read_note = if pages.truncated {
        format!(" (only the first {} Pages were read)", pages.pages_seen)
    } else {
        String::new()
    };
    if pages.linked.is_empty() && choice.only.is_empty() {
        let message = if pages.pages_seen == 0 {
            "no Facebook Page was shared with the app: log in again and, in the Facebook dialog, select the Page that is linked to your Instagram professional account".to_owned()
        } else {
            format!(
                "none of the {} Facebook Pages shared with the app is linked to an Instagram professional account{read_note}: connect your Instagram professional account to a Facebook Page (the Page's settings → Linked accounts → Instagram, or Meta Business Suite), then log in again and select that Page",
                pages.pages_seen
            )
        };
        return Err(Error::new(ErrorKind::NoLinkedAccount, message));
    }
    if let Some(missing) = choice.only.iter().find(|id| {
        !pages
            .linked
            .iter()
            .any(|p| p.instagram.ig_user_id == **id || p.page_id == **id)
    }) {
        return Err(Error::new(
            ErrorKind::NoLinkedAccount,
            format!(
                "none of the Facebook Pages shared with the app is, or is linked to, the Instagram account {missing}{read_note}: log in again and select the Page that account is linked to"
            ),
        ));
    }
    let no_token = |page: &LinkedPage| {
        Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "Meta gave no access token for the Page {}: the person logging in needs a task on that Page (for example Create content) to publish for @{}",
                page.page_name.as_deref().unwrap_or(&page.page_id),
                page.instagram.username
            ),
        )
    };
    let first_without_token = pages.linked.first().cloned();
    let mut out = SelectedPages {
        selected: Vec::new(),
        skipped: Vec::new(),
    };
    for page in pages.linked {
        let reason = if !choice.names(&page) {
            Some(SkipReason::NotChosen)
        } else if page.page_token.is_none() {
            if !choice.only.is_empty() {
                return Err(no_token(&page));
            }
            Some(SkipReason::NoPageToken)
        } else if choice.max.is_some_and(|max| out.selected.len() >= max) {
            Some(SkipReason::OverLimit)
        } else {
            None
        };
        match (reason, page.page_token.clone()) {
            (None, Some(page_token)) => out.selected.push(SelectedPage { page, page_token }),
            (reason, _) => out.skipped.push(SkippedAccount::of(
                &page,
                reason.unwrap_or(SkipReason::NoPageToken),
            )),
        }
    }
    if out.selected.is_empty() {
        // Every linked account came without a Page token.
        return Err(first_without_token.map_or_else(
            || Error::new(ErrorKind::NoLinkedAccount, "no linked account was chosen"),
            |p| no_token(&p),
        ));
    }
    Ok(out)
}

/// The Page to use: the one linked to `ig_user_id`, or without a choice
/// the first in Meta's order that came with a Page token
/// ([`select_pages`] says which errors).
pub fn pick_page(pages: LinkedPages, ig_user_id: Option<&str>) -> Result<LinkedPage, Error> {
    let choice = AccountChoice::only(ig_user_id);
    let first = select_pages(pages, &choice)?.selected.into_iter().next();
    // select_pages keeps at least one.
    first
        .map(|s| LinkedPage {
            page_token: Some(s.page_token),
            ..s.page
        })
        .ok_or_else(|| Error::new(ErrorKind::NoLinkedAccount, "no linked account was chosen"))
}
