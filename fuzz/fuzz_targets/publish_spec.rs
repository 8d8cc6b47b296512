//! Publish request validation: a media spec as JSON text, as the npm
//! package and the Worker's publish API receive it. Never a panic; an
//! accepted spec, saved (serialized) and read back, is the same spec and
//! still valid.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::publish_spec(data));
