#!/usr/bin/env bash
# The `instagate` command line (pkg/cli, the npm package's bin): every test
# runs the real CLI as a child process against the local Instagram stand-in.
# Needs pkg/ (scripts/build-pkg.sh). Fails when a test fails or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/cli/instagate.mjs || { echo "pkg/cli missing: run scripts/build-pkg.sh" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
node --test --test-reporter=spec tests/cli/ >"$log" 2>&1 || status=$?
grep -E '^(✔|✖)' "$log" | sed -n '1,200p'
sed -n '/^ℹ tests/,$p' "$log"
if [ "$status" -ne 0 ]; then
  sed -n '/failing tests:/,$p' "$log" >&2
  exit "$status"
fi
grep -Eq '^ℹ tests [1-9]' "$log" || { echo "no CLI test ran" >&2; exit 1; }
grep -Eq '^ℹ fail 0$' "$log"
