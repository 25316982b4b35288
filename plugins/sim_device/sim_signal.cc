#include "sim_signal.h"

#include <cmath>
#include <numbers>

namespace custody::sim {
namespace {

std::seed_seq seeds(std::uint64_t seed, std::uint64_t index) {
  return std::seed_seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                       static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32)};
}

}  // namespace

SimSignal::SimSignal(const SimDevice& device, std::uint64_t seed, std::uint64_t index)
    : device_(device) {
  std::seed_seq s = seeds(seed, index);
  rng_.seed(s);
}

double SimSignal::gaussian() {
  constexpr double kUnit = 0x1.0p-53;  // 53 random bits make a double in [0, 1)
  const double u1 = static_cast<double>((rng_() >> 11) + 1) * kUnit;  // (0, 1]: log is finite
  const double u2 = static_cast<double>(rng_() >> 11) * kUnit;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double SimSignal::next() {
  const std::uint64_t n = ++made_;
  const double hours =
      static_cast<double>(n - 1) * static_cast<double>(device_.interval.count()) / 3'600'000.0;
  double v = device_.base + device_.drift_per_hour * hours + device_.noise * gaussian();
  if (device_.excursion_every > 0 && n % device_.excursion_every == 0) {
    v += device_.excursion_size;
  }
  return std::round(v * 1000.0) / 1000.0;
}

}  // namespace custody::sim
