#!/usr/bin/env bash
# The npm package in Node (node --test against the stand-in, and inside workerd
# through miniflare), the TypeScript check of its hand-written types, the
# README examples (README.md, pkg-template/README.md) type-checked as written
# under --strict with the README's route table complete, and docs/api.md
# (generated from those types) being up to date.
# Needs pkg/ (scripts/build-pkg.sh). Any type error or failed test fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/node.js || { echo "pkg/ missing: run scripts/build-pkg.sh" >&2; exit 1; }
node_modules/.bin/tsc -p tests/js/tsconfig.json
bash scripts/api-docs.sh --check
node scripts/readme-examples.mjs
echo "tsc --noEmit --strict: tests/js/types-example.ts and login-types-example.ts type-check against pkg-template/index.d.ts and login.d.ts"
bash scripts/node-tests.sh "Node" tests/js/
