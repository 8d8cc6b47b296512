#!/usr/bin/env bash
# Runs one folder of `node --test` files with a short report: one line per
# test, Node's summary, and the failures in full. Fails when a test fails or
# when no test ran (an empty or mis-globbed folder must not pass).
#   bash scripts/node-tests.sh "CLI" tests/cli/
set -euo pipefail
name=$1 dir=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
node --test --test-force-exit --test-reporter=spec "$dir" >"$log" 2>&1 || status=$?
grep -E '^(✔|✖)' "$log" | sed -n '1,300p'
sed -n '/^ℹ tests/,$p' "$log"
if [ "$status" -ne 0 ]; then
  sed -n '/failing tests:/,$p' "$log" >&2
  exit "$status"
fi
grep -Eq '^ℹ tests [1-9]' "$log" || { echo "no $name test ran" >&2; exit 1; }
grep -Eq '^ℹ fail 0$' "$log"
