// Internal to tools/gen: units of time and quantity, the seeded random source and the small
// text helpers of the demo plant's simulation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "custody/common/clock.h"

namespace custody::gen::plant {

constexpr TimeNs kSecond = 1'000'000'000LL;
constexpr TimeNs kMinute = 60 * kSecond;
constexpr TimeNs kHour = 60 * kMinute;
constexpr TimeNs kDay = 24 * kHour;
// Quantities are thousandths, as the ledger stores them: 1 kg = 1000, 1 case = 1000.
constexpr std::int64_t kUnit = 1000;
constexpr std::size_t kFlushBytes = 1 << 20;

constexpr TimeNs minutes(std::int64_t m) {
  return m * kMinute;
}

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// ---------------------------------------------------------------- randomness

// xoshiro256** seeded through splitmix64; integer results only, so the stream is the same
// everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& s : s_) s = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [lo, hi] (unbiased: rejects the top partial range).
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    const std::uint64_t range = static_cast<std::uint64_t>(hi - lo) + 1;
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = max - max % range;
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return lo + static_cast<std::int64_t>(x % range);
  }

  // True with probability per_mille / 1000.
  bool chance(int per_mille) { return between(0, 999) < per_mille; }

  std::size_t index(std::size_t n) {
    return static_cast<std::size_t>(between(0, static_cast<std::int64_t>(n) - 1));
  }

  TimeNs minutes_between(std::int64_t lo, std::int64_t hi) { return minutes(between(lo, hi)); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::array<std::uint64_t, 4> s_{};
};

// ---------------------------------------------------------------- helpers

// GS1 check digit (GTIN, GLN): weights 3,1,3,... from the right.
inline std::string with_check_digit(std::string_view digits) {
  int sum = 0;
  int weight = 3;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    sum += (*it - '0') * weight;
    weight = 4 - weight;
  }
  std::string out(digits);
  out.push_back(static_cast<char>('0' + (10 - sum % 10) % 10));
  return out;
}

inline std::string pad(std::int64_t n, std::size_t width) {
  std::string s = std::to_string(n);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  return s;
}

// "12.5" from tenths.
inline std::string tenths(std::int64_t v) {
  return codec::format_decimal(v, 1);
}

// Rounds thousandths up to a multiple of `step`.
inline std::int64_t round_up(std::int64_t v, std::int64_t step) {
  return (v + step - 1) / step * step;
}

}  // namespace custody::gen::plant
