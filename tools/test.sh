#!/usr/bin/env bash
# Installs what is missing, builds custody with AddressSanitizer and UndefinedBehaviorSanitizer,
# and runs every test with ctest; then, on a full run (no ctest arguments), every libFuzzer
# target on its seed corpus and a fixed number of mutations from a fixed seed
# (CUSTODY_FUZZ_RUNS each, default 30000; tools/fuzz.sh), the same inputs on every run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/setup.sh"

build="$root/build/asan"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCUSTODY_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
if [ $# -eq 0 ]; then
  "$root/tools/fuzz.sh" --runs "${CUSTODY_FUZZ_RUNS:-30000}"
fi
