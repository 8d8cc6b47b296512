#!/usr/bin/env bash
# The npm package's size: every file a runtime loads (wasm + JS glue + entry
# files), raw and gzip -9, against the target of 60 KB gzip for the whole
# package. `--functions [N]` also builds a copy with symbol names (in
# target/size-analysis, not the shipped build) and lists code bytes per crate
# and the N largest functions after wasm-opt.
# Exit status: 0 under the target, 1 over it (the figures are printed either way).
set -euo pipefail
cd "$(dirname "$0")/.."
test -f pkg/instagate_bg.wasm || bash scripts/build-pkg.sh >/dev/null

mapfile -t files < <(cd pkg && find . -name '*.js' -o -name '*.wasm' | sed 's|^\./||' | sort)
total_raw=0; total_gz=0; js_raw=0; js_gz=0
printf '%-58s %9s %9s\n' 'pkg/ file' raw gzip
for f in "${files[@]}"; do
  raw=$(wc -c <"pkg/$f"); gz=$(gzip -9 -c "pkg/$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  case "$f" in *.js) js_raw=$((js_raw + raw)); js_gz=$((js_gz + gz)) ;; esac
  printf '%-58s %9d %9d\n' "$f" "$raw" "$gz"
done
printf '%-58s %9d %9d\n' 'JS glue and entries' "$js_raw" "$js_gz"
printf '%-58s %9d %9d\n' 'TOTAL (wasm + JS)' "$total_raw" "$total_gz"
printf '%-58s %9d %9s\n' 'index.d.ts (types, not loaded at run time)' "$(wc -c <pkg/index.d.ts)" -

if [ "${1:-}" = "--functions" ]; then
  top=${2:-30}
  out=target/size-analysis
  CARGO_PROFILE_RELEASE_STRIP=false cargo build -q --release --target wasm32-unknown-unknown --lib --target-dir "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out/bindgen" --out-name instagate \
    "$out/wasm32-unknown-unknown/release/instagate.wasm"
  node_modules/.bin/wasm-opt -Oz -g --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-reference-types --enable-sign-ext --enable-mutable-globals \
    "$out/bindgen/instagate_bg.wasm" -o "$out/named.wasm"
  echo
  node scripts/wasm-functions.mjs "$out/named.wasm" "$top"
fi

target=$((60 * 1024))
if [ "$total_gz" -le "$target" ]; then
  echo "OK: $total_gz B gzip <= 60 KB ($target B) target"
else
  echo "OVER: $total_gz B gzip > 60 KB ($target B) target by $((total_gz - target)) B"
  exit 1
fi
