// The readings one simulated device makes: a deterministic sequence for a seed.
//
//   reading(n) = base + driftPerHour * hours(n) + noise * z(n)          (n = 1, 2, ...)
//              + excursionSize                   when excursionEvery > 0 and n is a multiple
//   hours(n)   = (n - 1) * intervalMs / 3 600 000  the reading's nominal time since the start
//   z(n)       = a standard normal variate from Box-Muller over std::mt19937_64, seeded
//                with std::seed_seq{seed (2 words), device index (2 words)}
//
// rounded to 3 decimals. Both generators are fixed by the C++ standard and the transform is
// written out here (std::normal_distribution is not portable), so a seed means the same values
// wherever custody runs, up to the last bit of libm's log and cos; and nominal time makes them
// independent of how fast or late the readings are actually sent. Every reading draws its
// variate, excursion or not, so the noise does not depend on the other settings.
//
// Not thread-safe; the plugin uses it from the plugin's thread.
#pragma once

#include <cstdint>
#include <random>

#include "sim_config.h"

namespace custody::sim {

class SimSignal {
 public:
  // `index`: the device's position in the configuration, so two devices of one seed differ.
  SimSignal(const SimDevice& device, std::uint64_t seed, std::uint64_t index);

  // The next reading, and its number (1 for the first).
  [[nodiscard]] double next();
  [[nodiscard]] std::uint64_t made() const { return made_; }

 private:
  [[nodiscard]] double gaussian();

  SimDevice device_;
  std::mt19937_64 rng_;
  std::uint64_t made_ = 0;
};

}  // namespace custody::sim
