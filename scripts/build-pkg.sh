#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm, wasm-bindgen (--target web),
# npm binaryen's wasm-opt -Oz, then the committed entry files from pkg-template/.
# Downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --target wasm32-unknown-unknown --lib
rm -rf pkg && mkdir -p pkg
wasm-bindgen --target web --out-dir pkg --out-name instagate \
  target/wasm32-unknown-unknown/release/instagate.wasm
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-sign-ext --enable-mutable-globals \
  pkg/instagate_bg.wasm -o pkg/instagate_bg.wasm
cp -r pkg-template/. pkg/
# The error class lives in a wasm-bindgen snippet under a hashed directory;
# give it a stable path so every entry re-exports the same class.
snippet=$(cd pkg && ls snippets/*/src/js/error.js)
echo "export { InstagateError } from './${snippet}';" > pkg/error.js
echo "pkg/ built"
