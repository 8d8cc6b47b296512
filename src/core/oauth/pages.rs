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
//! Results are paged (`paging.next`, a full URL that carries the token).
//! It is followed only while it points at the configured Graph host, and at
//! most [`MAX_PAGE_REQUESTS`] times.

use serde::Deserialize;

use super::profile::{Profile, RawProfile, FACEBOOK_PROFILE_FIELDS};
use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::meta_body::parse_success;
use crate::core::secret::AccessToken;

/// Pages asked for per request.
pub const PAGE_LIMIT: usize = 100;

/// At most this many `/me/accounts` requests per listing (500 Pages).
pub const MAX_PAGE_REQUESTS: usize = 5;

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
    #[derive(Deserialize)]
    struct Body {
        data: Vec<Page>,
        #[serde(default)]
        paging: Option<Paging>,
    }
    #[derive(Deserialize)]
    struct Page {
        #[serde(deserialize_with = "crate::core::json::id")]
        id: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        access_token: Option<AccessToken>,
        #[serde(default)]
        instagram_business_account: Option<RawProfile>,
    }
    #[derive(Deserialize)]
    struct Paging {
        #[serde(default)]
        next: Option<String>,
    }
    let body: Body = parse_success(response, "Pages")?;
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
        next: body.paging.and_then(|p| p.next),
    })
}

/// Lists the linked Pages, following `paging.next` up to [`MAX_PAGE_REQUESTS`].
pub async fn fetch_linked_pages<T: Transport>(
    transport: &T,
    config: &Config,
    user_token: &AccessToken,
) -> Result<LinkedPages, Error> {
    let mut out = LinkedPages::default();
    let mut request = pages_request(config, user_token);
    for round in 1..=MAX_PAGE_REQUESTS {
        let response = transport.send(request).await?;
        let batch = process_pages(&response)?;
        out.linked.extend(batch.linked);
        out.pages_seen += batch.pages_seen;
        match batch.next {
            // An empty page with a `next` would loop for nothing.
            Some(next) if batch.pages_seen > 0 => {
                if round == MAX_PAGE_REQUESTS {
                    out.truncated = true;
                    break;
                }
                request = next_pages_request(config, &next)?;
            }
            _ => break,
        }
    }
    Ok(out)
}

/// The Page to use: the one linked to `ig_user_id`, or without a choice
/// the only linked one (when several are, the first in Meta's order that
/// came with a Page token).
/// Errors: `NoLinkedAccount` saying how to link one, or `PermissionDenied`
/// when Meta gave no Page token.
pub fn pick_page(pages: LinkedPages, ig_user_id: Option<&str>) -> Result<LinkedPage, Error> {
    let read_note = if pages.truncated {
        format!(" (only the first {} Pages were read)", pages.pages_seen)
    } else {
        String::new()
    };
    let page = match ig_user_id {
        Some(wanted) => pages
            .linked
            .into_iter()
            .find(|p| p.instagram.ig_user_id == wanted)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NoLinkedAccount,
                    format!(
                        "none of the Facebook Pages shared with the app is linked to the Instagram account {wanted}{read_note}: log in again and select the Page that account is linked to"
                    ),
                )
            })?,
        None => {
            let with_token = pages.linked.iter().position(|p| p.page_token.is_some());
            let index = with_token.unwrap_or(0);
            pages.linked.into_iter().nth(index).ok_or_else(|| {
            let message = if pages.pages_seen == 0 {
                "no Facebook Page was shared with the app: log in again and, in the Facebook dialog, select the Page that is linked to your Instagram professional account".to_owned()
            } else {
                format!(
                    "none of the {} Facebook Pages shared with the app is linked to an Instagram professional account{read_note}: connect your Instagram professional account to a Facebook Page (the Page's settings → Linked accounts → Instagram, or Meta Business Suite), then log in again and select that Page",
                    pages.pages_seen
                )
            };
            Error::new(ErrorKind::NoLinkedAccount, message)
            })?
        }
    };
    if page.page_token.is_none() {
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "Meta gave no access token for the Page {}: the person logging in needs a task on that Page (for example Create content) to publish for @{}",
                page.page_name.as_deref().unwrap_or(&page.page_id),
                page.instagram.username
            ),
        ));
    }
    Ok(page)
}
