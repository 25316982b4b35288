#!/usr/bin/env bash
# Evidence that leaves a ledger: proofs, audit packages and their standalone check, against
# custody's own log check in the same run.
#
#   tools/bench/bench_evidence.sh [DAYS]     # default 90 generated plant days; release build
#
# Builds a ledger of DAYS generated plant days, then times (wall clock, one run each):
#   custody verify --log-only        the baseline: read, hash and chain-check every record
#   custody prove --seq (100 times)  one inclusion proof per process, newest checkpoint
#   custody export --all             an audit package of the whole log
#   custody-verify                   the package checked alone
#   custody export --lot             a lot's package, and its check
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CUSTODY_BIN:-$root/build/release/tools}
days=${1:-90}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

"$bin/custody" init "$work/l" --import-history >/dev/null
# The plant's days end today: custody refuses records dated in its future.
start=$(date -u -d "-$days days" +%Y-%m-%dT00:00:00Z)
"$bin/custody" gen plant --days "$days" --seed 11 --start "$start" >"$work/plant.ndjson"
"$bin/custody" append "$work/l" "$work/plant.ndjson" >/dev/null
records=$("$bin/custody" checkpoint "$work/l" | sed -n 2p)
echo "ledger: $days plant days, $records records, $(du -sh "$work/l" | cut -f1)"

t0=$(now); "$bin/custody" verify "$work/l" --log-only >/dev/null; t1=$(now)
base=$(secs "$t0" "$t1")
echo "custody verify --log-only: ${base}s, $(calc %d "$records / $base") records/s"

t0=$(now)
for i in $(seq 1 100); do
  "$bin/custody" prove "$work/l" --seq $(( (i * 7919) % records + 1 )) >/dev/null
done
t1=$(now)
echo "custody prove --seq: $(calc %.1f "($t1 - $t0) * 10") ms per proof (process start included)"

t0=$(now); "$bin/custody" export "$work/l" --all --out "$work/all" >/dev/null; t1=$(now)
ex=$(secs "$t0" "$t1")
echo "custody export --all: ${ex}s, $(calc %d "$records / $ex") records/s, $(du -sh "$work/all" | cut -f1)"

t0=$(now); "$bin/custody-verify" "$work/all" --key-file "$work/l/node.pub" >/dev/null; t1=$(now)
ve=$(secs "$t0" "$t1")
echo "custody-verify (whole log): ${ve}s, $(calc %d "$records / $ve") records/s; ratio to verify --log-only: $(calc %.2f "$base / $ve")"

lot=$(grep -m1 '"type":"lot.receive"' "$work/plant.ndjson" | grep -o '"lot":"[^"]*"' | cut -d'"' -f4)
t0=$(now); "$bin/custody" export "$work/l" --lot "$lot" --out "$work/lot" >/dev/null; t1=$(now)
t2=$(now); "$bin/custody-verify" "$work/lot" --key-file "$work/l/node.pub" >/dev/null; t3=$(now)
echo "lot $lot: export $(calc %d "($t1 - $t0) * 1000") ms, custody-verify $(calc %d "($t3 - $t2) * 1000") ms, $(wc -l <"$work/lot/evidence.ndjson") records"
