//! Facebook Login: the Facebook user behind a user token.
//!
//! `GET {graph_base}/{version}/me?fields=id` gives the app-scoped Facebook
//! user ID: the ID in the signed request of Meta's data-deletion (and
//! deauthorize) callbacks, so a stored account can be found by it
//! (<https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback>).

use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::http::{Request, Response, Transport};
use crate::core::meta_body::parse_success;
use crate::core::secret::AccessToken;

/// `/me?fields=id` with a Facebook user token.
pub fn facebook_user_request(config: &Config, user_token: &AccessToken) -> Request {
    Request::get(
        &config.graph_url("me"),
        &[
            ("fields", "id"),
            ("access_token", user_token.expose_secret()),
        ],
    )
}

/// The user's ID, exact.
pub fn process_facebook_user(response: &Response) -> Result<String, Error> {
    parse_success(response, "Facebook user", |me| me.id("id"))
}

/// Fetches the Facebook user ID of `user_token`.
pub async fn fetch_facebook_user_id<T: Transport>(
    transport: &T,
    config: &Config,
    user_token: &AccessToken,
) -> Result<String, Error> {
    let response = transport
        .send(facebook_user_request(config, user_token))
        .await?;
    process_facebook_user(&response)
}
