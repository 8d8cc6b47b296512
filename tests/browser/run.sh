#!/usr/bin/env bash
# The npm package in headless Chromium against the stand-in (needs pkg/).
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/index.js || { echo "pkg/ missing: run scripts/build-pkg.sh" >&2; exit 1; }
node --test --test-reporter=spec tests/browser/ 2>&1 | tee /tmp/instagate-browser-tests.log | tail -10
grep -Eq '^ℹ tests [1-9]' /tmp/instagate-browser-tests.log || { echo "no tests ran" >&2; exit 1; }
grep -Eq '^ℹ fail 0' /tmp/instagate-browser-tests.log
