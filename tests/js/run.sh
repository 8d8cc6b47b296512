#!/usr/bin/env bash
# The npm package in Node (node --test against the stand-in, and inside workerd
# through miniflare), the TypeScript check of its hand-written types, and
# docs/api.md (generated from those types) being up to date.
# Needs pkg/ (scripts/build-pkg.sh). Any type error or failed test fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/node.js || { echo "pkg/ missing: run scripts/build-pkg.sh" >&2; exit 1; }
node_modules/.bin/tsc -p tests/js/tsconfig.json
bash scripts/api-docs.sh --check
echo "tsc --noEmit --strict: tests/js/types-example.ts and login-types-example.ts type-check against pkg-template/index.d.ts and login.d.ts"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
node --test --test-reporter=spec tests/js/ >"$log" 2>&1 || status=$?
grep -E '^(✔|✖)' "$log" | sed -n '1,200p'
sed -n '/^ℹ tests/,$p' "$log"
if [ "$status" -ne 0 ]; then
  sed -n '/failing tests:/,$p' "$log" >&2
  exit "$status"
fi
grep -Eq '^ℹ tests [1-9]' "$log" || { echo "no Node test ran" >&2; exit 1; }
grep -Eq '^ℹ fail 0$' "$log"
