#include "plugins/schedule_checker.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "custody/common/encoding.h"

namespace custody::testing {
namespace {

// Every shift window that touches [from, to], enumerated day by day in local time.
std::vector<std::pair<TimeNs, TimeNs>> windows(const CenterSpec& spec, int offset_minutes,
                                               TimeNs from, TimeNs to) {
  std::vector<std::pair<TimeNs, TimeNs>> out;
  const TimeNs offset = offset_minutes * kMin;
  const TimeNs first_day = (from + offset) / kDay - 2;
  const TimeNs last_day = (to + offset) / kDay + 1;
  for (TimeNs d = first_day; d <= last_day; ++d) {
    const int weekday = static_cast<int>(((d % 7) + 7 + 3) % 7) + 1;  // 1970-01-01: Thursday
    for (const ShiftSpec& s : spec) {
      if (std::find(s.days.begin(), s.days.end(), weekday) == s.days.end()) continue;
      const TimeNs a = d * kDay + s.start * kMin - offset;
      const TimeNs b = d * kDay + (s.end > s.start ? s.end : s.end + 1440) * kMin - offset;
      out.emplace_back(a, b);
    }
  }
  return out;
}

bool starts_inside(const World& w, const std::string& center, TimeNs t) {
  const CenterSpec& spec = w.centers.at(center);
  if (spec.empty()) return true;
  for (auto [a, b] : windows(spec, w.offset_minutes, t, t)) {
    if (a <= t && t < b) return true;
  }
  return false;
}

bool ends_inside(const World& w, const std::string& center, TimeNs t) {
  const CenterSpec& spec = w.centers.at(center);
  if (spec.empty()) return true;
  for (auto [a, b] : windows(spec, w.offset_minutes, t, t)) {
    if (a < t && t <= b) return true;
  }
  return false;
}

// Shift time in [from, to): the measure of the union of windows, clipped.
TimeNs shift_time(const World& w, const std::string& center, TimeNs from, TimeNs to) {
  if (to <= from) return 0;
  const CenterSpec& spec = w.centers.at(center);
  if (spec.empty()) return to - from;
  auto ws = windows(spec, w.offset_minutes, from, to);
  std::sort(ws.begin(), ws.end());
  TimeNs total = 0;
  TimeNs covered = from;  // everything before this is counted
  for (auto [a, b] : ws) {
    a = std::max(a, covered);
    b = std::min(b, to);
    if (b > a) {
      total += b - a;
      covered = b;
    }
  }
  return total;
}

std::string at(TimeNs t) {
  return format_rfc3339(t);
}

}  // namespace

std::vector<std::string> violations(const World& w,
                                    const std::map<std::string, std::vector<Placed>>& orders) {
  std::vector<std::string> out;
  std::map<std::string, std::vector<std::tuple<TimeNs, TimeNs, std::string>>> by_machine;
  for (const auto& [wo, steps] : orders) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Placed& s = steps[i];
      const std::string who = wo + "/" + s.step;
      if (!w.machine_center.contains(s.equipment)) {
        out.push_back(who + ": unknown machine '" + s.equipment + "'");
        continue;
      }
      if (w.machine_center.at(s.equipment) != s.center) {
        out.push_back(who + ": " + s.equipment + " is not in work center " + s.center);
      }
      if (s.end <= s.start) out.push_back(who + ": ends at or before its start");
      if (i > 0 && s.start < steps[i - 1].end) {
        out.push_back(who + ": starts " + at(s.start) + " before the previous step ends " +
                      at(steps[i - 1].end));
      }
      by_machine[s.equipment].emplace_back(s.start, s.end, who);
      const auto back = w.machine_back.find(s.equipment);
      if (s.running) {
        if (s.end <= w.origin) out.push_back(who + ": running, but planned to end in the past");
        if (back != w.machine_back.end() && s.end <= back->second) {
          out.push_back(who + ": running on a down machine, planned to end before it is back");
        }
        continue;
      }
      if (s.start < w.origin) out.push_back(who + ": starts before the plan's origin");
      if (back != w.machine_back.end() && s.start < back->second) {
        out.push_back(who + ": starts " + at(s.start) + " on " + s.equipment + ", down until " +
                      at(back->second));
      }
      if (!starts_inside(w, s.center, s.start)) out.push_back(who + ": starts outside shifts");
      if (!ends_inside(w, s.center, s.end)) out.push_back(who + ": ends outside shifts");
      const TimeNs worked = shift_time(w, s.center, s.start, s.end);
      if (worked != s.work) {
        out.push_back(who + ": holds " + std::to_string(worked / kMin) +
                      " min of shift time, needs " + std::to_string(s.work / kMin) + " min");
      }
    }
  }
  for (auto& [machine, spans] : by_machine) {
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i) {
      if (std::get<0>(spans[i]) < std::get<1>(spans[i - 1])) {
        out.push_back(machine + ": " + std::get<2>(spans[i - 1]) + " and " + std::get<2>(spans[i]) +
                      " overlap");
      }
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

TimeNs expected_work(std::int64_t qty, std::int64_t mpu) {
  return std::max<TimeNs>(kMin, qty * mpu * 60'000);
}

}  // namespace custody::testing
