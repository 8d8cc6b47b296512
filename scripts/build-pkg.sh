#!/usr/bin/env bash
# Builds the npm package into pkg/ (not committed; its hand-written files live
# in pkg-template/):
#   1. cargo build --release --target wasm32-unknown-unknown --lib
#   2. wasm-bindgen --target web: ONE instagate_bg.wasm + instagate.js glue,
#      shared by every entry (browser, Node, Workers);
#   3. npm binaryen's wasm-opt -Oz (never Debian's binaryen: it breaks the module);
#   4. pkg-template/ copied over (package.json, entries, api.js, types, README).
# Downloads nothing. Steps 2-3 are skipped when the wasm and the JS snippets
# are unchanged since the last run, so a no-change run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  echo "build-pkg: wasm-bindgen CLI $wb_version (the version in Cargo.lock) is required: run scripts/setup.sh" >&2
  exit 1
fi
wasm_opt=node_modules/.bin/wasm-opt
test -x "$wasm_opt" || { echo "build-pkg: $wasm_opt missing: run npm ci" >&2; exit 1; }

cargo build --release --target wasm32-unknown-unknown --lib
wasm=target/wasm32-unknown-unknown/release/instagate.wasm
out=target/pkg-build
stamp=$(cat "$wasm" src/js/*.js | sha256sum | cut -d' ' -f1)-$wb_version
if [ "$(cat "$out/.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$out" && mkdir -p "$out"
  # --no-typescript: the public types are the hand-written pkg-template/index.d.ts.
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name instagate "$wasm" \
    2> >(grep -v 'target_features' >&2)
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-reference-types --enable-sign-ext --enable-mutable-globals \
    "$out/instagate_bg.wasm" -o "$out/instagate_bg.wasm"
  echo "$stamp" >"$out/.stamp"
fi

rm -rf pkg && mkdir -p pkg
cp -r "$out/." pkg/ && rm -f pkg/.stamp
cp -r pkg-template/. pkg/
# The error class lives in a wasm-bindgen snippet under a hashed directory;
# error.js gives it a stable path so every entry re-exports the same class.
snippet=$(cd pkg && ls snippets/*/src/js/error.js)
echo "export { InstagateError } from './${snippet}';" >pkg/error.js
echo "pkg/ built ($(wc -c <pkg/instagate_bg.wasm) bytes of wasm)"
