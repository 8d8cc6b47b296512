//! Meta's `signed_request` (data deletion / deauthorize callbacks). Two
//! halves: the raw text (only a correctly signed one may pass), and a
//! correctly signed wrapper around a fuzzed payload, so the JSON behind the
//! signature check is exercised too. Never a panic; an accepted request
//! names a decimal user ID.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::signed_request(data));
