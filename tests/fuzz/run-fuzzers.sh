#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run-fuzzers.sh SECONDS — builds the libFuzzer targets of tests/fuzz (if
# needed) and runs each for SECONDS (default 60), all at once. Exits
# non-zero when a target crashed, leaked, timed out or ran out of memory;
# the input that did it is left in $NAVETTE_FUZZ_OUT (default
# BUILD/fuzz-out/) and should be added to tests/fuzz/regressions/TARGET/.
#
# Build directory: $NAVETTE_FUZZ_BUILD (default <source>/build-fuzz),
# configured with clang, the fuzzing option, and ASan/UBSan plus libFuzzer
# coverage on every object (not only the targets: the code under test must
# be instrumented for the fuzzer to find its way through it).
# Needs: clang and libclang-rt-14-dev (Debian 12).
set -eu

seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
source_root=$(cd "$here/../.." && pwd)
build=${NAVETTE_FUZZ_BUILD:-$source_root/build-fuzz}
out=${NAVETTE_FUZZ_OUT:-$build/fuzz-out}
targets="fuzz-json-strict fuzz-wire-validate fuzz-engine-answer"

if ! command -v clang >/dev/null 2>&1; then
  echo "run-fuzzers.sh: clang is missing (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$source_root" \
    -Dfuzzing=true -Dgui=disabled -Dpostgresql=disabled \
    -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link
fi
set --
for t in $targets; do
  set -- "$@" "tests/fuzz/$t"
done
meson compile -C "$build" "$@"

mkdir -p "$out"
# Failures of UBSan are crashes; leaks are findings (LSan, system
# libraries suppressed as in the sanitizer build).
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
LSAN_OPTIONS="suppressions=$source_root/tests/reliability/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
G_SLICE=always-malloc
export UBSAN_OPTIONS ASAN_OPTIONS LSAN_OPTIONS G_SLICE

pids=""
for t in $targets; do
  # New inputs go to a working corpus, never into the source tree.
  work="$out/corpus-$t"
  mkdir -p "$work"
  rm -f "$out/$t.log"
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/$t-" \
    "$work" "$here/corpus/$t" "$here/regressions/$t" >"$out/$t.log" 2>&1 &
  pids="$pids $!"
done

status=0
i=1
for pid in $pids; do
  t=$(echo $targets | cut -d' ' -f$i)
  if wait "$pid"; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -1)
    echo "$t: ok, ${runs:-?} runs, $cov"
  else
    echo "$t: FAILED — see $out/$t.log; the input:" >&2
    ls "$out/$t-"* 2>/dev/null >&2 || true
    grep -m1 -E 'ERROR|runtime error|Assertion|ERROR:' "$out/$t.log" >&2 || true
    status=1
  fi
  i=$((i + 1))
done
exit $status
