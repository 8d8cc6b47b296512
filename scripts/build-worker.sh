#!/usr/bin/env bash
# Builds the Cloudflare Worker (feature "worker") into build/ with worker-build,
# using the tools already on this machine so nothing is downloaded:
# wasm-bindgen from PATH (its version must equal the wasm-bindgen crate in
# Cargo.lock), wasm-opt from the binaryen npm package, esbuild from wrangler's
# node_modules. wrangler.toml's [build] command calls this script unless
# SKIP_WORKER_BUILD is set (the tests build once, then start wrangler/miniflare).
#
#   scripts/build-worker.sh          release build (wasm-opt'ed)
#   scripts/build-worker.sh --dev    debug build, faster
#   scripts/build-worker.sh --profiling
#                                    release code with the wasm name section
#                                    kept, for scripts/profile-worker.mjs (its
#                                    own cargo target dir, target/profiling-build,
#                                    so the release build stays warm)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=--release
case "${1:-}" in
  --dev) mode=--dev ;;
  --profiling)
    mode=--profiling
    # Cargo's release profile strips symbols, the name section with them.
    export CARGO_PROFILE_RELEASE_STRIP=debuginfo
    export CARGO_TARGET_DIR="$PWD/target/profiling-build"
    ;;
esac

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
if [ "$have" != "$want" ]; then
  echo "build-worker: wasm-bindgen $want is needed (found '${have:-none}'); run scripts/setup.sh" >&2
  exit 1
fi
for tool in node_modules/.bin/wasm-opt node_modules/.bin/esbuild; do
  if [ ! -x "$tool" ]; then
    echo "build-worker: $tool is missing; run scripts/setup.sh (npm ci)" >&2
    exit 1
  fi
done
command -v worker-build >/dev/null || { echo "build-worker: worker-build is missing; run scripts/setup.sh" >&2; exit 1; }

export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"

worker-build "$mode" --features worker
test -f build/worker/shim.mjs && test -f build/index_bg.wasm
ls -l build/index_bg.wasm | awk '{printf "build-worker: build/index_bg.wasm %d bytes\n", $5}'
