#!/usr/bin/env bash
# Starts the instagate demo on a fresh machine: installs what is missing,
# builds the npm package and the Worker, then runs the local Instagram
# stand-in, the Worker under `wrangler dev` with local KV, and the www page.
# Prints the URL to open. No Cloudflare account or Meta app is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-pkg.sh
bash scripts/build-worker.sh
exec node scripts/demo.mjs
