#!/usr/bin/env bash
# Runs the benchmarks of two builds side by side, alternating, so that both see the same
# machine: tools/bench/compare.sh BASE_BUILD NEW_BUILD OUT_DIR [ROUNDS]
#   BASE_BUILD, NEW_BUILD  release build directories (e.g. a worktree's build/release)
#   OUT_DIR                one file per benchmark, build and round, and a log
# Round 1 runs base first, round 2 new first, and so on. Takes about 10 minutes a round.
set -euo pipefail
base=$1 new=$2 out=$3 rounds=${4:-2}
mkdir -p "$out"
run() {
  local name=$1 variant=$2 round=$3
  shift 3
  mkdir -p "$out/data-$variant"
  echo "== $name $variant $round $(date +%T)" >>"$out/log"
  CUSTODY_BENCH_DIR="$out/data-$variant" "$@" >"$out/$name-$variant-$round.txt" 2>&1 || true
}
for round in $(seq 1 "$rounds"); do
  order="base new"
  [ $((round % 2)) -eq 0 ] && order="new base"
  for v in $order; do
    if [ "$v" = base ]; then b=$base/tools/bench; else b=$new/tools/bench; fi
    run append "$v" "$round" env CUSTODY_BENCH_RECORDS=1000000 "$b/bench_append"
    run ingest "$v" "$round" "$b/bench_ingest"
    run plugins "$v" "$round" "$b/bench_plugins"
    run verify "$v" "$round" "$b/bench_verify"
    run genealogy "$v" "$round" env CUSTODY_BENCH_SKIP_SQL=1 "$b/bench_genealogy"
  done
done
echo "all done $(date +%T)" >>"$out/log"
