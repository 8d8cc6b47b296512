#!/usr/bin/env bash
# The npm package in headless Chromium against the stand-in: a plain module
# page, a Vite-built page and the login-only entry (needs pkg/ from
# scripts/build-pkg.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/index.js || { echo "pkg/ missing: run scripts/build-pkg.sh" >&2; exit 1; }
bash scripts/node-tests.sh "browser" tests/browser/
