#include "planner.h"

#include <algorithm>
#include <limits>

namespace custody::scheduler {
namespace {

constexpr TimeNs kMaxStepWork = 3650 * kNsPerDay;

struct Busy {
  TimeNs start = 0;
  TimeNs end = 0;
};

// One machine's reservations, sorted by start. Spans of placed steps never overlap; pinned
// running steps could (only if the ledger said two steps run on one machine), which the
// slot search below tolerates.
using Timeline = std::vector<Busy>;

void reserve(Timeline& t, TimeNs start, TimeNs end) {
  auto at = std::upper_bound(t.begin(), t.end(), start,
                             [](TimeNs s, const Busy& b) { return s < b.start; });
  t.insert(at, Busy{start, end});
}

struct Slot {
  TimeNs start = 0;
  TimeNs end = 0;
};

// The earliest span at or after `from` that holds `work` of working time and overlaps no
// reservation. One pass over the timeline: a reservation that ends before the candidate
// start stays irrelevant as the candidate only moves later.
Slot earliest_slot(const Timeline& t, const ShiftCalendar& cal, TimeNs from, TimeNs work) {
  Slot s;
  s.start = cal.next_working(from);
  s.end = cal.finish(s.start, work);
  for (const Busy& b : t) {
    if (b.end <= s.start) continue;
    if (b.start >= s.end) break;
    s.start = cal.next_working(std::max(from, b.end));
    s.end = cal.finish(s.start, work);
  }
  return s;
}

TimeNs round_up_to_minute(TimeNs t) {
  const TimeNs r = t % kNsPerMinute;
  if (r == 0) return t;
  return r > 0 ? t + (kNsPerMinute - r) : t - r;
}

class Planner {
 public:
  Planner(const Model& model, TimeNs now, const PlannerOptions& options)
      : model_(model), options_(options), origin_(round_up_to_minute(now)) {
    for (const auto& [id, m] : model_.machines()) {
      by_center_[m.work_center].push_back(id);
      available_from_[id] = available_from(m);
    }
  }

  Plan run() {
    Plan p;
    p.origin = origin_;
    std::vector<const Order*> open;
    for (const auto& [id, o] : model_.orders()) {
      if (o.status == OrderStatus::kReleased || o.status == OrderStatus::kInProgress) {
        open.push_back(&o);
      }
    }
    std::stable_sort(open.begin(), open.end(),
                     [](const Order* a, const Order* b) { return a->due < b->due; });

    // Running steps first: they hold their machines whatever their order's due date.
    std::map<std::pair<std::string, std::string>, PlannedStep> pinned;
    for (const Order* o : open) {
      for (const OrderStep& s : o->steps) {
        if (s.state != StepState::kRunning) continue;
        PlannedStep ps = pin_running(*o, s);
        reserve(timelines_[ps.equipment], ps.start, ps.end);
        pinned.emplace(std::make_pair(o->wo, s.step), std::move(ps));
      }
    }

    for (const Order* o : open) {
      OrderPlan op = plan_order(*o, pinned);
      if (op.complete && op.steps.empty()) continue;  // nothing left but wo.complete
      p.orders.push_back(std::move(op));
    }

    p.window_end = origin_;
    for (OrderPlan& op : p.orders) {
      for (const PlannedStep& s : op.steps) p.window_end = std::max(p.window_end, s.end);
      if (!op.complete) continue;
      op.end = op.steps.back().end;
      op.tardiness = std::max<TimeNs>(0, op.end - op.due);
      p.total_tardiness += op.tardiness;
      if (op.tardiness > 0) ++p.late_orders;
    }
    p.work_centers = loads(p);
    return p;
  }

 private:
  const ShiftCalendar& calendar(const std::string& work_center) const {
    auto it = options_.calendars.find(work_center);
    return it == options_.calendars.end() ? always_ : it->second;
  }

  // When a machine can take work again: the origin when it is up; when it is down, its
  // newest exception's raise + the repair estimate, or origin + the estimate once overdue.
  TimeNs available_from(const Machine& m) const {
    if (m.open_exceptions.empty()) return origin_;
    TimeNs newest = std::numeric_limits<TimeNs>::min();
    for (const auto& [id, raised] : m.open_exceptions) newest = std::max(newest, raised);
    const TimeNs expected = newest + options_.repair_estimate;
    return expected > origin_ ? expected : origin_ + options_.repair_estimate;
  }

  TimeNs machine_available(const std::string& equipment) const {
    auto it = available_from_.find(equipment);
    return it == available_from_.end() ? origin_ : it->second;
  }

  PlannedStep pin_running(const Order& o, const OrderStep& s) const {
    const ShiftCalendar& cal = calendar(s.work_center);
    const TimeNs work = step_work(o.qty, s.minutes_per_unit);
    // Work stopped when the machine went down (if it is down), else goes on until now.
    TimeNs stop = origin_;
    TimeNs resume = std::max(s.started_at, origin_);
    if (auto m = model_.machines().find(s.equipment);
        m != model_.machines().end() && !m->second.open_exceptions.empty()) {
      TimeNs first = std::numeric_limits<TimeNs>::max();
      for (const auto& [id, raised] : m->second.open_exceptions) first = std::min(first, raised);
      stop = std::clamp(first, s.started_at, std::max(s.started_at, origin_));
      resume = std::max(resume, machine_available(s.equipment));
    }
    const TimeNs done = cal.working_time(s.started_at, stop);
    const TimeNs left = std::max(work - done, kMinStepWork);
    PlannedStep ps;
    ps.step = s.step;
    ps.work_center = s.work_center;
    ps.equipment = s.equipment;
    ps.start = s.started_at;
    ps.end = std::max(cal.finish(resume, left), s.started_at + 1);
    ps.work = left;
    ps.running = true;
    return ps;
  }

  OrderPlan plan_order(const Order& o,
                       const std::map<std::pair<std::string, std::string>, PlannedStep>& pinned) {
    OrderPlan op;
    op.wo = o.wo;
    op.due = o.due;
    if (o.steps.empty()) {
      op.unplanned = "its routing's steps are unknown";
      return op;
    }
    TimeNs ready = origin_;
    for (const OrderStep& s : o.steps) {
      if (s.state == StepState::kCompleted) continue;
      if (s.state == StepState::kRunning) {
        const PlannedStep& ps = pinned.at({o.wo, s.step});
        ready = std::max(ready, ps.end);
        op.steps.push_back(ps);
        continue;
      }
      auto machines = by_center_.find(s.work_center);
      if (machines == by_center_.end()) {
        op.unplanned = "step " + s.step + ": work center " + s.work_center + " has no equipment";
        return op;
      }
      const ShiftCalendar& cal = calendar(s.work_center);
      const TimeNs work = step_work(o.qty, s.minutes_per_unit);
      const std::string* best_machine = nullptr;
      Slot best;
      for (const std::string& m : machines->second) {
        const Slot slot =
            earliest_slot(timelines_[m], cal, std::max(ready, machine_available(m)), work);
        if (best_machine == nullptr || slot.end < best.end ||
            (slot.end == best.end && slot.start < best.start)) {
          best = slot;
          best_machine = &m;
        }
      }
      if (best.start > origin_ + options_.horizon) {
        op.unplanned = "step " + s.step + " cannot start within the horizon";
        return op;
      }
      reserve(timelines_[*best_machine], best.start, best.end);
      ready = best.end;
      PlannedStep ps;
      ps.step = s.step;
      ps.work_center = s.work_center;
      ps.equipment = *best_machine;
      ps.start = best.start;
      ps.end = best.end;
      ps.work = work;
      op.steps.push_back(std::move(ps));
    }
    op.complete = true;
    return op;
  }

  std::vector<WorkCenterLoad> loads(const Plan& p) const {
    std::map<std::string, WorkCenterLoad> by_name;
    for (const auto& [id, m] : model_.machines()) {
      WorkCenterLoad& l = by_name[m.work_center];
      l.work_center = m.work_center;
      ++l.machines;
      l.available += calendar(m.work_center).working_time(machine_available(id), p.window_end);
    }
    for (const OrderPlan& op : p.orders) {
      for (const PlannedStep& s : op.steps) {
        auto m = model_.machines().find(s.equipment);
        if (m == model_.machines().end()) continue;
        WorkCenterLoad& l = by_name[m->second.work_center];
        const TimeNs from = std::max({s.start, origin_, machine_available(s.equipment)});
        l.busy += calendar(m->second.work_center).working_time(from, std::min(s.end, p.window_end));
      }
    }
    std::vector<WorkCenterLoad> out;
    for (auto& [name, l] : by_name) out.push_back(std::move(l));
    return out;
  }

  const Model& model_;
  const PlannerOptions& options_;
  const TimeNs origin_;
  const ShiftCalendar always_;
  std::map<std::string, std::vector<std::string>> by_center_;  // machine ids, sorted
  std::map<std::string, TimeNs> available_from_;
  std::map<std::string, Timeline> timelines_;
};

}  // namespace

TimeNs step_work(std::int64_t qty, std::int64_t minutes_per_unit) {
  if (qty <= 0 || minutes_per_unit <= 0) return kMinStepWork;
  // decimal(3) * decimal(3) minutes = qty * mpu / 1e6 minutes = qty * mpu * 60'000 ns.
  constexpr std::int64_t kNsPerMilliMilliMinute = 60'000;
  if (qty > kMaxStepWork / kNsPerMilliMilliMinute / minutes_per_unit) return kMaxStepWork;
  return std::max(qty * minutes_per_unit * kNsPerMilliMilliMinute, kMinStepWork);
}

Plan plan(const Model& model, TimeNs now, const PlannerOptions& options) {
  return Planner(model, now, options).run();
}

}  // namespace custody::scheduler
