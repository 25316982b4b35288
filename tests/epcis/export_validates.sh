#!/bin/sh
# `custody epcis export` of a generated plant (receipts, orders, splits, holds, shipments,
# readings, a correction), the whole log and one lot's history, validated against GS1's
# EPCIS 2.0.1 JSON schema by ajv, a validator custody shares no code with.
# Usage: export_validates.sh CUSTODY_BINARY SOURCE_DIR
set -eu
custody=$1
root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$custody" init "$work/plant" --origin epcis-test.example/line-1 --import-history >/dev/null
"$custody" gen plant --days 3 --seed 11 >"$work/plant.ndjson"
"$custody" append "$work/plant" "$work/plant.ndjson" >/dev/null
# A correction (exported as an errorDeclaration and a corrective event) of the first receipt.
seq=$("$custody" log "$work/plant" | grep -m1 '"type":"lot.received"' | sed -E 's/.*"seq":([0-9]+).*/\1/')
printf '{"type":"record.correct","commandId":"fix-1","actor":"user:qa","data":{"seq":%s,"reason":"scale misread","data":{"qty":100000}}}\n' "$seq" >"$work/fix.ndjson"
"$custody" append "$work/plant" "$work/fix.ndjson" >/dev/null
"$custody" epcis export "$work/plant" --out "$work/all.jsonld"
lot=$(grep -m1 '"lot.receive"' "$work/plant.ndjson" | sed -E 's/.*"data":\{"lot":"([^"]*)".*/\1/')
"$custody" epcis export "$work/plant" --lot "$lot" --out "$work/lot.jsonld"
node "$root/tools/epcis/validate.mjs" "$root/tests/fixtures/epcis/schema/epcis-json-schema.json" \
  "$work/all.jsonld" "$work/lot.jsonld"
grep -q '"errorDeclaration"' "$work/lot.jsonld" || { echo "the correction was not exported" >&2; exit 1; }
