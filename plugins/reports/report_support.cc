#include "report_support.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>

namespace custody::reports {
namespace {

const boost::json::object kEmptyObject;
const boost::json::array kEmptyArray;

}  // namespace

boost::json::value fetch_json(const Fetch& fetch, const boost::json::object& request) {
  const std::string answer = fetch(boost::json::serialize(request));
  boost::system::error_code ec;
  auto v = boost::json::parse(answer, ec);
  if (ec) throw ReportError("internal", "the host answered a view with invalid JSON");
  return v;
}

std::vector<boost::json::object> fetch_lines(const Fetch& fetch,
                                             const boost::json::object& request) {
  const std::string answer = fetch(boost::json::serialize(request));
  std::vector<boost::json::object> out;
  std::size_t at = 0;
  while (at < answer.size()) {
    std::size_t end = answer.find('\n', at);
    if (end == std::string::npos) end = answer.size();
    if (end > at) {
      boost::system::error_code ec;
      auto v = boost::json::parse(std::string_view(answer).substr(at, end - at), ec);
      if (ec || !v.is_object()) {
        throw ReportError("internal", "the host answered a log view with invalid JSON");
      }
      out.push_back(std::move(v.as_object()));
    }
    at = end + 1;
  }
  return out;
}

std::string text(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_string()) return std::string(v->as_string());
  return boost::json::serialize(*v);
}

std::string number(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_double()) return shortest(v->as_double());
  return v->is_string() ? std::string(v->as_string()) : boost::json::serialize(*v);
}

std::string shortest(double d) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

double number_value(const boost::json::object& o, std::string_view key, double fallback) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_number()) return fallback;
  return v->to_number<double>();
}

bool flag(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

const boost::json::object& object(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? v->as_object() : kEmptyObject;
}

const boost::json::array& array(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? v->as_array() : kEmptyArray;
}

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string csv(std::string_view s) {
  // Never a formula: text a spreadsheet would evaluate gets a leading apostrophe (numbers
  // such as -1.5 stay numbers).
  // A plain number: an optional sign, digits, and at most one point followed by digits
  // ("-2+3" is a formula, not a number).
  std::string_view digits = s;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
  const auto point = digits.find('.');
  auto all_digits = [](std::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  const bool number = all_digits(digits.substr(0, point)) &&
                      (point == std::string_view::npos || all_digits(digits.substr(point + 1)));
  std::string text;
  if (!s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos &&
      !number) {
    text = "'";
  }
  text += s;
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

// Seconds since the Unix epoch and the offset it was written at (minutes east), of
// "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"; nothing for other text.
std::optional<std::pair<std::int64_t, int>> instant(std::string_view t) {
  auto digits = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > t.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!digits(0, 4, y) || t.size() < 20 || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' ||
      !digits(8, 2, d) || (t[10] != 'T' && t[10] != 't') || !digits(11, 2, h) || t[13] != ':' ||
      !digits(14, 2, mi) || t[16] != ':' || !digits(17, 2, s)) {
    return std::nullopt;
  }
  std::size_t at = 19;
  if (t[at] == '.') {
    ++at;
    while (at < t.size() && t[at] >= '0' && t[at] <= '9') ++at;
  }
  int offset = 0;
  if (at < t.size() && (t[at] == 'Z' || t[at] == 'z') && at + 1 == t.size()) {
    offset = 0;
  } else if (at + 6 == t.size() && (t[at] == '+' || t[at] == '-') && t[at + 3] == ':') {
    int oh = 0, om = 0;
    if (!digits(at + 1, 2, oh) || !digits(at + 4, 2, om)) return std::nullopt;
    offset = (t[at] == '-' ? -1 : 1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{y},
                                         std::chrono::month{static_cast<unsigned>(mo)},
                                         std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  return std::pair{days * 86400 + h * 3600 + mi * 60 + s - std::int64_t{offset} * 60, offset};
}

std::string utc_offset(int minutes) {
  const int m = minutes < 0 ? -minutes : minutes;
  char buf[16];
  std::snprintf(buf, sizeof buf, "UTC%c%02d:%02d", minutes < 0 ? '-' : '+', m / 60, m % 60);
  return buf;
}

}  // namespace

std::optional<std::int64_t> unix_nanos(std::string_view t) {
  const auto at = instant(t);
  if (!at) return std::nullopt;
  std::int64_t fraction = 0, scale = 1'000'000'000;
  if (t.size() > 19 && t[19] == '.') {
    for (std::size_t i = 20; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
      if (scale > 1) {
        scale /= 10;
        fraction += (t[i] - '0') * scale;
      }
    }
  }
  return at->first * 1'000'000'000 + fraction;
}

SiteClock::SiteClock(const boost::json::object& site) : zone_(text(site, "timeZone")) {
  periods_.clear();
  for (const auto& p : array(site, "periods")) {
    if (!p.is_object()) break;
    auto from = instant(text(p.as_object(), "from"));
    if (!from) break;
    periods_.push_back(Period{from->first,
                              static_cast<int>(number_value(p.as_object(), "offsetMinutes")),
                              text(p.as_object(), "abbreviation")});
  }
  if (zone_.empty() || periods_.empty()) {
    throw ReportError("internal", "the host's site view gives no time zone");
  }
}

std::string SiteClock::when(std::string_view t) const {
  const auto at = instant(t);
  if (!at) return std::string(t);
  // The period in force: the last that began at or before the instant (the first before it).
  auto it = std::upper_bound(periods_.begin(), periods_.end(), at->first,
                             [](std::int64_t v, const Period& p) { return v < p.from; });
  const Period& p = it == periods_.begin() ? periods_.front() : *std::prev(it);
  const std::int64_t local = at->first + std::int64_t{p.minutes} * 60;
  const std::chrono::sys_days day{std::chrono::days{local / 86400 - (local % 86400 < 0 ? 1 : 0)}};
  const std::chrono::year_month_day date{day};
  const std::int64_t second = local - day.time_since_epoch().count() * 86400;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(second / 3600), static_cast<int>(second / 60 % 60),
                static_cast<int>(second % 60));
  std::string out = buf;
  const bool named = !p.abbreviation.empty() &&
                     std::all_of(p.abbreviation.begin(), p.abbreviation.end(), [](char c) {
                       return std::isalpha(static_cast<unsigned char>(c)) != 0;
                     });
  if (named && p.abbreviation == "UTC" && p.minutes == 0) {
    out += " UTC";
  } else if (named) {
    out += " " + p.abbreviation + " (" + utc_offset(p.minutes) + ")";
  } else {
    out += " " + utc_offset(p.minutes);
  }
  if (at->second != 0 && at->second != p.minutes) {
    out += " (entered at " + utc_offset(at->second) + ")";
  }
  return out;
}

}  // namespace custody::reports
