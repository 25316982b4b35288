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
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimeNs now() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeNs start) : now_(start) {}
  [[nodiscard]] TimeNs now() const override { return now_.load(std::memory_order_acquire); }
  void set(TimeNs t) { now_.store(t, std::memory_order_release); }
  void advance(TimeNs d) { now_.fetch_add(d, std::memory_order_acq_rel); }

 private:
  std::atomic<TimeNs> now_;
};

}  // namespace custody
