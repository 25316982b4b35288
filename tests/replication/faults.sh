#!/usr/bin/env bash
# Replication under faults, on loopback only (docs/replication.md, "Fault tests"). Three sites
# append generated plant days and publish to a 3-node NATS JetStream cluster; an enterprise
# node follows all three. While they run: kill -9 a NATS node, the follower, a site, one at a
# time and then together; stop the whole broker for FAULT_OUTAGE_SECONDS (default 60); cut a
# site off by stopping its publisher; inject a forged batch on a site's subject. Afterwards
# every copy must verify and hold exactly its site's records (same head, same root, same
# projections), the forged batch must have been refused and raised as an alarm, and the
# enterprise recall over the copies must equal the one over the sites themselves.
#
#   tests/replication/faults.sh [CUSTODY_BINARY]     (CTest: replication_faults)
set -euo pipefail

custody=$(realpath "${1:-${CUSTODY_BINARY:-build/asan/tools/custody}}")
root=$(cd "$(dirname "$0")/../.." && pwd)
outage=${FAULT_OUTAGE_SECONDS:-60}
nats_server=${NATS_SERVER:-nats-server}
work=$(mktemp -d "${TMPDIR:-/tmp}/custody-faults.XXXXXX")
declare -A pids=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
fail() {
  log "FAIL: $*"
  exit 1
}

cleanup() {
  local rc=$?
  for name in "${!pids[@]}"; do kill9 "$name"; done
  wait 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    log "kept for inspection: $work"
    for f in "$work"/logs/*; do
      echo "--- $f (last lines)"
      tail -5 "$f" || true
    done
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# N distinct free ports on loopback: all bound at once, so no two are the same (one at a
# time, the kernel may hand the same port out twice once it was let go).
free_ports() {
  python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}

wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on port $1"
}

# Runs "$@" in the background as `name`, its output in logs/<name>.log (appended).
start() {
  local name=$1
  shift
  "$@" >>"$work/logs/$name.log" 2>&1 &
  pids[$name]=$!
}

# SIGKILL to `name` and the processes it started (an appender's `custody append`): stopped
# first, so that it starts nothing more.
kill9() {
  local name=$1
  [ -n "${pids[$name]:-}" ] || return 0
  kill -STOP "${pids[$name]}" 2>/dev/null || true
  pkill -9 -P "${pids[$name]}" 2>/dev/null || true
  kill -9 "${pids[$name]}" 2>/dev/null || true
  wait "${pids[$name]}" 2>/dev/null || true
  unset "pids[$name]"
}

mkdir -p "$work/logs"

# ---- a 3-node JetStream cluster on loopback
declare -a client_port cluster_port
read -r -a ports <<<"$(free_ports 6)"
[ "${#ports[@]}" -eq 6 ] || fail "no free ports on 127.0.0.1"
for i in 1 2 3; do
  client_port[$i]=${ports[$((2 * i - 2))]}
  cluster_port[$i]=${ports[$((2 * i - 1))]}
done
routes="nats-route://127.0.0.1:${cluster_port[1]}, nats-route://127.0.0.1:${cluster_port[2]}, nats-route://127.0.0.1:${cluster_port[3]}"
for i in 1 2 3; do
  cat >"$work/nats$i.conf" <<EOF
server_name: n$i
listen: 127.0.0.1:${client_port[$i]}
jetstream { store_dir: "$work/nats$i" }
cluster {
  name: custody-faults
  listen: 127.0.0.1:${cluster_port[$i]}
  routes: [ $routes ]
}
EOF
done
start_node() { start "nats$1" "$nats_server" -c "$work/nats$1.conf"; }
for i in 1 2 3; do start_node "$i"; done
for i in 1 2 3; do wait_port "${client_port[$i]}"; done
nats="nats://127.0.0.1:${client_port[1]},nats://127.0.0.1:${client_port[2]},nats://127.0.0.1:${client_port[3]}"
log "3-node JetStream cluster: $nats"

# ---- three sites: the enterprise fixture's two plants, each with a generated plant of its
# own behind it, and a third plant
sites=(site-1 site-2 site-3)
declare -A fixture=([site-1]=plant-a [site-2]=plant-b)
for n in 1 2 3; do
  site=site-$n
  "$custody" init "$work/$site" --import-history >/dev/null
  if [ -n "${fixture[$site]:-}" ]; then
    "$custody" append "$work/$site" "$root/tests/fixtures/enterprise/${fixture[$site]}.ndjson" >/dev/null
  fi
  "$custody" gen plant --days 2 --seed "$n" --prefix "S$n" >"$work/$site.ndjson"
  split -l 150 -d -a 4 "$work/$site.ndjson" "$work/$site.chunk."
done
log "sites: $(for s in "${sites[@]}"; do printf '%s %s lines; ' "$s" "$(wc -l <"$work/$s.ndjson")"; done)"

# The stream, replicated on all three nodes, before anyone publishes.
for try in $(seq 50); do
  "$custody" replicate "$work/site-1" --nats "$nats" --site site-1 --replicas 3 --once \
    >>"$work/logs/create.log" 2>&1 && break
  [ "$try" -lt 50 ] || fail "the stream could not be created on the cluster"
  sleep 0.5
done

# A site: its appender (one chunk at a time, each applied by an embedded writer, re-sent
# whole after a kill: command ids make that idempotent) and its publisher.
appender() {
  local site=$1
  for chunk in "$work/$site".chunk.[0-9][0-9][0-9][0-9]; do
    [ -e "$chunk.done" ] && continue
    # Exit 1 is a rejected command (a chunk sent again after a kill: its retries answer as
    # before); anything else (the killed writer's lock not yet released) is tried again.
    until "$custody" append "$work/$site" "$chunk" >/dev/null 2>>"$work/logs/append-$site.err" ||
      [ $? -eq 1 ]; do
      sleep 1
    done
    touch "$chunk.done"
    sleep 0.3
  done
  touch "$work/$site.loaded"
}
start_site() {
  start "append-$1" appender "$1"
  start "publish-$1" "$custody" replicate "$work/$1" --nats "$nats" --site "$1"
}
start_follower() {
  for site in "${sites[@]}"; do
    start "follow-$site" "$custody" follow "$work/ent/$site" --nats "$nats" --site "$site" \
      --key-file "$work/$site/node.pub"
  done
}
kill_follower() { for site in "${sites[@]}"; do kill9 "follow-$site"; done; }
mkdir -p "$work/ent"
for site in "${sites[@]}"; do start_site "$site"; done
start_follower
sleep 3

log "fault 1: kill -9 NATS node 2"
kill9 nats2
sleep 4
start_node 2
sleep 3

log "fault 2: kill -9 the enterprise follower"
kill_follower
sleep 3
start_follower
sleep 3

log "fault 3: kill -9 site-1 (its writer and its publisher)"
kill9 append-site-1
kill9 publish-site-1
sleep 3
start_site site-1
sleep 3

log "fault 4: together: kill -9 NATS node 3, the follower and site-2"
kill9 nats3
kill_follower
kill9 append-site-2
kill9 publish-site-2
sleep 4
start_node 3
start_site site-2
start_follower
sleep 4

log "fault 5: the whole broker stopped for ${outage} s"
for i in 1 2 3; do kill9 "nats$i"; done
sleep "$outage"
for i in 1 2 3; do start_node "$i"; done
for i in 1 2 3; do wait_port "${client_port[$i]}"; done
sleep 5

log "fault 6: site-3 cut off (its publisher stopped) while it appends"
kill9 publish-site-3
sleep 8
start "publish-site-3" "$custody" replicate "$work/site-3" --nats "$nats" --site site-3

log "fault 7: a forged batch on site-1's subject (its newest batch, one bit changed)"
forged=""
for _ in $(seq 30); do
  for i in 1 2 3; do
    forged=$(python3 "$root/tests/replication/forge_batch.py" "${client_port[$i]}" site-1 \
      2>>"$work/logs/forge.log") && break 2
  done
  sleep 1
done
[ -n "$forged" ] || fail "could not inject a forged batch"
log "forged a copy of stream message $forged"
sleep 3

# ---- let the sites finish, then everything catch up
for site in "${sites[@]}"; do
  for _ in $(seq 900); do
    [ -e "$work/$site.loaded" ] && break
    sleep 1
  done
  [ -e "$work/$site.loaded" ] || fail "$site did not finish appending"
done
for site in "${sites[@]}"; do kill9 "publish-$site"; done
kill_follower
for site in "${sites[@]}"; do
  "$custody" checkpoint "$work/$site" >/dev/null
  # --once gives up on a broker that is away (exit 2): the cluster may still be electing.
  for try in $(seq 30); do
    "$custody" replicate "$work/$site" --nats "$nats" --site "$site" --once \
      >>"$work/logs/final-publish.log" 2>&1 && break
    [ "$try" -lt 30 ] || fail "$site: the final publish failed"
    sleep 1
  done
  for try in $(seq 30); do
    set +e
    "$custody" follow "$work/ent/$site" --nats "$nats" --site "$site" \
      --key-file "$work/$site/node.pub" --once >"$work/final-follow-$site.out" 2>>"$work/logs/follow-$site.log"
    rc=$?
    set -e
    # Exit 3 is an alarm: site-1's forged batch is met again by a follower that restarts.
    [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] && break
    [ "$try" -lt 30 ] || fail "$site: the final follow exited $rc"
    sleep 1
  done
  [ "$rc" -eq 0 ] || [ "$site" = site-1 ] || fail "$site: the final follow raised an alarm"
done

# ---- the checks
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }
for site in "${sites[@]}"; do
  "$custody" verify "$work/$site" >"$work/verify-$site.json" || fail "$site does not verify"
  "$custody" verify "$work/ent/$site" >"$work/verify-copy-$site.json" || fail "the copy of $site does not verify"
  for f in '["headSeq"]' '["rootHex"]' '["projections"]["digest"]'; do
    a=$(field "$f" <"$work/verify-$site.json")
    b=$(field "$f" <"$work/verify-copy-$site.json")
    [ "$a" = "$b" ] || fail "$site: $f is $a at the site and $b in the copy"
  done
  log "$site: copy = site: head $(field '["headSeq"]' <"$work/verify-$site.json"), root $(field '["rootHex"]' <"$work/verify-$site.json" | cut -c1-16)…, projections equal"
done
# The forged batch was refused and raised; no other site raised anything.
grep -q '"alarm"' "$work/logs/follow-site-1.log" || fail "the forged batch on site-1 raised no alarm"
for site in site-2 site-3; do
  if grep -q '"alarm"' "$work/logs/follow-$site.log"; then fail "$site raised an alarm"; fi
done
log "forged batch: $(grep -m1 '"alarm"' "$work/logs/follow-site-1.log")"

# The enterprise recall over the copies equals the one over the sites' own ledgers.
cat >"$work/ent/enterprise.json" <<EOF
{"sites": [{"site": "site-1", "gln": "0614141000005"}, {"site": "site-2", "gln": "0614141000012"},
           {"site": "site-3"}]}
EOF
mkdir -p "$work/ent-sites"
sed -e "s|\"site\": \"site-\\([0-9]\\)\"|\"site\": \"site-\\1\", \"own\": true, \"dir\": \"$work/site-\\1\"|g" \
  "$work/ent/enterprise.json" >"$work/ent-sites/enterprise.json"
normalise() {
  python3 -c '
import json, sys
d = json.load(sys.stdin)
d.pop("elapsedMs")
d["summary"].pop("staleSitesReached")  # copies are stale after an alarm; the sites never
for s in d["sites"]:
    s.pop("status")
    if "recall" in s: s["recall"].pop("elapsedMs")
print(json.dumps(d, sort_keys=True))'
}
"$custody" enterprise recall "$work/ent" --site site-1 --lot R-1 | normalise >"$work/recall-copies.json"
"$custody" enterprise recall "$work/ent-sites" --site site-1 --lot R-1 | normalise >"$work/recall-sites.json"
cmp -s "$work/recall-copies.json" "$work/recall-sites.json" ||
  fail "the enterprise recall over the copies differs from the one over the sites"
edges=$(field '["summary"]["crossSiteEdges"]' <"$work/recall-copies.json")
[ "$edges" -ge 1 ] || fail "the recall crossed no site"
log "enterprise recall: the same over copies and sites, $edges cross-site edge(s)"
log "ok"
