#!/usr/bin/env bash
# Builds the Cloudflare Worker (feature "worker") into build/: cargo builds
# the wasm, wasm-bindgen writes its JS glue, wasm-opt shrinks the module, and
# esbuild bundles the hand-written entry (src/worker/entry.mjs) with the glue
# into build/index.js, which wrangler.toml's `main` names; build/index_bg.wasm
# stays a separate module (workerd compiles it once per isolate). Nothing is
# downloaded: wasm-bindgen from PATH (its version must equal the wasm-bindgen
# crate in Cargo.lock), wasm-opt from the binaryen npm package, esbuild from
# wrangler's node_modules. wrangler.toml's [build] command calls this script
# unless SKIP_WORKER_BUILD is set (the tests build once, then start
# wrangler/miniflare).
#
# This replaces worker-build, whose generated entry wrapped every request in
# a Proxy around a per-request entry object (docs/performance.md); its steps
# are kept where they matter: the same cargo invocation and wasm-bindgen
# flags (the reset-state function and abort handler, which entry.mjs uses
# to replace an instance after a Rust panic or a trap) and the same
# wasm-opt features.
#
#   scripts/build-worker.sh          release build (wasm-opt'ed)
#   scripts/build-worker.sh --dev    debug build, faster (no wasm-opt)
#   scripts/build-worker.sh --profiling
#                                    release code with the wasm name section
#                                    kept, for scripts/profile-worker.mjs (its
#                                    own cargo target dir, target/profiling-build,
#                                    so the release build stays warm)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
opt=(-Oz)
case "${1:-}" in
  --dev) profile=debug opt=() ;;
  --profiling)
    # Cargo's release profile strips symbols, the name section with them.
    export CARGO_PROFILE_RELEASE_STRIP=debuginfo
    export CARGO_TARGET_DIR="$PWD/target/profiling-build"
    opt=(-Oz -g)
    ;;
esac
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"

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

# As worker-build ran it: js-sys's futures for async exports (the proc macro
# reads this variable; the same executor wasm-bindgen-futures re-exports).
release=()
[ "$profile" = debug ] || release=(--release)
WASM_BINDGEN_USE_JS_SYS=1 cargo build --lib "${release[@]}" --target wasm32-unknown-unknown --features worker

staging="$target_dir/worker-js"
rm -rf "$staging"
mkdir -p "$staging"
# --target module: the glue imports the wasm as a compiled module
# (`import source`, written as a plain import below: how workerd and
# miniflare load a .wasm module). The reset-state function and the abort
# handler let entry.mjs start a fresh instance after a trap.
wasm-bindgen "$target_dir/wasm32-unknown-unknown/$profile/instagate.wasm" \
  --out-dir "$staging" --out-name index --target module --no-typescript \
  --experimental-reset-state-function --force-enable-abort-handler 2> >(grep -v "target_features. custom section is missing\|run .wasm-opt. on the wasm-bindgen output" >&2)
sed -i 's/^import source wasmModule from/import wasmModule from/' "$staging/index.js"
grep -q '^import wasmModule from "./index_bg.wasm"' "$staging/index.js" \
  || { echo "build-worker: the glue's wasm import changed shape (wasm-bindgen upgrade?)" >&2; exit 1; }

if [ "${#opt[@]}" -gt 0 ]; then
  # -Oz: a smaller upload and less to compile at a cold start
  # (scripts/bench-coldstart.mjs). The features are the ones rustc's
  # wasm32-unknown-unknown emits plus the exception handling of
  # wasm-bindgen's catch wrappers (worker-build's list).
  node_modules/.bin/wasm-opt "$staging/index_bg.wasm" -o "$staging/index_bg.opt.wasm" "${opt[@]}" \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling
  mv "$staging/index_bg.opt.wasm" "$staging/index_bg.wasm"
fi

cp src/worker/entry.mjs src/worker/entry-core.mjs "$staging/"
mkdir -p build
rm -rf build/worker build/package.json
minify=(--minify)
[ -z "${NO_MINIFY:-}" ] || minify=()
node_modules/.bin/esbuild "$staging/entry.mjs" --bundle --format=esm "${minify[@]}" \
  --external:./index_bg.wasm --external:'cloudflare:*' --log-level=warning \
  --outfile=build/index.js
cp "$staging/index_bg.wasm" build/index_bg.wasm
test -f build/index.js && test -f build/index_bg.wasm
ls -l build/index_bg.wasm | awk '{printf "build-worker: build/index_bg.wasm %d bytes\n", $5}'
