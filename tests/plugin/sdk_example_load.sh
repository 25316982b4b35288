#!/bin/sh
# The last step of the out-of-tree SDK fixture: the example plugin, built against the
# installed SDK only, is checked, configured and run by `custody` against a fresh ledger,
# and does its job (an exception raised becomes a note in the shift log). Run again, it
# resumes where it left off (its saved position) rather than from the start.
#   sdk_example_load.sh CUSTODY PLUGIN_SO WORK_DIR
set -eu
custody=$1
plugin=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
fail() {
  echo "$1" >&2
  for f in "$work"/*.json "$work"/*.log "$work"/*.ndjson; do [ -f "$f" ] && cat "$f" >&2; done
  exit 1
}
"$custody" plugins check "$plugin" | grep -q '"compatible":true' || fail "not compatible"
# A bad setting is refused before anything runs, by check and by add.
echo '{"subject":" shift"}' > "$work/bad-settings.json"
if "$custody" plugins check "$plugin" --config "$work/bad-settings.json" > "$work/check.json"; then
  fail "plugins check accepted a subject with a leading space"
fi
grep -q '"field":"config.subject"' "$work/check.json" || fail "the refusal names no field"
"$custody" init "$work/plant" > /dev/null
if "$custody" plugins add "$work/plant" "$plugin" --grant subscribe --grant submit:note \
     --config '{"subjekt":"x"}' 2> "$work/add.log"; then
  fail "plugins add accepted a misspelt setting"
fi
grep -q 'config.subjekt' "$work/add.log" || fail "add did not say which setting"
"$custody" plugins add "$work/plant" "$plugin" --grant subscribe --grant submit:note > /dev/null
raise() {
  echo '{"type":"exception.raise","commandId":"x-'"$1"'","actor":"user:qa","data":{"exception":"EX-'"$1"'","category":"quality","severity":"high","description":"'"$2"'","deadline":"2026-11-21T12:00:00Z"}}' |
    "$custody" append "$work/plant" > /dev/null
}
raise 1 "metal fragment in line 2"
"$custody" run "$work/plant" --until-caught-up --for 60 > "$work/run.json" 2> "$work/run.log"
"$custody" log "$work/plant" --stream note:shift-log > "$work/notes.ndjson"
grep -q 'metal fragment in line 2' "$work/notes.ndjson" || fail "the example plugin wrote no note"

# Again, after one more exception: it starts after the records it has handled.
raise 2 "label misprint"
"$custody" run "$work/plant" --until-caught-up --for 60 > "$work/run2.json" 2> "$work/run2.log"
head -n 1 "$work/run2.json" | grep -q '"position":1,' && fail "the second run replayed the log"
"$custody" log "$work/plant" --stream note:shift-log > "$work/notes.ndjson"
[ "$(wc -l < "$work/notes.ndjson")" -eq 2 ] || fail "expected two notes"
grep -q 'label misprint' "$work/notes.ndjson" || fail "the second exception has no note"
tail -n 1 "$work/run2.json" | grep -q '"duplicates":0' || fail "the second run redid notes"
# Reset, it starts from the first record again; its notes come back as duplicates.
"$custody" plugins reset "$work/plant" exception-notes > "$work/reset.json"
grep -q '"erased":1' "$work/reset.json" || fail "reset erased no saved position"
"$custody" run "$work/plant" --until-caught-up --for 60 > "$work/run3.json" 2> "$work/run3.log"
# Its first status line may already show it past the start (it runs while the line is
# printed), so the proof of the replay is the last line: both notes found again.
tail -n 1 "$work/run3.json" | grep -q '"duplicates":2' ||
  fail "the reset plugin did not replay (it did not find its two notes again)"
"$custody" log "$work/plant" --stream note:shift-log > "$work/notes.ndjson"
[ "$(wc -l < "$work/notes.ndjson")" -eq 2 ] || fail "the replay wrote notes twice"
if "$custody" plugins reset "$work/plant" 'Not An Id' 2> "$work/reset.log"; then
  fail "reset took a bad id"
fi
echo "sdk example: checked, loaded, ran, resumed, reset, and wrote each note once"
