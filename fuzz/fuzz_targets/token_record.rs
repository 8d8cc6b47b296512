//! Token records at rest: opening a sealed record from KV (any text, or a
//! genuine one with bytes changed) and decoding the account record inside.
//! Never a panic; a tampered record never opens; a record always opens to
//! what was sealed.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::token_record(data));
