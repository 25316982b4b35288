#!/usr/bin/env bash
# Installs what is missing, builds custody (Release) and runs the main job on an embedded
# ledger under ./demo-data: a 30-day fresh-cut salad plant appended and verified, the WIP
# and exception boards and the KPIs, and a recall drill ending in the FDA FSMA 204
# spreadsheet.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/setup.sh"

build="$root/build/release"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCUSTODY_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target custody >/dev/null
custody="$build/tools/custody"

data="$PWD/demo-data"
ledger="$data/ledger"
rm -rf "$data"
mkdir -p "$data"

step() { printf '\n== %s\n' "$*"; }

step "custody init $ledger"
"$custody" init "$ledger" --origin salad-plant.example/line-1
# Who we are, for the location descriptions of the FSMA 204 spreadsheet.
cat >"$ledger/config.json" <<'JSON'
{
  "groupCommit": { "maxCommands": 1024, "maxWaitMicros": 0 },
  "checkpointIntervalMs": 1000,
  "tickIntervalMs": 1000,
  "site": { "name": "Valley Fresh Salads, plant 1", "address": "2100 Abbott St, Salinas, CA 93901",
            "gln": "0614141000036" }
}
JSON

step "custody gen plant --days 30 --seed 7: a month of a fresh-cut salad plant"
"$custody" gen plant --days 30 --seed 7 >"$data/plant.ndjson"
printf '%s commands: ' "$(wc -l <"$data/plant.ndjson")"
cut -d'"' -f4 "$data/plant.ndjson" | sort | uniq -c | sort -rn | awk '{printf "%s %s, ", $1, $2}'
echo

step "custody append: every command checked, hashed, chained and fsynced"
start=$(date +%s.%N)
"$custody" append "$ledger" "$data/plant.ndjson" >"$data/results.ndjson"
end=$(date +%s.%N)
accepted=$(grep -c '"ok":true' "$data/results.ndjson" || true)
rejected=$(grep -c '"ok":false' "$data/results.ndjson" || true)
awk -v a="$accepted" -v r="$rejected" -v s="$start" -v e="$end" \
  'BEGIN { printf "%d accepted, %d rejected in %.1f s (%.0f commands/s)\n", a, r, e - s, (a + r) / (e - s) }'

step "custody verify: the hash chain, the Merkle tree and every signed checkpoint"
"$custody" checkpoint "$ledger" >"$data/checkpoint.txt"
"$custody" verify "$ledger" --checkpoint "$data/checkpoint.txt" --key-file "$ledger/node.pub"
echo "checkpoint (keep it outside the plant):"
sed 's/^/  /' "$data/checkpoint.txt"

step "custody board wip"
"$custody" board "$ledger" wip --at 2026-10-31T12:00:00Z --format table

step "custody board exceptions"
"$custody" board "$ledger" exceptions --at 2026-10-31T12:00:00Z --format table | head -30

step "custody kpi --from 2026-10-01 --to 2026-10-31"
"$custody" kpi "$ledger" --from 2026-10-01 --to 2026-10-31 --format table

step "recall drill: a supplier reports a contaminated lot"
"$custody" log "$ledger" --stream note:recall-alert | sed -E 's/.*"text":"([^"]*)".*/  \1/'
alert=$("$custody" log "$ledger" --stream note:recall-alert)
supplier=$(printf '%s' "$alert" | sed -E 's/.*supplier=([^ ]+) .*/\1/')
supplier_lot=$(printf '%s' "$alert" | sed -E 's/.*supplierLot=([^ :"]+).*/\1/')

step "custody recall --supplier $supplier --supplier-lot $supplier_lot"
# Long tables are cut to their first rows here; the JSON and CSV formats carry everything.
"$custody" recall "$ledger" --supplier "$supplier" --supplier-lot "$supplier_lot" --format table |
  awk '/^[a-zA-Z]/ { if (cut > 0) printf "  ... %d more\n", cut; n = 0; cut = 0; print; next }
       { if (++n > 14) { cut++; next } print }
       END { if (cut > 0) printf "  ... %d more\n", cut }'

step "custody recall ... --format fsma204: the FDA electronic sortable spreadsheet"
"$custody" recall "$ledger" --supplier "$supplier" --supplier-lot "$supplier_lot" --format fsma204 \
  --out "$data/fsma204"
for f in "$data"/fsma204/*.csv; do
  printf '  %s: %s rows\n' "$(basename "$f")" "$(($(wc -l <"$f") - 1))"
done

step "custody state-digest, then custody rebuild: projections are disposable"
"$custody" state-digest "$ledger"
"$custody" rebuild "$ledger"
