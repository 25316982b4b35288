#!/usr/bin/env bash
# Replication over NATS JetStream against the site's own append, in the same run.
#
#   tools/bench/bench_replication.sh [DAYS]    # default 300 generated plant days; release build
#
# Starts nats-server (JetStream, file storage) on a free port of 127.0.0.1, builds a ledger
# of DAYS generated plant days, and times (wall clock, one run each):
#   custody append            the site's own ingest: decide, hash, chain, fsync
#   custody replicate --once  read the log, publish every batch, JetStream acknowledges each
#   custody follow --once     a follower from empty: fetch, check every record, chain,
#                             checkpoint signature and root, apply projections, fsync
# and then checks that the copy's state digest is the site's. Last, bench_replication_lag
# (beside the binaries, or $CUSTODY_BENCH_BIN): a follower's lag while the site commits
# LAG_RATE commands/s (default 2000) for LAG_SECONDS (default 20).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CUSTODY_BIN:-$root/build/release/tools}
days=${1:-300}
work=$(mktemp -d)
nats_pid=
cleanup() {
  if [ -n "$nats_pid" ]; then
    kill "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nats-server -js -a 127.0.0.1 -p "$port" -sd "$work/nats" -l "$work/nats.log" &
nats_pid=$!
url="nats://127.0.0.1:$port"
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

"$bin/custody" init "$work/site" --import-history >/dev/null
start=$(date -u -d "-$days days" +%Y-%m-%dT00:00:00Z)
"$bin/custody" gen plant --days "$days" --seed 11 --start "$start" >"$work/plant.ndjson"
sync
t0=$(now)
"$bin/custody" append "$work/site" "$work/plant.ndjson" >/dev/null
t1=$(now)
records=$("$bin/custody" state-digest "$work/site" | sed 's/.*"headSeq":\([0-9]*\).*/\1/')
echo "site: $days plant days, $records records, $(du -sh "$work/site" | cut -f1)"

t2=$(now)
"$bin/custody" replicate "$work/site" --nats "$url" --site bench --once >/dev/null
t3=$(now)
"$bin/custody" follow "$work/copy" --nats "$url" --site bench --key-file "$work/site/node.pub" \
  --once >/dev/null
t4=$(now)

site_digest=$("$bin/custody" state-digest "$work/site")
copy_digest=$("$bin/custody" state-digest "$work/copy")
[ "$site_digest" = "$copy_digest" ] || { echo "the copy differs from the site" >&2; exit 1; }

append_s=$(secs "$t0" "$t1")
publish_s=$(secs "$t2" "$t3")
follow_s=$(secs "$t3" "$t4")
printf '%-34s %8s s %10s records/s\n' "custody append (the site)" "$append_s" "$(rate "$records" "$append_s")"
printf '%-34s %8s s %10s records/s\n' "custody replicate --once" "$publish_s" "$(rate "$records" "$publish_s")"
printf '%-34s %8s s %10s records/s\n' "custody follow --once (from empty)" "$follow_s" "$(rate "$records" "$follow_s")"
awk -v a="$append_s" -v p="$publish_s" -v f="$follow_s" \
  'BEGIN { printf "ratio to the site append rate: publish %.2f, follow %.2f\n", a / p, a / f }'
echo "copy: $(du -sh "$work/copy" | cut -f1), state digest equal to the site's"

# The follower's lag under a steady load (RATE commands/s for SECONDS), same broker.
lag_bin=${CUSTODY_BENCH_BIN:-$(dirname "$bin")/tools/bench}/bench_replication_lag
if [ -x "$lag_bin" ]; then
  CUSTODY_NATS_URL="$url" CUSTODY_BENCH_DIR="$work/lag" "$lag_bin" "${LAG_RATE:-2000}" "${LAG_SECONDS:-20}"
fi
