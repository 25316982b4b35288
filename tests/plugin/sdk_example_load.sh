#!/bin/sh
# The last step of the out-of-tree SDK fixture: the example plugin, built against the
# installed SDK only, is checked, configured and run by `custody` against a fresh ledger,
# and does its job (an exception raised becomes a note in the shift log).
#   sdk_example_load.sh CUSTODY PLUGIN_SO WORK_DIR
set -eu
custody=$1
plugin=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
"$custody" plugins check "$plugin" | grep -q '"compatible":true'
"$custody" init "$work/plant" > /dev/null
"$custody" plugins add "$work/plant" "$plugin" --grant subscribe --grant submit:note > /dev/null
echo '{"type":"exception.raise","commandId":"x-1","actor":"user:qa","data":{"exception":"EX-1","category":"quality","severity":"high","description":"metal fragment in line 2","deadline":"2026-11-21T12:00:00Z"}}' |
  "$custody" append "$work/plant" > /dev/null
"$custody" run "$work/plant" --for 1 > "$work/run.json" 2> "$work/run.log"
"$custody" log "$work/plant" --stream note:shift-log > "$work/notes.ndjson"
if ! grep -q 'metal fragment in line 2' "$work/notes.ndjson"; then
  echo "the example plugin wrote no note; run output:" >&2
  cat "$work/run.json" "$work/run.log" >&2
  exit 1
fi
echo "sdk example: loaded, ran and wrote its note"
