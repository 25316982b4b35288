// Progress of long CLI work, for the person at the terminal: records done, the rate, and an
// ETA when the total is known, redrawn in place on stderr a few times a second.
//
// Quiet unless stderr is a terminal, and always with --quiet: stdout stays pure JSON or
// NDJSON, and scripts see nothing extra. Thread-safe: update() may be called from any thread
// (it only stores a number); one background thread draws.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace custody::cli {

// Set by the global --quiet flag.
void set_quiet(bool quiet);

class Progress {
 public:
  // `what` names the unit ("records", "commands"); `total` 0 when unknown.
  Progress(std::string label, std::string what, std::uint64_t total = 0);
  ~Progress();  // clears the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::uint64_t done) { done_.store(done, std::memory_order_relaxed); }
  void add(std::uint64_t n) { done_.fetch_add(n, std::memory_order_relaxed); }
  void set_total(std::uint64_t total) { total_.store(total, std::memory_order_relaxed); }
  [[nodiscard]] bool shown() const { return thread_.joinable(); }

 private:
  enum class Line { kRedraw, kLast };
  void draw(Line line);
  void loop();

  const std::string label_;
  const std::string what_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> total_{0};
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::milliseconds first_{500};
  std::chrono::milliseconds every_{250};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

}  // namespace custody::cli
