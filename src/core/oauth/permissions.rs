//! Which permissions the person granted, and the check that the required
//! ones are among them.
//!
//! - Instagram Login lists them in the code exchange's `permissions`
//!   ([`super::exchange::CodeExchange::permissions`]); graph.instagram.com
//!   has no permissions edge.
//! - Facebook Login: `GET {graph_base}/{version}/me/permissions` →
//!   `{"data":[{"permission","status":"granted"|"declined"}]}`; the person
//!   can untick permissions in the dialog, and the dialog asks again for a
//!   declined one only with `auth_type=rerequest`
//!   (<https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow>,
//!   "Re-asking for declined permissions").

use crate::core::config::{Config, Product};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::meta_body::parse_success;
use crate::core::secret::AccessToken;

/// Granted and declined permissions, in Meta's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    /// `status: granted`.
    pub granted: Vec<String>,
    /// `status: declined`: unticked in the dialog.
    pub declined: Vec<String>,
}

/// Facebook Login's `/me/permissions`; Instagram Login has no such edge.
pub fn permissions_request(config: &Config, token: &AccessToken) -> Result<Request, Error> {
    if config.product != Product::Facebook {
        return Err(Error::invalid_input(
            "product",
            "Instagram Login has no permissions endpoint: the code exchange lists the granted permissions",
        ));
    }
    Ok(Request::get(
        &config.graph_url("me/permissions"),
        &[("access_token", token.expose_secret())],
    ))
}

/// Reads `/me/permissions`. Statuses other than granted/declined (such as
/// `expired`) count as not granted.
pub fn process_permissions(response: &Response) -> Result<Permissions, Error> {
    parse_success(response, "permissions", |body| {
        let mut out = Permissions::default();
        body.required_array("data")?;
        for entry in body.objects("data")? {
            let permission = entry.string("permission")?;
            match entry.string("status")?.as_str() {
                "granted" => out.granted.push(permission),
                "declined" => out.declined.push(permission),
                _ => {}
            }
        }
        Ok(out)
    })
}

/// Fetches the permissions of a Facebook Login token.
pub async fn fetch_permissions<T: Transport>(
    transport: &T,
    config: &Config,
    token: &AccessToken,
) -> Result<Permissions, Error> {
    let request = permissions_request(config, token)?;
    let response = transport.send(request).await?;
    process_permissions(&response)
}

/// `Ok` when every `required` permission is in `granted`; else a
/// `MissingPermission` error whose `field` is the first missing one.
pub fn check_permissions<R: AsRef<str>>(granted: &[String], required: &[R]) -> Result<(), Error> {
    let missing = required
        .iter()
        .map(AsRef::as_ref)
        .find(|r| !granted.iter().any(|g| g == r));
    match missing {
        None => Ok(()),
        Some(name) => Err(Error::new(
            ErrorKind::MissingPermission,
            format!(
                "the permission {name} was not granted, and the app needs it: log in again and leave {name} ticked on the consent screen"
            ),
        )
        .with_field(name)),
    }
}
