// The scheduler's planner, calendars and config on their own, compiled in without the SDK:
// hand-made plants whose plans are known, and random plants whose plans are judged by the
// independent feasibility checker (schedule_checker.h), which is itself shown to catch
// broken plans.
#include "scheduler/planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "plugins/schedule_checker.h"
#include "scheduler/calendar.h"
#include "scheduler/config.h"

namespace custody::testing {
namespace {

namespace sch = custody::scheduler;

static_assert(kMin == sch::kNsPerMinute, "the checker's minute is the planner's");

// ------------------------------------------------------------------ building plants

sch::ShiftCalendar calendar_of(const CenterSpec& spec, int offset_minutes) {
  if (spec.empty()) return {};
  std::vector<sch::Shift> shifts;
  for (const auto& s : spec) shifts.push_back({s.days, s.start, s.end});
  auto c = sch::ShiftCalendar::weekly(shifts, offset_minutes);
  EXPECT_TRUE(c) << c.error();
  return c ? *c : sch::ShiftCalendar();
}

// A plant for the planner: the model, the options, and the World the checker judges by.
struct Plant {
  sch::Model model;
  sch::PlannerOptions options;
  World world;
  TimeNs now = 0;

  void center(const std::string& name, CenterSpec spec = {}) {
    world.centers[name] = spec;
    if (!spec.empty()) options.calendars[name] = calendar_of(spec, world.offset_minutes);
  }
  void machine(const std::string& id, const std::string& center) {
    model.define_equipment(id, center);
    world.machine_center[id] = center;
  }
  void order(const std::string& wo, std::int64_t qty, const std::string& routing, TimeNs due) {
    model.create_order(wo, qty, routing, due);
    model.release_order(wo);
  }
  void down(const std::string& machine, const std::string& exception, TimeNs raised) {
    model.raise_equipment_exception(exception, machine, raised);
    const TimeNs origin = world.origin;
    const TimeNs expected = raised + options.repair_estimate;
    world.machine_back[machine] =
        std::max(world.machine_back[machine],
                 expected > origin ? expected : origin + options.repair_estimate);
  }
  void at(TimeNs t) {
    now = t;
    world.origin = (t + kMin - 1) / kMin * kMin;
  }

  sch::Plan plan() const { return sch::plan(model, now, options); }
};

std::map<std::string, std::vector<Placed>> placed(const sch::Plan& p) {
  std::map<std::string, std::vector<Placed>> out;
  for (const auto& op : p.orders) {
    auto& steps = out[op.wo];
    for (const auto& s : op.steps) {
      steps.push_back({s.step, s.work_center, s.equipment, s.start, s.end, s.work, s.running});
    }
  }
  return out;
}

void report(const std::string& name, const sch::Plan& p) {
  std::ostringstream line;
  line << name << ": " << p.orders.size() << " orders, " << p.late_orders
       << " late, total tardiness " << p.total_tardiness / kMin << " min; utilisation";
  for (const auto& l : p.work_centers) {
    line << " " << l.work_center << "=" << static_cast<int>(l.utilisation() * 1000) / 10.0 << "%";
  }
  std::cout << "[ plan     ] " << line.str() << "\n";
  ::testing::Test::RecordProperty(name, line.str());
}

// 2026-11-23T00:00:00Z, a Monday: two days after PlantTest's Saturday 08:00.
constexpr TimeNs kMonday = 1795392000LL * 1'000'000'000LL;

// ------------------------------------------------------------------ planner: by hand

TEST(SchedulerPlanner, EarliestDueDateGoesFirstOnAContendedMachine) {
  Plant p;
  p.at(kMonday + 8 * kHour);
  p.center("cut");
  p.machine("cutter-1", "cut");
  p.model.define_routing("r", {{"cut", "cut", 1000}});  // 1 min per unit
  p.order("WO-A", 60'000, "r", kMonday + 12 * kHour);   // due last
  p.order("WO-B", 60'000, "r", kMonday + 9 * kHour);    // due first: goes first
  p.order("WO-C", 60'000, "r", kMonday + 10 * kHour);
  const auto plan = p.plan();
  ASSERT_EQ(plan.orders.size(), 3u);
  EXPECT_EQ(plan.orders[0].wo, "WO-B");
  EXPECT_EQ(plan.orders[1].wo, "WO-C");
  EXPECT_EQ(plan.orders[2].wo, "WO-A");
  EXPECT_EQ(plan.orders[0].steps[0].start, kMonday + 8 * kHour);
  EXPECT_EQ(plan.orders[1].steps[0].start, kMonday + 9 * kHour);
  EXPECT_EQ(plan.orders[2].steps[0].start, kMonday + 10 * kHour);
  EXPECT_EQ(plan.total_tardiness, 0);
  EXPECT_EQ(plan.work_centers.at(0).utilisation(), 1.0);
  EXPECT_EQ(joined(violations(p.world, placed(plan))), "");
  report("edd", plan);
}

TEST(SchedulerPlanner, WorkPausesAtAShiftEndAndResumesAtTheNextStart) {
  Plant p;
  p.at(kMonday + 4 * kDay + 12 * kHour);  // Friday 12:00, two hours before the weekend
  p.center("wash", {{{1, 2, 3, 4, 5}, 6 * 60, 14 * 60}});
  p.machine("washer-1", "wash");
  p.model.define_routing("r", {{"wash", "wash", 2000}, {"pack", "wash", 500}});
  p.order("WO-1", 120'000, "r", kMonday + 4 * kDay + 16 * kHour);  // 4 h then 1 h
  const auto plan = p.plan();
  ASSERT_EQ(plan.orders.size(), 1u);
  const auto& steps = plan.orders[0].steps;
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].start, kMonday + 4 * kDay + 12 * kHour);
  EXPECT_EQ(steps[0].end, kMonday + 7 * kDay + 8 * kHour);  // two hours Friday, two Monday
  EXPECT_EQ(steps[1].start, steps[0].end);
  EXPECT_EQ(steps[1].end, kMonday + 7 * kDay + 9 * kHour);
  EXPECT_EQ(plan.orders[0].tardiness, 2 * kDay + 17 * kHour);
  EXPECT_EQ(joined(violations(p.world, placed(plan))), "");
  report("weekend", plan);
}

TEST(SchedulerPlanner, RunningStepsKeepTheirMachineAndDownMachinesWaitForRepair) {
  Plant p;
  p.at(kMonday + 8 * kHour + 30 * kMin);
  p.center("wash");
  p.center("pack");
  p.machine("washer-1", "wash");
  p.machine("washer-2", "wash");
  p.machine("packer-1", "pack");
  p.model.define_routing("r", {{"wash", "wash", 1000}, {"pack", "pack", 1000}});
  p.order("WO-1", 60'000, "r", kMonday + 12 * kHour);
  p.model.start_step("WO-1", "wash", "washer-2", kMonday + 8 * kHour);  // 30 min left
  p.order("WO-2", 60'000, "r", kMonday + 10 * kHour);
  p.down("washer-1", "EX-1", kMonday + 8 * kHour);  // back at 12:00
  p.order("WO-3", 30'000, "r", kMonday + 20 * kHour);
  const auto plan = p.plan();
  ASSERT_EQ(plan.orders.size(), 3u);
  const auto& wo1 = plan.orders[1];  // EDD: WO-2 first, but WO-1's wash was pinned before
  ASSERT_EQ(wo1.wo, "WO-1");
  EXPECT_TRUE(wo1.steps[0].running);
  EXPECT_EQ(wo1.steps[0].equipment, "washer-2");
  EXPECT_EQ(wo1.steps[0].start, kMonday + 8 * kHour);
  EXPECT_EQ(wo1.steps[0].end, kMonday + 9 * kHour);
  // WO-2 cannot use washer-1 before 12:00: after WO-1 on washer-2 is earlier.
  EXPECT_EQ(plan.orders[0].steps[0].equipment, "washer-2");
  EXPECT_EQ(plan.orders[0].steps[0].start, kMonday + 9 * kHour);
  EXPECT_EQ(joined(violations(p.world, placed(plan))), "");

  // Once repaired, washer-1 takes work at once.
  p.model.clear_exception("EX-1");
  p.world.machine_back.clear();
  const auto after = p.plan();
  EXPECT_EQ(after.orders[0].steps[0].equipment, "washer-1");
  EXPECT_EQ(after.orders[0].steps[0].start, p.world.origin);
  EXPECT_EQ(joined(violations(p.world, placed(after))), "");
  report("repair", after);
}

TEST(SchedulerPlanner, LeavesOutWhatItCannotPlanAndWhatIsDone) {
  Plant p;
  p.at(kMonday);
  p.center("wash");
  p.machine("washer-1", "wash");
  p.model.define_routing("r", {{"wash", "wash", 1000}, {"dry", "dry", 1000}});
  p.model.define_routing("short", {{"wash", "wash", 0}});  // no standard time: one minute
  p.order("WO-1", 10'000, "r", kMonday + kDay);            // dry has no machines
  p.model.create_order("WO-2", 10'000, "r", kMonday);      // never released
  p.order("WO-3", 10'000, "short", kMonday);
  p.model.start_step("WO-3", "wash", "washer-1", kMonday - kHour);
  p.model.complete_step("WO-3", "wash");  // nothing left but wo.complete
  p.order("WO-4", 10'000, "short", kMonday + kDay);
  p.order("WO-5", 10'000, "short", kMonday);
  p.model.start_step("WO-5", "wash", "washer-1", kMonday - kHour);
  p.model.complete_step("WO-5", "wash");
  p.model.complete_order("WO-5");
  p.order("WO-8", 10'000, "short", kMonday);
  EXPECT_TRUE(p.model.close_order("WO-8"));  // forgotten: never planned again
  EXPECT_EQ(p.model.order("WO-8"), nullptr);
  p.options.horizon = kHour;
  p.model.define_routing("long", {{"wash", "wash", 1000}});
  p.order("WO-6", 120'000, "long", kMonday + kDay);      // 2 h: starts within the horizon
  p.order("WO-7", 10'000, "short", kMonday + 2 * kDay);  // must wait beyond the horizon
  const auto plan = p.plan();
  std::map<std::string, const sch::OrderPlan*> by_wo;
  for (const auto& op : plan.orders) by_wo[op.wo] = &op;
  EXPECT_FALSE(by_wo.contains("WO-2"));
  EXPECT_FALSE(by_wo.contains("WO-3"));
  EXPECT_FALSE(by_wo.contains("WO-5"));
  EXPECT_FALSE(by_wo.contains("WO-8"));
  ASSERT_TRUE(by_wo.contains("WO-1"));
  EXPECT_FALSE(by_wo["WO-1"]->complete);
  EXPECT_EQ(by_wo["WO-1"]->steps.size(), 1u);  // wash is planned, dry is not
  EXPECT_NE(by_wo["WO-1"]->unplanned.find("work center dry has no equipment"), std::string::npos);
  ASSERT_TRUE(by_wo.contains("WO-4"));
  EXPECT_EQ(by_wo["WO-4"]->steps.at(0).end - by_wo["WO-4"]->steps.at(0).start, kMin);
  ASSERT_TRUE(by_wo.contains("WO-7"));
  EXPECT_FALSE(by_wo["WO-7"]->complete);
  EXPECT_NE(by_wo["WO-7"]->unplanned.find("horizon"), std::string::npos);
}

TEST(SchedulerPlanner, StandardTimeIsQuantityTimesMinutesPerUnit) {
  EXPECT_EQ(sch::step_work(100'000, 1500), 150 * kMin);  // 100 units at 1.5 min
  EXPECT_EQ(sch::step_work(1'000, 2'000), 2 * kMin);     // 1 unit at 2 min
  EXPECT_EQ(sch::step_work(1, 1), sch::kMinStepWork);    // 60 us: less than the minimum
  EXPECT_EQ(sch::step_work(100'000, 0), sch::kMinStepWork);
  EXPECT_EQ(sch::step_work(INT64_MAX, INT64_MAX), 3650 * kDay);
}

// ------------------------------------------------------------------ calendars and config

TEST(SchedulerCalendar, NightShiftsCrossMidnightAndTheWeekEndInLocalTime) {
  // Sunday 22:00 to Monday 06:00 local, at UTC+1.
  auto c = sch::ShiftCalendar::weekly(std::vector<sch::Shift>{{{7}, 22 * 60, 6 * 60}}, 60);
  ASSERT_TRUE(c) << c.error();
  const TimeNs sunday_22_local = kMonday - 2 * kHour - kHour;  // 21:00Z
  EXPECT_FALSE(c->is_working(sunday_22_local - 1));
  EXPECT_TRUE(c->is_working(sunday_22_local));
  EXPECT_TRUE(c->is_working(kMonday + 4 * kHour + 59 * kMin));
  EXPECT_FALSE(c->is_working(kMonday + 5 * kHour));  // 06:00 local
  EXPECT_EQ(c->weekly_working_time(), 8 * kHour);
  EXPECT_EQ(c->next_working(kMonday + 5 * kHour), sunday_22_local + 7 * kDay);
  // Five hours this Monday morning, five more from next Sunday night.
  EXPECT_EQ(c->finish(kMonday, 10 * kHour), sunday_22_local + 7 * kDay + 5 * kHour);
  EXPECT_EQ(c->working_time(kMonday - 7 * kDay, kMonday + 7 * kDay), 16 * kHour);
  // Twenty weeks of work skip whole weeks and land where a plain walk would.
  EXPECT_EQ(c->finish(kMonday, 20 * 8 * kHour), sunday_22_local + 20 * 7 * kDay + 3 * kHour);
}

TEST(SchedulerConfig, ParsesTheDocumentedExample) {
  auto c = sch::parse_config(R"({"workCenters":{"wash":{"shifts":[
      {"days":[1,2,3,4,5],"start":"06:00","end":"14:00"},
      {"days":[1,2,3,4,5],"start":"14:00","end":"22:00"}]},
      "pack":{"shifts":[{"days":[6],"start":"00:00","end":"24:00"}]}},
      "utcOffsetMinutes":-300,"horizonDays":14,"repairEstimateMinutes":90,"replanDelayMs":500})");
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->calendars.size(), 2u);
  EXPECT_EQ(c->calendars.at("wash").weekly_working_time(), 5 * 16 * kHour);
  EXPECT_EQ(c->calendars.at("pack").weekly_working_time(), kDay);
  EXPECT_EQ(c->utc_offset_minutes, -300);
  EXPECT_EQ(c->horizon_days, 14);
  EXPECT_EQ(c->repair_estimate_minutes, 90);
  EXPECT_EQ(c->replan_delay_ms, 500);
  auto defaults = sch::parse_config("{}");
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->calendars.empty());
  EXPECT_EQ(defaults->repair_estimate_minutes, 240);
}

TEST(SchedulerConfig, RejectsBadSettingsNamingThem) {
  struct Case {
    std::string json;
    std::string field;    // the setting's path; "" when the whole config is at fault
    std::string message;  // what text() must say
  };
  const std::vector<Case> cases = {
      {"[]", "", "config must be a JSON object"},
      {"{", "", "config is not JSON"},
      {R"({"horizonDay":3})", "horizonDay", "horizonDay: is not a scheduler setting"},
      {R"({"horizonDays":0})", "horizonDays", "horizonDays: must be between 1 and 366"},
      {R"({"replanDelayMs":"fast"})", "replanDelayMs", "replanDelayMs: must be a whole number"},
      {R"({"workCenters":[]})", "workCenters", "workCenters: must be an object"},
      {R"({"workCenters":{"wash":{"shifts":[]}}})", "workCenters.wash.shifts",
       "workCenters.wash.shifts: must list"},
      {R"({"workCenters":{"wash":{"shifts":[{"days":[8],"start":"06:00","end":"14:00"}]}}})",
       "workCenters.wash.shifts[0].days[0]", "workCenters.wash.shifts[0].days[0]: must be a day"},
      {R"({"workCenters":{"wash":{"shifts":[{"days":[1],"start":"6am","end":"14:00"}]}}})",
       "workCenters.wash.shifts[0].start",
       "workCenters.wash.shifts[0].start: must be a time of day"},
      {R"({"workCenters":{"wash":{"shifts":[{"days":[1],"start":"24:00","end":"14:00"}]}}})",
       "workCenters.wash.shifts[0].start",
       "workCenters.wash.shifts[0].start: must be between 00:00 and 23:59"},
      {R"({"workCenters":{"wash":{"shifts":[{"days":[1],"start":"06:00","end":"06:00"}]}}})",
       "workCenters.wash.shifts[0].end", "workCenters.wash.shifts[0].end: must differ from start"},
      {R"({"workCenters":{"wash":{"shift":[]}}})", "workCenters.wash.shift",
       "workCenters.wash.shift: is not a work center"},
  };
  for (const Case& c : cases) {
    auto parsed = sch::parse_config(c.json);
    ASSERT_FALSE(parsed) << c.json << " was accepted";
    const sch::ConfigError& e = parsed.error();
    EXPECT_NE(e.text().find(c.message), std::string::npos) << c.json << " -> " << e.text();
    EXPECT_EQ(e.field, c.field) << c.json << " -> " << e.text();
    EXPECT_FALSE(e.message.empty()) << c.json;
  }
}

// ------------------------------------------------------------------ planner: random plants

Plant random_plant(std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  Plant p;
  p.world.offset_minutes = std::vector<int>{0, 60, -300, 330}[pick(0, 3)];
  p.options.horizon = 366 * kDay;
  p.options.repair_estimate = pick(0, 8) * 30 * kMin;
  p.at(kMonday + pick(0, 7 * 24 * 60) * kMin +
       std::uniform_int_distribution<TimeNs>(0, kMin - 1)(rng));
  const int centers = pick(1, 4);
  for (int c = 0; c < centers; ++c) {
    CenterSpec spec;
    switch (pick(0, 4)) {
      case 0:
        break;  // around the clock
      case 1:   // two shifts back to back on weekdays
        spec = {{{1, 2, 3, 4, 5}, 6 * 60, 14 * 60}, {{1, 2, 3, 4, 5}, 14 * 60, 22 * 60}};
        break;
      case 2:  // days with a lunch break
        spec = {{{1, 2, 3, 4, 5, 6, 7}, 8 * 60, 12 * 60},
                {{1, 2, 3, 4, 5, 6, 7}, 13 * 60, 17 * 60}};
        break;
      case 3:  // nights, and Saturday mornings
        spec = {{{1, 2, 3, 4, 7}, 22 * 60, 6 * 60}, {{6}, 8 * 60, 12 * 60}};
        break;
      default:  // anything
        for (int s = pick(1, 3); s > 0; --s) {
          std::vector<int> days;
          for (int d = 1; d <= 7; ++d) {
            if (pick(0, 1) == 1) days.push_back(d);
          }
          if (days.empty()) days.push_back(pick(1, 7));
          const int start = pick(0, 95) * 15;
          spec.push_back({days, start, (start + pick(8, 40) * 15) % 1440});
        }
    }
    const std::string name = "wc" + std::to_string(c);
    p.center(name, spec);
    for (int m = pick(1, 3); m > 0; --m) p.machine(name + "-m" + std::to_string(m), name);
  }
  std::vector<std::vector<sch::RoutingStepDef>> routings;
  for (int r = pick(1, 3); r > 0; --r) {
    std::vector<sch::RoutingStepDef> steps;
    for (int s = pick(1, 4); s > 0; --s) {
      steps.push_back({"s" + std::to_string(steps.size()),
                       "wc" + std::to_string(pick(0, centers - 1)),
                       pick(0, 5) == 0 ? 0 : pick(1, 3000)});
    }
    p.model.define_routing("r" + std::to_string(routings.size()), steps);
    routings.push_back(steps);
  }
  std::set<std::string> busy;  // machines with a running step
  for (int o = pick(5, 25); o > 0; --o) {
    const std::string wo = "WO-" + std::to_string(100 + o);
    const int r = pick(0, static_cast<int>(routings.size()) - 1);
    const TimeNs due = p.now + pick(-24 * 60, 10 * 24 * 60) * kMin;
    p.model.create_order(wo, pick(1, 200) * 1000 + pick(0, 999), "r" + std::to_string(r), due);
    const int kind = pick(0, 9);
    if (kind == 0) continue;  // created only
    p.model.release_order(wo);
    if (kind < 7) continue;  // released, nothing started
    // In progress: some steps done, maybe the next one running on a free machine.
    const auto& steps = routings[r];
    const int done = pick(0, static_cast<int>(steps.size()) - 1);
    for (int s = 0; s < done; ++s) {
      p.model.start_step(wo, steps[s].step, p.world.machine_center.begin()->first, p.now - kDay);
      p.model.complete_step(wo, steps[s].step);
    }
    for (const auto& [m, center] : p.world.machine_center) {
      if (center != steps[done].work_center || busy.contains(m)) continue;
      busy.insert(m);
      p.model.start_step(wo, steps[done].step, m, p.now - pick(0, 300) * kMin);
      break;
    }
    if (kind == 9 && done == 0) p.model.complete_order(wo);  // odd, but must not be planned
  }
  int exceptions = 0;
  for (const auto& [m, center] : p.world.machine_center) {
    if (pick(0, 5) == 0) {
      p.down(m, "EX-" + std::to_string(++exceptions), p.now - pick(0, 480) * kMin);
    }
  }
  return p;
}

TEST(SchedulerPlanner, RandomPlantsGetFeasibleCompletePlans) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Plant p = random_plant(seed);
    const auto plan = p.plan();
    EXPECT_EQ(plan.origin, p.world.origin);
    // Every open order with work left is planned, each remaining step once, in order.
    std::size_t open = 0;
    for (const auto& [wo, o] : p.model.orders()) {
      const bool is_open =
          o.status == sch::OrderStatus::kReleased || o.status == sch::OrderStatus::kInProgress;
      std::vector<std::string> remaining;
      for (const auto& s : o.steps) {
        if (s.state != sch::StepState::kCompleted) remaining.push_back(s.step);
      }
      const auto it = std::find_if(plan.orders.begin(), plan.orders.end(),
                                   [&](const auto& op) { return op.wo == wo; });
      if (!is_open || remaining.empty()) {
        EXPECT_EQ(it, plan.orders.end()) << wo << " should not be planned";
        continue;
      }
      ++open;
      ASSERT_NE(it, plan.orders.end()) << wo << " was not planned";
      EXPECT_TRUE(it->complete) << wo << ": " << it->unplanned;
      std::vector<std::string> planned;
      for (std::size_t i = 0; i < it->steps.size(); ++i) {
        const auto& s = it->steps[i];
        planned.push_back(s.step);
        const auto& def = *std::find_if(o.steps.begin(), o.steps.end(),
                                        [&](const auto& d) { return d.step == s.step; });
        if (def.state == sch::StepState::kRunning) {
          EXPECT_TRUE(s.running);
          EXPECT_EQ(s.equipment, def.equipment);
          EXPECT_EQ(s.start, def.started_at);
        } else {
          EXPECT_EQ(s.work, expected_work(o.qty, def.minutes_per_unit)) << wo << "/" << s.step;
        }
      }
      EXPECT_EQ(planned, remaining) << wo;
      // Tardiness as the checker sees it.
      EXPECT_EQ(it->tardiness, std::max<TimeNs>(0, it->steps.back().end - o.due)) << wo;
    }
    EXPECT_EQ(plan.orders.size(), open);
    EXPECT_EQ(joined(violations(p.world, placed(plan))), "");
    for (const auto& l : plan.work_centers) {
      EXPECT_LE(l.busy, l.available) << l.work_center;
      EXPECT_GE(l.utilisation(), 0.0);
    }
    report("seed" + std::to_string(seed), plan);
  }
}

TEST(SchedulerPlanner, TheCheckerCatchesBrokenPlans) {
  Plant p;
  p.at(kMonday + 4 * kDay + 12 * kHour);
  p.center("wash", {{{1, 2, 3, 4, 5}, 6 * 60, 14 * 60}});
  p.machine("washer-1", "wash");
  p.model.define_routing("r", {{"wash", "wash", 2000}, {"pack", "wash", 500}});
  p.order("WO-1", 120'000, "r", kMonday);
  p.order("WO-2", 60'000, "r", kMonday);
  auto steps = placed(p.plan());
  ASSERT_EQ(joined(violations(p.world, steps)), "");
  auto overlap = steps;
  overlap["WO-2"][0].start = overlap["WO-1"][0].start;
  EXPECT_NE(joined(violations(p.world, overlap)).find("overlap"), std::string::npos);
  auto order = steps;
  order["WO-1"][1].start -= kMin;
  EXPECT_NE(joined(violations(p.world, order)).find("before the previous step ends"),
            std::string::npos);
  auto weekend = steps;
  weekend["WO-1"][0].end = kMonday + 5 * kDay + 10 * kHour;  // Saturday
  EXPECT_NE(joined(violations(p.world, weekend)).find("ends outside shifts"), std::string::npos);
  auto short_work = steps;
  short_work["WO-1"][0].work += kMin;
  EXPECT_NE(joined(violations(p.world, short_work)).find("shift time"), std::string::npos);
}

}  // namespace
}  // namespace custody::testing
