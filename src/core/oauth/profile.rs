//! The Instagram professional account behind a token.
//!
//! - Instagram Login: `GET {graph_base}/{version}/me?fields=user_id,username,
//!   name,account_type,profile_picture_url,followers_count,follows_count,media_count`.
//!   On graph.instagram.com `id` is the app-scoped user ID and `user_id` the
//!   Instagram professional account ID, the one publishing and webhooks use
//!   (<https://developers.facebook.com/docs/instagram-platform/reference/me>,
//!   <https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user>).
//! - Facebook Login: the IG User node `GET {graph_base}/{version}/{ig-user-id}?fields=id,
//!   username,name,profile_picture_url,followers_count,follows_count,media_count`,
//!   where `id` is the professional account ID (from the Page's
//!   `instagram_business_account`). Accounts reached through a Page are
//!   always professional, and `account_type` is not a field there.
//!
//! A `PERSONAL` account is refused: the Instagram API serves only Business
//! and Creator accounts.

use super::response::parse_maybe_wrapped;
use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::json::Fields;
use crate::core::secret::AccessToken;

/// The fields asked for with Instagram Login.
pub const INSTAGRAM_PROFILE_FIELDS: &str =
    "user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count";

/// The fields asked for with Facebook Login (the IG User node).
pub const FACEBOOK_PROFILE_FIELDS: &str =
    "id,username,name,profile_picture_url,followers_count,follows_count,media_count";

/// An Instagram professional account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The professional account ID: the one to publish with.
    pub ig_user_id: String,
    /// Instagram Login: the app-scoped user ID (`id`), another name Meta
    /// may use for the same person.
    pub app_scoped_id: Option<String>,
    /// The Instagram handle, without `@`.
    pub username: String,
    /// The profile's display name.
    pub name: Option<String>,
    /// Instagram Login: `BUSINESS` or `MEDIA_CREATOR` (`PERSONAL` is refused).
    pub account_type: Option<String>,
    /// A CDN URL of the profile picture.
    pub profile_picture_url: Option<String>,
    /// Followers.
    pub followers_count: Option<u64>,
    /// Accounts it follows.
    pub follows_count: Option<u64>,
    /// Published media.
    pub media_count: Option<u64>,
}

/// The node as Graph sends it, for both products.
pub(super) struct RawProfile {
    id: Option<String>,
    user_id: Option<String>,
    username: String,
    name: Option<String>,
    account_type: Option<String>,
    profile_picture_url: Option<String>,
    followers_count: Option<u64>,
    follows_count: Option<u64>,
    media_count: Option<u64>,
}

impl RawProfile {
    pub(super) fn read(node: &Fields) -> Result<RawProfile, Error> {
        Ok(RawProfile {
            id: node.opt_id("id")?,
            user_id: node.opt_id("user_id")?,
            username: node.string("username")?,
            name: node.opt_string("name")?,
            account_type: node.opt_string("account_type")?,
            profile_picture_url: node.opt_string("profile_picture_url")?,
            followers_count: node.opt_u64("followers_count")?,
            follows_count: node.opt_u64("follows_count")?,
            media_count: node.opt_u64("media_count")?,
        })
    }

    /// The profile, or why it cannot be used. `None` means the node lacks
    /// the ID field this product names the professional account by.
    pub(super) fn into_profile(self, product: Product) -> Result<Option<Profile>, Error> {
        if self.account_type.as_deref() == Some("PERSONAL") {
            return Err(Error::new(
                ErrorKind::PersonalAccount,
                format!(
                    "@{} is a personal Instagram account, and the Instagram API works only with professional accounts: in the Instagram app open Settings → Account type and tools → Switch to professional account, choose Business or Creator, then log in again",
                    self.username
                ),
            ));
        }
        let (ig_user_id, app_scoped_id) = match product {
            Product::Instagram => (self.user_id, self.id),
            Product::Facebook => (self.id, None),
        };
        Ok(ig_user_id.map(|ig_user_id| Profile {
            ig_user_id,
            app_scoped_id,
            username: self.username,
            name: self.name,
            account_type: self.account_type,
            profile_picture_url: self.profile_picture_url,
            followers_count: self.followers_count,
            follows_count: self.follows_count,
            media_count: self.media_count,
        }))
    }
}

/// Instagram Login: `/me` with [`INSTAGRAM_PROFILE_FIELDS`].
pub fn instagram_profile_request(config: &Config, token: &AccessToken) -> Request {
    Request::get(
        &config.graph_url("me"),
        &[
            ("fields", INSTAGRAM_PROFILE_FIELDS),
            ("access_token", token.expose_secret()),
        ],
    )
}

/// Facebook Login: the IG User node `ig_user_id` with [`FACEBOOK_PROFILE_FIELDS`].
pub fn facebook_profile_request(config: &Config, token: &AccessToken, ig_user_id: &str) -> Request {
    Request::get(
        &config.graph_url(ig_user_id),
        &[
            ("fields", FACEBOOK_PROFILE_FIELDS),
            ("access_token", token.expose_secret()),
        ],
    )
}

/// Reads a profile answer of `product` (bare, or wrapped in `data`).
pub fn process_profile(product: Product, response: &Response) -> Result<Profile, Error> {
    let raw = parse_maybe_wrapped(response, "profile", RawProfile::read)?;
    raw.into_profile(product)?
        .ok_or_else(|| Error::unexpected(response, "profile without the account ID"))
}

/// Fetches the profile: `/me` for Instagram Login; for Facebook Login the
/// IG User `ig_user_id`, which is then required.
pub async fn fetch_profile<T: Transport>(
    transport: &T,
    config: &Config,
    token: &AccessToken,
    ig_user_id: Option<&str>,
) -> Result<Profile, Error> {
    let request = match (config.product, ig_user_id) {
        (Product::Instagram, _) => instagram_profile_request(config, token),
        (Product::Facebook, Some(id)) if valid_id(id) => {
            facebook_profile_request(config, token, id)
        }
        (Product::Facebook, _) => {
            return Err(Error::invalid_input(
                "ig_user_id",
                "Facebook Login reads a profile by its Instagram account ID (decimal digits)",
            ))
        }
    };
    let response = transport.send(request).await?;
    process_profile(config.product, &response)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}
