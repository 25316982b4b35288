// scheduler: finite-capacity forward scheduling of released work orders over work centers
// (docs/plugins/scheduler.md). This file is the plugin around the planner: it builds the
// Model from the records it subscribes to, plans when the model has changed, and submits a
// wo.schedule for every order whose plan differs from what the ledger already holds.
//
//   start     parse the config (a bad one is refused: invalid_argument), note where history
//             ends (head), subscribe from seq 1, tick every replanDelayMs
//   records   update the model; a change marks it dirty
//   tick      once history has been read and the model is dirty: plan, submit, log
//
// Debouncing: records only mark the model dirty and a tick plans, so a burst of records
// (catching up on history, a busy shift) costs one plan, not one per record.
#include <capnp/serialize.h>

#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

#include "config.h"
#include "custody/plugin.hpp"
#include "model.h"
#include "planner.h"
#include "schema/commands.capnp.h"

namespace custody::scheduler {
namespace {

using custody::sdk::Host;
using custody::sdk::Records;
namespace cs = custody::schema;

// Every command id the scheduler submits is "scheduler:p<revision>:<wo>".
constexpr std::string_view kCommandPrefix = "scheduler:p";

std::string str(capnp::Text::Reader t) {
  return std::string(t.cStr(), t.size());
}

// Calls f with the record's payload decoded as T. Payloads are canonical Cap'n Proto: one
// segment, no segment table, 8-byte aligned (plugin.h).
template <typename T, typename F>
void decode(const custody_record& r, F&& f) {
  if (r.payload == nullptr || r.payload_size < sizeof(capnp::word)) return;
  kj::ArrayPtr<const capnp::word> words(reinterpret_cast<const capnp::word*>(r.payload),
                                        r.payload_size / sizeof(capnp::word));
  capnp::SegmentArrayMessageReader message(kj::arrayPtr(&words, 1));
  f(message.getRoot<T>());
}

// "2026-11-21T08:00Z": minutes are what a plan is read in.
std::string format_time(TimeNs t) {
  using namespace std::chrono;
  const sys_time<nanoseconds> tp{nanoseconds(t)};
  const auto day = floor<days>(tp);
  const year_month_day ymd(day);
  const hh_mm_ss hms(floor<minutes>(tp - day));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()));
  return buf;
}

// "3h05m", "45m", "0m".
std::string format_duration(TimeNs d) {
  const long long minutes = d / kNsPerMinute;
  if (minutes < 60) return std::to_string(minutes) + "m";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lldh%02lldm", minutes / 60, minutes % 60);
  return buf;
}

std::string percent(double x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", x * 100.0);
  return buf;
}

// What the ledger holds for one step of an order: the latest wo.scheduled naming it.
struct StepPlan {
  TimeNs start = 0;
  TimeNs end = 0;
  std::string equipment;
  bool operator==(const StepPlan&) const = default;
};

class Scheduler : public custody::sdk::Plugin {
 public:
  explicit Scheduler(Host host) : Plugin(host) {}

  // `custody plugins check --config` and `plugins add` ask this before anything runs.
  static void check_config(const std::string& json) {
    if (auto config = parse_config(json); !config) sdk::refuse_config(config.error());
  }

  void start() override {
    // A bad configuration is refused rather than scheduled with settings nobody meant. It is
    // the operator's to fix, so it is a Refusal: the host reports invalid_argument with this
    // message, and the field is the setting's path under the plugin entry's "config".
    auto config = parse_config(host().config());
    if (!config) sdk::refuse_config(config.error());
    options_.calendars = config->calendars;
    options_.repair_estimate = config->repair_estimate_minutes * kNsPerMinute;
    options_.horizon = config->horizon_days * kNsPerDay;

    // Plan once history has been read, not record by record on the way there.
    std::string head;
    if (auto r = host().query(R"({"view":"head"})", head); r) {
      boost::system::error_code ec;
      const auto v = boost::json::parse(head, ec);
      const auto* seq = ec || !v.is_object() ? nullptr : v.as_object().if_contains("seq");
      if (seq != nullptr && seq->is_number()) catch_up_to_ = seq->to_number<std::uint64_t>();
    } else {
      host().warn("cannot read the head (" + r.code + ": " + r.message +
                  "); planning once a tick passes without new records");
    }
    if (catch_up_to_ && *catch_up_to_ == 0) caught_up_ = true;
    if (auto r = host().subscribe(1); !r) {
      throw std::runtime_error("cannot subscribe to records: " + r.code + ": " + r.message);
    }
    host().set_tick_interval(static_cast<std::uint64_t>(config->replan_delay_ms));
    std::string centers;
    for (const auto& [name, cal] : options_.calendars) {
      centers += (centers.empty() ? "" : ", ") + name;
    }
    host().info("scheduling with calendars for [" + centers + "] (others around the clock), " +
                "horizon " + std::to_string(config->horizon_days) + " days, repair estimate " +
                std::to_string(config->repair_estimate_minutes) + " min");
  }

  void on_records(Records records) override {
    for (const custody_record& r : records) {
      last_seq_ = r.seq;
      try {
        if (apply(r)) dirty_ = true;
      } catch (const kj::Exception& e) {
        host().warn("record " + std::to_string(r.seq) + " (" + r.type +
                    ") could not be read: " + e.getDescription().cStr());
      }
    }
    delivered_since_tick_ = true;
    if (!caught_up_ && catch_up_to_ && last_seq_ >= *catch_up_to_) caught_up_ = true;
  }

  void on_tick(std::int64_t) override {
    // Without the head, history counts as read once a whole tick brings no records.
    if (!caught_up_ && !catch_up_to_ && !delivered_since_tick_) caught_up_ = true;
    delivered_since_tick_ = false;
    if (!caught_up_ || !dirty_) return;
    dirty_ = false;
    replan(host().now());
  }

 private:
  // Applies one record to the model; true when planning inputs changed.
  bool apply(const custody_record& r) {
    const std::string_view type = r.type;
    bool changed = false;
    if (type == "equipment.defined") {
      decode<cs::EquipmentDefine>(r, [&](auto e) {
        changed = model_.define_equipment(str(e.getEquipment()), str(e.getWorkCenter()));
      });
    } else if (type == "routing.defined") {
      decode<cs::RoutingDefine>(r, [&](auto d) {
        std::vector<RoutingStepDef> steps;
        for (auto s : d.getSteps()) {
          steps.push_back({str(s.getStep()), str(s.getWorkCenter()), s.getMinutesPerUnit()});
        }
        changed = model_.define_routing(str(d.getRouting()), std::move(steps));
      });
    } else if (type == "wo.created") {
      decode<cs::WoCreate>(r, [&](auto c) {
        changed = model_.create_order(str(c.getWo()), c.getQty(), str(c.getRouting()), c.getDue());
      });
    } else if (type == "wo.released" || type == "wo.completed" || type == "wo.closed") {
      decode<cs::WoRef>(r, [&](auto w) {
        const std::string wo = str(w.getWo());
        if (type == "wo.released") {
          changed = model_.release_order(wo);
        } else if (type == "wo.completed") {
          changed = model_.complete_order(wo);
        } else {  // closed for good: forget it, so memory follows the open orders
          changed = model_.close_order(wo);
          ledger_plans_.erase(wo);
          submitted_seq_.erase(wo);
        }
      });
    } else if (type == "op.started") {
      decode<cs::OpStart>(r, [&](auto o) {
        changed = model_.start_step(str(o.getWo()), str(o.getStep()), str(o.getEquipment()),
                                    r.recorded_at);
      });
    } else if (type == "op.completed") {
      decode<cs::OpRef>(
          r, [&](auto o) { changed = model_.complete_step(str(o.getWo()), str(o.getStep())); });
    } else if (type == "exception.raised") {
      decode<cs::ExceptionRaised>(r, [&](auto e) {
        if (e.getCategory() != cs::ExceptionCategory::EQUIPMENT || e.getEquipment().size() == 0) {
          return;
        }
        changed = model_.raise_equipment_exception(str(e.getException()), str(e.getEquipment()),
                                                   r.recorded_at);
      });
    } else if (type == "exception.resolved") {
      decode<cs::ExceptionResolve>(
          r, [&](auto e) { changed = model_.clear_exception(str(e.getException())); });
    } else if (type == "exception.closed") {
      decode<cs::ExceptionRef>(
          r, [&](auto e) { changed = model_.clear_exception(str(e.getException())); });
    } else if (type == "wo.scheduled") {
      decode<cs::WoSchedule>(r, [&](auto s) { remember_schedule(r, s); });
    }
    return changed;
  }

  // A wo.scheduled from the log: what the ledger now plans for those steps. Our own
  // submissions are already known (submitted_seq_). Revisions are read back from command
  // ids ("plugin:<id>/scheduler:p<N>:<wo>"), whoever's actor wrote them, so that the next
  // revision's command ids are new after a restart: command ids are unique per ledger forever.
  void remember_schedule(const custody_record& r, cs::WoSchedule::Reader s) {
    const std::string wo = str(s.getWo());
    std::string_view id = r.command_id != nullptr ? r.command_id : "";
    // The host records a plugin's ids as "plugin:<id>/<our id>".
    if (const auto slash = id.rfind('/'); slash != std::string_view::npos) {
      id.remove_prefix(slash + 1);
    }
    if (id.starts_with(kCommandPrefix)) {
      const char* digits = id.data() + kCommandPrefix.size();
      std::uint64_t n = 0;
      if (std::from_chars(digits, id.data() + id.size(), n).ec == std::errc()) {
        revision_ = std::max(revision_, n);
      }
    }
    if (auto it = submitted_seq_.find(wo); it != submitted_seq_.end() && r.seq <= it->second) {
      return;
    }
    auto& steps = ledger_plans_[wo];
    for (auto p : s.getSteps()) {
      steps[str(p.getStep())] = StepPlan{p.getStart(), p.getEnd(), str(p.getEquipment())};
    }
  }

  bool differs_from_ledger(const OrderPlan& op) const {
    auto it = ledger_plans_.find(op.wo);
    if (it == ledger_plans_.end()) return true;
    for (const PlannedStep& s : op.steps) {
      auto step = it->second.find(s.step);
      if (step == it->second.end() || !(step->second == StepPlan{s.start, s.end, s.equipment})) {
        return true;
      }
    }
    return false;
  }

  // Submits op as wo.schedule of revision p<revision_>; false when custody refused it.
  bool submit(const OrderPlan& op) {
    const std::string plan = "p" + std::to_string(revision_);
    capnp::MallocMessageBuilder message;
    auto w = message.initRoot<cs::WoSchedule>();
    w.setWo(op.wo);
    w.setPlan(plan);
    auto steps = w.initSteps(static_cast<unsigned>(op.steps.size()));
    for (unsigned i = 0; i < op.steps.size(); ++i) {
      steps[i].setStep(op.steps[i].step);
      steps[i].setStart(op.steps[i].start);
      steps[i].setEnd(op.steps[i].end);
      steps[i].setEquipment(op.steps[i].equipment);
    }
    const auto words = capnp::messageToFlatArray(message);
    const auto bytes = words.asBytes();
    const std::string command_id =
        std::string(kCommandPrefix) + std::to_string(revision_) + ":" + op.wo;
    auto r = host().submit("wo.schedule", command_id, bytes.begin(), bytes.size());
    if (!r) {
      host().warn("wo.schedule " + command_id + " rejected: " + r.code + ": " + r.message +
                  (r.field.empty() ? "" : " (" + r.field + ")"));
      return false;
    }
    if (r.duplicate) {
      host().warn("wo.schedule " + command_id + " was already submitted; plan not replaced");
      return false;
    }
    submitted_seq_[op.wo] = r.seq;
    auto& known = ledger_plans_[op.wo];
    for (const PlannedStep& s : op.steps) known[s.step] = StepPlan{s.start, s.end, s.equipment};
    return true;
  }

  void replan(TimeNs now) {
    const Plan p = plan(model_, now, options_);
    std::vector<const OrderPlan*> changed;
    for (const OrderPlan& op : p.orders) {
      if (!op.steps.empty() && differs_from_ledger(op)) changed.push_back(&op);
    }
    std::size_t submitted = 0;
    if (!changed.empty()) {
      ++revision_;
      for (const OrderPlan* op : changed) submitted += submit(*op) ? 1 : 0;
    }
    log_plan(p, changed.size(), submitted);
  }

  // One line per plan for operators; one debug line per order.
  void log_plan(const Plan& p, std::size_t changed, std::size_t submitted) const {
    std::string line = "planned " + std::to_string(p.orders.size()) + " orders";
    if (changed == 0) {
      line += " (unchanged, nothing submitted)";
    } else {
      line += " (p" + std::to_string(revision_) + ": " + std::to_string(submitted) +
              " schedules submitted, " + std::to_string(changed - submitted) + " refused)";
    }
    line += "; " + std::to_string(p.late_orders) + " late, total tardiness " +
            format_duration(p.total_tardiness) + "; utilisation " + format_time(p.origin) + ".." +
            format_time(p.window_end) + ":";
    const char* separator = " ";
    for (const WorkCenterLoad& l : p.work_centers) {
      line += separator + l.work_center + " " + percent(l.utilisation()) + " (" +
              std::to_string(l.machines) + (l.machines == 1 ? " machine)" : " machines)");
      separator = ", ";
    }
    std::string unplanned;
    for (const OrderPlan& op : p.orders) {
      if (!op.complete) {
        unplanned += (unplanned.empty() ? "" : ", ") + op.wo + " (" + op.unplanned + ")";
        continue;
      }
      host().log(CUSTODY_LOG_DEBUG, op.wo + ": ends " + format_time(op.end) + ", due " +
                                        format_time(op.due) + ", tardiness " +
                                        format_duration(op.tardiness));
    }
    if (!unplanned.empty()) line += "; not fully planned: " + unplanned;
    host().info(line);
  }

  Model model_;
  PlannerOptions options_;
  std::optional<std::uint64_t> catch_up_to_;  // the head when we started, if readable
  std::uint64_t last_seq_ = 0;
  bool caught_up_ = false;
  bool delivered_since_tick_ = false;
  bool dirty_ = false;
  std::uint64_t revision_ = 0;
  std::map<std::string, std::map<std::string, StepPlan>> ledger_plans_;  // wo -> step -> plan
  std::map<std::string, std::uint64_t> submitted_seq_;  // wo -> seq of our latest schedule
};

const char* const kCapabilities[] = {"read", "subscribe", "submit:wo"};

}  // namespace
}  // namespace custody::scheduler

CUSTODY_PLUGIN(custody::scheduler::Scheduler, "scheduler", "1.0.0",
               "Finite-capacity forward scheduling of released work orders", CUSTODY_KIND_SCHEDULER,
               custody::scheduler::kCapabilities)
