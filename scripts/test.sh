#!/usr/bin/env bash
# Runs every test of instagate: the native core tests, then the wasm builds,
# then each suite's runner under tests/*/run.sh (stand-in, npm package in
# Node and Chromium, Worker under miniflare and wrangler, ...). Installs
# what is missing first. Any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

bash scripts/setup.sh

echo "== cargo test (native core)"
cargo test --all-targets

for build in scripts/build-pkg.sh scripts/build-worker.sh; do
  if [ -f "$build" ]; then
    echo "== $build"
    bash "$build"
  fi
done
echo "== scripts/size-bench.sh (the npm package's size, against a ceiling per entry)"
bash scripts/size-bench.sh

for suite in tests/*/run.sh; do
  echo "== $suite"
  bash "$suite"
done
echo "== all tests passed"
