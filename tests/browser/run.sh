#!/usr/bin/env bash
# The npm package in headless Chromium against the stand-in: a plain module
# page and a Vite-built page (needs pkg/ from scripts/build-pkg.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/index.js || { echo "pkg/ missing: run scripts/build-pkg.sh" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
node --test --test-reporter=spec tests/browser/ >"$log" 2>&1 || status=$?
grep -E '^(✔|✖)' "$log"
sed -n '/^ℹ tests/,$p' "$log"
if [ "$status" -ne 0 ]; then
  sed -n '/failing tests:/,$p' "$log" >&2
  exit "$status"
fi
grep -Eq '^ℹ tests [1-9]' "$log" || { echo "no browser test ran" >&2; exit 1; }
grep -Eq '^ℹ fail 0$' "$log"
