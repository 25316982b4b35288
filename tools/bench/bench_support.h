// Helpers shared by the benchmarks: scratch directories, note commands of a given record
// size, latency percentiles.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "custody/ledger/command.h"

namespace custody::bench {

// A fresh directory under $CUSTODY_BENCH_DIR (default /tmp/custody-bench)/<name>.
[[nodiscard]] std::filesystem::path scratch_dir(const std::string& name);

// A note.add command whose record comes out at about `record_bytes` bytes.
[[nodiscard]] ledger::Command note_command(std::uint64_t n, std::size_t record_bytes);

// Percentile (0..100) of a sample, by nearest rank; sorts the sample.
[[nodiscard]] double percentile(std::vector<double>& sample, double p);

[[nodiscard]] inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One line describing the machine, for docs/BENCHMARKS.md.
[[nodiscard]] std::string machine_description();

}  // namespace custody::bench
