//! The configuration object every function takes:
//! `{product, clientId, redirectUri, scopes?, graphVersion?, configId?, endpoints?, standinOrigin?}`.

use wasm_bindgen::JsValue;

use super::input::Obj;
use crate::core::config::{Config, Endpoints, Product};
use crate::core::error::{Error, ErrorKind};

/// The core `Config` from a JS config object, validated; errors are of
/// kind `config` and name the camelCase field.
pub fn parse_config(value: JsValue) -> Result<Config, Error> {
    let js = Obj::required(value, "config", ErrorKind::Config)?;
    config_from(&js)
}

/// The `config` field of an input object.
#[cfg(feature = "server-api")]
pub fn config_field(input: &Obj) -> Result<Config, Error> {
    parse_config(input.raw("config"))
}

fn config_from(js: &Obj) -> Result<Config, Error> {
    let product = Product::parse(&js.string("product")?)?;
    let mut config = Config::new(product, &js.string("clientId")?, &js.string("redirectUri")?)?;
    if let Some(scopes) = js.opt_strings("scopes")? {
        config.scopes = scopes;
    }
    if let Some(version) = js.opt_string("graphVersion")? {
        config.graph_version = version;
    }
    config.config_id = js.opt_string("configId")?;
    if let Some(origin) = js.opt_string("standinOrigin")? {
        config.endpoints = Endpoints::standin(product, &origin);
    }
    // Each base URL may be overridden on its own (after `standinOrigin`).
    if let Some(endpoints) = js.opt_object("endpoints")? {
        for (key, slot) in [
            ("authorizeBase", &mut config.endpoints.authorize_base),
            ("tokenBase", &mut config.endpoints.token_base),
            ("graphBase", &mut config.endpoints.graph_base),
        ] {
            if let Some(url) = endpoints.opt_string(key)? {
                *slot = url;
            }
        }
        if let Some(url) = endpoints.opt_string("ruploadBase")? {
            config.endpoints.rupload_base = Some(url);
        }
    }
    config.validate()?;
    Ok(config)
}
