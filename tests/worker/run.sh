#!/usr/bin/env bash
# The Worker's end-to-end suite: the built Worker under miniflare (real workerd,
# local KV) against the local Instagram stand-in, then one smoke test through
# `wrangler dev` with the real wrangler.toml. Builds the Worker first when
# build/ is missing (scripts/test.sh builds it before running suites).
set -euo pipefail
cd "$(dirname "$0")/../.."
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

if [ ! -f build/index.js ] || [ ! -f build/index_bg.wasm ]; then
  bash scripts/build-worker.sh
fi

# Each file is a suite; --test-concurrency=1 keeps the machine's 2 cores calm.
node --test --test-force-exit --test-concurrency=1 tests/worker/*.test.mjs
