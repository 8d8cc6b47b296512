//! The npm package's bindings: camelCase functions over `core`, errors
//! thrown as `InstagateError` (see `error.js`), randomness and clock from
//! `globalThis` so one build runs in a page, Node and a Worker.

// The core `Error` is large by design (Meta's fields); boxing it here would
// only add allocations on the error path (same choice as `service`).
#![allow(clippy::result_large_err)]

mod account;
mod errors;
mod fetch;
mod login;
mod platform;
