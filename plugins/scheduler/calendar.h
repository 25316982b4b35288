// Shift calendars: when a work center works.
//
// A calendar is a set of weekly windows in local time (a fixed offset from UTC, no daylight
// saving), repeated every week. Times are ns since the Unix epoch, as everywhere in custody.
// Windows are half open, [start, end): an instant t is working time when start <= t < end.
// Overlapping and touching shifts merge (06:00-14:00 and 14:00-22:00 is one window), and a
// shift may cross midnight (22:00-06:00 belongs to the day it starts on).
//
// A value type: copy it freely; every method is const and thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace custody::scheduler {

using TimeNs = std::int64_t;

inline constexpr TimeNs kNsPerMinute = 60'000'000'000LL;
inline constexpr TimeNs kNsPerDay = 1440 * kNsPerMinute;
inline constexpr TimeNs kNsPerWeek = 7 * kNsPerDay;

// One line of a work center's calendar: on each of `days` (1 = Monday .. 7 = Sunday), work
// from start_minute to end_minute after local midnight. end_minute <= start_minute means the
// shift ends the next day; end_minute may be 1440 ("24:00").
struct Shift {
  std::vector<int> days;
  int start_minute = 0;
  int end_minute = 0;
};

class ShiftCalendar {
 public:
  // Around the clock: every instant is working time. The default.
  ShiftCalendar();

  // The calendar of `shifts` at `utc_offset_minutes` east of UTC. An error (for people) when
  // there are no shifts or one is malformed: a calendar without working time would make
  // every search for a slot run forever.
  [[nodiscard]] static std::expected<ShiftCalendar, std::string> weekly(
      std::span<const Shift> shifts, int utc_offset_minutes);

  [[nodiscard]] bool around_the_clock() const { return around_the_clock_; }

  // Whether t is working time.
  [[nodiscard]] bool is_working(TimeNs t) const;

  // The first working instant at or after t.
  [[nodiscard]] TimeNs next_working(TimeNs t) const;

  // When `work` ns of working time, counted from `start` (which need not be working time),
  // are done: the smallest end with working_time(start, end) == work. For work > 0 the end
  // lies inside a window (start < end <= the window's end). work <= 0 returns start.
  [[nodiscard]] TimeNs finish(TimeNs start, TimeNs work) const;

  // Working time in [from, to); 0 when to <= from.
  [[nodiscard]] TimeNs working_time(TimeNs from, TimeNs to) const;

  // Working time in one week (any 7 days in a row hold exactly this much).
  [[nodiscard]] TimeNs weekly_working_time() const { return week_total_; }

 private:
  // The first window (absolute UTC times) whose end is after t; windows never end, so
  // there always is one.
  [[nodiscard]] std::pair<TimeNs, TimeNs> window_after(TimeNs t) const;

  bool around_the_clock_ = true;
  TimeNs offset_ = 0;  // local = utc + offset_
  // Disjoint, sorted windows as offsets from Monday 00:00 local, within [0, kNsPerWeek).
  std::vector<std::pair<TimeNs, TimeNs>> week_;
  TimeNs week_total_ = kNsPerWeek;
};

}  // namespace custody::scheduler
