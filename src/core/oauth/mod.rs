//! OAuth for both Meta login products, as pure request builders and
//! validators.
//!
//! - [`authorize`]: `start_login` makes the `state` and PKCE pair and the
//!   consent-page URL, returned as a [`authorize::PendingLogin`] to keep
//!   (sessionStorage, KV) until the callback.
//! - [`callback`]: `validate_callback` turns the redirect back into a
//!   [`callback::ValidatedCallback`], the only way to get one, so no code is
//!   exchanged before its redirect URI and state were checked.
//!
//! The server-side calls that follow (code exchange, long-lived token,
//! profile, Facebook Page) currently live in `service::meta_login`.

pub mod authorize;
pub mod callback;
