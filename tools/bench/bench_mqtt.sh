#!/usr/bin/env bash
# The MQTT driver (plugins/mqtt, out of process as installed) under a flood: 100 publishers,
# one per topic, each sending MESSAGES plain-number payloads at QoS 1 as fast as mosquitto
# takes them, through a mosquitto on loopback; readings/s recorded (from the first reading's
# recordedAt to the last's), against the same number of reading.record commands through
# `custody append` in the same run (readings/s over commands/s).
#
#   tools/bench/bench_mqtt.sh [MESSAGES]   # per topic, default 300 (30,000 in all);
#                                          # release build; mosquitto, mosquitto_pub, python3
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CUSTODY_BUILD:-$root/build/release}
custody=$build/tools/custody
mqtt=$build/plugins/mqtt/custody_mqtt.so
per_topic=${1:-300}
topics=100
total=$((per_topic * topics))
work=$(mktemp -d /tmp/custody-mqtt-bench.XXXXXX)
broker=
run_pid=
cleanup() {
  [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
  [ -n "$broker" ] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# 100 machines, each with one parameter on its own topic.
for i in $(seq -w 1 $topics); do
  printf '{"type":"equipment.define","commandId":"eq-%s","actor":"user:bench","data":{"equipment":"eq-%s","name":"Sensor %s","workCenter":"line-1"}}\n' \
    "$i" "$i" "$i"
done >"$work/master.ndjson"
# The baseline: the same number of readings as commands, round robin over the machines.
python3 - "$per_topic" "$topics" >"$work/readings.ndjson" <<'PY'
import sys
per, topics = int(sys.argv[1]), int(sys.argv[2])
for n in range(per):
    for t in range(1, topics + 1):
        print('{"type":"reading.record","commandId":"r-%d-%d","actor":"user:bench","data":{"equipment":"eq-%03d","param":"temperature","value":%.2f,"unit":"C"}}'
              % (t, n, t, 3.0 + n % 50 / 100.0))
PY
python3 -c "print('\n'.join('%.2f' % (3.0 + n % 50 / 100.0) for n in range($per_topic)))" >"$work/values.txt"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n' \
  "$port" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
broker=$!
sleep 0.5

mapping=$(python3 -c "
import json
print(json.dumps([{'topic': 'bench/eq-%03d' % t, 'equipment': 'eq-%03d' % t, 'param': 'temperature',
                   'unit': 'C'} for t in range(1, $topics + 1)]))")

for run in 1 2 3; do
  # custody append: reading.record commands from a file.
  rm -rf "$work/append"
  "$custody" init "$work/append" >/dev/null
  "$custody" append "$work/append" "$work/master.ndjson" >/dev/null
  start=$(date +%s.%N)
  "$custody" append "$work/append" "$work/readings.ndjson" >"$work/append.out"
  append_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  appended=$(grep -c '"ok":true' "$work/append.out" || true)

  # The MQTT driver, fed by 100 publishers at once.
  rm -rf "$work/mqtt"
  "$custody" init "$work/mqtt" >/dev/null
  "$custody" append "$work/mqtt" "$work/master.ndjson" >/dev/null
  "$custody" plugins add "$work/mqtt" "$mqtt" --grant submit:reading --grant submit:exception \
    --config '{"broker":"tcp://127.0.0.1:'"$port"'","clientId":"bench-'"$run"'","cleanSession":true,"topics":'"$mapping"'}' \
    >/dev/null
  "$custody" run "$work/mqtt" --for 600 >"$work/run.json" 2>"$work/run.log" &
  run_pid=$!
  for _ in $(seq 1 100); do grep -q "connected to" "$work/run.log" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  pubs=()
  for t in $(seq -w 1 $topics); do
    mosquitto_pub -p "$port" -q 1 -t "bench/eq-$(printf '%03d' "$((10#$t))")" -l <"$work/values.txt" &
    pubs+=($!)
  done
  wait "${pubs[@]}"
  # Until every reading is recorded, or none has arrived for 10 s (read beside the run).
  last=-1
  same=0
  while [ "$same" -lt 20 ]; do
    count=$("$custody" log "$work/mqtt" 2>/dev/null | grep -c '"type":"reading.recorded"' || true)
    [ "$count" -ge "$total" ] && break
    if [ "$count" = "$last" ]; then same=$((same + 1)); else same=0; fi
    last=$count
    sleep 0.5
  done
  kill -TERM "$run_pid"
  wait "$run_pid" || true
  run_pid=
  "$custody" log "$work/mqtt" >"$work/mqtt.ndjson"
  python3 - "$work/mqtt.ndjson" "$total" "$appended" "$append_s" "$run" <<'PY'
import json, sys
from datetime import datetime
path, total, appended, append_s, run = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
def t(s):
    s = s.rstrip("Z")
    whole, _, frac = s.partition(".")
    return datetime.fromisoformat(whole).timestamp() + float("0." + (frac or "0"))
times = [t(r["recordedAt"]) for r in map(json.loads, open(path)) if r["type"] == "reading.recorded"]
n = len(times)
span = max(times) - min(times) if n > 1 else float("nan")
mqtt_rate = n / span
append_rate = appended / append_s
print(f"run {run}: {total} messages on 100 topics; MQTT driver recorded {n} readings in {span:.2f} s"
      f" = {mqtt_rate:.0f} readings/s; custody append {appended} reading.record in {append_s:.2f} s"
      f" = {append_rate:.0f} commands/s; ratio {mqtt_rate / append_rate:.3f}")
PY
done
