#!/usr/bin/env bash
# Installs what is missing, builds custody (Release) and runs the main job on an embedded
# ledger under ./demo-data: a 30-day fresh-cut salad plant appended and verified, the WIP
# and exception boards and the KPIs, a recall drill ending in the FDA FSMA 204 spreadsheet,
# and the plugins at work: a simulated cold-room sensor, a flume's chlorine arriving over MQTT
# (a mosquitto broker on 127.0.0.1), the scheduler planning tomorrow's orders, an example
# plugin keeping the shift log, and the electronic batch record; then the server, and a
# copy at headquarters over NATS JetStream (a nats-server on 127.0.0.1), witnessed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/setup.sh"

build="$root/build/release"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCUSTODY_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target custody custody-runner custody_scheduler \
  custody_sim_device custody_mqtt custody_reports exception_notes custody-verify >/dev/null
custody="$build/tools/custody"

data="$PWD/demo-data"
ledger="$data/ledger"
rm -rf "$data"
mkdir -p "$data"

step() { printf '\n== %s\n' "$*"; }

step "custody init $ledger"
"$custody" init "$ledger" --origin salad-plant.example/line-1 --import-history
# Who we are, for the location descriptions of the FSMA 204 spreadsheet and the local time of
# reports; a month of history typed in at once is not late (what --import-history wrote).
cat >"$ledger/config.json" <<'JSON'
{
  "groupCommit": { "maxCommands": 1024, "maxWaitMicros": 0 },
  "checkpointIntervalMs": 1000,
  "tickIntervalMs": 1000,
  "lateEntrySeconds": 0,
  "site": { "name": "Valley Fresh Salads, plant 1", "address": "2100 Abbott St, Salinas, CA 93901",
            "phone": "+1 831 555 0100", "gln": "0614141000036", "timeZone": "America/Los_Angeles",
            "contact": "Maria Lopez, QA manager, +1 831 555 0101, qa@valleyfresh.example" }
}
JSON

step "custody gen plant --days 30 --seed 7: a month of a fresh-cut salad plant"
# The plant's day starts at midnight on the site's clock (Pacific daylight time in October),
# so its 06:00 early shift is 06:00 in Salinas.
"$custody" gen plant --days 30 --seed 7 --start 2026-10-01T00:00:00-07:00 >"$data/plant.ndjson"
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
"$custody" board "$ledger" exceptions --at 2026-10-31T12:00:00Z --format table | sed -n '1,30p'

step "custody board expiry: lots in stock past or near their use-by (raw produce 7 days, salads 14)"
"$custody" board "$ledger" expiry --at 2026-10-31T12:00:00Z --within 3 --format table | sed -n '1,20p'

step "training: the flume wash is a critical step, run only by operators qualified for it"
"$custody" board "$ledger" training --at 2026-10-31T12:00:00Z --within 14 --format table | sed -n '1,13p'
wo_line=$(grep -m1 '"type":"wo.create"' "$data/plant.ndjson")
material=$(printf '%s' "$wo_line" | sed -E 's/.*"material":"([^"]*)".*/\1/')
routing=$(printf '%s' "$wo_line" | sed -E 's/.*"routing":"([^"]*)".*/\1/')
tomorrow=$(date -u -d tomorrow +%Y-%m-%d)
start_wash='{"wo":"WO-TRAIN","step":"wash","equipment":"flume-2"}'
echo "  a new operator starts the wash of WO-TRAIN untrained; trained, on a flume last cleaned in"
echo "  October (refused: it is cleaned every 24 hours); and after maintenance checks the probe's"
echo "  calibration and sanitation cleans the flume:"
{
  echo '{"type":"wo.create","commandId":"demo-train-wo","actor":"user:planner","data":{"wo":"WO-TRAIN","material":"'$material'","qty":50,"routing":"'$routing'","due":"'$tomorrow'T12:00:00Z"}}'
  echo '{"type":"wo.release","commandId":"demo-train-rel","actor":"user:planner","data":{"wo":"WO-TRAIN"}}'
  echo '{"type":"op.start","commandId":"demo-train-1","actor":"user:newcomer","data":'"$start_wash"'}'
  echo '{"type":"qualification.grant","commandId":"demo-train-q","actor":"user:rosa","data":{"user":"user:newcomer","workCenter":"wash","until":"'$(date -u -d '+1 year' +%Y-%m-%d)'T00:00:00Z","trainer":"user:elena","procedure":"SOP-WASH-01 rev 3: chlorine wash, HACCP CCP 1"}}'
  echo '{"type":"op.start","commandId":"demo-train-2","actor":"user:newcomer","data":'"$start_wash"'}'
  echo '{"type":"equipment.calibrate","commandId":"demo-cal","actor":"user:victor","data":{"equipment":"flume-2","until":"'$(date -u -d '+90 days' +%Y-%m-%d)'T00:00:00Z","certificate":"CAL-flume-2-demo"}}'
  echo '{"type":"equipment.clean","commandId":"demo-clean","actor":"user:luis","data":{"equipment":"flume-2","procedure":"SSOP-3 flume clean and sanitise, rev 5"}}'
  echo '{"type":"op.start","commandId":"demo-train-3","actor":"user:newcomer","data":'"$start_wash"'}'
  echo '{"type":"op.complete","commandId":"demo-train-4","actor":"user:newcomer","data":{"wo":"WO-TRAIN","step":"wash"}}'
} | { "$custody" append "$ledger" || true; } | sed 's/^/  /'  # the first two starts are refused

step "custody logbook flume-2: cleanings, calibrations, maintenance and each use (21 CFR 211.182)"
"$custody" logbook "$ledger" flume-2 --from 2026-10-13 --to 2026-10-15 --format table | sed -n '1,24p'
echo "  ..."
"$custody" logbook "$ledger" flume-2 --from "$(date -u +%Y-%m-%d)" --format table | tail -n 5

wilted=$(grep -m1 -o 'Heavy trimming on [^:]*' "$data/plant.ndjson" | sed 's/Heavy trimming on //')
step "custody yield $wilted: theoretical yield from the greens consumed, actual into lots (211.188(b)(7))"
echo "  a cooler door left open wilted a delivery; the wash trimmed hard, and when the order"
echo "  completed custody raised a quality exception for its yield:"
"$custody" yield "$ledger" "$wilted" --format table | sed 's/^/  /'
"$custody" log "$ledger" --stream "wo:$wilted" | grep '"wo.completed"' | sed -E 's/.*"payload":(\{[^}]*\}).*/  wo.completed \1/'
"$custody" show "$ledger" wo "$wilted" | grep -o '"payload":{"exception":"[^"]*","category":"quality"[^}]*' \
  | sed -E 's/.*"exception":"([^"]*)".*"description":"([^"]*)".*/  exception \1: \2/'

step "custody pareto: which defects make most of the scrap, by defect and by shift"
"$custody" pareto "$ledger" --from 2026-10-01T00:00:00-07:00 --to 2026-10-31T00:00:00-07:00 \
  --format table | sed 's/^/  /'
"$custody" pareto "$ledger" --by shift --step wash --format table | sed 's/^/  /' | sed -n '1,30p'
reworked=$(grep -m1 '"type":"op.rework"' "$data/plant.ndjson" | grep -o '"wo":"[^"]*"' | cut -d'"' -f4)
echo "  soil found after the spin dryer sent cases of $reworked back to the flume (op.rework):"
"$custody" log "$ledger" --stream "wo:$reworked" | grep '"op.reworked"' \
  | sed -E 's/.*"payload":(\{[^}]*\}).*/  op.reworked \1/'

step "line clearance and label control: the packing line cleared and verified, labels counted back (211.130)"
gap=$(grep '"type":"label.reconcile"' "$data/plant.ndjson" \
  | awk -F'"issued":|,"used":|,"destroyed":|,"returned":|}' '$2 != $3 + $4 + $5' | head -1 || true)
gap_wo=$(printf '%s' "$gap" | grep -o '"wo":"[^"]*"' | cut -d'"' -f4 || true)
echo "  before each order starts packing, an operator clears the line and a supervisor verifies it;"
echo "  at the end the case labels issued are counted back. $gap_wo's did not add up:"
"$custody" log "$ledger" --stream "wo:$gap_wo" | grep -E '"(line.cleared|line.verified|label.reconciled)"' \
  | sed -E 's/.*"actor":"([^"]*)".*"type":"([^"]*)".*"payload":(\{[^}]*\}).*/  \2 by \1 \3/'
"$custody" show "$ledger" wo "$gap_wo" | grep -o '"payload":{"exception":"[^"]*","category":"quality"[^}]*' \
  | grep 'Labels of' | sed -E 's/.*"exception":"([^"]*)".*"description":"([^"]*)".*/  exception \1: \2/' || true

step "deviations and CAPA: QA escalates a label loss; custody holds the order's lots until the investigation is approved"
dev=$(grep -m1 '"type":"deviation.open"' "$data/plant.ndjson" | grep -o '"deviation":"[^"]*"' | cut -d'"' -f4 || true)
echo "  the first label loss after day 2 (and one every ten days after) goes to a deviation; its"
echo "  record, from opening to QA's approval by a second person, and the CAPA board at month end:"
"$custody" log "$ledger" --stream "deviation:$dev" \
  | sed -E 's/.*"actor":"([^"]*)".*"type":"([^"]*)","recordedAt".*"payload":(\{.*\})\}$/  \2 by \1 \3/' | cut -c1-240
"$custody" board "$ledger" capa --at 2026-10-31T23:00:00-07:00 --format table | sed 's/^/  /'

step "custody kpi --from 2026-10-01 --to 2026-10-31"
"$custody" kpi "$ledger" --from 2026-10-01 --to 2026-10-31 --format table

step "OEE and piecework pay for October (the site's days, Los Angeles)"
echo "  each machine's time is running, idle, down with a reason, or in the overnight sanitation stop"
echo "  (planned, so not planned production time); its counts come from the reports on its steps:"
"$custody" oee "$ledger" --from 2026-10-01T07:00:00Z --to 2026-11-01T07:00:00Z --equipment bagger-1 \
  --at 2026-11-01T07:00:00Z --format table | sed 's/^/  /' | cut -c1-200 | sed -n '1,24p'
echo "  the cases each operator reported, at the piece rate in force (packing's rose on the 16th):"
"$custody" pay "$ledger" --from 2026-10-01T07:00:00Z --to 2026-11-01T07:00:00Z --format table \
  | sed 's/^/  /' | cut -c1-200 | sed -n '1,16p'

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

step "custody fsma204 --product --from --to: what an FDA request names, a product and dates"
"$custody" fsma204 "$ledger" --product romaine --from 2026-10-01 --to 2026-10-08 \
  --out "$data/fsma204-romaine" >/dev/null
for f in "$data"/fsma204-romaine/*.csv; do
  printf '  %s: %s rows\n' "$(basename "$f")" "$(($(wc -l <"$f") - 1))"
done

step "custody epcis export --lot: the lot's events as GS1 EPCIS 2.0 for a partner"
received=$(grep -m1 "\"supplierLot\":\"$supplier_lot\"" "$data/plant.ndjson" | sed -E 's/.*"lot":"([^"]*)".*/\1/')
"$custody" epcis export "$ledger" --lot "$received" --out "$data/epcis-$received.jsonld" --force |
  sed 's/^/  /'

step "custody epcis import: the farm's own EPCIS events for the lot, as evidence"
# The farm harvested its lot from field block 7 and shipped it; it names the lot by its own
# GTIN and lot code, which custody matches to the receipt's supplier lot code.
cat >"$data/farm-$supplier_lot.jsonld" <<EOF
{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-10-02T06:00:00Z",
 "epcisBody":{"eventList":[
  {"type":"TransformationEvent","eventTime":"2026-09-29T14:00:00Z","eventTimeZoneOffset":"-07:00",
   "inputQuantityList":[{"epcClass":"https://id.gs1.org/01/00614141000029/10/BLOCK-7-2026","quantity":5000,"uom":"KGM"}],
   "outputQuantityList":[{"epcClass":"https://id.gs1.org/01/00614141000012/10/$supplier_lot","quantity":4200,"uom":"KGM"}],
   "bizStep":"commissioning","readPoint":{"id":"https://id.gs1.org/414/0614141000036"}},
  {"type":"ObjectEvent","eventTime":"2026-09-30T05:00:00Z","eventTimeZoneOffset":"-07:00","action":"OBSERVE",
   "quantityList":[{"epcClass":"https://id.gs1.org/01/00614141000012/10/$supplier_lot","quantity":4200,"uom":"KGM"}],
   "bizStep":"shipping","disposition":"in_transit"}]}}
EOF
"$custody" epcis import "$ledger" "$data/farm-$supplier_lot.jsonld" --partner "$supplier" |
  sed -E 's/"eventId":"([^"]{28})[^"]*"/"eventId":"\1..."/g; s/^/  /'
echo "  (the same file again stores nothing:)"
"$custody" epcis import "$ledger" "$data/farm-$supplier_lot.jsonld" --partner "$supplier" |
  sed -E 's/.*("duplicates":[0-9]+).*/  \1/'

step "custody trace --direction backward: past the plant gate into the farm's events"
"$custody" trace "$ledger" --lot "$received" --direction backward | tr '{' '\n' |
  grep '"role"' | sed -E 's/.*"identifier":"([^"]*)","role":"([^"]*)","eventType":"([^"]*)","bizStep":"([^"]*)","eventTime":"([^"]*)".*/  \5 \3 \4 (\2: \1)/'
"$custody" trace "$ledger" --lot "$received" --direction backward | tr '{' '\n' |
  grep '"by"' | sed -E 's/.*"by":"([^"]*)".*"document":"([^"]*)".*/    evidence: \1, in \2/'

step "custody export --lot: the received lot's audit package, checked by custody-verify alone"
received=$(grep -m1 "\"supplierLot\":\"$supplier_lot\"" "$data/plant.ndjson" | sed -E 's/.*"lot":"([^"]*)".*/\1/')
rm -rf "$data/package-$received"
"$custody" export "$ledger" --lot "$received" --out "$data/package-$received"
"$build/tools/custody-verify" "$data/package-$received" --key-file "$ledger/node.pub" | sed 's/^/  /'
echo "  (open $data/package-$received/index.html for what is inside and how to check it)"

step "custody state-digest, then custody rebuild: projections are disposable"
"$custody" state-digest "$ledger"
"$custody" rebuild "$ledger"

step "plugins: what the host would load (custody plugins check)"
sched="$build/plugins/scheduler/custody_scheduler.so"
sim="$build/plugins/sim_device/custody_sim_device.so"
mqtt="$build/plugins/mqtt/custody_mqtt.so"
reports="$build/plugins/reports/custody_reports.so"
notes="$build/sdk/examples/exception_notes/exception_notes.so"
for so in "$sched" "$sim" "$mqtt" "$reports" "$notes"; do
  "$custody" plugins check "$so" |
    sed -E 's/.*"id":"([^"]*)".*"kind":"([^"]*)".*"compatible":([a-z]*).*"capabilities":\[([^]]*)\].*/  \1 (\2): ABI compatible \3, asks for \4/'
done

step "tomorrow's orders, released for the scheduler to plan"
for i in 1 2 3; do
  echo '{"type":"wo.create","commandId":"demo-wo-'$i'","actor":"user:planner","data":{"wo":"WO-DEMO-'$i'","material":"'$material'","qty":'$((150 * i))',"routing":"'$routing'","due":"'$tomorrow'T1'$((1 + 2 * i))':00:00Z"}}'
  echo '{"type":"wo.release","commandId":"demo-rel-'$i'","actor":"user:planner","data":{"wo":"WO-DEMO-'$i'"}}'
done | "$custody" append "$ledger" | sed 's/^/  /'

step "custody plugins add: the operator grants each plugin what it may do"
"$custody" plugins add "$ledger" "$sched" --grant read --grant subscribe --grant submit:wo \
  --config '{"workCenters":{"wash":{"shifts":[{"days":[1,2,3,4,5,6],"start":"06:00","end":"22:00"}]},
             "cut":{"shifts":[{"days":[1,2,3,4,5,6],"start":"06:00","end":"22:00"}]},
             "dry":{"shifts":[{"days":[1,2,3,4,5,6],"start":"06:00","end":"22:00"}]},
             "mix":{"shifts":[{"days":[1,2,3,4,5,6],"start":"06:00","end":"22:00"}]},
             "pack":{"shifts":[{"days":[1,2,3,4,5,6],"start":"06:00","end":"22:00"}]}}}' |
  sed 's/^/  /'
"$custody" plugins add "$ledger" "$sim" --grant submit:reading \
  --config '{"seed":7,"devices":[{"equipment":"cold-room-fg","param":"temperature","unit":"C",
             "base":2.5,"noise":0.3,"driftPerHour":0.5,"excursionEvery":15,"excursionSize":4,
             "intervalMs":200,"count":40}]}' | sed 's/^/  /'
# The plant network: a broker on a free port of 127.0.0.1, and the MQTT driver subscribed to
# the flume's topic (JSON payloads carrying the device's own time).
mqtt_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n' \
  "$mqtt_port" >"$data/mosquitto.conf"
mosquitto -c "$data/mosquitto.conf" 2>"$data/mosquitto.log" &
broker_pid=$!
trap 'kill -TERM "$broker_pid" 2>/dev/null || true' EXIT
"$custody" plugins add "$ledger" "$mqtt" --grant submit:reading --grant submit:exception \
  --config '{"broker":"tcp://127.0.0.1:'"$mqtt_port"'","clientId":"custody-demo","topics":[
             {"topic":"line-1/flume-1","equipment":"flume-1","param":"chlorine",
              "path":"/chlorine","timePath":"/ts","unit":"ppm"}]}' | sed 's/^/  /'
"$custody" plugins add "$ledger" "$notes" --grant subscribe --grant submit:note | sed 's/^/  /'
"$custody" plugins add "$ledger" "$reports" --grant read | sed 's/^/  /'

step "custody run --for 10: the plugins at work (the device drivers run out of process)"
# The flume's controller publishes its chlorine every half second, plus one garbled message.
(
  sleep 2
  for i in $(seq 1 12); do
    mosquitto_pub -p "$mqtt_port" -q 1 -t line-1/flume-1 \
      -m '{"chlorine":'$((1150 + (i * 37) % 90))',"ts":'"$(date +%s%3N)"'}'
    [ "$i" -eq 6 ] && mosquitto_pub -p "$mqtt_port" -q 1 -t line-1/flume-1 -m 'chlorine=OK'
    sleep 0.5
  done
) &
publisher_pid=$!
"$custody" run "$ledger" --for 10 2>"$data/plugins.log" | tail -1 |
  sed -E 's/\{"id"/\n  {"id"/g; s/^\{"stopped":true,"plugins":\[//'
wait "$publisher_pid" || true
echo
grep -E 'planned|rejected|denied' "$data/plugins.log" | sed 's/^/  log: /' | sed -n '1,5p'

step "what they wrote: plans, readings, exceptions, shift-log notes"
for i in 1 2 3; do
  "$custody" show "$ledger" wo "WO-DEMO-$i" --history 0 |
    sed -E 's/.*"wo":"([^"]*)".*"due":"([^"]*)".*"scheduledStart":"([^"]*)","scheduledEnd":"([^"]*)","plan":"([^"]*)".*/  \1 due \2: planned \3 .. \4 (\5)/'
done
readings=$("$custody" log "$ledger" --stream equipment:cold-room-fg | grep -c 'plugin:sim-device' || true)
echo "  $readings cold-room readings from plugin:sim-device"
flume=$("$custody" log "$ledger" --stream equipment:flume-1 | grep -c 'plugin:mqtt' || true)
echo "  $flume flume-1 chlorine readings from plugin:mqtt (over MQTT); what it would not record:"
grep -E 'plugin:mqtt.*malformed' "$data/plugins.log" | sed -n '1,2p' | sed 's/^/  log: /'
"$custody" board "$ledger" exceptions --format table | grep -i 'cold-room-fg' | sed -n '1,3p' | sed 's/^/  /'
shift_notes=$("$custody" log "$ledger" --stream note:shift-log | wc -l)
echo "  $shift_notes exceptions written into the shift log by plugin:exception-notes"

first_wo=$(printf '%s' "$wo_line" | sed -E 's/.*"wo":"([^"]*)".*/\1/')
step "custody report batch-record --wo $first_wo: the electronic batch record"
"$custody" report "$ledger" batch-record --wo "$first_wo" --out "$data/batch-record-$first_wo.html"
"$custody" report "$ledger" piecework --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z \
  --out "$data/piecework-2026-10.csv"
{ head -4 "$data/piecework-2026-10.csv"; grep -E '^(total|check),' "$data/piecework-2026-10.csv"; } | sed 's/^/  /'
echo "  open $data/batch-record-$first_wo.html in a browser to read or print it"


step "custody serve: the ledger on the network, with API tokens and roles"
tokens="$data/tokens"
mkdir -p "$tokens"
chmod 700 "$tokens"
for role in qa auditor operator; do
  "$custody" token create "$ledger" --id "demo-$role-$$" --role "$role" \
    --description "tools/demo.sh" | sed -E 's/.*"token":"([^"]*)".*/\1/' >"$tokens/$role"
done
# The ERP's integration token, scoped to exactly what it sends down.
"$custody" token create "$ledger" --id "demo-erp-$$" --role integration --description "SAP (demo)" \
  --command receipt.expect --command receipt.cancel --command lot.receive |
  sed -E 's/.*"token":"([^"]*)".*/\1/' >"$tokens/erp"
# A QA person who signs: her password in a file only she (this user) can read, never on a
# command line.
(umask 077 && printf 'demo %s release\n' "$(openssl rand -hex 6)" >"$tokens/quinn.password")
"$custody" user add "$ledger" --id quinn --name "Quinn Harper" --role qa \
  --password-file "$tokens/quinn.password" | sed 's/^/  /'
serve_out="$data/serve.out"
"$custody" serve "$ledger" --listen 127.0.0.1:0 >"$serve_out" 2>"$data/serve.log" &
serve_pid=$!
# Whatever happens below, the server does not outlive the demo, and neither does the broker
# its MQTT driver stays connected to.
trap 'kill -TERM "$serve_pid" "$broker_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q serving "$serve_out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -nE '1s/.*"serving":"([^"]*)".*/\1/p' "$serve_out")
echo "  serving at $url ($(head -1 "$serve_out"))"
lot=$(grep -m1 '"type":"lot.receive"' "$data/plant.ndjson" | sed -E 's/.*"lot":"([^"]*)".*/\1/')
echo "  GET /healthz: $(curl -s "$url/healthz")"
echo "  GET /v1/whoami without a token: $(curl -s "$url/v1/whoami")"
echo "  POST /v1/commands lot.hold as the QA token:"
curl -s "$url/v1/commands" -H "Authorization: Bearer $(cat "$tokens/qa")" \
  -d '{"type":"lot.hold","commandId":"demo-hold-'$$'","data":{"lot":"'"$lot"'","reason":"demo: COA check"}}' |
  sed 's/^/    /'
echo
echo "  the same lot.release as the operator token (QA's alone):"
curl -s "$url/v1/commands" -H "Authorization: Bearer $(cat "$tokens/operator")" \
  -d '{"type":"lot.release","commandId":"demo-rel-'$$'","data":{"lot":"'"$lot"'"}}' | sed 's/^/    /'
echo
echo "  custody append --server: a shift note through the API"
echo '{"type":"note.add","commandId":"demo-note-'$$'","data":{"subject":"shift-log","text":"sent with custody append --server"}}' |
  "$custody" append --server "$url" --token-file "$tokens/operator" | sed 's/^/    /'

step "the ERP's side: a purchase order line comes down, the dock's receipts are checked against it"
first_receipt=$(grep -m1 '"type":"lot.receive"' "$data/plant.ndjson")
material=$(printf '%s' "$first_receipt" | sed -E 's/.*"material":"([^"]*)".*/\1/')
uom=$(printf '%s' "$first_receipt" | sed -E 's/.*"uom":"([^"]*)".*/\1/')
vendor=$(printf '%s' "$first_receipt" | sed -E 's/.*"supplier":"([^"]*)".*/\1/')
po="45000$$/10"
due=$(date -u -d '+1 day' +%Y-%m-%dT08:00:00Z)
# Harvested this morning: a material with a shelf life is received with its production date.
produced=$(date -u -d '-6 hours' +%Y-%m-%dT%H:00:00Z)
dock() { # lot qty receipt
  printf '{"type":"lot.receive","commandId":"dock-%s","data":{"lot":"%s","material":"%s","qty":%s,"uom":"%s","supplier":"%s","supplierLot":"DEMO-%s","receipt":"%s","produced":"%s"}}\n' \
    "$1" "$1" "$material" "$2" "$uom" "$vendor" "$$" "$3" "$produced"
}
{
  printf '{"type":"receipt.expect","commandId":"sap:%s","data":{"receipt":"%s","supplier":"%s","material":"%s","qty":500,"uom":"%s","expected":"%s","tolerance":2,"document":"PO 45000%s"}}\n' \
    "$po" "$po" "$vendor" "$material" "$uom" "$due" "$$"
  dock "RCV-$$-1" 300 "$po"
  dock "RCV-$$-2" 250 "$po"
  dock "RCV-$$-3" 200 "$po"
  dock "RCV-$$-4" 50 "ASN-0000"
} >"$data/erp.ndjson"
echo "  POST /v1/commands:batch as the ERP: 500 $uom of $material from $vendor (2 % over accepted), then the dock's receipts of 300, 250, 200, and one against an ASN never sent:"
curl -s "$url/v1/commands:batch" -H "Authorization: Bearer $(cat "$tokens/erp")" \
  -H "Content-Type: application/x-ndjson" --data-binary @"$data/erp.ndjson" |
  sed -E 's/"hash":"([0-9a-f]{8})[0-9a-f]*"/"hash":"\1..."/; s/^/    /'
echo "  GET /v1/receipts/${po/\//%2F}: $(curl -s "$url/v1/receipts/${po/\//%2F}" -H "Authorization: Bearer $(cat "$tokens/erp")" |
  sed -E 's/^\{"kind":"receipt","state":\{([^}]*)\}.*/\1/' |
  grep -oE '"(status|qty|received|lots)":(\[[^]]*\]|"[^"]*"|[0-9.]+)' | tr '\n' ' ')"

step "electronic signatures: Quinn signs the release of $lot; a live stream shows it"
# The live stream, over WebSocket, with curl: the upgrade by hand, frames as they come.
curl -s -N --http1.1 --max-time 4 -H "Authorization: Bearer $(cat "$tokens/auditor")" \
  -H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
  -H "Sec-WebSocket-Key: $(openssl rand -base64 16)" \
  "$url/v1/stream?types=lot.released,signature.signed,access.denied" -o "$data/stream.bin" &
stream_pid=$!
echo "  the policy in force: $(curl -s "$url/v1/signatures/policy" -H "Authorization: Bearer $(cat "$tokens/auditor")" |
  grep -o '"commandType":"[a-z._]*"' | cut -d'"' -f4 | tr '\n' ' ')"
jar="$tokens/quinn.cookies"
signin="$tokens/quinn.signin.json"
(umask 077 && printf '{"user":"quinn","password":"%s"}' "$(cat "$tokens/quinn.password")" >"$signin")
session=$(curl -s -c "$jar" "$url/v1/session" -d @"$signin")
csrf=$(printf '%s' "$session" | sed -E 's/.*"csrfToken":"([^"]*)".*/\1/')
echo "  POST /v1/session: $(printf '%s' "$session" | sed -E 's/"csrfToken":"[^"]*"/"csrfToken":"..."/')"
echo "  POST /v1/commands lot.release unsigned, as Quinn:"
curl -s -b "$jar" -H "X-CSRF-Token: $csrf" "$url/v1/commands" \
  -d '{"type":"lot.release","commandId":"demo-rel-unsigned","data":{"lot":"'"$lot"'"}}' | sed 's/^/    /'
echo
challenge=$(curl -s -b "$jar" -H "X-CSRF-Token: $csrf" "$url/v1/signatures/challenges" \
  -d '{"command":{"type":"lot.release","commandId":"demo-rel-signed","data":{"lot":"'"$lot"'"}},"meaning":"released"}')
challenge_id=$(printf '%s' "$challenge" | sed -E 's/.*"challengeId":"([^"]*)".*/\1/')
echo "  POST /v1/signatures/challenges, the text Quinn is shown:"
printf '%s\n' "$challenge" | sed -E 's/.*"text":"(.*)","signer".*/    \1/; s/\\"/"/g'
echo "  POST /v1/signatures/challenges/$challenge_id:confirm with her password:"
curl -s -b "$jar" -H "X-CSRF-Token: $csrf" "$url/v1/signatures/challenges/$challenge_id:confirm" \
  -d @"$signin" | sed 's/^/    /'
echo
rm -f "$signin"
wait "$stream_pid" || true
echo "  GET /v1/stream (WebSocket), what arrived meanwhile:"
{ grep -ao '"seq":[0-9]*,[^{]*"type":"[a-z._]*"' "$data/stream.bin" || echo "nothing"; } |
  sed -E 's/"seq":([0-9]*).*"actor":"([^"]*)".*"type":"([a-z._]*)"/    #\1 \3 by \2/'
shown=$(curl -s "$url/v1/lots/$lot" -H "Authorization: Bearer $(cat "$tokens/auditor")")
echo "  GET /v1/lots/$lot (auditor): status $(printf '%s' "$shown" |
  sed -E 's/^\{"kind":"lot","state":\{[^}]*"status":"([^"]*)".*/\1/'); the release in its history" \
  "carries $(printf '%s' "$shown" | grep -o '"signatures":\[{[^}]*}\]' | tail -1)"
echo "  the web UI at $url/ (GET /: $(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$url/")), in chromium:"
node "$root/tools/demo_ui.mjs" "$url" quinn "$tokens/quinn.password" "$data" "$lot"
echo "  GET /metrics (auditor):"
curl -s "$url/metrics" -H "Authorization: Bearer $(cat "$tokens/auditor")" |
  grep -E '^custody_(commit_latency_seconds_count|records_total|permission_denied_total|head_seq|plugin_up)' |
  sed 's/^/    /'
kill -TERM "$serve_pid"
wait "$serve_pid"
echo "  SIGTERM: $(tail -1 "$serve_out")"
echo "  the refused release is on record: $("$custody" log "$ledger" --stream "access:token:demo-operator-$$" |
  sed -E 's/.*"action":"([^"]*)".*/"\1"/')"
echo "  custody verify, with every signature checked: $("$custody" verify "$ledger" |
  grep -o '"signatures":{[^}]*}')"

step "custody replicate and custody follow: a checked copy at headquarters, over NATS JetStream"
# A broker on a free port of 127.0.0.1; the copy trusts only the site's key, and headquarters
# witnesses what it copied: its cosignatures come back to the site.
nats_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nats-server -js -a 127.0.0.1 -p "$nats_port" -sd "$data/nats" -l "$data/nats.log" &
nats_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$nats_port") 2>/dev/null && break
  sleep 0.1
done
nats="nats://127.0.0.1:$nats_port"
"$custody" witness init "$data/hq-witness" --name hq.valleyfresh.example \
  --log-key-file "$ledger/node.pub" >/dev/null
echo "  the site publishes:   $("$custody" replicate "$ledger" --nats "$nats" --site salinas-1 --once)"
echo "  headquarters follows: $("$custody" follow "$data/hq-copy" --nats "$nats" --site salinas-1 \
  --key-file "$ledger/node.pub" --witness "$data/hq-witness" --once)"
echo "  cosignatures back:    $("$custody" replicate "$ledger" --nats "$nats" --site salinas-1 --once)"
echo "  state digest, site:   $("$custody" state-digest "$ledger")"
echo "  state digest, copy:   $("$custody" state-digest "$data/hq-copy")"
echo "  custody verify with the witness's key: $("$custody" verify "$ledger" \
  --witness-key "$(cat "$data/hq-witness/witness.pub")" | grep -o '"witnesses":{[^}]*}')"

step "custody enterprise recall: one recall across the company's sites, from their copies"
# Two more sites publish (tests/fixtures/enterprise: plant A ships a pallet of salad to plant
# B, which packs it into kits); headquarters follows both and recalls across them.
fixtures="$root/tests/fixtures/enterprise"
mkdir -p "$data/hq"
for site in plant-a plant-b; do
  "$custody" init "$data/sites/$site" >/dev/null
  "$custody" append "$data/sites/$site" "$fixtures/$site.ndjson" >/dev/null
  "$custody" replicate "$data/sites/$site" --nats "$nats" --site "$site" --once >/dev/null
  echo "  headquarters follows $site: $("$custody" follow "$data/hq/$site" --nats "$nats" \
    --site "$site" --key-file "$data/sites/$site/node.pub" --once)"
done
cp "$fixtures/enterprise.json" "$data/hq/enterprise.json"
"$custody" enterprise status "$data/hq" --format table | sed 's/^/    /'
"$custody" enterprise recall "$data/hq" --site plant-a --lot R-1 --format table | sed 's/^/    /'
echo "  and back from plant B's kit to plant A's farm lot:"
"$custody" enterprise trace "$data/hq" --site plant-b --lot K-1 --backward --format table |
  sed 's/^/    /'
kill "$nats_pid"
wait "$nats_pid" 2>/dev/null || true
