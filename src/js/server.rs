//! What the server-side functions share: the app secret (refused in a web
//! page) and the transport built from the input's `timeoutMs` / `signal`.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use super::input::Obj;
use crate::core::error::Error;
use crate::core::secret::ClientSecret;

/// `clientSecret` from `input`. In a web page (`globalThis.document`
/// exists) it is refused unless `dangerouslyAllowBrowser: true`: anything a
/// page holds, its visitors can read, and the app secret lets anyone mint
/// tokens for the app. Deno, Node, Bun and Workers have no `document`.
pub fn client_secret(input: &Obj) -> Result<ClientSecret, Error> {
    let secret = input.string("clientSecret")?;
    if secret.is_empty() {
        return Err(input.error("clientSecret", "must not be empty"));
    }
    if in_web_page() && input.opt_bool("dangerouslyAllowBrowser")? != Some(true) {
        return Err(input.error(
            "clientSecret",
            "must not be used in a web page: do the code exchange on a server or in the Worker \
             (pass dangerouslyAllowBrowser: true only for a local test page)",
        ));
    }
    Ok(ClientSecret::new(secret))
}

fn in_web_page() -> bool {
    let document = Reflect::get(&js_sys::global(), &JsValue::from_str("document"))
        .unwrap_or(JsValue::UNDEFINED);
    !(document.is_undefined() || document.is_null())
}
