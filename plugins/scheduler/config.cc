#include "config.h"

#include <boost/json.hpp>
#include <vector>

namespace custody::scheduler {
namespace {

namespace json = boost::json;

using Failure = std::unexpected<ConfigError>;

Failure fail(const std::string& path, const std::string& message) {
  return Failure(ConfigError{path, message});
}

// An integer setting in [lo, hi]; `fallback` when absent.
std::expected<std::int64_t, ConfigError> integer(const json::object& o, std::string_view key,
                                                 std::int64_t lo, std::int64_t hi,
                                                 std::int64_t fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  const std::string path(key);
  if (!v->is_int64() && !v->is_uint64()) {
    return fail(path, "must be a whole number between " + std::to_string(lo) + " and " +
                          std::to_string(hi));
  }
  if (v->is_uint64() && v->get_uint64() > static_cast<std::uint64_t>(hi)) {
    return fail(path, "must be at most " + std::to_string(hi));
  }
  const std::int64_t n =
      v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
  if (n < lo || n > hi) {
    return fail(path, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return n;
}

// "HH:MM" as minutes after midnight; "24:00" only when `end`.
std::expected<int, ConfigError> clock_time(const json::value* v, const std::string& path,
                                           bool end) {
  if (v == nullptr) return fail(path, "is required (\"HH:MM\")");
  const json::string* s = v->if_string();
  const auto digit = [](char c) {
    return c >= '0' && c <= '9';
  };
  if (s == nullptr || s->size() != 5 || (*s)[2] != ':' || !digit((*s)[0]) || !digit((*s)[1]) ||
      !digit((*s)[3]) || !digit((*s)[4])) {
    return fail(path, "must be a time of day \"HH:MM\"");
  }
  const int hours = ((*s)[0] - '0') * 10 + ((*s)[1] - '0');
  const int minutes = ((*s)[3] - '0') * 10 + ((*s)[4] - '0');
  if (end && hours == 24 && minutes == 0) return 1440;
  if (hours > 23 || minutes > 59) {
    return fail(path, end ? "must be between 00:00 and 24:00" : "must be between 00:00 and 23:59");
  }
  return hours * 60 + minutes;
}

std::expected<Shift, ConfigError> parse_shift(const json::value& v, const std::string& path) {
  const json::object* o = v.if_object();
  if (o == nullptr) return fail(path, "must be an object {days, start, end}");
  for (const auto& kv : *o) {
    if (kv.key() != "days" && kv.key() != "start" && kv.key() != "end") {
      return fail(path + "." + std::string(kv.key()), "is not a shift setting (days, start, end)");
    }
  }
  Shift shift;
  const json::value* days = o->if_contains("days");
  if (days == nullptr || !days->is_array() || days->get_array().empty()) {
    return fail(path + ".days", "must list the days, 1 (Monday) to 7 (Sunday)");
  }
  for (std::size_t i = 0; i < days->get_array().size(); ++i) {
    const json::value& d = days->get_array()[i];
    if (!d.is_int64() || d.get_int64() < 1 || d.get_int64() > 7) {
      return fail(path + ".days[" + std::to_string(i) + "]",
                  "must be a day from 1 (Monday) to 7 (Sunday)");
    }
    shift.days.push_back(static_cast<int>(d.get_int64()));
  }
  auto start = clock_time(o->if_contains("start"), path + ".start", false);
  if (!start) return std::unexpected(start.error());
  auto end = clock_time(o->if_contains("end"), path + ".end", true);
  if (!end) return std::unexpected(end.error());
  if (*start == *end) return fail(path + ".end", "must differ from start");
  shift.start_minute = *start;
  shift.end_minute = *end;
  return shift;
}

std::expected<ShiftCalendar, ConfigError> parse_work_center(const json::value& v,
                                                            const std::string& path,
                                                            int utc_offset_minutes) {
  const json::object* o = v.if_object();
  if (o == nullptr) return fail(path, "must be an object {\"shifts\": [...]}");
  for (const auto& kv : *o) {
    if (kv.key() != "shifts") {
      return fail(path + "." + std::string(kv.key()), "is not a work center setting (shifts)");
    }
  }
  const json::value* shifts = o->if_contains("shifts");
  if (shifts == nullptr || !shifts->is_array() || shifts->get_array().empty()) {
    return fail(path + ".shifts",
                "must list at least one shift (leave the work center out to work around the "
                "clock)");
  }
  std::vector<Shift> parsed;
  for (std::size_t i = 0; i < shifts->get_array().size(); ++i) {
    auto s = parse_shift(shifts->get_array()[i], path + ".shifts[" + std::to_string(i) + "]");
    if (!s) return std::unexpected(s.error());
    parsed.push_back(std::move(*s));
  }
  auto calendar = ShiftCalendar::weekly(parsed, utc_offset_minutes);
  if (!calendar) return fail(path + ".shifts", calendar.error());
  return std::move(*calendar);
}

}  // namespace

std::expected<SchedulerConfig, ConfigError> parse_config(std::string_view text) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) return fail("", "config is not JSON: " + ec.message());
  const json::object* o = root.if_object();
  if (o == nullptr) return fail("", "config must be a JSON object");
  for (const auto& kv : *o) {
    const std::string_view k = kv.key();
    if (k != "workCenters" && k != "utcOffsetMinutes" && k != "horizonDays" &&
        k != "repairEstimateMinutes" && k != "replanDelayMs") {
      return fail(std::string(k),
                  "is not a scheduler setting (workCenters, utcOffsetMinutes, horizonDays, "
                  "repairEstimateMinutes, replanDelayMs)");
    }
  }
  SchedulerConfig c;
  auto offset = integer(*o, "utcOffsetMinutes", -840, 840, 0);
  if (!offset) return std::unexpected(offset.error());
  c.utc_offset_minutes = static_cast<int>(*offset);
  auto horizon = integer(*o, "horizonDays", 1, 366, 28);
  if (!horizon) return std::unexpected(horizon.error());
  c.horizon_days = static_cast<int>(*horizon);
  auto repair = integer(*o, "repairEstimateMinutes", 0, 30 * 1440, 240);
  if (!repair) return std::unexpected(repair.error());
  c.repair_estimate_minutes = *repair;
  auto delay = integer(*o, "replanDelayMs", 10, 600'000, 200);
  if (!delay) return std::unexpected(delay.error());
  c.replan_delay_ms = *delay;

  if (const json::value* wcs = o->if_contains("workCenters")) {
    const json::object* m = wcs->if_object();
    if (m == nullptr) return fail("workCenters", "must be an object keyed by work center");
    for (const auto& kv : *m) {
      auto cal = parse_work_center(kv.value(), "workCenters." + std::string(kv.key()),
                                   c.utc_offset_minutes);
      if (!cal) return std::unexpected(cal.error());
      c.calendars.emplace(std::string(kv.key()), std::move(*cal));
    }
  }
  return c;
}

}  // namespace custody::scheduler
