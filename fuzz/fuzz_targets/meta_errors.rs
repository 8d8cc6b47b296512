//! Meta's answers, as the Graph and OAuth parsers read them: any status,
//! `Retry-After` and body. Error parsing must never panic; a parsed error
//! must keep the status; a success is only read from a 2xx.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::meta_errors(data));
