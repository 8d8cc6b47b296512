//! The fuzz targets' checks (fuzz/checks.rs) on stable Rust, in the
//! ordinary `cargo test`: every seed input (fuzz/seeds/<target>/) and
//! every input that once crashed a target (fuzz/regressions/<target>/) is
//! replayed through the same check libFuzzer runs. A crash found by
//! `scripts/fuzz.sh` is fixed, and its input saved under regressions/.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["seeds", "regressions"] {
        let dir = root.join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(
                outcome.is_ok(),
                "{target}: {} fails its check",
                file.display()
            );
            count += 1;
        }
    }
    assert!(
        count > 0,
        "no inputs for {target} under fuzz/seeds or fuzz/regressions"
    );
}

#[test]
fn callback_inputs() {
    replay("callback", checks::callback);
}

#[test]
fn meta_error_inputs() {
    replay("meta_errors", checks::meta_errors);
}

#[test]
fn signed_request_inputs() {
    replay("signed_request", checks::signed_request);
}

#[test]
fn token_record_inputs() {
    replay("token_record", checks::token_record);
}

#[test]
fn publish_spec_inputs() {
    replay("publish_spec", checks::publish_spec);
}

#[test]
fn mp4_walk_inputs() {
    replay("mp4_walk", checks::mp4_walk);
}
