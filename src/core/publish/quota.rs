//! The account's publishing quota: how many posts it published through the
//! API in the rolling window, and the limit.
//!
//! `GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config`
//! answers `{"data":[{"quota_usage":2,"config":{"quota_total":50,"quota_duration":86400}}]}`
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit>).
//! The Content Publishing guide says 100 posts per 24 hours, the reference
//! pages say 50; the account's own `quota_total` is what counts, so it is
//! read rather than assumed. A carousel counts once. `since` (a Unix time no
//! older than 24 hours) counts the usage from then on instead of over the
//! whole window (same reference, query string parameters).

use serde::{Deserialize, Serialize};

use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::http::{Request, Response, Transport};
use crate::core::meta_body::parse_success;
use crate::core::publish::validate::check_ig_user_id;
use crate::core::retry::{with_retry, CallKind, RetryPolicy};
use crate::core::secret::AccessToken;
use crate::core::time::Timestamp;

/// How far back `since` may reach: the reference's 24 hours.
const SINCE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Publishing usage in the rolling window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishingQuota {
    /// Posts published through the API in the window.
    pub usage: u32,
    /// The limit (`config.quota_total`); `None` if Meta left it out.
    pub total: Option<u32>,
    /// The window in seconds (`config.quota_duration`, 86400).
    pub duration_secs: Option<u64>,
}

impl PublishingQuota {
    /// Posts left in the window, when the limit is known.
    pub fn remaining(&self) -> Option<u32> {
        self.total.map(|t| t.saturating_sub(self.usage))
    }

    /// Whether the limit is reached (unknown limits are not reached).
    pub fn is_exhausted(&self) -> bool {
        self.remaining() == Some(0)
    }
}

/// `GET {graph}/{ig_user_id}/content_publishing_limit?fields=quota_usage,config[&since=UNIX]`.
pub fn quota_request(
    config: &Config,
    token: &AccessToken,
    ig_user_id: &str,
    since: Option<Timestamp>,
) -> Request {
    let since = since.map(|t| t.as_secs().to_string());
    let mut params = vec![("fields", "quota_usage,config")];
    if let Some(since) = since.as_deref() {
        params.push(("since", since));
    }
    params.push(("access_token", token.expose_secret()));
    Request::get(
        &config.graph_url(&format!("{ig_user_id}/content_publishing_limit")),
        &params,
    )
}

/// `since` must lie within the last 24 hours (Meta refuses older ones).
pub fn check_since(since: Timestamp, now: Timestamp) -> Result<(), Error> {
    if since > now || now.since(since) > SINCE_MAX_AGE {
        return Err(Error::invalid_input(
            "since",
            format!(
                "since must lie within the last 24 hours (between {} and {}), not {}",
                now.minus(SINCE_MAX_AGE),
                now,
                since
            ),
        ));
    }
    Ok(())
}

pub fn process_quota(response: &Response) -> Result<PublishingQuota, Error> {
    let quotas = parse_success(response, "content_publishing_limit", |body| {
        body.required_array("data")?;
        body.objects("data")?
            .iter()
            .map(|entry| {
                let quota_usage = entry
                    .opt_u32("quota_usage")?
                    .ok_or_else(|| entry.error("quota_usage", "is required"))?;
                let (total, duration_secs) = match entry.opt_object("config")? {
                    Some(limits) => (
                        limits.opt_u32("quota_total")?,
                        limits.opt_u64("quota_duration")?,
                    ),
                    None => (None, None),
                };
                Ok(PublishingQuota {
                    usage: quota_usage,
                    total,
                    duration_secs,
                })
            })
            .collect::<Result<Vec<_>, Error>>()
    })?;
    quotas
        .into_iter()
        .next()
        .ok_or_else(|| Error::unexpected(response, "content_publishing_limit (empty data)"))
}

/// Reads the quota, retrying transient failures.
pub async fn publishing_quota<T: Transport>(
    transport: &T,
    config: &Config,
    token: &AccessToken,
    ig_user_id: &str,
    since: Option<Timestamp>,
    retry: &RetryPolicy,
) -> Result<PublishingQuota, Error> {
    check_ig_user_id(ig_user_id)?;
    if let Some(since) = since {
        check_since(since, transport.now())?;
    }
    with_retry(transport, retry, CallKind::Read, || async {
        let response = transport
            .send(quota_request(config, token, ig_user_id, since))
            .await?;
        process_quota(&response)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

    #[test]
    fn parses_the_documented_shape() {
        let q = process_quota(&Response::new(
            200,
            r#"{"data":[{"quota_usage":2,"config":{"quota_total":50,"quota_duration":86400}}]}"#,
        ))
        .unwrap();
        assert_eq!(
            q,
            PublishingQuota {
                usage: 2,
                total: Some(50),
                duration_secs: Some(86_400)
            }
        );
        assert_eq!(q.remaining(), Some(48));
        assert!(!q.is_exhausted());
        let q = process_quota(&Response::new(200, r#"{"data":[{"quota_usage":7}]}"#)).unwrap();
        assert_eq!(q.total, None);
        assert!(!q.is_exhausted());
        let q = process_quota(&Response::new(
            200,
            r#"{"data":[{"quota_usage":100,"config":{"quota_total":100,"quota_duration":86400}}]}"#,
        ))
        .unwrap();
        assert!(q.is_exhausted());
    }

    #[test]
    fn odd_bodies_are_errors_not_panics() {
        for body in [
            r#"{"data":[]}"#,
            r#"{"data":[{"quota_usage":-1}]}"#,
            r#"{"data":[{"quota_usage":"2"}]}"#,
            "<html>",
            r#"{"data":[{"quota_usage":2,"con"#,
        ] {
            let e = process_quota(&Response::new(200, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::UnexpectedResponse, "{body}");
        }
    }
}
