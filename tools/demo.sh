#!/usr/bin/env bash
# Installs what is missing, builds custody (Release) and runs the main job on an embedded
# ledger under ./demo-data, printing what it does.
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
"$custody" init "$ledger"

step "append shift-log notes"
cat >"$data/notes.ndjson" <<'NDJSON'
{"type":"note.add","commandId":"demo-1","actor":"user:alice","data":{"subject":"line-1","text":"Shift start: line 1 sanitised, chlorine 150 ppm"}}
{"type":"note.add","commandId":"demo-2","actor":"user:bob","data":{"subject":"chiller-2","text":"Chiller 2 door seal replaced"}}
{"type":"note.add","commandId":"demo-3","actor":"user:alice","expectedVersion":1,"data":{"subject":"line-1","text":"Changeover to spring mix"}}
NDJSON
"$custody" append "$ledger" "$data/notes.ndjson"

step "retry the same commands: nothing new is written"
"$custody" append "$ledger" "$data/notes.ndjson"

step "custody log $ledger --stream note:line-1"
"$custody" log "$ledger" --stream note:line-1

step "custody verify $ledger"
"$custody" checkpoint "$ledger" >"$data/checkpoint.txt"
"$custody" verify "$ledger" --checkpoint "$data/checkpoint.txt"

step "custody checkpoint $ledger"
cat "$data/checkpoint.txt"
