// A site's time zone, read from the system's zone database (RFC 8536 TZif files under
// /usr/share/zoneinfo, as Debian's tzdata installs them): which offset from UTC and which
// abbreviation were in force at an instant, and the periods of one offset over a span, so a
// report can show "2026-03-29 03:00:00 CEST" for the site's wall clock. The file's transitions
// are used while they last and its footer rule (POSIX TZ, "CET-1CEST,M3.5.0,M10.5.0/3")
// after that.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"

namespace custody {

// One local time type: minutes east of UTC, its abbreviation ("CET", "+08") and whether it
// is daylight saving time.
struct ZoneOffset {
  int minutes = 0;
  std::string abbreviation = "UTC";
  bool dst = false;
  friend bool operator==(const ZoneOffset&, const ZoneOffset&) = default;
};

// From `from` (seconds since the Unix epoch) until the next period's `from`.
struct ZonePeriod {
  std::int64_t from = 0;
  ZoneOffset offset;
};

class TimeZone {
 public:
  static constexpr std::string_view kDefaultRoot = "/usr/share/zoneinfo";

  // UTC, which needs no file.
  TimeZone();

  // The zone `name` ("Europe/Paris"): "UTC" and "Etc/UTC" without a file, others from
  // ROOT/name. kInvalidArgument for a name that could leave ROOT; kNotFound for a zone the
  // database does not have; kDataLoss for a file that is not a valid TZif file. The error's
  // field is empty: callers name it.
  [[nodiscard]] static Result<TimeZone> load(std::string_view name,
                                             const std::filesystem::path& root = kDefaultRoot);
  // A zone from the bytes of a TZif file (what load() reads).
  [[nodiscard]] static Result<TimeZone> parse(std::string_view name, std::string_view tzif);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] ZoneOffset at(std::int64_t unix_seconds) const;
  // The periods covering [from, to]: the first is the one in force at `from` (given
  // from = `from`), then one per change of offset or abbreviation up to `to`. At most
  // `max_periods`; kOutOfRange beyond that.
  [[nodiscard]] Result<std::vector<ZonePeriod>> periods(std::int64_t from, std::int64_t to,
                                                        std::size_t max_periods = 1000) const;

  // The rule of a TZif footer (POSIX TZ): exposed for tests.
  struct Rule {
    struct Date {
      char kind = 'M';  // 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.weekday)
      int day = 0, month = 0, week = 0, weekday = 0;
      int seconds = 7200;  // local time of the change, may be negative or past 24h
    };
    ZoneOffset standard, daylight;
    bool has_daylight = false;
    Date start, end;
    // The two instants of `year` at which daylight saving starts and ends (UTC seconds).
    [[nodiscard]] std::pair<std::int64_t, std::int64_t> changes(int year) const;
    [[nodiscard]] ZoneOffset at(std::int64_t unix_seconds) const;
  };
  [[nodiscard]] static Result<Rule> parse_rule(std::string_view text);

 private:
  std::string name_ = "UTC";
  std::vector<std::int64_t> transitions_;  // ascending
  std::vector<std::uint8_t> type_of_;      // per transition, index into types_
  std::vector<ZoneOffset> types_;
  bool has_rule_ = false;
  Rule rule_;
};

}  // namespace custody
