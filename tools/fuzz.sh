#!/usr/bin/env bash
# Builds custody's libFuzzer targets with clang-14 (address and undefined-behaviour sanitizers)
# in build/fuzz and runs each on its seed corpus (tools/fuzz/corpus/<target>) for a while.
#
#   tools/fuzz.sh [--seconds N] [TARGET ...]     # default: every target, 30 s each
#   tools/fuzz.sh --runs N [TARGET ...]          # N inputs each, seed 1: the same every time
#
# New interesting inputs go to build/fuzz/corpus/<target>; a crash, leak or timeout leaves
# its input in build/fuzz/crashes/ and fails the run (make it a regression test: copy it into
# the target's seed corpus, which every run replays first). Prints executions per target.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=30
runs=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_command fuzz_record fuzz_checkpoint fuzz_proof fuzz_package fuzz_manifest
  fuzz_runner_wire fuzz_http fuzz_epcis_document fuzz_batch)

build="$root/build/fuzz"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DCUSTODY_FUZZ=ON \
    -DCUSTODY_BUILD_TESTS=OFF -DCUSTODY_BUILD_BENCH=OFF >/dev/null
else
  cmake "$build" >/dev/null # a target added since the last configure needs its rules
fi
cmake --build "$build" --target "${targets[@]}" -j "$(nproc)" >/dev/null

if [ "$runs" -gt 0 ]; then
  # A fixed number of inputs from a fixed seed, on the seed corpus only: CI gets the same
  # inputs every run, so it fails for a change, not for luck.
  budget=(-runs="$runs" -seed=1)
  what="$runs runs"
else
  budget=(-max_total_time="$seconds")
  what="${seconds}s"
fi
mkdir -p "$build/crashes"
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  log="$build/$t.log"
  if [ "$runs" -gt 0 ]; then
    # libFuzzer adds new inputs to the first folder: an empty one each time, never the seeds.
    rm -rf "$build/runs-corpus/$t" && mkdir -p "$build/runs-corpus/$t"
    corpora=("$build/runs-corpus/$t" "$root/tools/fuzz/corpus/$t")
  else
    corpora=("$build/corpus/$t" "$root/tools/fuzz/corpus/$t")
  fi
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     "$build/tools/fuzz/$t" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" \
       "${corpora[@]}" >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $t: $what, $execs executions, no crash"
  else
    echo "fuzz: $t FAILED (log: $log)"; grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
    failed=1
  fi
done
exit $failed
