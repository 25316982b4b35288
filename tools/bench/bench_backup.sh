#!/usr/bin/env bash
# Backup and restore of a whole ledger, against what they are made of, in the same run.
#
#   tools/bench/bench_backup.sh [DAYS]     # default 90 generated plant days; release build
#
# Builds a ledger of DAYS generated plant days, then times (wall clock, one run each):
#   cp -a of the closed ledger        a cold file copy: the I/O floor
#   custody verify                    the full check a backup and a restore each run once
#   custody backup                    hot copy + full verify of the copy + manifest
#   custody restore                   file check + copy + full verify + comparison
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

sync
t0=$(now); cp -a "$work/l" "$work/cold"; sync; t1=$(now)
cp_s=$(secs "$t0" "$t1")
rm -rf "$work/cold"
echo "cp -a + sync: ${cp_s}s"

t0=$(now); "$bin/custody" verify "$work/l" >/dev/null; t1=$(now)
ver=$(secs "$t0" "$t1")
echo "custody verify: ${ver}s, $(calc %d "$records / $ver") records/s"

t0=$(now); "$bin/custody" backup "$work/l" --to "$work/b" >/dev/null; t1=$(now)
bk=$(secs "$t0" "$t1")
echo "custody backup: ${bk}s, $(calc %d "$records / $bk") records/s, $(du -sh "$work/b" | cut -f1); ratio to cp + verify: $(calc %.2f "($cp_s + $ver) / $bk")"

t0=$(now); "$bin/custody" restore "$work/b" --to "$work/r" >/dev/null; t1=$(now)
rs=$(secs "$t0" "$t1")
echo "custody restore: ${rs}s, $(calc %d "$records / $rs") records/s; ratio to cp + verify: $(calc %.2f "($cp_s + $ver) / $rs")"

# A redaction's cost: the writer flushes and compacts the log around the record and every
# projection family before it acknowledges (docs/storage.md), against one note.add.
note=$(grep -m1 '"type":"note.add"' "$work/plant.ndjson" | grep -o '"commandId":"[^"]*"' | cut -d'"' -f4)
seq=$("$bin/custody" log "$work/r" --stream "note:$(grep -m1 '"type":"note.add"' "$work/plant.ndjson" | grep -o '"subject":"[^"]*"' | cut -d'"' -f4)" --limit 1 | grep -o '"seq":[0-9]*' | head -1 | cut -d: -f2)
echo '{"type":"note.add","commandId":"bench-note","actor":"user:qa","data":{"subject":"bench","text":"x"}}' >"$work/one.ndjson"
t0=$(now); "$bin/custody" append "$work/r" "$work/one.ndjson" >/dev/null; t1=$(now)
one=$(secs "$t0" "$t1")
echo "{\"type\":\"record.redact\",\"commandId\":\"bench-redact\",\"actor\":\"user:qa\",\"data\":{\"seq\":$seq,\"reason\":\"bench\",\"fields\":[\"text\"]}}" >"$work/redact.ndjson"
t0=$(now); "$bin/custody" append "$work/r" "$work/redact.ndjson" | grep -q '"ok":true'; t1=$(now)
rd=$(secs "$t0" "$t1")
echo "custody append (one note.add): ${one}s; (one record.redact of seq $seq): ${rd}s; ratio: $(calc %.2f "$one / $rd")"
