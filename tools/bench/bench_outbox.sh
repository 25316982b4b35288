#!/usr/bin/env bash
# The outbox (plugins/outbox) delivering a whole ledger to an HTTP receiver on loopback, one
# POST per record over a kept-alive connection, against, in the same run, a plugin
# subscription alone (bench_plugin taking every record from seq 1 under `custody run`, the
# same way) and `custody log` writing the same records as NDJSON (records/s over records/s):
# what HTTP and the one-at-a-time, acknowledged delivery cost over being handed the records.
#
#   tools/bench/bench_outbox.sh [LEDGER]   # default demo-data/ledger (tools/demo.sh);
#                                          # release build; python3 (the receiver)
#   FORMAT=epcis tools/bench/bench_outbox.sh   # the same in the outbox's EPCIS 2.0 format
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CUSTODY_BUILD:-$root/build/release}
custody=$build/tools/custody
outbox=$build/plugins/outbox/custody_outbox.so
subscriber=$build/tools/bench/bench_plugin.so
source_ledger=${1:-$root/demo-data/ledger}
format=${FORMAT:-custody}
work=$(mktemp -d /tmp/custody-outbox-bench.XXXXXX)
receiver=
cleanup() {
  [ -n "$receiver" ] && kill "$receiver" 2>/dev/null && wait "$receiver" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The receiver: HTTP/1.1 keep-alive, answers 204 to every POST, counts them.
cat >"$work/receiver.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        H.count += 1
        self.send_response(204)
        self.end_headers()
    def do_GET(self):  # how many deliveries so far
        body = str(H.count).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$work/receiver.py" >"$work/port" &
receiver=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(head -n 1 "$work/port")

for run in 1 2 3; do
  rm -rf "$work/ledger"
  cp -a "$source_ledger" "$work/ledger"
  # Only the outbox: the copy's other plugins are not what is measured.
  python3 - "$work/ledger/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["plugins"] = []
json.dump(c, open(p, "w"))
PY
  # The subscription alone: a copy with only bench_plugin, counting every record.
  rm -rf "$work/subscribed"
  cp -a "$work/ledger" "$work/subscribed"
  "$custody" plugins add "$work/subscribed" "$subscriber" --grant subscribe \
    --config '{"mode":"count"}' >/dev/null
  start=$(date +%s.%N)
  "$custody" run "$work/subscribed" --until-caught-up --for 3600 >/dev/null 2>"$work/sub.log"
  sub_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  "$custody" plugins add "$work/ledger" "$outbox" --grant-requested \
    --config '{"url":"http://127.0.0.1:'"$port"'/hook","format":"'"$format"'"}' >/dev/null
  records=$("$custody" log "$work/ledger" | wc -l)
  start=$(date +%s.%N)
  "$custody" log "$work/ledger" >"$work/log.ndjson"
  log_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  start=$(date +%s.%N)
  "$custody" run "$work/ledger" --until-caught-up --for 3600 >"$work/run.json" 2>"$work/run.log"
  outbox_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  handled=$(tail -n 1 "$work/run.json" | sed -E 's/.*"handled":([0-9]+).*/\1/')
  posts=$(curl -s "http://127.0.0.1:$port/count")
  before=${before:-0}
  awk -v n="$records" -v h="$handled" -v l="$log_s" -v s="$sub_s" -v o="$outbox_s" -v r="$run" -v p="$((posts - before))" -v f="$format" 'BEGIN {
    printf "run %d: %d records (%d handled, %d POSTs in the %s format); custody log %.2f s = %.0f records/s; subscription alone %.2f s = %.0f records/s; outbox %.2f s = %.0f records/s; ratio to the subscription %.3f, to custody log %.3f\n",
      r, n, h, p, f, l, n / l, s, n / s, o, n / o, (n / o) / (n / s), (n / o) / (n / l) }'
  before=$posts
done
