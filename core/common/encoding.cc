#include "custody/common/encoding.h"

#include <sodium.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>

#include "custody/common/percent.h"

namespace custody {

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string to_base64(std::span<const std::uint8_t> bytes) {
  const std::size_t len = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), len, bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(len - 1);  // drop the terminating NUL
  return out;
}

std::optional<std::string> from_base64(std::string_view b64) {
  std::string out(b64.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                        b64.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      const auto cp = static_cast<unsigned char>(s[++i]);  // C1 control, U+0080..U+009F
      out += "\\u00";
      out.push_back(kHex[cp >> 4]);
      out.push_back(kHex[cp & 15]);
    } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               static_cast<unsigned char>(s[i + 2]) >= 0xaa &&
               static_cast<unsigned char>(s[i + 2]) <= 0xae) {
      out += "\\u202";  // U+202A..U+202E: embeddings and overrides
      out.push_back(kHex[(static_cast<unsigned char>(s[i + 2]) - 0xa0) & 15]);
      i += 2;
    } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x81 &&
               static_cast<unsigned char>(s[i + 2]) >= 0xa6 &&
               static_cast<unsigned char>(s[i + 2]) <= 0xa9) {
      out += "\\u206";  // U+2066..U+2069: isolates
      out.push_back(kHex[(static_cast<unsigned char>(s[i + 2]) - 0xa0) & 15]);
      i += 2;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string format_rfc3339(TimeNs t, int offset_minutes) {
  if (offset_minutes == 0) return format_rfc3339(t);
  std::string out = format_rfc3339(t + offset_minutes * 60LL * 1'000'000'000LL);
  out.pop_back();  // the 'Z'
  const int m = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', (m / 60) % 100,
                m % 60);
  return out + buf;
}

int rfc3339_offset_minutes(std::string_view s) {
  if (s.size() < 6) return 0;
  const std::string_view tail = s.substr(s.size() - 6);
  if ((tail[0] != '+' && tail[0] != '-') || tail[3] != ':') return 0;
  auto digit = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : -1;
  };
  const int h1 = digit(tail[1]), h2 = digit(tail[2]), m1 = digit(tail[4]), m2 = digit(tail[5]);
  if (h1 < 0 || h2 < 0 || m1 < 0 || m2 < 0) return 0;
  const int minutes = (h1 * 10 + h2) * 60 + m1 * 10 + m2;
  return tail[0] == '-' ? -minutes : minutes;
}

std::string format_rfc3339(TimeNs t) {
  using namespace std::chrono;
  const sys_time<nanoseconds> tp{nanoseconds{t}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<nanoseconds>(tp - day)};
  const long long frac = hms.subseconds().count();
  char buf[64];
  int n = std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
      static_cast<long long>(hms.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09lld", frac);
    std::string fs(f);
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  out += 'Z';
  return out;
}

namespace {

bool parse_int(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return std::from_chars(s.data() + pos, s.data() + pos + len, out).ec == std::errc{};
}

}  // namespace

namespace {
std::unexpected<Error> not_a_time() {
  return fail(ErrorCode::kInvalidArgument, "is not an RFC 3339 timestamp (2026-11-21T08:00:00Z)");
}
std::unexpected<Error> out_of_range_time() {
  return fail(ErrorCode::kOutOfRange,
              "is outside the times custody records: after 1970-01-01T00:00:00Z, up to " +
                  std::string(kMaxTimeText));
}
// Whole seconds since the epoch and the nanoseconds after them, as TimeNs, when it fits.
Result<TimeNs> checked_time(long long secs, long long frac_ns) {
  constexpr long long kMaxSecs = std::numeric_limits<TimeNs>::max() / 1'000'000'000LL;
  constexpr long long kMaxFrac = std::numeric_limits<TimeNs>::max() % 1'000'000'000LL;
  if (secs < 0 || (secs == 0 && frac_ns == 0) || secs > kMaxSecs ||
      (secs == kMaxSecs && frac_ns > kMaxFrac)) {
    return out_of_range_time();
  }
  return secs * 1'000'000'000LL + frac_ns;
}
}  // namespace

Result<TimeNs> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 || !parse_int(s, 0, 4, y) || s[4] != '-' || !parse_int(s, 5, 2, mo) ||
      s[7] != '-' || !parse_int(s, 8, 2, d)) {
    return not_a_time();
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return not_a_time();
  const auto midnight = sys_days{ymd}.time_since_epoch();
  if (s.size() == 10) return checked_time(duration_cast<seconds>(midnight).count(), 0);

  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !parse_int(s, 11, 2, h) ||
      s[13] != ':' || !parse_int(s, 14, 2, mi) || s[16] != ':' || !parse_int(s, 17, 2, sec) ||
      h > 23 || mi > 59 || sec > 60) {
    return not_a_time();
  }
  std::size_t pos = 19;
  long long frac_ns = 0;
  if (s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    long long scale = 100000000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 9) {
        frac_ns += (s[pos] - '0') * scale;
        scale /= 10;
      }
      ++pos;
    }
    if (pos == start) return not_a_time();
  }
  long long offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
    offset_s = 0;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (!parse_int(s, pos + 1, 2, oh) || !parse_int(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return not_a_time();
    }
    offset_s = (oh * 3600LL + om * 60LL) * (s[pos] == '+' ? 1 : -1);
  } else {
    return not_a_time();
  }
  const long long secs =
      duration_cast<seconds>(midnight).count() + h * 3600LL + mi * 60LL + sec - offset_s;
  return checked_time(secs, frac_ns);
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace custody
