#!/usr/bin/env bash
# Builds the npm package into pkg/ (not committed; its hand-written files live
# in pkg-template/):
#   1. cargo build --release --target wasm32-unknown-unknown --lib, twice:
#      without features (the login helpers only) and with `server-api`;
#   2. wasm-bindgen --target web: instagate_bg.wasm + instagate.js glue, the
#      whole API shared by the main entries (browser, Node, Workers), and
#      instagate_login_bg.wasm + instagate_login.js for `instagate/login`;
#   3. npm binaryen's wasm-opt (-O1 -s 2, see below; never Debian's binaryen:
#      it breaks the module), and the glue minified with esbuild;
#   4. pkg-template/ copied over (package.json, entries, api.js, types, README),
#      its run-time .js files and the wasm-bindgen snippets minified too.
# Downloads nothing. Steps 2-3 are skipped when the wasm, the JS snippets and
# this script are unchanged since the last run, so a no-change run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  echo "build-pkg: wasm-bindgen CLI $wb_version (the version in Cargo.lock) is required: run scripts/setup.sh" >&2
  exit 1
fi
wasm_opt=node_modules/.bin/wasm-opt
test -x "$wasm_opt" || { echo "build-pkg: $wasm_opt missing: run npm ci" >&2; exit 1; }
# esbuild comes with wrangler (a dev dependency).
esbuild=node_modules/.bin/esbuild
test -x "$esbuild" || { echo "build-pkg: $esbuild missing: run npm ci" >&2; exit 1; }

# bindgen NAME: wasm-bindgen + wasm-opt of the wasm just built, into
# $out/NAME/NAME.js + NAME_bg.wasm, skipped when neither the wasm nor the JS
# snippets changed since the last run.
out=target/pkg-build
bindgen() {
  local name=$1 wasm=target/wasm32-unknown-unknown/release/instagate.wasm
  local dir=$out/$name stamp
  stamp=$(cat "$wasm" src/js/*.js scripts/build-pkg.sh | sha256sum | cut -d' ' -f1)-$wb_version
  if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    # --no-typescript: the public types are the hand-written pkg-template/*.d.ts.
    wasm-bindgen --target web --no-typescript --out-dir "$dir" --out-name "$name" "$wasm" \
      2> >(grep -v 'target_features' >&2)
    # -O1 -s 2 (simple passes, shrinking inlining) and dead-argument
    # elimination rather than -Oz: a larger module (main 346,944 -> 362,000 B)
    # that gzips smaller (147,827 -> 141,528 B; -Oz's later passes make code
    # gzip worse), and the download is what the package's size goal counts.
    # --converge repeats until nothing shrinks; no producers or
    # target_features sections.
    "$wasm_opt" -O1 -s 2 --dae-optimizing --converge --strip-producers --strip-target-features \
      --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-reference-types --enable-sign-ext --enable-mutable-globals \
      "$dir/${name}_bg.wasm" -o "$dir/${name}_bg.wasm"
    # The generated glue minified (names, whitespace; exports and the wasm's
    # import names stay): about 2.8 KB gzip less for the main entry.
    "$esbuild" "$dir/$name.js" --minify --format=esm --log-level=warning \
      --outfile="$dir/$name.min.js" && mv "$dir/$name.min.js" "$dir/$name.js"
    echo "$stamp" >"$dir/.stamp"
  fi
}

# The login-only module for web pages (`instagate/login`), then the whole API.
cargo build --release --target wasm32-unknown-unknown --lib
bindgen instagate_login
cargo build --release --target wasm32-unknown-unknown --lib --features server-api
bindgen instagate

rm -rf pkg && mkdir -p pkg
for name in instagate_login instagate; do
  cp -r "$out/$name/." pkg/ && rm -f pkg/.stamp
done
cp -r pkg-template/. pkg/
# The error class lives in a wasm-bindgen snippet under a hashed directory;
# error.js (main module) and login-error.js (login module) give it a stable
# path, so each entry re-exports the class its own module throws.
for pair in instagate:error.js instagate_login:login-error.js; do
  glue=${pair%%:*} file=${pair#*:}
  snippet=$(grep -o "snippets/[^'\"]*/src/js/error\.js" "pkg/$glue.js" | head -n1)
  test -n "$snippet" || { echo "build-pkg: no error.js snippet in pkg/$glue.js" >&2; exit 1; }
  echo "export { InstagateError } from './${snippet}';" >"pkg/$file"
done
# The JS a runtime loads (entries, api.js, browser-login.js, video-files.js,
# the snippets) minified like the glue: their comments and names are for
# readers of pkg-template/ and src/js/, not for the download (about 1.8 KB
# gzip less for the main entry). Exports and import paths stay; the CLI
# (cli/*.mjs, not loaded by an entry) stays readable.
for f in pkg/*.js pkg/snippets/*/src/js/*.js; do
  "$esbuild" "$f" --minify --format=esm --log-level=warning --outfile="$f.min" && mv "$f.min" "$f"
done
echo "pkg/ built ($(wc -c <pkg/instagate_bg.wasm) bytes of wasm; login-only $(wc -c <pkg/instagate_login_bg.wasm))"
