//! OAuth for both Meta login products (Instagram Login, Facebook Login):
//! every endpoint as a pure request builder (`*_request` → [`Request`]) and
//! a pure response processor (`process_*(&Response)` → value or [`Error`]),
//! plus an `async fn` over a [`Transport`] that sends and processes.
//!
//! In the browser (no secret, no network):
//! - [`authorize::start_login`]`(transport, config, options) -> PendingLogin`:
//!   `state`, PKCE pair and consent URL ([`authorize::start_login_with_random`]
//!   takes the 64 random bytes instead). Keep the `PendingLogin` (it is
//!   serde) until the callback.
//! - [`callback::validate_callback`]`(config, url, expected_state) -> ValidatedCallback`
//!   ([`callback::validate_callback_query`] for a query string,
//!   [`callback::validate_callback_params`] for decoded pairs). The
//!   `ValidatedCallback` is the only thing the exchange accepts.
//!
//! On the server (with the app secret):
//! - [`login::complete_login`]`(transport, config, secret, &callback, verifier, choice) -> CompletedLogin`:
//!   the whole flow in 2 (Instagram) or 3 (Facebook) sequential round trips;
//!   a Facebook login connects every linked account the person granted, or
//!   the chosen ones ([`pages::AccountChoice`]).
//! - The steps, each as builder / processor / async fn:
//!   [`exchange`] (code → short-lived [`TokenRecord`]),
//!   [`long_lived`] (`ig_exchange_token` / `fb_exchange_token`),
//!   [`refresh`] (`ig_refresh_token`, checked locally first; Facebook Login
//!   has none), [`profile`] (the professional account; `PERSONAL` refused),
//!   [`permissions`] (`/me/permissions`, [`permissions::check_permissions`]),
//!   [`pages`] (`/me/accounts`, read to its last page → linked Pages,
//!   non-expiring Page tokens),
//!   [`facebook_user`] (the Facebook user ID), [`debug_token`] (is a
//!   Facebook token still valid, when does it expire).
//!
//! Token lifetimes and the refresh rules live in [`crate::core::token`].
//!
//! [`Request`]: crate::core::http::Request
//! [`Transport`]: crate::core::http::Transport
//! [`Error`]: crate::core::error::Error
//! [`TokenRecord`]: crate::core::token::TokenRecord

pub mod authorize;
pub mod callback;
pub mod debug_token;
pub mod exchange;
pub mod facebook_user;
pub mod login;
pub mod long_lived;
pub mod pages;
pub mod permissions;
pub mod profile;
pub mod refresh;
mod response;
