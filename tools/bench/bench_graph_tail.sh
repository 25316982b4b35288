#!/usr/bin/env bash
# The genealogy graph after writes made without its host (issue 16): the saved graph plus the
# records written after it (its tail), against the whole graph built from the genealogy
# family, which is what any write after the save cost before, in the same run.
#
#   tools/bench/bench_graph_tail.sh [TAILS]    # default "1000 10000 100000"; release build
#
# Uses the genealogy benchmark's 2M-lot ledger (bench_genealogy builds it, in
# $CUSTODY_BENCH_DIR/genealogy-1, default /tmp/custody-bench). Copies it, lets a host save its
# graph, then appends each tail with `custody append` (a lot.split of a raw lot: one record
# and one edge each; the tails add up) and opens the ledger with its graph in a fresh process
# (bench_genealogy --saved): twice from the saved graph and its tail, then once with the
# saved graph moved away (from the family). Each prints its open + load seconds, its RSS
# growth and the lots its 200 forward traces reach, which must agree.
set -euo pipefail
tails=${1:-1000 10000 100000}
. "$(dirname "$0")/genealogy_copy.sh"
open_graph() { "$bin/tools/bench/bench_genealogy" --saved "$work/l"; }
ls -l "$work/l/genealogy.graph" | awk '{ print "saved graph: " $5 " bytes" }'
read -r s r n _ < <(open_graph)
echo "tail 0: saved graph ${s} s, ${r} MB, ${n} lots reached"
done_n=0
for t in $tails; do
  python3 - "$done_n" "$t" >"$work/tail.ndjson" <<'EOF'
import json, sys
start, end = int(sys.argv[1]), int(sys.argv[2])
for n in range(start, end):
    print(json.dumps({"type": "lot.split", "commandId": f"tail-{n}", "actor": "user:bench",
                      "data": {"lot": f"L{n % 20000}", "into": [{"lot": f"T-{n}", "qty": 1}]}}))
EOF
  "$bin/tools/custody" append "$work/l" "$work/tail.ndjson" >/dev/null
  done_n=$t
  read -r s1 r1 n1 _ < <(open_graph)
  read -r s2 r2 n2 _ < <(open_graph)
  mv "$work/l/genealogy.graph" "$work/saved.graph"
  read -r f rf nf _ < <(open_graph)
  mv "$work/saved.graph" "$work/l/genealogy.graph"
  awk -v t="$t" -v s1="$s1" -v s2="$s2" -v f="$f" -v r1="$r1" -v rf="$rf" -v n1="$n1" -v n2="$n2" -v nf="$nf" 'BEGIN {
    printf "tail %d: saved graph + tail %.2f / %.2f s (%d MB), family %.2f s (%d MB), ratio %.3f; lots reached %d / %d / %d\n",
      t, s1, s2, r1, f, rf, (s1 + s2) / 2 / f, n1, n2, nf }'
  [ "$n1" = "$nf" ] && [ "$n2" = "$nf" ] || { echo "the answers differ" >&2; exit 1; }
done
