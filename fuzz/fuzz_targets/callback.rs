//! The OAuth callback parser: the URL (or query) a browser lands on, with
//! anything in it. It must never panic, and it may accept only a callback
//! on the exact redirect URI that carries the expected state and a code.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::callback(data));
