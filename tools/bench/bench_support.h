// Helpers shared by the benchmarks: scratch directories, note commands of a given record
// size, latency percentiles.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "custody/ledger/command.h"
#include "custody/ledger/ledger.h"

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

// Milliseconds f() takes.
template <typename F>
double time_ms(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// A number from the environment (a benchmark's setting), or `fallback` when it is not set.
[[nodiscard]] inline double env_double(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v ? std::atof(v) : fallback;
}

// One producer's bound on submissions in flight: acquire() before each submit, release() in
// its callback, drain() once all are submitted. A blocked producer wakes when half the window
// has drained, so it submits in bursts the sequencer can group.
class SubmitWindow {
 public:
  explicit SubmitWindow(int limit) : limit_(limit) {}

  void acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < limit_; });
    ++in_flight_;
  }
  void release() {
    std::lock_guard lock(mu_);
    if (--in_flight_ == limit_ / 2 || in_flight_ == 0) cv_.notify_one();
  }
  void drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
  }

 private:
  const int limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
};

// CPU seconds (user + system) of this process (RUSAGE_SELF) or its waited-for children
// (RUSAGE_CHILDREN), and of both.
[[nodiscard]] double cpu_seconds(int who);
[[nodiscard]] double cpu_all();

// A new ledger with the plant domain under scratch_dir(name), open for writing.
[[nodiscard]] std::unique_ptr<ledger::Ledger> fresh_ledger(const std::string& name);

// Runs one(k, thread) for k in [0, n) from 64 threads, thread t taking k = t, t + 64, ...,
// each call waited for before the next. Returns calls/s; `latencies_ms` (if given) receives
// each call's time.
double run_64_waiting(std::uint64_t n,
                      const std::function<void(std::uint64_t k, std::size_t thread)>& one,
                      std::vector<double>* latencies_ms = nullptr);

// The CLI's path (decode_command of a JSON line, then the sequencer) from 64 threads, each
// waiting for its command before the next: `n` note.add commands with 50-byte texts, their
// command ids numbered from `first`. Returns commands/s; `latencies_ms` (if given) receives
// each command's latency.
double cli_path_64_waiting(ledger::Ledger& ledger, std::uint64_t n,
                           std::vector<double>* latencies_ms = nullptr, std::uint64_t first = 0);

// One line describing the machine, for docs/BENCHMARKS.md.
[[nodiscard]] std::string machine_description();

}  // namespace custody::bench
