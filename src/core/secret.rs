//! Newtypes for the values that must never reach a log: the app secret,
//! access tokens, authorization codes and PKCE verifiers.
//!
//! Each prints `[redacted]` under `Debug` and `Display`, compares in constant
//! time, and hands out its text only through an explicit `expose_secret()`,
//! so every place a secret leaves the type is easy to find with grep.
//! (Serialization keeps the value: token records must be stored, and the
//! Worker encrypts them before they reach KV.)

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> $name {
                $name(value.into())
            }

            /// The secret text. Call only where it is sent to Meta or stored encrypted.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("[redacted]")
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &$name) -> bool {
                constant_time_eq(&self.0, &other.0)
            }
        }

        impl Eq for $name {}
    };
}

secret_type!(
    /// The Meta app secret. Lives only on servers and in the Worker.
    ClientSecret
);
secret_type!(
    /// An Instagram User, Facebook User or Page access token.
    AccessToken
);
secret_type!(
    /// The one-time `code` from the OAuth callback.
    AuthorizationCode
);
secret_type!(
    /// The PKCE `code_verifier` (RFC 7636), kept until the code exchange.
    PkceVerifier
);

/// Compares two strings in time that depends only on their lengths, for
/// `state` values, signatures, API keys and secrets.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let t = AccessToken::new("IGQVJabc123");
        assert_eq!(format!("{t:?}"), "AccessToken([redacted])");
        assert_eq!(format!("{t}"), "[redacted]");
        assert_eq!(
            format!("{:?}", ClientSecret::new("s")),
            "ClientSecret([redacted])"
        );
        assert_eq!(
            format!("{:?}", Some(PkceVerifier::new("v"))),
            "Some(PkceVerifier([redacted]))"
        );
        assert_eq!(t.expose_secret(), "IGQVJabc123");
    }

    #[test]
    fn equality_is_by_value() {
        assert_eq!(AccessToken::new("a"), AccessToken::new("a"));
        assert_ne!(AccessToken::new("a"), AccessToken::new("b"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(constant_time_eq("", ""));
    }

    #[test]
    fn serializes_transparently_for_encrypted_storage() {
        let json = serde_json::to_string(&AccessToken::new("tok")).unwrap();
        assert_eq!(json, "\"tok\"");
        let back: AccessToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expose_secret(), "tok");
    }
}
