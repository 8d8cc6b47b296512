#!/usr/bin/env bash
# The `instagate` command line (pkg/cli, the npm package's bin): every test
# runs the real CLI as a child process against the local Instagram stand-in.
# Needs pkg/ (scripts/build-pkg.sh). Fails when a test fails or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/cli/instagate.mjs || { echo "pkg/cli missing: run scripts/build-pkg.sh" >&2; exit 1; }
bash scripts/node-tests.sh "CLI" tests/cli/
