# Sourced by the genealogy graph scripts (bench_graph_tail.sh, bench_graph_crash.sh): the
# release build, and a copy of the genealogy benchmark's 2M-lot ledger in $work/l whose host
# has saved its graph at the head. bench_genealogy builds the ledger, in
# $CUSTODY_BENCH_DIR/genealogy-1 (default /tmp/custody-bench); $work goes at exit.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${CUSTODY_BIN:-$root/build/release}
base=${CUSTODY_BENCH_DIR:-/tmp/custody-bench}
src=$base/genealogy-1
[ -d "$src" ] || { echo "no $src: run build/release/tools/bench/bench_genealogy first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$src" "$work/l"
rm -f "$work/l/genealogy.graph"
# A host (read-write, with the graph) opens and closes: the graph is saved at the head.
"$bin/tools/bench/bench_genealogy" --host "$work/l"
