#!/usr/bin/env bash
# Load smoke test: scripts/load.mjs for a few seconds per route (default 3;
# LOAD_SECONDS overrides) against instagate's Worker and the minimal
# TypeScript Worker (benches/load-baseline), both under `wrangler dev` with the
# stand-in. Fails on any failed request or a phase without requests; prints
# req/s, p50/p99 and the instagate/baseline ratios. About 25 s here.
set -euo pipefail
cd "$(dirname "$0")/../.."
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

if [ ! -f build/worker/shim.mjs ] || [ ! -f build/index_bg.wasm ]; then
  bash scripts/build-worker.sh
fi

# The comparison Worker is TypeScript: check its types first (strict, no emit).
node_modules/.bin/tsc --noEmit --strict --target es2022 --lib es2022,dom --module esnext \
  --moduleResolution bundler benches/load-baseline/worker.ts

node scripts/load.mjs --seconds "${LOAD_SECONDS:-3}" --connections 4 --check
