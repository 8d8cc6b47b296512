//! Reading JSON field by field: [`Fields`], one typed reader over a parsed
//! `serde_json::Value` that every JSON reader of the core uses (Meta's
//! answers, media specs from outside, saved jobs).
//!
//! Why not `#[derive(Deserialize)]`: each derived reader is its own copy of
//! serde's generated code for every deserializer it meets (an `Option<T>`
//! field alone is one instantiation per `T`), which was about half of the
//! npm package's code. Here the JSON text is parsed once into a `Value`
//! (serde_json's one parser, compiled once) and these few non-generic
//! methods read it; an error names the field's path.
//!
//! Instagram user and media IDs exceed 2^53, so a JavaScript number loses
//! them. Meta sends most IDs as strings, but some responses (the Instagram
//! Login code exchange's `user_id`) send a bare JSON number. [`Fields::opt_id`]
//! accepts both and always yields the exact decimal string; serde_json
//! parses integers up to 2^64 exactly, which covers every Instagram ID.

use serde_json::{Map, Value};

use crate::core::error::Error;

/// A JSON object being read; `path` prefixes field names in errors
/// (`items[3].`). Errors are `invalid_input` errors naming the field; a
/// reader of Meta's answers turns any of them into an unexpected answer.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    /// `value` as the top-level object; `name` names it when it is not one.
    pub fn root(value: &'a Value, name: &str) -> Result<Fields<'a>, Error> {
        match value.as_object() {
            Some(map) => Ok(Fields {
                map,
                path: String::new(),
            }),
            None => Err(Error::invalid_input(
                name,
                format!("{name} must be an object"),
            )),
        }
    }

    /// `value` as a nested object whose fields are `path` + name (`path`
    /// ends with `.`).
    pub fn new(value: &'a Value, path: &str) -> Result<Fields<'a>, Error> {
        match value.as_object() {
            Some(map) => Ok(Fields {
                map,
                path: path.to_owned(),
            }),
            None => Fields::root(value, path.trim_end_matches('.')),
        }
    }

    /// The field's name as errors show it.
    pub fn name(&self, key: &str) -> String {
        format!("{}{key}", self.path)
    }

    /// An `invalid_input` error: "`field` `what`".
    pub fn error(&self, key: &str, what: &str) -> Error {
        let field = self.name(key);
        Error::invalid_input(&field, format!("{field} {what}"))
    }

    /// The keys present.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> {
        self.map.keys().map(String::as_str)
    }

    /// Refuses keys outside `allowed` and `ignore`.
    pub fn only(&self, allowed: &[&str], ignore: &[&str]) -> Result<(), Error> {
        match self
            .keys()
            .find(|k| !allowed.contains(k) && !ignore.contains(k))
        {
            Some(key) => Err(self.error(
                key,
                &format!(
                    "is not a field here (expected one of {})",
                    allowed.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// The value, or `None` when missing or `null`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Whether the field is present and not `null`.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<String>, Error> {
        self.opt_str(key).map(|s| s.map(str::to_owned))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(key, "must be a string")),
        }
    }

    pub fn string(&self, key: &str) -> Result<String, Error> {
        self.opt_string(key)?
            .ok_or_else(|| self.error(key, "is required"))
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.error(key, "must be true or false")),
        }
    }

    /// A whole number ≥ 0. A number that went through a JavaScript float
    /// arrives as `1500.0`: a whole float below 2^53 counts.
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) => Ok(Some(n)),
                None => match v.as_f64() {
                    Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => Ok(Some(f as u64)),
                    _ => Err(self.error(key, "must be a whole number ≥ 0")),
                },
            },
        }
    }

    /// [`Fields::opt_u64`] that fits a `u32`.
    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>, Error> {
        match self.opt_u64(key)? {
            None => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| self.error(key, "is too large")),
        }
    }

    /// A required [`Fields::opt_u64`].
    pub fn u64(&self, key: &str) -> Result<u64, Error> {
        self.opt_u64(key)?
            .ok_or_else(|| self.error(key, "is required (a whole number)"))
    }

    /// An integer (Meta's error codes); a float is refused.
    pub fn opt_i64(&self, key: &str) -> Result<Option<i64>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.error(key, "must be an integer")),
        }
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.error(key, "must be a number")),
        }
    }

    /// An ID as a string of decimal digits or a JSON integer, as the exact
    /// decimal string. A float (precision already lost) or a negative
    /// number is refused rather than corrupted.
    pub fn opt_id(&self, key: &str) -> Result<Option<String>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Some(s.clone()))
            }
            Some(Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
            Some(_) => Err(self.error(key, "must be an ID (decimal digits)")),
        }
    }

    pub fn id(&self, key: &str) -> Result<String, Error> {
        self.opt_id(key)?
            .ok_or_else(|| self.error(key, "is required"))
    }

    /// An array (missing or `null`: empty).
    pub fn array(&self, key: &str) -> Result<&'a [Value], Error> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.error(key, "must be an array")),
        }
    }

    /// A required array.
    pub fn required_array(&self, key: &str) -> Result<&'a [Value], Error> {
        match self.get(key) {
            None => Err(self.error(key, "is required")),
            Some(_) => self.array(key),
        }
    }

    /// An array of strings (missing or `null`: empty).
    pub fn strings(&self, key: &str) -> Result<Vec<String>, Error> {
        self.array(key)?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.error(&format!("{key}[{i}]"), "must be a string"))
            })
            .collect()
    }

    /// A nested object, its fields named `key.field` in errors.
    pub fn opt_object(&self, key: &str) -> Result<Option<Fields<'a>>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => Fields::new(value, &format!("{}.", self.name(key))).map(Some),
        }
    }

    /// A required nested object.
    pub fn object(&self, key: &str) -> Result<Fields<'a>, Error> {
        self.opt_object(key)?
            .ok_or_else(|| self.error(key, "is required"))
    }

    /// Each element of the array `key` as an object (`key[i].field` in errors).
    pub fn objects(&self, key: &str) -> Result<Vec<Fields<'a>>, Error> {
        self.array(key)?
            .iter()
            .enumerate()
            .map(|(i, v)| Fields::new(v, &format!("{}[{i}].", self.name(key))))
            .collect()
    }
}

/// Parses a JSON text; `None` when it is not JSON.
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id_of(value: Value) -> Result<Option<String>, Error> {
        Fields::root(&value, "body")?.opt_id("user_id")
    }

    #[test]
    fn ids_above_2_pow_53_stay_exact() {
        assert_eq!(
            id_of(json!({"user_id": 17841400000000001u64}))
                .unwrap()
                .as_deref(),
            Some("17841400000000001")
        );
        assert_eq!(
            id_of(json!({"user_id": "17841400000000003"}))
                .unwrap()
                .as_deref(),
            Some("17841400000000003")
        );
        let parsed = parse(r#"{"user_id":9007199254740993}"#).unwrap();
        assert_eq!(
            Fields::root(&parsed, "body")
                .unwrap()
                .id("user_id")
                .unwrap(),
            "9007199254740993"
        );
        assert_eq!(id_of(json!({"user_id": null})).unwrap(), None);
    }

    #[test]
    fn lossy_or_odd_ids_are_refused() {
        let float = parse(r#"{"user_id":1.7841400000000001e16}"#).unwrap();
        assert!(Fields::root(&float, "body")
            .unwrap()
            .opt_id("user_id")
            .is_err());
        assert!(id_of(json!({"user_id": "12a"})).is_err());
        assert!(id_of(json!({"user_id": ""})).is_err());
        assert!(id_of(json!({"user_id": -5})).is_err());
        let e = id_of(json!({"user_id": true})).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("user_id"));
    }

    #[test]
    fn typed_fields_refuse_other_types_and_name_the_path() {
        let v = json!({"a": {"b": [{"c": "x"}, {"c": 5}]}, "n": 1.5, "code": 190.0});
        let root = Fields::root(&v, "body").unwrap();
        let items = root.object("a").unwrap().objects("b").unwrap();
        assert_eq!(items[0].string("c").unwrap(), "x");
        let e = items[1].string("c").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("a.b[1].c"));
        assert!(root.opt_u64("n").is_err());
        assert!(root.opt_i64("code").is_err());
        assert_eq!(root.opt_u64("missing").unwrap(), None);
        assert!(root.object("missing").is_err());
        assert!(Fields::root(&json!([1]), "body").is_err());
    }
}
