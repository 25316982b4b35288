#!/usr/bin/env bash
# GS1's EPCIS REST binding (`custody serve`, /epcis) over a copy of a ledger, on loopback:
# the first page of GET /events, every page of a filtered query, and a query no event
# matches (it walks the whole ledger, as GET /events/{eventID} does), against `custody epcis
# export` of the same ledger in the same run (events/s over events/s).
#
#   tools/bench/bench_epcis_rest.sh [LEDGER]   # default demo-data/ledger (tools/demo.sh);
#                                              # release build; curl
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CUSTODY_BIN:-$root/build/release/tools}
source_ledger=${1:-$root/demo-data/ledger}
work=$(mktemp -d /tmp/custody-epcis-rest-bench.XXXXXX)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cp -a "$source_ledger" "$work/ledger"
token=$("$bin/custody" token create "$work/ledger" --id bench-reader --role auditor |
  sed -E 's/.*"token":"([^"]*)".*/\1/')
"$bin/custody" serve "$work/ledger" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 1 100); do
  grep -q serving "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -E 's/.*"serving":"([^"]*)".*/\1/' "$work/serve.out" | head -n 1)
get() { curl -sS -o "$work/body" -D "$work/headers" -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url$1"; }

"$bin/custody" epcis export "$work/ledger" --out "$work/all.jsonld" >"$work/export.json"
events=$(sed -E 's/.*"events":([0-9]+).*/\1/' "$work/export.json")
get "/epcis/events?perPage=100" >/dev/null # warm up
for run in 1 2 3; do
  start=$(date +%s.%N)
  "$bin/custody" epcis export "$work/ledger" --out "$work/all.jsonld" --force >/dev/null
  export_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  first=$(for _ in $(seq 1 20); do get "/epcis/events?perPage=100"; done | sort -n | sed -n 10p)
  walk=$(get "/epcis/events?EQ_eventID=urn:uuid:matches-nothing")
  pages=0
  next="/epcis/events?EQ_bizStep=shipping&perPage=100"
  start=$(date +%s.%N)
  shipped=0
  while [ -n "$next" ]; do
    get "$next" >/dev/null
    pages=$((pages + 1))
    shipped=$((shipped + $(grep -o '"eventID"' "$work/body" | wc -l)))
    next=$(grep -i '^link:' "$work/headers" | sed -E 's/^[Ll]ink: <([^>]*)>.*/\1/' | tr -d '\r' || true)
  done
  paged_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  awk -v r="$run" -v n="$events" -v xs="$export_s" -v f="$first" -v w="$walk" -v p="$pages" \
    -v sh="$shipped" -v ps="$paged_s" 'BEGIN {
      printf "run %d: %d events; epcis export %.2f s (%.0f events/s); ", r, n, xs, n / xs
      printf "first page of 100 (median of 20) %.1f ms; ", f * 1000
      printf "a query nothing matches %.2f s (%.0f events/s, ratio %.2f); ", w, n / w, (n / w) / (n / xs)
      printf "EQ_bizStep=shipping: %d events on %d pages in %.2f s\n", sh, p, ps
    }'
done
