// Byte encodings shared by the storage layout, the record format and the CLI:
// big-endian integers (RocksDB keys sort numerically), hex and base64 (standard alphabet,
// padded, as C2SP signed notes use), and RFC 3339 timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "custody/common/clock.h"

namespace custody {

inline void put_be64(std::uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
[[nodiscard]] inline std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  put_be64(v, s.data());
  return s;
}
// Reads 8 bytes; the caller guarantees the length.
[[nodiscard]] inline std::uint64_t get_be64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::optional<std::string> from_hex(std::string_view hex);

[[nodiscard]] std::string to_base64(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::optional<std::string> from_base64(std::string_view b64);

[[nodiscard]] inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// "2026-11-21T08:00:00Z", with ".123456789" fractional digits when not a whole second.
[[nodiscard]] std::string format_rfc3339(TimeNs t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" and a bare date "YYYY-MM-DD"
// (midnight UTC). Returns nullopt for anything else.
[[nodiscard]] std::optional<TimeNs> parse_rfc3339(std::string_view text);

}  // namespace custody
