#include "custody/common/time_zone.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>

#include "custody/common/files.h"

namespace custody {
namespace {

namespace chr = std::chrono;
constexpr std::int64_t kDay = 86400;

std::unexpected<Error> bad(std::string message) {
  return fail(ErrorCode::kInvalidArgument, std::move(message));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - (a % b < 0 ? 1 : 0);
}

// The UTC calendar year of an instant, held to years the calendar types take.
int year_of(std::int64_t unix_seconds) {
  constexpr std::int64_t kLimit = 9000LL * 366 * kDay;
  const std::int64_t s = std::clamp(unix_seconds, -kLimit, kLimit);
  const chr::sys_days day{chr::days{floor_div(s, kDay)}};
  return static_cast<int>(chr::year_month_day{day}.year());
}

std::int64_t day_number(int year, unsigned month, unsigned day) {
  return chr::sys_days{chr::year{year} / chr::month{month} / chr::day{day}}
      .time_since_epoch()
      .count();
}

// The local time (seconds since the epoch, as if local were UTC) at which `d` falls in `year`.
std::int64_t local_change(const TimeZone::Rule::Date& d, int year) {
  std::int64_t day = 0;
  if (d.kind == 'J') {
    const bool leap = chr::year{year}.is_leap();
    day = day_number(year, 1, 1) + d.day - 1 + (leap && d.day >= 60 ? 1 : 0);
  } else if (d.kind == 'D') {
    day = day_number(year, 1, 1) + d.day;
  } else {
    const auto month = chr::month{static_cast<unsigned>(d.month)};
    const chr::sys_days first{chr::year{year} / month / 1};
    const int first_weekday = static_cast<int>(chr::weekday{first}.c_encoding());
    int dom = 1 + (d.weekday - first_weekday + 7) % 7 + 7 * (d.week - 1);
    const int last = static_cast<int>(
        static_cast<unsigned>(chr::year_month_day_last{chr::year{year} / month / chr::last}.day()));
    while (dom > last) dom -= 7;
    day = first.time_since_epoch().count() + dom - 1;
  }
  return day * kDay + d.seconds;
}

// A cursor over a POSIX TZ string.
struct RuleText {
  std::string_view s;
  std::size_t at = 0;
  [[nodiscard]] bool done() const { return at >= s.size(); }
  [[nodiscard]] char peek() const { return done() ? '\0' : s[at]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++at;
    return true;
  }
  // Digits as a number of at most `max_digits`; -1 when there are none.
  int number(int max_digits) {
    int n = 0;
    int digits = 0;
    while (digits < max_digits && std::isdigit(static_cast<unsigned char>(peek())) != 0) {
      n = n * 10 + (s[at++] - '0');
      ++digits;
    }
    return digits == 0 ? -1 : n;
  }
  // "CET", or "<+08>" / "<-03>": the abbreviation.
  bool name(std::string& out) {
    const std::size_t begin = at;
    if (eat('<')) {
      while (!done() && peek() != '>') {
        const char c = s[at++];
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '-') return false;
      }
      if (!eat('>')) return false;
      out = std::string(s.substr(begin + 1, at - begin - 2));
    } else {
      while (std::isalpha(static_cast<unsigned char>(peek())) != 0) ++at;
      out = std::string(s.substr(begin, at - begin));
    }
    return out.size() >= 3 && out.size() <= 16;
  }
  // [+-]hh[:mm[:ss]] in seconds, hours at most `max_hours`; false when malformed.
  bool clock(int max_hours, int& seconds) {
    const bool negative = eat('-');
    if (!negative) eat('+');
    const int h = number(3);
    if (h < 0 || h > max_hours) return false;
    int m = 0;
    int sec = 0;
    if (eat(':')) {
      m = number(2);
      if (m < 0 || m > 59) return false;
      if (eat(':')) {
        sec = number(2);
        if (sec < 0 || sec > 59) return false;
      }
    }
    seconds = (negative ? -1 : 1) * (h * 3600 + m * 60 + sec);
    return true;
  }
  bool date(TimeZone::Rule::Date& d) {
    if (eat('J')) {
      d.kind = 'J';
      d.day = number(3);
      if (d.day < 1 || d.day > 365) return false;
    } else if (eat('M')) {
      d.kind = 'M';
      d.month = number(2);
      if (d.month < 1 || d.month > 12 || !eat('.')) return false;
      d.week = number(1);
      if (d.week < 1 || d.week > 5 || !eat('.')) return false;
      d.weekday = number(1);
      if (d.weekday < 0 || d.weekday > 6) return false;
    } else {
      d.kind = 'D';
      d.day = number(3);
      if (d.day < 0 || d.day > 365) return false;
    }
    d.seconds = 7200;
    // RFC 8536 section 3.3.1: the time of day may be negative or up to 167 hours.
    return !eat('/') || clock(167, d.seconds);
  }
};

ZoneOffset offset_of(std::string name, int posix_seconds, bool dst) {
  // POSIX counts hours west of UTC; custody, like RFC 3339, minutes east.
  return ZoneOffset{-posix_seconds / 60, std::move(name), dst};
}

// A cursor over the bytes of a TZif file.
struct Bytes {
  std::string_view s;
  std::size_t at = 0;
  bool take(std::size_t n, std::string_view& out) {
    if (n > s.size() - at) return false;
    out = s.substr(at, n);
    at += n;
    return true;
  }
};

std::int64_t be(std::string_view b) {
  std::uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  // Sign-extend from the field's width.
  const int bits = static_cast<int>(b.size()) * 8;
  if (bits < 64 && (v >> (bits - 1)) != 0) v |= ~std::uint64_t{0} << bits;
  return static_cast<std::int64_t>(v);
}

struct Counts {
  std::uint32_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

bool header(Bytes& in, char& version, Counts& c) {
  std::string_view h;
  if (!in.take(44, h) || !h.starts_with("TZif")) return false;
  version = h[4];
  auto count = [&](int i) {
    return static_cast<std::uint32_t>(be(h.substr(20 + 4 * i, 4)) & 0xffffffff);
  };
  c = {count(0), count(1), count(2), count(3), count(4), count(5)};
  return version == '\0' || version == '2' || version == '3' || version == '4';
}

}  // namespace

std::pair<std::int64_t, std::int64_t> TimeZone::Rule::changes(int year) const {
  return {local_change(start, year) - std::int64_t{standard.minutes} * 60,
          local_change(end, year) - std::int64_t{daylight.minutes} * 60};
}

ZoneOffset TimeZone::Rule::at(std::int64_t unix_seconds) const {
  if (!has_daylight) return standard;
  const auto [begins, ends] = changes(year_of(unix_seconds));
  const bool dst = begins < ends ? (begins <= unix_seconds && unix_seconds < ends)
                                 : !(ends <= unix_seconds && unix_seconds < begins);
  return dst ? daylight : standard;
}

Result<TimeZone::Rule> TimeZone::parse_rule(std::string_view text) {
  Rule rule;
  RuleText t{text};
  std::string name;
  int seconds = 0;
  const auto malformed = [&] {
    return bad("'" + std::string(text) + "' is not a POSIX TZ rule");
  };
  if (!t.name(name) || !t.clock(24, seconds)) return malformed();
  rule.standard = offset_of(name, seconds, false);
  if (!t.done()) {
    if (!t.name(name)) return malformed();
    int dst_seconds = seconds - 3600;
    if (t.peek() != ',' && !t.done() && !t.clock(24, dst_seconds)) return malformed();
    rule.daylight = offset_of(name, dst_seconds, true);
    rule.has_daylight = true;
    // Without dates POSIX leaves the rule to the implementation; the US rule is the usual one.
    rule.start = {'M', 0, 3, 2, 0, 7200};
    rule.end = {'M', 0, 11, 1, 0, 7200};
    if (t.eat(',')) {
      if (!t.date(rule.start) || !t.eat(',') || !t.date(rule.end)) return malformed();
    }
  }
  if (!t.done()) return malformed();
  return rule;
}

TimeZone::TimeZone() {
  types_.push_back(ZoneOffset{});
}

Result<TimeZone> TimeZone::parse(std::string_view name, std::string_view tzif) {
  const auto malformed = [&](std::string_view why) {
    return bad("the zone file of " + std::string(name) +
               " is not a TZif file: " + std::string(why));
  };
  Bytes in{tzif};
  char version = 0;
  Counts c;
  if (!header(in, version, c)) return malformed("no TZif header");
  std::size_t time_size = 4;
  if (version != '\0') {
    // Skip the 32-bit block: version 2 and later repeat everything with 64-bit times.
    const std::uint64_t v1 = std::uint64_t{c.time} * 5 + std::uint64_t{c.type} * 6 + c.chars +
                             std::uint64_t{c.leap} * 8 + c.isstd + c.isut;
    std::string_view skipped;
    if (v1 > tzif.size() || !in.take(v1, skipped)) return malformed("truncated");
    if (!header(in, version, c) || version == '\0') return malformed("no second header");
    time_size = 8;
  }
  if (c.type == 0 || c.type > 256 || c.chars == 0) return malformed("no local time types");
  if ((c.isstd != 0 && c.isstd != c.type) || (c.isut != 0 && c.isut != c.type)) {
    return malformed("indicator counts differ from the type count");
  }
  std::string_view times, indexes, types, chars, skipped;
  if (!in.take(std::uint64_t{c.time} * time_size, times) || !in.take(c.time, indexes) ||
      !in.take(std::uint64_t{c.type} * 6, types) || !in.take(c.chars, chars) ||
      !in.take(std::uint64_t{c.leap} * (time_size + 4) + c.isstd + c.isut, skipped)) {
    return malformed("truncated");
  }
  TimeZone zone;
  zone.name_ = std::string(name);
  zone.types_.clear();
  for (std::uint32_t i = 0; i < c.type; ++i) {
    const std::string_view t = types.substr(std::size_t{i} * 6, 6);
    const std::int64_t utoff = be(t.substr(0, 4));
    const auto isdst = static_cast<unsigned char>(t[4]);
    const auto desig = static_cast<unsigned char>(t[5]);
    if (utoff <= -86400 || utoff >= 86400 || isdst > 1) return malformed("a bad local time type");
    const std::size_t end = chars.find('\0', desig);
    if (desig >= chars.size() || end == std::string_view::npos) {
      return malformed("an abbreviation outside the table");
    }
    zone.types_.push_back(ZoneOffset{static_cast<int>(utoff / 60),
                                     std::string(chars.substr(desig, end - desig)), isdst == 1});
  }
  for (std::uint32_t i = 0; i < c.time; ++i) {
    const std::int64_t at = be(times.substr(std::size_t{i} * time_size, time_size));
    const auto type = static_cast<unsigned char>(indexes[i]);
    if (type >= c.type) return malformed("a transition to a type that does not exist");
    if (!zone.transitions_.empty() && at <= zone.transitions_.back()) {
      return malformed("transitions out of order");
    }
    zone.transitions_.push_back(at);
    zone.type_of_.push_back(type);
  }
  if (time_size == 8) {
    // The footer: "\n" rule "\n"; an empty rule leaves the last type in force.
    std::string_view rest = tzif.substr(in.at);
    if (rest.size() < 2 || rest.front() != '\n') return malformed("no footer");
    const std::size_t end = rest.find('\n', 1);
    if (end == std::string_view::npos) return malformed("an unterminated footer");
    const std::string_view text = rest.substr(1, end - 1);
    if (!text.empty()) {
      auto rule = parse_rule(text);
      if (!rule) return malformed(rule.error().message);
      zone.rule_ = std::move(*rule);
      zone.has_rule_ = true;
    }
  }
  return zone;
}

Result<TimeZone> TimeZone::load(std::string_view name, const std::filesystem::path& root) {
  const bool plausible = !name.empty() && name.size() <= 64 && name.front() != '/' &&
                         name.find("..") == std::string_view::npos &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '/' ||
                                  c == '_' || c == '-' || c == '+';
                         });
  if (!plausible) {
    return bad("'" + std::string(name) +
               "' is not an IANA time zone name such as Europe/Paris or UTC");
  }
  if (name == "UTC" || name == "Etc/UTC") {
    TimeZone utc;
    utc.name_ = std::string(name);
    return utc;
  }
  auto bytes = read_file(root / std::string(name), 1 << 16);
  if (!bytes) {
    return fail(bytes.error().code, "the time zone database (" + root.string() + ") has no zone '" +
                                        std::string(name) + "'");
  }
  return parse(name, *bytes);
}

ZoneOffset TimeZone::at(std::int64_t unix_seconds) const {
  if (transitions_.empty()) return has_rule_ ? rule_.at(unix_seconds) : types_.front();
  if (unix_seconds >= transitions_.back() && has_rule_) return rule_.at(unix_seconds);
  const auto next = std::upper_bound(transitions_.begin(), transitions_.end(), unix_seconds);
  if (next == transitions_.begin()) return types_.front();
  return types_[type_of_[static_cast<std::size_t>(next - transitions_.begin()) - 1]];
}

Result<std::vector<ZonePeriod>> TimeZone::periods(std::int64_t from, std::int64_t to,
                                                  std::size_t max_periods) const {
  std::vector<ZonePeriod> out{{from, at(from)}};
  const auto add = [&](std::int64_t t) -> Result<void> {
    ZoneOffset o = at(t);
    if (o == out.back().offset) return {};
    if (out.size() >= max_periods) {
      return fail(ErrorCode::kOutOfRange, "the span has more than " + std::to_string(max_periods) +
                                              " changes of offset: ask for a shorter one");
    }
    out.push_back({t, std::move(o)});
    return {};
  };
  for (auto it = std::upper_bound(transitions_.begin(), transitions_.end(), from);
       it != transitions_.end() && *it <= to; ++it) {
    if (auto r = add(*it); !r) return std::unexpected(r.error());
  }
  if (has_rule_ && rule_.has_daylight) {
    const std::int64_t begin =
        std::max(from, transitions_.empty() ? std::numeric_limits<std::int64_t>::min()
                                            : transitions_.back());
    for (int year = year_of(begin); year <= year_of(to); ++year) {
      auto [a, b] = rule_.changes(year);
      if (b < a) std::swap(a, b);
      for (const std::int64_t t : {a, b}) {
        if (t <= begin || t > to) continue;
        if (auto r = add(t); !r) return std::unexpected(r.error());
      }
    }
  }
  return out;
}

}  // namespace custody
