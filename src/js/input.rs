//! Reading JavaScript arguments: a plain object, field by field, with errors
//! that name the camelCase field.
//!
//! Arguments are read through `Reflect` rather than serde-wasm-bindgen's
//! deserializer: it keeps the messages ours ("clientId must be a string")
//! and keeps serde's float formatting (~14 KB of wasm) out of the package.

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::error::{Error, ErrorKind};

/// A JS object argument. `prefix` is prepended to field names in errors
/// (`"endpoints."`); `kind` is the error kind of a bad field (`Config` for
/// the configuration object, `InvalidInput` for everything else).
pub struct Obj {
    value: JsValue,
    prefix: String,
    kind: ErrorKind,
}

fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !value.is_function() && !Array::is_array(value)
}

impl Obj {
    /// `value` must be an object; `name` names the argument in the error.
    pub fn required(value: JsValue, name: &str, kind: ErrorKind) -> Result<Obj, Error> {
        Obj::optional(value, name, kind)?
            .ok_or_else(|| Error::new(kind, format!("{name} must be an object")).with_field(name))
    }

    /// `undefined` / `null` is `None`; anything else must be an object.
    pub fn optional(value: JsValue, name: &str, kind: ErrorKind) -> Result<Option<Obj>, Error> {
        if is_absent(&value) {
            return Ok(None);
        }
        if !is_plain_object(&value) {
            return Err(Error::new(kind, format!("{name} must be an object")).with_field(name));
        }
        Ok(Some(Obj {
            value,
            prefix: String::new(),
            kind,
        }))
    }

    /// The field's name as errors show it.
    pub fn field_name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// An error of this object's kind naming `key`.
    pub fn error(&self, key: &str, message: &str) -> Error {
        let field = self.field_name(key);
        Error::new(self.kind, format!("{field} {message}")).with_field(&field)
    }

    /// The object itself.
    #[cfg(feature = "server-api")]
    pub fn raw_value(&self) -> &JsValue {
        &self.value
    }

    /// The raw value of a field (`undefined` when missing).
    pub fn raw(&self, key: &str) -> JsValue {
        Reflect::get(&self.value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<String>, Error> {
        let value = self.raw(key);
        if is_absent(&value) {
            return Ok(None);
        }
        value
            .as_string()
            .map(Some)
            .ok_or_else(|| self.error(key, "must be a string"))
    }

    pub fn string(&self, key: &str) -> Result<String, Error> {
        self.opt_string(key)?
            .ok_or_else(|| self.error(key, "is required"))
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, Error> {
        let value = self.raw(key);
        if is_absent(&value) {
            return Ok(None);
        }
        value
            .as_bool()
            .map(Some)
            .ok_or_else(|| self.error(key, "must be true or false"))
    }

    /// A finite number ≥ 0 (times, durations).
    #[cfg(feature = "server-api")]
    pub fn opt_number(&self, key: &str) -> Result<Option<f64>, Error> {
        let value = self.raw(key);
        if is_absent(&value) {
            return Ok(None);
        }
        match value.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
            _ => Err(self.error(key, "must be a finite number ≥ 0")),
        }
    }

    pub fn opt_strings(&self, key: &str) -> Result<Option<Vec<String>>, Error> {
        let value = self.raw(key);
        if is_absent(&value) {
            return Ok(None);
        }
        let array: Array = value
            .dyn_into()
            .map_err(|_| self.error(key, "must be an array of strings"))?;
        array
            .iter()
            .map(|item| {
                item.as_string()
                    .ok_or_else(|| self.error(key, "must be an array of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A nested object; its fields are named `key.field` in errors.
    pub fn opt_object(&self, key: &str) -> Result<Option<Obj>, Error> {
        let value = self.raw(key);
        if is_absent(&value) {
            return Ok(None);
        }
        if !is_plain_object(&value) {
            return Err(self.error(key, "must be an object"));
        }
        Ok(Some(Obj {
            value,
            prefix: format!("{}.", self.field_name(key)),
            kind: self.kind,
        }))
    }
}
