#!/usr/bin/env bash
# Performance smoke test, short versions of the benchmarks (figures printed,
# no timing assertions; each fails only when a request fails):
#   - scripts/load.mjs for a few seconds per route (default 3; LOAD_SECONDS
#     overrides) against instagate's Worker and the TypeScript baseline
#     (benches/load-baseline), both under `wrangler dev` with the stand-in;
#     fails on any failed request or a phase without requests;
#   - scripts/bench-callback.mjs, 3 runs at stand-in latency 0 and 50 ms,
#     also against the baseline that wakes an account object (--with-wake);
#   - scripts/bench-coldstart.mjs, 3 fresh isolates per Worker, and the
#     Worker's upload size;
#   - scripts/bench-objects.mjs, 3 runs: the account object's cost per request
#     (wall time and KV / object / Meta operations);
#   - scripts/bench-upload.mjs, a 16 MB video, 1 run: upload throughput of the
#     npm package's rupload path and the Worker's parts path against a plain
#     POST, and the bytes each re-sends after one interruption.
#   - scripts/profile-worker.mjs --no-profile, 1,200 /health requests per
#     Worker: each workerd process's CPU per request against the baseline.
# About 85 s here; the full runs and their figures: docs/performance.md (summary: README.md, Performance).
set -euo pipefail
cd "$(dirname "$0")/../.."
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

if [ ! -f build/index.js ] || [ ! -f build/index_bg.wasm ]; then
  bash scripts/build-worker.sh
fi
test -f pkg/node.js || bash scripts/build-pkg.sh

# The comparison Worker is TypeScript: check its types first (strict, no emit).
node_modules/.bin/tsc --noEmit --strict --target es2022 --lib es2022,dom --module esnext \
  --moduleResolution bundler benches/load-baseline/worker.ts

node scripts/load.mjs --seconds "${LOAD_SECONDS:-3}" --connections 4 --check
node scripts/bench-callback.mjs --runs 3 --latency 0,50 --with-wake
node scripts/bench-coldstart.mjs --runs 3
node scripts/bench-objects.mjs --runs 3
node scripts/bench-upload.mjs --mb 16 --runs 1
node scripts/profile-worker.mjs --no-profile --route health --requests 1200 --rounds 4
