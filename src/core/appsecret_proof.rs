//! `appsecret_proof`: Graph API calls signed with the app secret, so that a
//! stolen access token is useless without it. A Meta app with "Require App
//! Secret" turned on refuses server calls that lack it
//! (<https://developers.facebook.com/docs/graph-api/guides/secure-requests>,
//! <https://developers.facebook.com/docs/facebook-login/security>).
//!
//! The proof is the hex HMAC-SHA256 of the access token under the app
//! secret. [`SignedGraph`] is a [`Transport`] that adds it to every request
//! for one Graph base URL (Facebook Login's graph.facebook.com) carrying a
//! user or Page token, next to the token (query or form body), so no flow
//! needs to know about it.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::core::error::Error;
use crate::core::http::{encode_form, with_query, Method, Request, Response, Transport};
use crate::core::secret::ClientSecret;
use crate::core::time::Timestamp;

/// The `appsecret_proof` of `access_token`: lowercase hex HMAC-SHA256 keyed
/// by the app secret.
pub fn appsecret_proof(secret: &ClientSecret, access_token: &str) -> String {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return String::new();
    };
    mac.update(access_token.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `request` with `appsecret_proof` next to its `access_token` (query for a
/// GET, form body for a POST). Unchanged when it carries no token, already
/// has a proof, or carries an app token (`{app-id}|{secret}`, which holds
/// the secret itself).
pub fn sign_request(mut request: Request, secret: &ClientSecret) -> Request {
    let params = request.params();
    let token = params
        .iter()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.as_str());
    let Some(token) = token.filter(|t| !t.is_empty() && !t.contains('|')) else {
        return request;
    };
    if params.iter().any(|(k, _)| k == "appsecret_proof") {
        return request;
    }
    let proof = appsecret_proof(secret, token);
    let pair = [("appsecret_proof", proof.as_str())];
    let in_body = request.method == Method::Post
        && request
            .body
            .as_deref()
            .is_some_and(|b| b.split('&').any(|p| p.starts_with("access_token=")));
    if in_body {
        let body = request.body.take().unwrap_or_default();
        request.body = Some(format!("{body}&{}", encode_form(&pair)));
    } else {
        request.url = with_query(&request.url, &pair);
    }
    request
}

/// A transport that signs every request to one Graph base URL with the app
/// secret (or, built with [`SignedGraph::unsigned`], signs nothing).
#[derive(Clone)]
pub struct SignedGraph<T> {
    inner: T,
    signing: Option<(ClientSecret, String)>,
}

impl<T> SignedGraph<T> {
    /// Signs requests whose URL starts with `graph_base` (e.g.
    /// `https://graph.facebook.com`); everything else passes through.
    pub fn new(inner: T, secret: ClientSecret, graph_base: &str) -> SignedGraph<T> {
        let base = graph_base.trim_end_matches('/').to_owned();
        SignedGraph {
            inner,
            signing: Some((secret, base)),
        }
    }

    /// Passes every request through (no Facebook Login configured).
    pub fn unsigned(inner: T) -> SignedGraph<T> {
        SignedGraph {
            inner,
            signing: None,
        }
    }

    pub fn inner(&self) -> &T {
        &self.inner
    }
}

fn is_under(url: &str, base: &str) -> bool {
    url.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
}

impl<T: Transport> Transport for SignedGraph<T> {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        let request = match &self.signing {
            Some((secret, base)) if is_under(&request.url, base) => sign_request(request, secret),
            _ => request,
        };
        self.inner.send(request).await
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await
    }

    fn now(&self) -> Timestamp {
        self.inner.now()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        self.inner.fill_random(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::{block_on, ScriptedTransport};

    fn secret() -> ClientSecret {
        ClientSecret::new("standin-app-secret".to_owned())
    }

    #[test]
    fn proof_is_hex_hmac_sha256_of_the_token() {
        // RFC 4231-style check against an independent computation:
        // HMAC-SHA256(key = "key", "The quick brown fox jumps over the lazy dog").
        let s = ClientSecret::new("key".to_owned());
        assert_eq!(
            appsecret_proof(&s, "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn the_proof_goes_next_to_the_token() {
        let get = Request::get(
            "https://graph.facebook.com/v21.0/me",
            &[("fields", "id"), ("access_token", "EAAUtoken")],
        );
        let signed = sign_request(get, &secret());
        let proof = appsecret_proof(&secret(), "EAAUtoken");
        assert!(
            signed.url.ends_with(&format!("&appsecret_proof={proof}")),
            "{}",
            signed.url
        );
        assert!(signed.body.is_none());

        let post = Request::post_form(
            "https://graph.facebook.com/v21.0/1784/media",
            &[
                ("image_url", "https://cdn.example/a.jpg"),
                ("access_token", "EAAPpage"),
            ],
        );
        let signed = sign_request(post, &secret());
        let proof = appsecret_proof(&secret(), "EAAPpage");
        assert_eq!(
            signed.body.as_deref(),
            Some(format!("image_url=https%3A%2F%2Fcdn.example%2Fa.jpg&access_token=EAAPpage&appsecret_proof={proof}").as_str())
        );
        assert!(!signed.url.contains('?'));
    }

    #[test]
    fn requests_without_a_user_token_are_left_alone() {
        for request in [
            Request::get(
                "https://graph.facebook.com/v21.0/oauth/access_token",
                &[("code", "c")],
            ),
            Request::get(
                "https://graph.facebook.com/v21.0/debug_token",
                &[("input_token", "EAAU"), ("access_token", "1000|secret")],
            ),
            Request::get(
                "https://graph.facebook.com/v21.0/me",
                &[("access_token", "EAAU"), ("appsecret_proof", "given")],
            ),
        ] {
            let before = request.url.clone();
            assert_eq!(sign_request(request, &secret()).url, before);
        }
    }

    #[test]
    fn the_transport_signs_only_its_graph_base() {
        let inner = ScriptedTransport::new(Timestamp(0));
        inner.set_handler(|_, _| Ok(Response::new(200, "{}")));
        let t = SignedGraph::new(&inner, secret(), "https://graph.facebook.com/");
        for url in [
            "https://graph.facebook.com/v21.0/me",
            "https://graph.instagram.com/v21.0/me",
            "https://graph.facebook.com.evil.example/me",
        ] {
            block_on(t.send(Request::get(url, &[("access_token", "EAAU")]))).unwrap();
        }
        block_on(SignedGraph::unsigned(&inner).send(Request::get(
            "https://graph.facebook.com/v21.0/me",
            &[("access_token", "EAAU")],
        )))
        .unwrap();
        let sent = inner.requests();
        assert!(
            !sent[3].url.contains("appsecret_proof="),
            "unsigned signs nothing"
        );
        assert!(sent[0].url.contains("appsecret_proof="));
        assert!(
            !sent[1].url.contains("appsecret_proof="),
            "Instagram Login is not signed"
        );
        assert!(
            !sent[2].url.contains("appsecret_proof="),
            "a look-alike host is not signed"
        );
    }
}
