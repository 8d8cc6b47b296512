//! An uploaded video's MP4 header walk (the core's `Mp4Walk`: the npm
//! package and CLI over a buffer, the Worker over ranged R2 reads): any
//! bytes. Never a panic; reads stay inside the file and small; the walk and
//! `inspect_mp4` agree.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::mp4_walk(data));
