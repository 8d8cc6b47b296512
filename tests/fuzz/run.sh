#!/usr/bin/env bash
# The short fuzzing run for CI: every cargo-fuzz target (fuzz/) for 10 s on
# top of the committed seeds; any crash fails the run. The long run is
# `bash scripts/fuzz.sh 60` (or more), and found inputs become regression
# tests replayed by `cargo test --test fuzz_regressions`.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
