#!/usr/bin/env bash
# The outbox's lag under steady append: `custody serve` hosting the outbox, a client posting
# commands at a steady RATE per second for SECONDS through POST /v1/commands (one request
# each, over a kept-alive connection), and a receiver on loopback that notes, for each
# delivery, how long after the record's recordedAt it arrived. Prints the lag's percentiles
# per rate.
#
#   tools/bench/bench_outbox_lag.sh [SECONDS] [RATE...]   # default 20 s at 100, 500, 1000/s;
#                                                         # release build; python3
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CUSTODY_BUILD:-$root/build/release}
custody=$build/tools/custody
outbox=$build/plugins/outbox/custody_outbox.so
seconds=${1:-20}
shift || true
rates=("$@")
[ ${#rates[@]} -eq 0 ] && rates=(100 500 1000)
work=$(mktemp -d /tmp/custody-outbox-lag.XXXXXX)
receiver=
serve=
cleanup() {
  [ -n "$serve" ] && kill "$serve" 2>/dev/null && wait "$serve" 2>/dev/null
  [ -n "$receiver" ] && kill "$receiver" 2>/dev/null && wait "$receiver" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The receiver: answers 204 at once; for each delivery, arrival time minus recordedAt (ms).
cat >"$work/receiver.py" <<'PY'
import http.server, json, sys, time
from datetime import datetime, timezone
out = open(sys.argv[1], "a", buffering=1)
def when(s):
    s = s.rstrip("Z")
    whole, _, frac = s.partition(".")
    return datetime.fromisoformat(whole).replace(tzinfo=timezone.utc).timestamp() + float("0." + (frac or "0"))
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        arrived = time.time()
        self.send_response(204)
        self.end_headers()
        record = json.loads(body)
        out.write("%s %.3f\n" % (record["seq"], (arrived - when(record["recordedAt"])) * 1000))
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY

# The client: RATE note.add commands a second for SECONDS, each at its own moment, over 16
# kept-alive connections (a request waits until its record is durable).
cat >"$work/client.py" <<'PY'
import http.client, json, sys, threading, time
url, token, rate, seconds, tag = sys.argv[1], open(sys.argv[2]).read().strip(), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
host, port = url.split("//")[1].split(":")
n = int(rate * seconds)
lanes = 16
start = time.monotonic() + 0.2
late = [0] * lanes
def lane(k):
    c = http.client.HTTPConnection(host, int(port))
    for i in range(k, n, lanes):
        wait = start + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        elif wait < -0.01:
            late[k] += 1
        body = json.dumps({"type": "note.add", "commandId": "%s-%d" % (tag, i),
                           "data": {"subject": "line-1", "text": "steady %d" % i}})
        c.request("POST", "/v1/commands", body, {"Authorization": "Bearer " + token,
                                                 "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("HTTP %d" % r.status)
threads = [threading.Thread(target=lane, args=(k,)) for k in range(lanes)]
for t in threads: t.start()
for t in threads: t.join()
print(n, "%.2f" % (time.monotonic() - start), sum(late))
PY

for rate in "${rates[@]}"; do
  rm -rf "$work/ledger" "$work/lags"
  python3 "$work/receiver.py" "$work/lags" >"$work/port" &
  receiver=$!
  for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  port=$(head -n 1 "$work/port")
  "$custody" init "$work/ledger" >/dev/null
  "$custody" token create "$work/ledger" --id bench --role operator |
    sed -E 's/.*"token":"([^"]*)".*/\1/' >"$work/token"
  "$custody" plugins add "$work/ledger" "$outbox" --grant-requested \
    --config '{"url":"http://127.0.0.1:'"$port"'/hook","types":["note.*"]}' >/dev/null
  "$custody" serve "$work/ledger" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
  serve=$!
  for _ in $(seq 1 100); do grep -q serving "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -nE '1s/.*"serving":"([^"]*)".*/\1/p' "$work/serve.out")
  read -r sent took late < <(python3 "$work/client.py" "$url" "$work/token" "$rate" "$seconds" "r$rate")
  for _ in $(seq 1 100); do [ "$(wc -l <"$work/lags")" -ge "$sent" ] && break; sleep 0.1; done
  kill -TERM "$serve"
  wait "$serve" || true
  serve=
  kill "$receiver"
  wait "$receiver" 2>/dev/null || true
  receiver=
  python3 - "$work/lags" "$rate" "$sent" "$took" "$late" <<'PY'
import sys
lags = sorted(float(l.split()[1]) for l in open(sys.argv[1]))
rate, sent, took, late = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def p(q):
    return lags[min(len(lags) - 1, int(q * len(lags)))]
print(f"{rate}/s for {took} s: {sent} appended ({late} sent over 10 ms behind schedule), {len(lags)} delivered;"
      f" lag from recordedAt to arrival p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms,"
      f" p99 {p(0.99):.1f} ms, max {lags[-1]:.1f} ms")
PY
done
