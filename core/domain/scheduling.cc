// Scheduling: wo.schedule records a plan for a work order's remaining steps (start and end
// per step, optionally the machine). A scheduler plugin submits it; people may too. A later
// schedule replaces the plan for the steps it names. Planning starts nothing: op.start is
// still what puts a step on a machine.
#include "catalogue.h"

namespace custody::domain {
namespace {

std::unexpected<Error> out_of_order(std::string field, std::string message) {
  return std::unexpected(
      Error{ErrorCode::kSequenceViolation, std::move(message), std::move(field)});
}

Result<void> decide_schedule(Decide& d, s::WoSchedule::Reader r) {
  auto loaded = find_wo(d, sv(r.getWo()));
  if (!loaded) return not_found("data.wo", "work order " + str(r.getWo()));
  auto wo = loaded->get();
  const auto status = wo.getStatus();
  if (status == s::WoStatus::COMPLETED || status == s::WoStatus::CLOSED) {
    return bad_state("data.wo", "work order " + str(r.getWo()) + " is " +
                                    std::string(wo_status_name(status)) +
                                    "; only open orders can be scheduled");
  }
  auto planned = r.getSteps();
  if (planned.size() == 0) return invalid("data.steps", "must name at least one step");
  auto steps = wo.getSteps();
  int previous_index = -1;
  TimeNs previous_end = 0;
  for (unsigned i = 0; i < planned.size(); ++i) {
    auto p = planned[i];
    const std::string field = "data.steps[" + std::to_string(i) + "]";
    int index = -1;
    for (unsigned k = 0; k < steps.size(); ++k) {
      if (steps[k].getStep() == p.getStep()) index = static_cast<int>(k);
    }
    if (index < 0) {
      return not_found(field + ".step",
                       "step " + str(p.getStep()) + " of work order " + str(r.getWo()));
    }
    if (index == previous_index) {
      return invalid(field + ".step", "step " + str(p.getStep()) + " is planned twice");
    }
    if (index < previous_index) {
      return out_of_order(field + ".step", "steps must be listed in routing order; " +
                                               str(p.getStep()) + " comes before " +
                                               str(steps[previous_index].getStep()));
    }
    if (steps[index].getStatus() == s::StepStatus::COMPLETED) {
      return bad_state(field + ".step", "step " + str(p.getStep()) + " of work order " +
                                            str(r.getWo()) + " is already completed");
    }
    if (p.getEnd() <= p.getStart()) return invalid(field + ".end", "must be after start");
    if (previous_index >= 0 && p.getStart() < previous_end) {
      return out_of_order(field + ".start", "step " + str(p.getStep()) +
                                                " is planned to start before step " +
                                                str(steps[previous_index].getStep()) + " ends");
    }
    if (p.getEquipment().size() > 0) {
      auto eq = find_equipment(d, sv(p.getEquipment()));
      if (!eq) return not_found(field + ".equipment", "equipment " + str(p.getEquipment()));
      if (eq->get().getWorkCenter() != steps[index].getWorkCenter()) {
        return invalid(field + ".equipment",
                       "equipment " + str(p.getEquipment()) + " is in work center " +
                           str(eq->get().getWorkCenter()) + "; step " + str(p.getStep()) +
                           " runs in " + str(steps[index].getWorkCenter()));
      }
    }
    previous_index = index;
    previous_end = p.getEnd();
  }
  d.emit_data("wo.scheduled");
  return {};
}

// Writes the plan onto the order's steps; the order's window spans every planned step, old
// plans for other steps included.
void plan_order(s::WorkOrder::Builder order, s::WoSchedule::Reader plan) {
  auto steps = order.getSteps();
  for (auto p : plan.getSteps()) {
    for (auto step : steps) {
      if (step.getStep() != p.getStep()) continue;
      step.setScheduledStart(p.getStart());
      step.setScheduledEnd(p.getEnd());
      step.setScheduledEquipment(p.getEquipment());
    }
  }
  TimeNs first = 0;
  TimeNs last = 0;
  for (auto step : steps) {
    if (step.getScheduledStart() == 0) continue;
    if (first == 0 || step.getScheduledStart() < first) first = step.getScheduledStart();
    last = std::max(last, step.getScheduledEnd());
  }
  order.setScheduledStart(first);
  order.setScheduledEnd(last);
  order.setPlan(plan.getPlan());
}

void apply_scheduled(Apply& a, s::WoSchedule::Reader r) {
  update<s::WorkOrder>(a.state, a.cf.entities, keys::entity("wo", sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) { plan_order(b, r); });
}

}  // namespace

const Area& scheduling_area() {
  static const Area area{"scheduling",
                         {command<s::WoSchedule, decide_schedule>("wo.schedule", {"wo.scheduled"},
                                                                  stream("wo", "wo"))},
                         {event<s::WoSchedule, apply_scheduled>("wo.scheduled")}};
  return area;
}

}  // namespace custody::domain
