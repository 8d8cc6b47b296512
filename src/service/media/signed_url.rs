//! The URLs Meta fetches staged media from: `{origin}/media/{key without
//! "staged/"}?expires={unix seconds}&sig={base64url HMAC-SHA256}`, signed
//! with the Worker's `SESSION_KEY` secret over a text of its own (a cookie's
//! signature never verifies as a URL's, nor the other way), checked in
//! constant time, honoured only until `expires`.

use crate::core::time::Timestamp;
use crate::service::crypto::{b64url, b64url_decode, hmac_sha256, verify_hmac_sha256};
use crate::service::error::ApiError;
use crate::service::media::STAGED_PREFIX;

fn signed_text(key: &str, expires: u64) -> String {
    format!("instagate-media-v1|{key}|{expires}")
}

/// The absolute URL of `key` on `origin`, valid until `expires`.
pub fn sign(secret: &[u8], origin: &str, key: &str, expires: Timestamp) -> String {
    let secs = expires.as_secs();
    let sig = b64url(&hmac_sha256(secret, signed_text(key, secs).as_bytes()));
    let path = key.strip_prefix(STAGED_PREFIX).unwrap_or(key);
    format!("{origin}/media/{path}?expires={secs}&sig={sig}")
}

/// Checks a download's `expires` and `sig` for `key` at `now`: 403 when the
/// signature is missing or wrong, or the URL has expired.
pub fn verify(
    secret: &[u8],
    key: &str,
    expires: Option<&str>,
    sig: Option<&str>,
    now: Timestamp,
) -> Result<(), ApiError> {
    let refused = |why: &str| ApiError::new(403, "forbidden", format!("this media URL {why}"));
    let (Some(expires), Some(sig)) = (expires, sig) else {
        return Err(refused("is not signed"));
    };
    let secs = expires
        .parse::<u64>()
        .map_err(|_| refused("has a malformed expiry"))?;
    let tag = b64url_decode(sig).ok_or_else(|| refused("has a malformed signature"))?;
    if !verify_hmac_sha256(secret, signed_text(key, secs).as_bytes(), &tag) {
        return Err(refused("has a wrong signature"));
    }
    if Timestamp::from_secs(secs) <= now {
        return Err(refused("has expired"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn parts(url: &str) -> (String, String) {
        let query = url.split_once('?').unwrap().1;
        let get = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .unwrap()
                .to_owned()
        };
        (get("expires"), get("sig"))
    }

    #[test]
    fn a_signed_url_holds_for_its_key_until_it_expires() {
        let key = "staged/1795000000/1784/AAAAAAAAAAAAAAAAAAAAAA";
        let until = Timestamp::from_secs(1_795_000_000);
        let url = sign(SECRET, "https://w.example", key, until);
        assert!(url.starts_with("https://w.example/media/1795000000/1784/AAAAAAAAAAAAAAAAAAAAAA?expires=1795000000&sig="));
        let (expires, sig) = parts(&url);
        let before = Timestamp::from_secs(1_794_999_999);
        verify(SECRET, key, Some(&expires), Some(&sig), before).unwrap();
        let check = |key: &str, expires: &str, sig: Option<&str>, now| {
            verify(SECRET, key, Some(expires), sig, now)
                .unwrap_err()
                .message
        };
        assert!(check(key, &expires, Some(&sig), until).contains("expired"));
        assert!(check(key, "1795000001", Some(&sig), before).contains("wrong signature"));
        assert!(check(
            "staged/1795000000/1785/AAAAAAAAAAAAAAAAAAAAAA",
            &expires,
            Some(&sig),
            before
        )
        .contains("wrong signature"));
        assert!(check(key, &expires, None, before).contains("not signed"));
        assert!(check(key, &expires, Some("%%%"), before).contains("malformed"));
        let other = sign(
            b"another-secret-another-secret-xx",
            "https://w.example",
            key,
            until,
        );
        assert!(check(key, &expires, Some(&parts(&other).1), before).contains("wrong signature"));
        assert_eq!(
            verify(SECRET, key, Some(&expires), Some(&sig), before).map_err(|e| e.status),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, key, Some(&expires), Some(&sig), until)
                .unwrap_err()
                .status,
            403
        );
    }
}
