#!/usr/bin/env bash
# Fuzzes instagate's parsers of untrusted input with cargo-fuzz (libFuzzer):
# the OAuth callback, Meta's Graph/OAuth error and success bodies,
# signed_request, sealed token records, publish specs, and an uploaded
# video's MP4 box headers (fuzz/checks.rs
# says what each checks). Runs each target for SECONDS (default 60) and
# prints executions and crashes per target; exits 1 if any target crashed.
#
#   bash scripts/fuzz.sh [seconds] [target...]
#
# Stable Rust is enough: libFuzzer's instrumentation needs unstable rustc
# flags, which RUSTC_BOOTSTRAP=1 allows on a stable compiler. AddressSanitizer
# is used when the toolchain ships its runtime, otherwise `-s none`.
# New corpus inputs go to fuzz/corpus/<target> (not committed); a crash's
# input lands in fuzz/artifacts/<target>/: fix the bug, then copy the input
# to fuzz/regressions/<target>/ so `cargo test --test fuzz_regressions`
# replays it forever.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
case "$seconds" in
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [seconds per target] [target...]" >&2; exit 2 ;;
esac

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

sanitizer=address
sysroot="$(rustc --print sysroot)"
if ! ls "$sysroot"/lib/rustlib/*/lib/librustc-*_rt.asan.a >/dev/null 2>&1; then
  echo "(no AddressSanitizer runtime in $sysroot: fuzzing without a sanitizer)"
  sanitizer=none
fi
# Debug assertions on: an integer overflow is a finding too.
build_flags=(-s "$sanitizer" --debug-assertions)

echo "== building fuzz targets (sanitizer: $sanitizer)"
cargo fuzz build "${build_flags[@]}"

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

failed=0
printf '\n%-16s %12s %10s %8s %8s\n' target executions "exec/s" corpus crashes
summary=()
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="fuzz/artifacts/$t/last-run.log"
  before=$(find "fuzz/artifacts/$t" -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' | wc -l)
  status=0
  cargo fuzz run "${build_flags[@]}" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
  after=$(find "fuzz/artifacts/$t" -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' | wc -l)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  crashes=$((after - before))
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes="?"  # it stopped without saving an input: see the log
  fi
  line=$(printf '%-16s %12s %10s %8s %8s' "$t" "${execs:-?}" "${rate:-?}" "$corpus" "$crashes")
  echo "$line"
  summary+=("$line")
  if [ "$status" -ne 0 ]; then
    failed=1
    echo "   $t failed (exit $status); log: $log" >&2
    grep -m5 -E 'panicked|ERROR: |Test unit written' "$log" >&2 || true
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "fuzzing found crashes: fix them and save each input under fuzz/regressions/<target>/" >&2
  exit 1
fi
echo "no crashes"
