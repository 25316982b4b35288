#!/usr/bin/env bash
# Ingest and rebuild of generated plant months by two builds of the custody CLI, alternating
# in one run so that both see the same machine:
#   tools/bench/bench_cli_builds.sh BASE_CUSTODY NEW_CUSTODY [ROUNDS] [DAYS]
# Each build generates its own month (`custody gen plant --days DAYS --seed 7`: a build's
# plant holds what that build's domain records), then per round and build: `custody init`,
# `custody append` of the month (a separate process: reading, decoding, checking, fsync), and
# `custody rebuild` of the projections from the log. Times are wall-clock seconds of each
# process from start to exit; rates are the month's commands over them. Data and a log go to
# $CUSTODY_BENCH_DIR (default /tmp/custody-bench-cli). CUSTODY_BENCH_SAME_MONTH=1 makes both
# builds ingest base's month instead, to tell a change of code from a change of month.
set -euo pipefail
base=$1 new=$2 rounds=${3:-3} days=${4:-30}
dir=${CUSTODY_BENCH_DIR:-/tmp/custody-bench-cli}
rm -rf "$dir" && mkdir -p "$dir"
for v in base new; do
  bin=$base
  [ "$v" = new ] && bin=$new
  "$bin" gen plant --days "$days" --seed 7 >"$dir/$v.ndjson"
done
if [ "${CUSTODY_BENCH_SAME_MONTH:-0}" = 1 ]; then cp "$dir/base.ndjson" "$dir/new.ndjson"; fi
seconds() {  # runs "$@", prints its wall-clock seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }' 
}
printf '%-5s %-4s %9s %10s %12s %10s %12s\n' round build commands append_s append_cmd/s rebuild_s rebuild_cmd/s
for round in $(seq 1 "$rounds"); do
  order="base new"
  [ $((round % 2)) -eq 0 ] && order="new base"
  for v in $order; do
    bin=$base
    [ "$v" = new ] && bin=$new
    ledger="$dir/ledger-$v"
    rm -rf "$ledger"
    "$bin" init "$ledger" --import-history >/dev/null
    n=$(wc -l <"$dir/$v.ndjson")
    a=$(seconds "$bin" append "$ledger" "$dir/$v.ndjson")
    r=$(seconds "$bin" rebuild "$ledger")
    awk -v round="$round" -v v="$v" -v n="$n" -v a="$a" -v r="$r" \
      'BEGIN { printf "%-5s %-4s %9d %10.2f %12.0f %10.2f %12.0f\n", round, v, n, a, n / a, r, n / r }' 
  done
done
