#include "mqtt_payload.h"

#include <boost/json/parse.hpp>
#include <charconv>
#include <cmath>

namespace custody::mqtt {
namespace {

namespace json = boost::json;

std::string_view trimmed(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// A plain decimal number ("12.5", "-3", "1e3"), finite; nullopt otherwise.
std::optional<double> plain_number(std::string_view text) {
  text = trimmed(text);
  if (text.empty()) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
      !digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] ||
      (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t i = 19;
  std::int64_t fraction_ns = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::int64_t scale = 100'000'000;
    const std::size_t first = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      fraction_ns += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == first) return std::nullopt;
  }
  if (i >= s.size()) return std::nullopt;
  int offset_minutes = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    int oh = 0, om = 0;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digits(s, i + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const std::int64_t seconds =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + std::min(second, 59) - offset_minutes * 60;
  // 64-bit nanoseconds hold 1970-01-01 to 2262-04-11.
  if (seconds < 0 || seconds > 9'223'372'035) return std::nullopt;
  return seconds * 1'000'000'000 + fraction_ns;
}

std::string excerpt(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < 60; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  }
  if (bytes.size() > 60) out += "...";
  return out;
}

const json::value* Payload::document(std::string& why) {
  if (!parsed_) {
    parsed_ = true;
    boost::system::error_code ec;
    json_ = json::parse(bytes_, ec);
    if (ec) parse_error_ = "not JSON (" + ec.message() + ")";
  }
  if (!parse_error_.empty()) {
    why = parse_error_;
    return nullptr;
  }
  return &json_;
}

std::expected<Sample, std::string> Payload::sample(const TopicMap& map) {
  Sample s;
  if (map.path.empty()) {
    auto v = plain_number(bytes_);
    if (!v) return std::unexpected(std::string("not a plain number"));
    s.raw = *v;
  } else {
    std::string why;
    const json::value* doc = document(why);
    if (doc == nullptr) return std::unexpected(why);
    std::error_code ec;
    const json::value* v = doc->find_pointer(map.path, ec);
    if (v == nullptr) return std::unexpected("nothing at " + map.path);
    if (!v->is_number() || !std::isfinite(v->to_number<double>())) {
      return std::unexpected(map.path + " is not a finite number");
    }
    s.raw = v->to_number<double>();
  }
  if (!map.time_path.empty()) {
    std::string why;
    const json::value* doc = document(why);
    if (doc == nullptr) return std::unexpected(why);
    std::error_code ec;
    const json::value* t = doc->find_pointer(map.time_path, ec);
    if (t == nullptr) return std::unexpected("nothing at " + map.time_path);
    if (const json::string* text = t->if_string()) {
      s.at = parse_rfc3339(std::string_view(text->data(), text->size()));
      if (!s.at) return std::unexpected(map.time_path + " is not an RFC 3339 time");
    } else if (t->is_int64() || t->is_uint64()) {
      boost::system::error_code nec;
      const auto ms = t->to_number<std::int64_t>(nec);
      if (nec || ms < 0 || ms > 9'223'372'036'853) {
        return std::unexpected(map.time_path + " is not a time after 1970 (Unix milliseconds)");
      }
      s.at = ms * 1'000'000;
    } else {
      return std::unexpected(map.time_path +
                             " is neither an RFC 3339 time nor a number of Unix milliseconds");
    }
  }
  return s;
}

}  // namespace custody::mqtt
