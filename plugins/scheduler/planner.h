// Finite-capacity forward scheduling: a pure function of the plant model and a moment.
//
//   plan(model, now, options) -> Plan
//
// What it plans: every released or in-progress order, earliest due date first (ties by
// order id), each remaining (not completed) step in routing order. A step takes
// qty * minutesPerUnit of working time (at least kMinStepWork), counted only inside its
// work center's shift windows: it may pause at a shift's end and resume at the next start,
// so its [start, end] span may cross a break, but start and end lie inside windows.
//
// Where: the machines of a step's work center are its parallel capacity. A step goes on the
// machine that finishes it earliest (ties: earlier start, then machine id), starting no
// earlier than the previous step's end and the planning origin. A machine is busy for the
// whole span of every step placed on it, breaks included. Steps fill the earliest gap that
// fits, so a short later step may go before a long one already placed.
//
// What is fixed: a running step keeps its machine and its actual start; it is planned to
// need its standard time less the working time it has had (at least kMinStepWork more when
// it has overrun). A down machine (an open equipment exception) is unavailable until its
// newest exception's raise time + repair estimate, or origin + repair estimate once that
// has passed with the machine still down; a running step on it resumes then.
//
// What it cannot plan: a step whose work center has no machines, or that would start after
// origin + horizon. That step and the rest of its order are left out; the order reports
// why. Everything else about the order is still planned.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "calendar.h"
#include "model.h"

namespace custody::scheduler {

// A step is never planned shorter than this: custody rejects a plan whose end is not after
// its start, and routings without standard times (minutesPerUnit 0) are common.
inline constexpr TimeNs kMinStepWork = kNsPerMinute;

struct PlannerOptions {
  std::map<std::string, ShiftCalendar> calendars;  // by work center; others: around the clock
  TimeNs repair_estimate = 240 * kNsPerMinute;
  TimeNs horizon = 28 * kNsPerDay;
};

struct PlannedStep {
  std::string step;
  std::string work_center;
  std::string equipment;
  TimeNs start = 0;
  TimeNs end = 0;
  TimeNs work = 0;       // working time the plan gives it (for a running step: what is left)
  bool running = false;  // started before this plan: start is its actual start
};

struct OrderPlan {
  std::string wo;
  TimeNs due = 0;
  std::vector<PlannedStep> steps;  // the remaining steps that could be planned, in order
  bool complete = false;           // every remaining step is planned
  std::string unplanned;           // why not, when !complete
  TimeNs end = 0;                  // when the last step ends (complete plans)
  TimeNs tardiness = 0;            // max(0, end - due) (complete plans)
};

struct WorkCenterLoad {
  std::string work_center;
  std::size_t machines = 0;
  TimeNs busy = 0;       // working time of planned steps inside the window
  TimeNs available = 0;  // shift time of its machines inside the window, less down time
  [[nodiscard]] double utilisation() const {
    return available > 0 ? static_cast<double>(busy) / static_cast<double>(available) : 0.0;
  }
};

struct Plan {
  TimeNs origin = 0;              // now rounded up to a whole minute: where planning starts
  TimeNs window_end = 0;          // the latest planned end (origin when nothing is planned)
  std::vector<OrderPlan> orders;  // in the order they were planned (EDD)
  std::vector<WorkCenterLoad> work_centers;  // every work center with machines, by name
  TimeNs total_tardiness = 0;
  std::size_t late_orders = 0;
};

// Standard time of `qty` units at `minutes_per_unit` (both decimal(3)), in ns, at least
// kMinStepWork and at most 10 years (absurd inputs must not overflow).
[[nodiscard]] TimeNs step_work(std::int64_t qty, std::int64_t minutes_per_unit);

// Plans every open order of `model` from `now`. Deterministic: the same inputs give the
// same plan.
[[nodiscard]] Plan plan(const Model& model, TimeNs now, const PlannerOptions& options);

}  // namespace custody::scheduler
