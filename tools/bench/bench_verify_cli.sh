#!/usr/bin/env bash
# `custody verify` end to end (the command a user runs, process start to exit) on ledgers of N
# records, against the hash-and-scan limit in the same run, with each run's peak memory.
#
#   tools/bench/bench_verify_cli.sh [N ...]    # default 1000000; release build; /usr/bin/time
#
# For each N: a ledger of N note.add records (a 280-byte text each) made with `custody
# append`; one untimed `custody verify --log-only` warms the page cache; then, alternating,
# CUSTODY_BENCH_RUNS runs (default 3; the median is reported, every run listed) of
#   custody verify --log-only   the log: canonical form, digests, links, tree, checkpoints
#   custody verify              the same, then the projection replay and the signatures
#   BM_HashAndScan              the limit: read every record of the log and hash it into its
#                               leaf, on as many threads, and nothing else (bench_verify)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CUSTODY_BIN:-$root/build/release/tools}
[ $# -gt 0 ] || set -- 1000000
work=$(mktemp -d /tmp/custody-verify-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# Wall seconds and peak resident memory (KiB) of a command, its output discarded.
measure() { /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null && cat "$work/time"; }

text=$(head -c 280 /dev/zero | tr '\0' 'x')
for n in "$@"; do
  l="$work/ledger-$n"
  "$bin/custody" init "$l" --import-history >/dev/null
  awk -v n="$n" -v t="$text" 'BEGIN {
    for (i = 1; i <= n; i++)
      printf "{\"type\":\"note.add\",\"commandId\":\"n-%d\",\"actor\":\"user:bench\",\"data\":{\"subject\":\"s-%d\",\"text\":\"%s\"}}\n", i, i % 100, t
  }' >"$work/notes.ndjson"
  "$bin/custody" append "$l" "$work/notes.ndjson" >/dev/null
  rm "$work/notes.ndjson"
  "$bin/custody" checkpoint "$l" >/dev/null
  echo "ledger: $n records, $(du -sh "$l" | cut -f1)"
  "$bin/custody" verify "$l" --log-only >/dev/null

  logs=() fulls=() log_kb=0 full_kb=0
  for _ in $(seq "${CUSTODY_BENCH_RUNS:-3}"); do
    read -r s kb < <(measure "$bin/custody" verify "$l" --log-only)
    logs+=("$s"); [ "$kb" -gt "$log_kb" ] && log_kb=$kb
    read -r s kb < <(measure "$bin/custody" verify "$l")
    fulls+=("$s"); [ "$kb" -gt "$full_kb" ] && full_kb=$kb
  done
  log_s=$(median "${logs[@]}") full_s=$(median "${fulls[@]}")
  limit=$(CUSTODY_BENCH_VERIFY_LEDGER="$l" "$bin/bench/bench_verify" \
            --benchmark_filter=HashAndScan --benchmark_format=json 2>/dev/null |
          grep -o '"records_per_s": [0-9.e+]*' | tail -1 | awk '{ printf "%d", $2 }')
  echo "  hash-and-scan limit:       $limit records/s"
  echo "  custody verify --log-only: ${log_s} s, $(calc %d "$n / $log_s") records/s" \
       "($(calc %.2f "$n / $log_s / $limit") of the limit), peak $(calc %d "$log_kb / 1024") MiB;" \
       "runs: ${logs[*]} s"
  echo "  custody verify:            ${full_s} s, $(calc %d "$n / $full_s") records/s" \
       "($(calc %.2f "$n / $full_s / $limit") of the limit), peak $(calc %d "$full_kb / 1024") MiB;" \
       "runs: ${fulls[*]} s"
  rm -rf "$l"
done
