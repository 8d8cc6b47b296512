//! Native tests of the pure OAuth core (`core::oauth`, `core::token`) for
//! both login products: every request builder against Meta's documented
//! URLs and parameters, every response processor against the documented
//! shapes and against broken bodies, every callback edge, the refresh
//! rules, and `complete_login` end to end, including how many sequential
//! round trips it takes.

// The crate's one `Error` type is large by design (see `core::oauth`).
#![allow(clippy::result_large_err)]

mod core_oauth {
    pub mod support;

    mod builders;
    mod callbacks;
    mod flows;
    mod processors;
    mod redaction;
    mod tokens;
}
