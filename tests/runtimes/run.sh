#!/usr/bin/env bash
# The npm package by its package name under Node 20, Deno and Bun (the pinned
# npm dev dependencies): both entries import, and a login → exchange → publish
# round trip runs against the stand-in in each. Needs pkg/ (scripts/build-pkg.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/login-node.js || { echo "pkg/ missing or stale: run scripts/build-pkg.sh" >&2; exit 1; }
bash scripts/node-tests.sh "runtimes" tests/runtimes/
