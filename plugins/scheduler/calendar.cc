#include "calendar.h"

#include <algorithm>

namespace custody::scheduler {
namespace {

// 1970-01-01 was a Thursday, so local weeks (Monday 00:00) start 4 days after the epoch.
constexpr TimeNs kFirstMonday = 4 * kNsPerDay;

TimeNs floor_div(TimeNs a, TimeNs b) {
  TimeNs q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

ShiftCalendar::ShiftCalendar() : week_{{0, kNsPerWeek}} {}

std::expected<ShiftCalendar, std::string> ShiftCalendar::weekly(std::span<const Shift> shifts,
                                                                int utc_offset_minutes) {
  if (shifts.empty()) return std::unexpected("a calendar needs at least one shift");
  std::vector<std::pair<TimeNs, TimeNs>> windows;
  for (const Shift& s : shifts) {
    if (s.days.empty()) return std::unexpected("a shift needs at least one day");
    if (s.start_minute < 0 || s.start_minute >= 1440) {
      return std::unexpected("a shift starts between 00:00 and 23:59");
    }
    if (s.end_minute < 0 || s.end_minute > 1440) {
      return std::unexpected("a shift ends between 00:00 and 24:00");
    }
    if (s.end_minute == s.start_minute) {
      return std::unexpected("a shift must not start and end at the same time");
    }
    for (int day : s.days) {
      if (day < 1 || day > 7) return std::unexpected("days are 1 (Monday) to 7 (Sunday)");
      const TimeNs midnight = (day - 1) * kNsPerDay;
      const TimeNs a = midnight + s.start_minute * kNsPerMinute;
      const TimeNs b =
          midnight + s.end_minute * kNsPerMinute + (s.end_minute < s.start_minute ? kNsPerDay : 0);
      if (b <= kNsPerWeek) {
        windows.emplace_back(a, b);
      } else {  // Sunday's night shift ends on Monday: the next week's start
        windows.emplace_back(a, kNsPerWeek);
        windows.emplace_back(0, b - kNsPerWeek);
      }
    }
  }
  std::sort(windows.begin(), windows.end());
  ShiftCalendar c;
  c.week_.clear();
  for (const auto& w : windows) {
    if (!c.week_.empty() && w.first <= c.week_.back().second) {
      c.week_.back().second = std::max(c.week_.back().second, w.second);
    } else {
      c.week_.push_back(w);
    }
  }
  c.week_total_ = 0;
  for (const auto& w : c.week_) c.week_total_ += w.second - w.first;
  c.around_the_clock_ = c.week_total_ == kNsPerWeek;
  c.offset_ = c.around_the_clock_ ? 0 : utc_offset_minutes * kNsPerMinute;
  return c;
}

std::pair<TimeNs, TimeNs> ShiftCalendar::window_after(TimeNs t) const {
  const TimeNs local = t + offset_;
  const TimeNs week_start =
      kFirstMonday + floor_div(local - kFirstMonday, kNsPerWeek) * kNsPerWeek - offset_;
  // Every window of the following week ends after t, so two weeks always suffice.
  for (TimeNs base = week_start;; base += kNsPerWeek) {
    for (const auto& [a, b] : week_) {
      if (base + b > t) return {base + a, base + b};
    }
  }
}

bool ShiftCalendar::is_working(TimeNs t) const {
  if (around_the_clock_) return true;
  return window_after(t).first <= t;
}

TimeNs ShiftCalendar::next_working(TimeNs t) const {
  if (around_the_clock_) return t;
  return std::max(t, window_after(t).first);
}

TimeNs ShiftCalendar::finish(TimeNs start, TimeNs work) const {
  if (work <= 0) return start;
  if (around_the_clock_) return start + work;
  TimeNs at = start;
  TimeNs left = work;
  // Any 7 days in a row hold week_total_ of work: skip whole weeks, keep 0 < left <= total.
  if (left > week_total_) {
    const TimeNs weeks = (left - 1) / week_total_;
    at += weeks * kNsPerWeek;
    left -= weeks * week_total_;
  }
  for (;;) {
    const auto [a, b] = window_after(at);
    at = std::max(at, a);
    if (left <= b - at) return at + left;
    left -= b - at;
    at = b;
  }
}

TimeNs ShiftCalendar::working_time(TimeNs from, TimeNs to) const {
  if (to <= from) return 0;
  if (around_the_clock_) return to - from;
  const TimeNs weeks = (to - from) / kNsPerWeek;
  TimeNs total = weeks * week_total_;
  TimeNs at = from + weeks * kNsPerWeek;
  while (at < to) {
    const auto [a, b] = window_after(at);
    if (a >= to) break;
    total += std::min(b, to) - std::max(a, at);
    at = b;
  }
  return total;
}

}  // namespace custody::scheduler
