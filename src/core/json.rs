//! Small serde helpers for Meta's JSON.
//!
//! Instagram user and media IDs exceed 2^53, so a JavaScript number loses
//! them. Meta sends most IDs as strings, but some responses (the Instagram
//! Login code exchange's `user_id`) send a bare JSON number. [`id`] accepts
//! both and always yields the exact decimal string; serde_json parses
//! integers up to 2^64 exactly, which covers every Instagram ID.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// `#[serde(deserialize_with = "crate::core::json::id")]` for an ID that may
/// arrive as a string or a number.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct IdVisitor;
    impl Visitor<'_> for IdVisitor {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an ID as a string or an integer")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                Ok(v.to_owned())
            } else {
                Err(E::custom("an ID must be decimal digits"))
            }
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            u64::try_from(v)
                .map(|v| v.to_string())
                .map_err(|_| E::custom("a negative ID"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
            // A float here means precision is already lost; refuse rather than corrupt.
            Err(E::custom("an ID that is not an exact integer"))
        }
    }
    d.deserialize_any(IdVisitor)
}

/// Like [`id`] for an optional field.
pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "id")] String);
    Option::<Wrapped>::deserialize(d).map(|o| o.map(|Wrapped(s)| s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "id")]
        user_id: String,
        #[serde(default, deserialize_with = "opt_id")]
        other: Option<String>,
    }

    #[test]
    fn ids_above_2_pow_53_stay_exact() {
        let t: T = serde_json::from_str(r#"{"user_id":17841400000000001}"#).unwrap();
        assert_eq!(t.user_id, "17841400000000001");
        assert_eq!(t.other, None);
        let t: T =
            serde_json::from_str(r#"{"user_id":"17841400000000003","other":9007199254740993}"#)
                .unwrap();
        assert_eq!(t.user_id, "17841400000000003");
        assert_eq!(t.other.as_deref(), Some("9007199254740993"));
    }

    #[test]
    fn lossy_or_odd_ids_are_refused() {
        assert!(serde_json::from_str::<T>(r#"{"user_id":1.7841400000000001e16}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"user_id":"12a"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"user_id":-5}"#).is_err());
    }
}
