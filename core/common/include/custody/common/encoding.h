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
#include "custody/common/error.h"

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

// Text made safe to print to a terminal or log: control characters (C0, DEL, C1) and
// Unicode bidirectional controls are written as escapes ("\n", "\x1b", "\u202e"), so a
// value cannot move the cursor, ring the bell, forge a line or reverse what follows.
[[nodiscard]] std::string printable(std::string_view text);

// "2026-11-21T08:00:00Z", with ".123456789" fractional digits when not a whole second.
[[nodiscard]] std::string format_rfc3339(TimeNs t);
// The same instant as the wall time at `offset_minutes` east of UTC, with that offset:
// "2026-11-21T09:00:00+01:00" ("Z" when 0).
[[nodiscard]] std::string format_rfc3339(TimeNs t, int offset_minutes);
// The offset east of UTC, in minutes, that a text parse_rfc3339() accepts was written in
// ("+05:30" -> 330; "Z", "-00:00" and a bare date -> 0).
[[nodiscard]] int rfc3339_offset_minutes(std::string_view text);
// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" and a bare date "YYYY-MM-DD"
// (midnight UTC). kInvalidArgument for anything else; kOutOfRange for a time custody
// cannot record: it keeps nanoseconds since the Unix epoch in 64 bits, with 0 meaning "not
// given", so a time must be after 1970-01-01T00:00:00Z and at most kMaxTimeText. The
// error's field is empty: callers name it.
inline constexpr std::string_view kMaxTimeText = "2262-04-11T23:47:16Z";
[[nodiscard]] Result<TimeNs> parse_rfc3339(std::string_view text);

}  // namespace custody
