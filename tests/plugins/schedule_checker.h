// A feasibility checker for the scheduler's plans, written apart from the planner so that a
// planner bug is not mirrored here: it reads shifts from the same specification the
// calendars are built from (ShiftSpec), never from the plugin's ShiftCalendar, and it
// enumerates shift windows day by day in local time rather than walking a weekly pattern. It
// includes nothing from plugins/scheduler.
//
// The rules a plan keeps (violations() names every one it breaks):
//   - each step runs on a known machine of its work center and ends after it starts;
//   - an order's steps follow routing order: none starts before the previous one ends;
//   - a machine holds one step at a time;
//   - a step not yet running starts at or after the plan's origin and once its machine is
//     back from repair, starts and ends inside its work center's shifts, and holds exactly
//     its working time of shift time;
//   - a running step keeps its actual start and is planned to end after the origin and, on a
//     down machine, after the machine is back.
//
// Plain values and pure functions: safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "custody/common/clock.h"

namespace custody::testing {

inline constexpr TimeNs kMin = 60'000'000'000LL;
inline constexpr TimeNs kHour = 60 * kMin;
inline constexpr TimeNs kDay = 24 * kHour;

struct ShiftSpec {
  std::vector<int> days;  // 1 = Monday
  int start = 0;          // minutes after local midnight
  int end = 0;            // <= start: the next day
};

// A work center's shifts; none: around the clock.
using CenterSpec = std::vector<ShiftSpec>;

// The plant as the checker judges a plan against it.
struct World {
  std::map<std::string, CenterSpec> centers;
  int offset_minutes = 0;  // local time = UTC + offset
  std::map<std::string, std::string> machine_center;
  std::map<std::string, TimeNs> machine_back;  // down machines: when work may start again
  TimeNs origin = 0;                           // the plan's start: nothing new before it
};

// One step of a plan as the checker sees it.
struct Placed {
  std::string step;
  std::string center;
  std::string equipment;
  TimeNs start = 0;
  TimeNs end = 0;
  TimeNs work = 0;       // the working time it must hold (ignored when running)
  bool running = false;  // started before the plan: keeps its actual start
};

// Every way `orders` (wo -> its steps in routing order) breaks the rules above, one sentence
// each; empty when the plan is feasible.
[[nodiscard]] std::vector<std::string> violations(
    const World& w, const std::map<std::string, std::vector<Placed>>& orders);

// The lines indented, one a line, for a readable EXPECT_EQ(joined(...), "").
[[nodiscard]] std::string joined(const std::vector<std::string>& lines);

// The working time a step needs by the scheduler's contract: qty (thousandths of a unit)
// times minutesPerUnit (thousandths of a minute), at least a minute.
[[nodiscard]] TimeNs expected_work(std::int64_t qty, std::int64_t mpu);

}  // namespace custody::testing
