//! Encryption at rest and signatures.
//!
//! - Records in KV (token records, pending logins) are sealed with
//!   AES-256-GCM as `{"v":1,"kid","nonce","ct"}` (base64url). The record
//!   names the key it was sealed with, so keys rotate: `TOKEN_KEYS` lists
//!   `id:base64key` pairs, the first is used for new writes, and every listed
//!   key still opens old records. The KV key is the associated data, so a
//!   record copied under another account's key does not open.
//! - HMAC-SHA256 signs cookies and checks Meta's `signed_request` and
//!   webhook signatures; verification is constant time (`Mac::verify_slice`).
//!
//! Nonces are 96 random bits from the Transport (`crypto.getRandomValues`
//! in the Worker); with random nonces one key stays well within GCM's limits
//! for any realistic number of token writes (NIST SP 800-38D, 2^32 messages).

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::error::Error;
use crate::core::http::Transport;
use crate::service::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// The sealed form of a record, as stored.
#[derive(Serialize, Deserialize)]
struct Sealed {
    v: u8,
    kid: String,
    nonce: String,
    ct: String,
}

/// The token encryption keys: the first seals, all open.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(String, Aes256Gcm)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "Keyring(ids: {ids:?}, keys: [redacted])")
    }
}

impl Keyring {
    /// Parses `TOKEN_KEYS`: `id:base64key[,id:base64key...]`, each key 32
    /// bytes (standard or URL-safe base64, padded or not). Generate one with
    /// `openssl rand -base64 32`.
    pub fn parse(spec: &str) -> Result<Keyring, Error> {
        let bad = |why: String| Error::config("TOKEN_KEYS", why);
        let mut keys: Vec<(String, Aes256Gcm)> = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((id, b64)) = entry.split_once(':') else {
                return Err(bad(
                    "each TOKEN_KEYS entry must be id:base64key, e.g. k1:<32 bytes in base64>"
                        .into(),
                ));
            };
            let id = id.trim();
            let id_ok = !id.is_empty()
                && id.len() <= 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !id_ok {
                // Not quoted: a key pasted the wrong way round (`key:id`) would
                // put key material in the message, and messages are logged.
                return Err(bad(format!(
                    "entry {} has a key id that is not 1-32 letters, digits, - or _ (format id:base64key)",
                    keys.len() + 1
                )));
            }
            if keys.iter().any(|(k, _)| k == id) {
                return Err(bad(format!("key id {id} appears twice")));
            }
            let bytes = decode_base64_any(b64.trim())
                .ok_or_else(|| bad(format!("key {id} is not valid base64")))?;
            if bytes.len() != 32 {
                return Err(bad(format!(
                    "key {id} is {} bytes; AES-256 needs exactly 32",
                    bytes.len()
                )));
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes)
                .map_err(|_| bad(format!("key {id} is not a valid AES-256 key")))?;
            keys.push((id.to_owned(), cipher));
        }
        if keys.is_empty() {
            return Err(bad(
                "TOKEN_KEYS is empty: set at least one id:base64key".into()
            ));
        }
        Ok(Keyring { keys })
    }

    /// The id new records are sealed with.
    pub fn write_key_id(&self) -> &str {
        &self.keys[0].0
    }

    /// Seals `plaintext` under the write key, bound to `aad` (the KV key).
    pub fn seal(&self, plaintext: &[u8], aad: &str, nonce: [u8; 12]) -> String {
        let (kid, cipher) = &self.keys[0];
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            // Encryption fails only for inputs over 64 GiB.
            .unwrap_or_default();
        serde_json::to_string(&Sealed {
            v: 1,
            kid: kid.clone(),
            nonce: URL_SAFE_NO_PAD.encode(nonce),
            ct: URL_SAFE_NO_PAD.encode(ct),
        })
        .unwrap_or_default()
    }

    /// Seals with a fresh nonce from `transport`.
    pub fn seal_with<T: Transport>(&self, transport: &T, plaintext: &[u8], aad: &str) -> String {
        let mut nonce = [0u8; 12];
        transport.fill_random(&mut nonce);
        self.seal(plaintext, aad, nonce)
    }

    /// Opens a sealed record. An unknown key id or a record that fails
    /// authentication is an error; nothing is guessed.
    pub fn open(&self, sealed: &str, aad: &str) -> Result<Vec<u8>, ApiError> {
        let record: Sealed =
            serde_json::from_str(sealed).map_err(|_| ApiError::decrypt_failed(aad))?;
        if record.v != 1 {
            return Err(ApiError::decrypt_failed(aad));
        }
        let cipher = self
            .keys
            .iter()
            .find(|(id, _)| *id == record.kid)
            .map(|(_, c)| c)
            .ok_or_else(|| ApiError::key_unavailable(&record.kid))?;
        let nonce = URL_SAFE_NO_PAD
            .decode(&record.nonce)
            .ok()
            .filter(|n| n.len() == 12)
            .ok_or_else(|| ApiError::decrypt_failed(aad))?;
        let ct = URL_SAFE_NO_PAD
            .decode(&record.ct)
            .map_err(|_| ApiError::decrypt_failed(aad))?;
        cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| ApiError::decrypt_failed(aad))
    }

    /// The key id a sealed record names (without opening it).
    pub fn key_id_of(sealed: &str) -> Option<String> {
        serde_json::from_str::<Sealed>(sealed).ok().map(|s| s.kid)
    }
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Whether `tag` is the HMAC-SHA256 of `data` under `key`, in constant time.
pub fn verify_hmac_sha256(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.verify_slice(tag).is_ok()
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Compares two secrets in time independent of where they differ and of the
/// secret's length: both sides are hashed first, so an API key's length
/// does not leak either.
pub fn secret_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(sha256(a.as_bytes()).ct_eq(&sha256(b.as_bytes())))
}

/// `n` random bytes from the transport, base64url without padding.
pub fn random_id<T: Transport>(transport: &T, n: usize) -> String {
    let mut buf = vec![0u8; n];
    transport.fill_random(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decodes base64url with or without padding (Meta pads some signatures).
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()
        .or_else(|| URL_SAFE.decode(s).ok())
}

/// Any of the four base64 alphabets/paddings.
pub fn decode_base64_any(s: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(s)
        .or_else(|_| STANDARD_NO_PAD.decode(s))
        .or_else(|_| URL_SAFE.decode(s))
        .or_else(|_| URL_SAFE_NO_PAD.decode(s))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:__79_Pv6-fj39vX08_Lx8O_u7ezr6uno5-bl5OPi4eA";

    #[test]
    fn seals_and_opens_with_rotation() {
        let old = Keyring::parse(K1).unwrap();
        let sealed = old.seal(b"IGQVJ-token", "token:1", [7; 12]);
        assert!(!sealed.contains("IGQVJ"));
        assert_eq!(Keyring::key_id_of(&sealed).as_deref(), Some("k1"));

        let rotated = Keyring::parse(&format!("{K2},{K1}")).unwrap();
        assert_eq!(rotated.write_key_id(), "k2");
        assert_eq!(rotated.open(&sealed, "token:1").unwrap(), b"IGQVJ-token");
        let resealed = rotated.seal(b"IGQVJ-token", "token:1", [8; 12]);
        assert_eq!(Keyring::key_id_of(&resealed).as_deref(), Some("k2"));

        let new_only = Keyring::parse(K2).unwrap();
        let e = new_only.open(&sealed, "token:1").unwrap_err();
        assert_eq!(e.kind, "key_unavailable");
        assert!(e.message.contains("\"k1\""), "{}", e.message);
    }

    #[test]
    fn a_record_moved_to_another_key_or_altered_does_not_open() {
        let ring = Keyring::parse(K1).unwrap();
        let sealed = ring.seal(b"secret", "token:1", [1; 12]);
        assert_eq!(
            ring.open(&sealed, "token:2").unwrap_err().kind,
            "decrypt_failed"
        );
        let mut v: serde_json::Value = serde_json::from_str(&sealed).unwrap();
        let ct = v["ct"].as_str().unwrap().to_owned();
        let flipped = if ct.starts_with('A') { "B" } else { "A" };
        v["ct"] = serde_json::json!(format!("{flipped}{}", &ct[1..]));
        assert_eq!(
            ring.open(&v.to_string(), "token:1").unwrap_err().kind,
            "decrypt_failed"
        );
        assert_eq!(
            ring.open("not json", "token:1").unwrap_err().kind,
            "decrypt_failed"
        );
    }

    #[test]
    fn bad_keyrings_name_the_setting() {
        for spec in [
            "",
            "nocolon",
            "k1:short",
            "k1:!!!",
            &format!("{K1},{K1}"),
            "bad id:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ] {
            let e = Keyring::parse(spec).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("TOKEN_KEYS"), "{spec}");
        }
        assert!(!format!("{:?}", Keyring::parse(K1).unwrap()).contains("AAEC"));
    }

    #[test]
    fn hmac_known_answer_and_constant_time_checks() {
        // RFC 4231 test case 2.
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            tag.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify_hmac_sha256(
            b"Jefe",
            b"what do ya want for nothing?",
            &tag
        ));
        assert!(!verify_hmac_sha256(
            b"Jefe",
            b"what do ya want for nothing!",
            &tag
        ));
        assert!(!verify_hmac_sha256(b"Jefe", b"x", &tag[..31]));
        assert!(secret_eq("api-key", "api-key"));
        assert!(!secret_eq("api-key", "api-kez"));
        assert!(!secret_eq("api-key", "api-key-longer"));
    }
}
