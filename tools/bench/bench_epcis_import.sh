#!/usr/bin/env bash
# EPCIS 2.0 import, and the trace across company boundaries it makes possible (issue 12):
#
#  1. `custody epcis import` of the ledger's own EPCIS export into an empty ledger, in events
#     per second, against custody's own NDJSON log export (`custody log`) of the same ledger
#     in the same run;
#  2. a supplier and two customers around the ledger (tools/bench/gen_partner_documents.mjs:
#     about 100k events), imported into a copy of it; then `custody trace` forward from a
#     received lot and backward from a shipped one, with the partners' events, against the
#     same traces in the ledger without them.
#
#   tools/bench/bench_epcis_import.sh [LEDGER]   # default demo-data/ledger (tools/demo.sh);
#                                                # release build; /usr/bin/time; node
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CUSTODY_BIN:-$root/build/release/tools}
ledger=${1:-$root/demo-data/ledger}
work=$(mktemp -d /tmp/custody-epcis-import.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Wall seconds and peak resident memory (KiB) of a command.
measure() { /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" && cat "$work/time"; }

"$bin/custody" log "$ledger" >/dev/null # warm the page cache
records=$("$bin/custody" log "$ledger" | wc -l)
"$bin/custody" epcis export "$ledger" --out "$work/ours.jsonld" --force >/dev/null
for run in 1 2 3; do
  rm -rf "$work/empty"
  "$bin/custody" init "$work/empty" >/dev/null
  read -r log_s log_kb < <(measure "$bin/custody" log "$ledger")
  read -r imp_s imp_kb < <(measure "$bin/custody" epcis import "$work/empty" "$work/ours.jsonld")
  events=$(sed -E 's/.*"events":([0-9]+).*/\1/' "$work/out")
  awk -v r="$run" -v n="$records" -v e="$events" -v ls="$log_s" -v lk="$log_kb" \
    -v is="$imp_s" -v ik="$imp_kb" 'BEGIN {
      printf "run %d: custody log %d records %.2f s (%.0f rec/s, %.0f MiB); ", r, n, ls, n / ls, lk / 1024
      printf "epcis import %d events %.2f s (%.0f events/s, %.0f MiB); ratio %.2f\n", e, is, e / is, ik / 1024, (e / is) / (n / ls)
    }'
done

# Partners around the plant.
cp -r "$ledger" "$work/partners"
node "$root/tools/bench/gen_partner_documents.mjs" "$work/ours.jsonld" "$work" 20 | sed 's/^/partner documents: /'
for doc in supplier customer-1 customer-2; do
  read -r s kb < <(measure "$bin/custody" epcis import "$work/partners" "$work/$doc.jsonld")
  n=$(sed -E 's/.*"events":([0-9]+).*/\1/' "$work/out")
  awk -v d="$doc" -v n="$n" -v s="$s" -v kb="$kb" \
    'BEGIN { printf "import %s: %d events %.2f s (%.0f events/s, %.0f MiB)\n", d, n, s, n / s, kb / 1024 }'
done

# A writer's open flushes what the imports left in RocksDB's write-ahead log, which every
# read-only open would otherwise replay: the traces below measure the trace, not that.
"$bin/custody" epcis import "$work/partners" "$work/supplier.jsonld" >/dev/null
# The first lot received and the first shipped (reading whole outputs: no SIGPIPE).
received=$(grep -o '"custody:lot":"[^"]*"' "$work/ours.jsonld" | sed -n '1s/.*:"\([^"]*\)"/\1/p')
"$bin/custody" log "$ledger" >"$work/log.ndjson"
shipped=$(grep '"type":"lot.shipped"' "$work/log.ndjson" |
  sed -n '1s/.*"payload":{"lot":"\([^"]*\)".*/\1/p')
trace() { # LEDGER LOT DIRECTION: seconds, lots, partner events
  read -r s _ < <(measure "$bin/custody" trace "$1" --lot "$2" --direction "$3")
  hops=$({ grep -o '"evidence":{' "$work/out" || true; } | wc -l)
  lots=$(($({ grep -o '"depth":[0-9]*' "$work/out" || true; } | wc -l) - hops))
  echo "$s $lots $hops"
}
for run in 1 2 3; do
  for case in "$received forward" "$shipped backward"; do
    set -- $case
    read -r alone_s alone_n _ < <(trace "$ledger" "$1" "$2")
    read -r cross_s cross_n hops < <(trace "$work/partners" "$1" "$2")
    awk -v r="$run" -v l="$1" -v d="$2" -v as="$alone_s" -v an="$alone_n" -v cs="$cross_s" \
      -v cn="$cross_n" -v h="$hops" 'BEGIN {
        printf "run %d: trace %s %s: custody alone %.2f s (%d lots); with partners %.2f s (%d lots, %d partner events); ratio %.2f\n",
          r, l, d, as, an, cs, cn, h, cs / as
      }'
  done
done
