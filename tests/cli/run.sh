#!/usr/bin/env bash
# The `instagate` command line (pkg/cli, the npm package's bin): every test
# runs the real CLI as a child process against the local Instagram stand-in.
# Needs pkg/ (scripts/build-pkg.sh) and, for `publish ./photo.jpg|./clip.mp4 --worker`,
# the built Worker (build/, scripts/build-worker.sh). Fails when a test fails or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
test -f pkg/cli/instagate.mjs || { echo "pkg/cli missing: run scripts/build-pkg.sh" >&2; exit 1; }
test -f build/index.js || bash scripts/build-worker.sh
bash scripts/node-tests.sh "CLI" tests/cli/
