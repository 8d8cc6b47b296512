#!/usr/bin/env bash
# The npm package's Node tests (needs pkg/ from scripts/build-pkg.sh) and the
# TypeScript check of the hand-written types.
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/node.js || { echo "pkg/ missing: run scripts/build-pkg.sh" >&2; exit 1; }
node_modules/.bin/tsc -p tests/js/tsconfig.json && echo "tsc --strict: types-example.ts OK"
node --test --test-reporter=spec tests/js/ 2>&1 | tee /tmp/instagate-js-tests.log | tail -12
grep -Eq '^ℹ tests [1-9]' /tmp/instagate-js-tests.log || { echo "no tests ran" >&2; exit 1; }
grep -Eq '^ℹ fail 0' /tmp/instagate-js-tests.log
