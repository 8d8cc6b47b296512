#!/usr/bin/env bash
# The demo driven in headless Chromium: needs pkg/ and build/ (scripts/test.sh
# builds both before running suites).
set -euo pipefail
cd "$(dirname "$0")/../.."
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
node --test --test-concurrency=1 tests/demo/
