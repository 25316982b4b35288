// Time sources. The ledger never reads the system clock directly: it is given a Clock, so
// tests inject a ManualClock and stay deterministic (escalations, recordedAt, KPIs).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace custody {

// Nanoseconds since the Unix epoch, UTC.
using TimeNs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread-safe.
  [[nodiscard]] virtual TimeNs now() const = 0;
  // A clock that only moves forward at the rate time passes, whatever is done to the wall
  // clock: the ledger compares the two to notice the wall clock being stepped.
  [[nodiscard]] virtual TimeNs monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimeNs now() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  [[nodiscard]] TimeNs monotonic() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to. Thread-safe. set() and advance() are time passing
// (both clocks move); step() is someone changing the wall clock (only it moves).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeNs start) : now_(start) {}
  [[nodiscard]] TimeNs now() const override { return now_.load(std::memory_order_acquire); }
  [[nodiscard]] TimeNs monotonic() const override { return mono_.load(std::memory_order_acquire); }
  void set(TimeNs t) { advance(t - now()); }
  void advance(TimeNs d) {
    mono_.fetch_add(d < 0 ? 0 : d, std::memory_order_acq_rel);
    now_.fetch_add(d, std::memory_order_acq_rel);
  }
  void step(TimeNs d) { now_.fetch_add(d, std::memory_order_acq_rel); }

 private:
  std::atomic<TimeNs> now_;
  std::atomic<TimeNs> mono_{0};
};

}  // namespace custody
