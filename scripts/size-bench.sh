#!/usr/bin/env bash
# The npm package's size: wasm + JS glue, raw and gzip, against the 60 KB gzip target.
set -euo pipefail
cd "$(dirname "$0")/.."
test -f pkg/instagate_bg.wasm || bash scripts/build-pkg.sh >/dev/null
files=(pkg/instagate_bg.wasm pkg/instagate.js pkg/api.js pkg/index.js pkg/node.js pkg/worker.js pkg/error.js pkg/snippets/*/src/js/error.js)
total_raw=0; total_gz=0
printf '%-48s %10s %10s\n' file raw gzip
for f in "${files[@]}"; do
  raw=$(wc -c <"$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-48s %10d %10d\n' "$f" "$raw" "$gz"
done
printf '%-48s %10d %10d\n' TOTAL "$total_raw" "$total_gz"
target=$((60 * 1024))
if [ "$total_gz" -le "$target" ]; then echo "OK: ${total_gz} B gzip <= 60 KB target"; else echo "OVER: ${total_gz} B gzip > 60 KB target"; exit 1; fi
