#!/usr/bin/env bash
# A host that dies (issue 16): how long its next start takes to have the genealogy graph
# again, with the graph saved beside the sequencer every N records against saved only at a
# clean close, and what the saves cost the appends, in the same run.
#
#   tools/bench/bench_graph_crash.sh [RECORDS] [EVERY]   # default 300000 100000; release build
#
# Uses the genealogy benchmark's 2M-lot ledger (bench_genealogy builds it, in
# $CUSTODY_BENCH_DIR/genealogy-1, default /tmp/custody-bench). A host opens and closes a copy,
# which saves its graph at the head. Then, for each setting (saves every EVERY records, and 0:
# only at a close), a fresh copy of that is opened by a host (bench_genealogy --crash) that
# appends RECORDS lot splits (one record and one edge each) and ends without closing, as
# kill -9 would. A fresh process then opens the ledger with its graph (bench_genealogy
# --saved): the saved graph and the records after it.
set -euo pipefail
records=${1:-300000}
every=${2:-100000}
. "$(dirname "$0")/genealogy_copy.sh"
first=1000000  # lot names the tail script does not use
for e in "$every" 0; do
  rm -rf "$work/c"
  cp -a "$work/l" "$work/c"
  sync
  read -r rate head saved failed _ < <("$bin/tools/bench/bench_genealogy" --crash "$work/c" \
    "$first" "$records" "$e")
  read -r s r n _ < <("$bin/tools/bench/bench_genealogy" --saved "$work/c")
  echo "saves every $e records: appends $rate records/s; head $head, graph file at $saved" \
    "(tail $((head - saved)) records, $failed failed saves); next start: graph in $s s," \
    "$r MB, $n lots reached"
done
