// Line clearance and label control (21 CFR 211.130, EU GMP 5.35): a step whose routing asks
// for it starts only on equipment where one person recorded the line clear of the previous
// order's materials and labels and a second person verified it; a labelling step completes
// only once the labels issued to it are counted back as used, destroyed or returned, and a
// count that does not add up raises a quality exception.
#include "catalogue.h"

namespace custody::domain {
namespace {

// Labels unaccounted for are looked into within a day, like a yield out of limits.
constexpr TimeNs kLabelDeadline = 24 * kHour;

std::string wo_key(std::string_view wo) {
  return keys::entity("wo", wo);
}

// What equipment carries while a clearance for this order's step is in force.
std::string cleared_for(std::string_view wo, std::string_view step) {
  return std::string(wo) + "/" + std::string(step);
}

// Whether a line clearance (a label count) was recorded for the step.
bool cleared(s::WoStep::Reader step) {
  return step.hasClearance() && step.getClearance().getBy().size() > 0;
}
bool counted(s::WoStep::Reader step) {
  return step.hasLabels() && step.getLabels().getBy().size() > 0;
}

// Whether equipment `e` still carries the clearance made for `step` of `wo`.
bool carries(s::Equipment::Reader e, std::string_view wo, std::string_view step) {
  return sv(e.getClearedFor()) == cleared_for(wo, step);
}

std::string step_of(s::WorkOrder::Reader wo, s::WoStep::Reader step) {
  return "step " + str(step.getStep()) + " of work order " + str(wo.getWo());
}

// The step `r` names, in an order work can happen on; the step must not have started yet.
struct PendingStep {
  std::unique_ptr<Loaded<s::WorkOrder>> wo;
  int index = -1;
  [[nodiscard]] s::WorkOrder::Reader order() const { return wo->get(); }
  [[nodiscard]] s::WoStep::Reader step() const { return order().getSteps()[index]; }
};

Result<PendingStep> clearance_step(const Decide& d, std::string_view wo_id,
                                   capnp::Text::Reader step_id) {
  auto wo = workable_wo(d, wo_id);
  if (!wo) return std::unexpected(wo.error());
  const int index = step_index((*wo)->get(), step_id);
  PendingStep p{std::move(*wo), index};
  if (p.index < 0) {
    return not_found("data.step", "step " + str(step_id) + " of work order " + std::string(wo_id));
  }
  if (!p.step().getLineClearance()) {
    return invalid("data.step", step_of(p.order(), p.step()) +
                                    " does not call for a line clearance (its routing's "
                                    "lineClearance)");
  }
  if (p.step().getStatus() != s::StepStatus::PENDING) {
    return bad_state("data.step", step_of(p.order(), p.step()) +
                                      " has started; a line is cleared before its step starts");
  }
  return p;
}

std::unexpected<Error> not_cleared(s::WorkOrder::Reader wo, s::WoStep::Reader step,
                                   const std::string& why, std::string field) {
  return std::unexpected(Error{ErrorCode::kLineNotCleared,
                               step_of(wo, step) +
                                   " starts only after a line clearance verified by a second "
                                   "person; " +
                                   why,
                               std::move(field)});
}

// ---- line.clear, line.verify

Result<void> decide_clear(Decide& d, s::LineClear::Reader r) {
  auto p = clearance_step(d, sv(r.getWo()), r.getStep());
  if (!p) return std::unexpected(p.error());
  if (!r.getMaterialsRemoved()) {
    return invalid("data.materialsRemoved",
                   "a line is clear only once the previous order's materials are removed");
  }
  if (!r.getLabelsRemoved()) {
    return invalid("data.labelsRemoved",
                   "a line is clear only once the previous order's labels are removed");
  }
  auto eq = existing_equipment(d, sv(r.getEquipment()));
  if (!eq) return std::unexpected(eq.error());
  if (auto ok = check_equipment_for_step((*eq)->get(), p->order(), p->step(),
                                         "; its line is cleared once that step completes");
      !ok) {
    return ok;
  }
  if (auto ok = check_qualified(d, p->order(), p->step(), d.event_time()); !ok) return ok;
  d.emit_data("line.cleared");
  return {};
}

void apply_cleared(Apply& a, s::LineClear::Reader r) {
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         auto c = b.getSteps()[step_index(old, r.getStep())].initClearance();
                         c.setEquipment(r.getEquipment());
                         c.setBy(std::string(a.rec.actor));
                         c.setAt(a.time());
                         if (r.getNote().size() > 0) c.setNote(r.getNote());
                       });
  update<s::Equipment>(a.state, a.cf.entities, keys::entity("equipment", sv(r.getEquipment())),
                       [&](s::Equipment::Builder b, s::Equipment::Reader) {
                         b.setClearedFor(cleared_for(sv(r.getWo()), sv(r.getStep())));
                       });
  a.history("wo", sv(r.getWo()));
  a.history("equipment", sv(r.getEquipment()));
}

Result<void> decide_verify_clearance(Decide& d, s::OpVerify::Reader r) {
  auto p = clearance_step(d, sv(r.getWo()), r.getStep());
  if (!p) return std::unexpected(p.error());
  auto c = p->step().getClearance();
  if (!cleared(p->step())) {
    return bad_state("data.step",
                     "no line clearance is recorded for " + step_of(p->order(), p->step()));
  }
  if (c.getVerifiedBy().size() > 0) {
    return bad_state("data.step", "the line clearance for " + step_of(p->order(), p->step()) +
                                      " was verified already by " + str(c.getVerifiedBy()));
  }
  if (sv(c.getBy()) == d.cmd.actor) {
    return std::unexpected(Error{ErrorCode::kPermissionDenied,
                                 d.cmd.actor + " cleared the line for " +
                                     step_of(p->order(), p->step()) +
                                     "; its verifier must be a second person",
                                 "actor"});
  }
  if (d.event_time() < c.getAt()) {
    return bad_state("data.step", "the line clearance for " + step_of(p->order(), p->step()) +
                                      " was recorded after the time of this verification");
  }
  auto eq = existing_equipment(d, sv(c.getEquipment()));
  if (!eq) return std::unexpected(eq.error());
  if (!carries((*eq)->get(), sv(r.getWo()), sv(r.getStep()))) {
    return bad_state("data.step", "a later start or line clearance on equipment " +
                                      str(c.getEquipment()) +
                                      " voided this clearance; clear the line again");
  }
  if (auto ok = check_qualified(d, p->order(), p->step(), d.event_time()); !ok) return ok;
  d.emit_data("line.verified");
  return {};
}

void apply_clearance_verified(Apply& a, s::OpVerify::Reader r) {
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         auto c = b.getSteps()[step_index(old, r.getStep())].getClearance();
                         c.setVerifiedBy(std::string(a.rec.actor));
                         c.setVerifiedAt(a.time());
                       });
  a.history("wo", sv(r.getWo()));
}

// ---- label.reconcile

Result<void> check_count(std::int64_t n, const char* field) {
  if (n < 0) return invalid(field, "must not be negative");
  return {};
}

std::string labels_text(s::LabelReconcile::Reader r) {
  return std::to_string(r.getIssued()) + " issued, " + std::to_string(r.getUsed()) + " used, " +
         std::to_string(r.getDestroyed()) + " destroyed, " + std::to_string(r.getReturned()) +
         " returned";
}

Result<void> decide_reconcile(Decide& d, s::LabelReconcile::Reader r) {
  auto wo = workable_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  auto i = started_step(w, r.getStep());
  if (!i) return std::unexpected(i.error());
  auto step = w.getSteps()[*i];
  if (!step.getLabelling()) {
    return invalid("data.step",
                   step_of(w, step) + " is not issued labels (its routing's labelling)");
  }
  if (counted(step)) {
    return bad_state("data.step", "the labels of " + step_of(w, step) +
                                      " were reconciled already by " +
                                      str(step.getLabels().getBy()));
  }
  if (r.getIssued() <= 0) return invalid("data.issued", "must be positive");
  for (auto [n, field] :
       {std::pair{r.getUsed(), "data.used"}, std::pair{r.getDestroyed(), "data.destroyed"},
        std::pair{r.getReturned(), "data.returned"}}) {
    if (auto ok = check_count(n, field); !ok) return ok;
  }
  auto accounted = add_quantity(r.getUsed(), r.getDestroyed(), "data.destroyed");
  if (accounted) accounted = add_quantity(*accounted, r.getReturned(), "data.returned");
  if (!accounted) return std::unexpected(accounted.error());
  if (auto ok = check_qualified(d, w, step, d.event_time()); !ok) return ok;
  d.emit_data("label.reconciled");
  if (*accounted == r.getIssued()) return {};
  // The record stands (it is what was counted); what is missing or extra is for QA to find.
  const std::int64_t gap = r.getIssued() - *accounted;
  raise_automatic_exception(
      d, s::ExceptionCategory::QUALITY,
      "Labels of " + step_of(w, step) + " do not reconcile: " + labels_text(r) + "; " +
          (gap > 0 ? std::to_string(gap) + " unaccounted for"
                   : std::to_string(-gap) + " more accounted for than issued") +
          " (21 CFR 211.130)",
      kLabelDeadline, [&](s::ExceptionRaised::Builder x) {
        x.setWo(r.getWo());
        if (step.getEquipment().size() > 0) x.setEquipment(step.getEquipment());
        auto produced = w.getProduced();
        auto lots = x.initLots(produced.size());
        for (unsigned k = 0; k < produced.size(); ++k) lots.set(k, produced[k].getLot());
      });
  return {};
}

void apply_reconciled(Apply& a, s::LabelReconcile::Reader r) {
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         auto l = b.getSteps()[step_index(old, r.getStep())].initLabels();
                         l.setIssued(r.getIssued());
                         l.setUsed(r.getUsed());
                         l.setDestroyed(r.getDestroyed());
                         l.setReturned(r.getReturned());
                         l.setBy(std::string(a.rec.actor));
                         l.setAt(a.time());
                       });
  a.history("wo", sv(r.getWo()));
}

}  // namespace

Result<void> check_line_cleared(s::WorkOrder::Reader wo, s::WoStep::Reader step,
                                s::Equipment::Reader e, TimeNs at) {
  if (!step.getLineClearance()) return {};
  auto c = step.getClearance();
  if (!cleared(step)) {
    return not_cleared(wo, step, "none is recorded", "data.step");
  }
  if (c.getEquipment() != e.getEquipment()) {
    return not_cleared(wo, step,
                       "the line was cleared on equipment " + str(c.getEquipment()) + ", not on " +
                           str(e.getEquipment()),
                       "data.equipment");
  }
  if (!carries(e, sv(wo.getWo()), sv(step.getStep()))) {
    return not_cleared(wo, step,
                       "a later start or line clearance on equipment " + str(e.getEquipment()) +
                           " voided the clearance by " + str(c.getBy()),
                       "data.equipment");
  }
  if (c.getVerifiedBy().size() == 0 || at < c.getVerifiedAt()) {
    return not_cleared(wo, step,
                       "the clearance by " + str(c.getBy()) +
                           (c.getVerifiedBy().size() == 0 ? " is not verified yet"
                                                          : " was verified after this start"),
                       "data.step");
  }
  return {};
}

bool start_voids_clearance(const State& state, const Cfs& cf, std::string_view cleared, TimeNs at) {
  const auto slash = cleared.rfind('/');
  if (slash == std::string_view::npos) return true;
  auto wo = load<s::WorkOrder>(state, cf.entities, wo_key(cleared.substr(0, slash)));
  if (!wo) return true;
  for (auto step : wo->get().getSteps()) {
    if (sv(step.getStep()) == cleared.substr(slash + 1)) return at >= step.getClearance().getAt();
  }
  return true;
}

Result<void> check_labels_reconciled(s::WorkOrder::Reader wo, s::WoStep::Reader step) {
  if (!step.getLabelling() || counted(step)) return {};
  return std::unexpected(Error{ErrorCode::kLabelsNotReconciled,
                               "the labels issued to " + step_of(wo, step) +
                                   " must be reconciled (label.reconcile) before it completes",
                               "data.step"});
}

const Area& line_control_area() {
  static const Area area{
      "line clearance and labels",
      {command<s::LineClear, decide_clear>("line.clear", {"line.cleared"}, stream("wo", "wo")),
       command<s::OpVerify, decide_verify_clearance>("line.verify", {"line.verified"},
                                                     stream("wo", "wo")),
       command<s::LabelReconcile, decide_reconcile>(
           "label.reconcile", {"label.reconciled", "exception.raised"}, stream("wo", "wo"))},
      {event<s::LineClear, apply_cleared>("line.cleared"),
       event<s::OpVerify, apply_clearance_verified>("line.verified"),
       event<s::LabelReconcile, apply_reconciled>("label.reconciled")}};
  return area;
}

}  // namespace custody::domain
