//! The npm package's bindings: camelCase JavaScript functions over `core`.
//! Compiled only for `wasm32` without the `worker` feature.
//!
//! # Conventions (follow them when adding a binding, e.g. `publish.rs`)
//!
//! 1. **One file per concern**, a `//!` line saying which JS functions live
//!    there; register it below with `mod name;`.
//! 2. **Shape of a binding.** A private function does the work and returns
//!    `Result<Out, core::error::Error>`; the exported wrapper only calls
//!    [`output::finish`] (synchronous) or, for network work,
//!    `output::promise_of` (a plain `fn` returning a `Promise`, never
//!    `pub async fn`: every async export then shares one boxed
//!    `future_to_promise`, about 3.5 KB gzip less), which turn `Out` into a
//!    plain object and an `Error` into a thrown / rejected `InstagateError`:
//!    ```ignore
//!    #[derive(Serialize)]
//!    #[serde(rename_all = "camelCase")]
//!    struct Published { media_id: String, permalink: Option<String> }
//!
//!    async fn publish(input: JsValue) -> Result<Published, Error> {
//!        let input = Obj::required(input, "input", ErrorKind::InvalidInput)?;
//!        let config = config_field(&input)?;               // `config` field
//!        let transport = FetchTransport::from_input(&input)?; // timeoutMs, signal
//!        let token = AccessToken::new(input.string("accessToken")?);
//!        ...
//!    }
//!
//!    /// `publishImage({config, accessToken, imageUrl, ...})` → `{mediaId, ...}`.
//!    #[wasm_bindgen(js_name = publishImage)]
//!    pub fn publish_image(input: JsValue) -> Promise {
//!        promise_of(publish(input))
//!    }
//!    ```
//! 3. **Arguments.** Network functions take ONE input object
//!    `{config, ...fields, timeoutMs?, signal?}`; synchronous helpers may take
//!    positional `(config, ...)`. Parameters are `JsValue` and are read with
//!    [`input::Obj`] (never serde-wasm-bindgen's deserializer: it drags in
//!    float formatting and its messages name Rust types). A bad field is an
//!    `invalid_input` error whose `field` is the camelCase JS name;
//!    the config's are `config` errors. Secrets (`clientSecret`) go through
//!    [`server_input::client_secret`], which refuses a web page.
//! 4. **Results** are `#[derive(Serialize)]` structs with
//!    `#[serde(rename_all = "camelCase")]` (serialized to JSON and
//!    `JSON.parse`d: see [`output`]): IDs as `String`, times as ISO-8601
//!    strings (`Timestamp::to_rfc3339`) named `...At`, durations in seconds,
//!    `Option::None` → `null`. Integers only for counts (a JS number loses
//!    IDs past 2^53). Token records go out as [`token::JsTokenRecord`] and
//!    come back through [`token::record_field`]; times in inputs through
//!    [`token::time_field`] (ISO string, `Date` or epoch ms).
//!    So serde-wasm-bindgen is not a dependency: inputs would lose our
//!    field-named messages and gain its float formatting, and outputs are
//!    already one `JSON.parse` of serde_json's text (which keeps IDs as
//!    strings exactly, the way this API wants them).
//! 5. **Errors** are the core's `Error`; never panic or `unwrap()` on
//!    anything from JS or the network. `errors::to_js` makes the
//!    `InstagateError` (class in `error.js`).
//! 6. **Network** only through [`fetch::FetchTransport`] (global `fetch`,
//!    timeout, `AbortSignal`); randomness and clock from [`platform`]. Never
//!    `window`: the same build runs in pages, Node, Deno, Bun and Workers.
//! 7. **Exports, types and tests.** Every export is listed in
//!    `pkg-template/api.js` (the `export const {...} = wasm` line), declared
//!    in `pkg-template/index.d.ts` (no `any`), used in
//!    `tests/js/types-example.ts` (checked by `tsc --strict`), and tested in
//!    `tests/js/*.test.mjs` against the stand-in (`tests/js/helpers.mjs`:
//!    configs, consent, `rejection()`). `tests/js/exports.test.mjs` fails when
//!    the runtime exports and `index.d.ts` disagree. Check the size with
//!    `scripts/size-bench.sh --functions`.

// The core `Error` is large by design (Meta's fields); boxing it here would
// only add allocations on the error path (same choice as `service`).
#![allow(clippy::result_large_err)]

// The login helpers, in every build.
mod config;
mod errors;
mod input;
mod login;
mod output;
mod platform;

// The server functions (tokens, profile, Pages, publishing). Without the
// `server-api` feature the wasm holds only the login helpers: the small
// `instagate/login` entry a web page downloads (scripts/build-pkg.sh builds both).
#[cfg(feature = "server-api")]
mod fetch;
#[cfg(feature = "server-api")]
mod oauth;
#[cfg(feature = "server-api")]
mod publish;
#[cfg(feature = "server-api")]
mod server_input;
#[cfg(feature = "server-api")]
mod token;

/// A first-fit free list with coalescing instead of the default dlmalloc:
/// ~3.5 KB less gzip for a package that makes few, small allocations per
/// call. `LockedAllocator` (a lock that is never contended in this
/// single-threaded module) keeps it free of `unsafe`.
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
