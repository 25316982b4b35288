#!/usr/bin/env bash
# `custody epcis export` of a whole ledger (the command a user runs, process start to exit)
# against custody's own NDJSON log export (`custody log`) of the same ledger in the same run,
# three runs each, with each run's peak memory.
#
#   tools/bench/bench_epcis_cli.sh [LEDGER]    # default demo-data/ledger (tools/demo.sh);
#                                              # release build; /usr/bin/time
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CUSTODY_BIN:-$root/build/release/tools}
ledger=${1:-$root/demo-data/ledger}
work=$(mktemp -d /tmp/custody-epcis-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Wall seconds and peak resident memory (KiB) of a command.
measure() { /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" && cat "$work/time"; }

"$bin/custody" log "$ledger" >/dev/null # warm the page cache
records=$("$bin/custody" log "$ledger" | wc -l)
for run in 1 2 3; do
  read -r log_s log_kb < <(measure "$bin/custody" log "$ledger")
  read -r epcis_s epcis_kb < <(measure "$bin/custody" epcis export "$ledger" --out "$work/doc.jsonld" --force)
  events=$(sed -E 's/.*"events":([0-9]+).*/\1/' "$work/out")
  awk -v r="$run" -v n="$records" -v e="$events" -v ls="$log_s" -v lk="$log_kb" \
    -v es="$epcis_s" -v ek="$epcis_kb" 'BEGIN {
      printf "run %d: custody log %d records %.2f s (%.0f rec/s, %.0f MiB); ", r, n, ls, n / ls, lk / 1024
      printf "epcis export %d events %.2f s (%.0f events/s, %.0f MiB); ratio %.2f\n", e, es, e / es, ek / 1024, (e / es) / (n / ls)
    }'
done
