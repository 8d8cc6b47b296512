//! The npm package's bindings: camelCase functions over `core`, errors
//! thrown as `InstagateError` (see `error.js`), randomness and clock from
//! `globalThis` so one build runs in a page, Node and a Worker.

mod account;
mod errors;
mod fetch;
mod login;
mod platform;
