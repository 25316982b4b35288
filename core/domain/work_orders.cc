// Work orders and their operations: created from a routing, released, each step started on
// equipment, material consumed and produced, good and scrap reported, steps completed in
// routing order, the order completed and closed.
#include "catalogue.h"
#include "custody/common/encoding.h"
#include "yields.h"

namespace custody::domain {

// Work happens on orders that exist, are released and are not yet completed.
Result<std::unique_ptr<Loaded<s::WorkOrder>>> workable_wo(const Decide& d, std::string_view id) {
  auto wo = existing_wo(d, id);
  if (!wo) return wo;
  const auto st = (*wo)->get().getStatus();
  if (st != s::WoStatus::RELEASED && st != s::WoStatus::IN_PROGRESS) {
    return bad_state("data.wo",
                     "work order " + std::string(id) + " is " + std::string(wo_status_name(st)));
  }
  return wo;
}

// Index of `step` in the order, or -1.
int step_index(s::WorkOrder::Reader wo, capnp::Text::Reader step) {
  auto steps = wo.getSteps();
  for (unsigned i = 0; i < steps.size(); ++i) {
    if (steps[i].getStep() == step) return static_cast<int>(i);
  }
  return -1;
}

// The step must exist and have started (running or completed).
Result<int> started_step(s::WorkOrder::Reader wo, capnp::Text::Reader step) {
  const int i = step_index(wo, step);
  if (i < 0)
    return not_found("data.step", "step " + str(step) + " of work order " + str(wo.getWo()));
  if (wo.getSteps()[i].getStatus() == s::StepStatus::PENDING) {
    return bad_state("data.step", "step " + str(step) + " has not started");
  }
  return i;
}

Result<void> check_equipment_for_step(s::Equipment::Reader e, s::WorkOrder::Reader wo,
                                      s::WoStep::Reader step, std::string_view when_free) {
  if (e.getWorkCenter() != step.getWorkCenter()) {
    return invalid("data.equipment", "equipment " + str(e.getEquipment()) + " is in work center " +
                                         str(e.getWorkCenter()) + "; step " + str(step.getStep()) +
                                         " of work order " + str(wo.getWo()) + " runs in " +
                                         str(step.getWorkCenter()));
  }
  if (e.getState() == s::EquipmentState::RUNNING) {
    return bad_state("data.equipment", "equipment " + str(e.getEquipment()) + " is running " +
                                           str(e.getWo()) + " step " + str(e.getStep()) +
                                           std::string(when_free));
  }
  return {};
}

namespace {

// A yield outside its limits is looked into within a day.
constexpr TimeNs kYieldDeadline = 24 * kHour;

std::string wo_key(std::string_view wo) {
  return keys::entity("wo", wo);
}

// An existing order in status `wanted`; otherwise invalid_state, saying `why`.
Result<std::unique_ptr<Loaded<s::WorkOrder>>> wo_in(const Decide& d, std::string_view id,
                                                    s::WoStatus wanted, std::string_view why) {
  auto wo = existing_wo(d, id);
  if (!wo) return wo;
  if ((*wo)->get().getStatus() != wanted) {
    return bad_state("data.wo", "work order " + std::string(id) + " is " +
                                    std::string(wo_status_name((*wo)->get().getStatus())) +
                                    (why.empty() ? "" : "; " + std::string(why)));
  }
  return wo;
}

// The step must exist and be running.
Result<int> running_step(s::WorkOrder::Reader wo, capnp::Text::Reader step) {
  const int i = step_index(wo, step);
  if (i < 0)
    return not_found("data.step", "step " + str(step) + " of work order " + str(wo.getWo()));
  if (wo.getSteps()[i].getStatus() != s::StepStatus::RUNNING) {
    return bad_state("data.step",
                     "step " + str(step) + " of work order " + str(wo.getWo()) + " is not running");
  }
  return i;
}

// Adds `who` to a list of names unless present.
void add_name(capnp::List<capnp::Text>::Builder& list, capnp::List<capnp::Text>::Reader old,
              capnp::Text::Reader who,
              std::function<capnp::List<capnp::Text>::Builder(unsigned)> init) {
  for (auto n : old) {
    if (n == who) return;
  }
  list = init(old.size() + 1);
  for (unsigned i = 0; i < old.size(); ++i) list.set(i, old[i]);
  list.set(old.size(), who);
}

// Adds qty to the entry for `lot` in a LotQty list (copy-on-write).
void add_lot_qty(capnp::List<s::LotQty>::Reader old, capnp::Text::Reader lot, std::int64_t qty,
                 const std::function<capnp::List<s::LotQty>::Builder(unsigned)>& init) {
  int found = -1;
  for (unsigned i = 0; i < old.size(); ++i) {
    if (old[i].getLot() == lot) found = static_cast<int>(i);
  }
  auto list = init(old.size() + (found < 0 ? 1 : 0));
  for (unsigned i = 0; i < old.size(); ++i) {
    list[i].setLot(old[i].getLot());
    list[i].setQty(old[i].getQty() + (static_cast<int>(i) == found ? qty : 0));
  }
  if (found < 0) {
    list[old.size()].setLot(lot);
    list[old.size()].setQty(qty);
  }
}

// ---- wo.create

Result<void> decide_create(Decide& d, s::WoCreate::Reader r) {
  if (find_wo(d, sv(r.getWo()))) return already_exists("data.wo", "work order " + str(r.getWo()));
  if (!find_material(d, sv(r.getMaterial())))
    return not_found("data.material", "material " + str(r.getMaterial()));
  auto routing = find_routing(d, sv(r.getRouting()));
  if (!routing) return not_found("data.routing", "routing " + str(r.getRouting()));
  if (routing->get().getMaterial() != r.getMaterial()) {
    return invalid("data.routing", "routing " + str(r.getRouting()) + " makes " +
                                       str(routing->get().getMaterial()) + ", not " +
                                       str(r.getMaterial()));
  }
  if (r.getQty() <= 0) return invalid("data.qty", "must be greater than zero");
  d.emit_data("wo.created");
  return {};
}

void apply_created(Apply& a, s::WoCreate::Reader r) {
  auto routing =
      load<s::RoutingDefine>(a.state, a.cf.entities, keys::entity("routing", sv(r.getRouting())));
  auto steps = routing->get().getSteps();
  capnp::MallocMessageBuilder msg(512);
  auto wo = msg.initRoot<s::WorkOrder>();
  wo.setWo(r.getWo());
  wo.setMaterial(r.getMaterial());
  wo.setQty(r.getQty());
  wo.setRouting(r.getRouting());
  wo.setDue(r.getDue());
  wo.setStatus(s::WoStatus::CREATED);
  wo.setCreatedAt(a.time());
  auto ws = wo.initSteps(steps.size());
  for (unsigned i = 0; i < steps.size(); ++i) {
    ws[i].setStep(steps[i].getStep());
    ws[i].setWorkCenter(steps[i].getWorkCenter());
    ws[i].setStatus(s::StepStatus::PENDING);
    ws[i].setCritical(steps[i].getCritical());
    ws[i].setLineClearance(steps[i].getLineClearance());
    ws[i].setLabelling(steps[i].getLabelling());
  }
  put_struct(a.state, a.cf.entities, wo_key(sv(r.getWo())), wo);
  a.history("wo", sv(r.getWo()));
}

// ---- wo.release, wo.complete, wo.close

Result<void> decide_release(Decide& d, s::WoRef::Reader r) {
  auto wo = wo_in(d, sv(r.getWo()), s::WoStatus::CREATED, "only created orders can be released");
  if (!wo) return std::unexpected(wo.error());
  d.emit_data("wo.released");
  return {};
}

void apply_released(Apply& a, s::WoRef::Reader r) {
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
                         b.setStatus(s::WoStatus::RELEASED);
                         b.setReleasedAt(a.time());
                       });
  a.index(keys::wip(sv(r.getWo())));
  a.history("wo", sv(r.getWo()));
}

Result<void> decide_complete(Decide& d, s::WoRef::Reader r) {
  auto wo = wo_in(d, sv(r.getWo()), s::WoStatus::IN_PROGRESS, "");
  if (!wo) return std::unexpected(wo.error());
  for (auto step : (*wo)->get().getSteps()) {
    if (step.getStatus() != s::StepStatus::COMPLETED) {
      return bad_state("data.wo", "step " + str(step.getStep()) + " of work order " +
                                      str(r.getWo()) + " is not complete");
    }
  }
  auto w = (*wo)->get();
  auto y = order_yield(w, [&](std::string_view key) -> Result<std::optional<std::string>> {
    return d.state.get(d.cf.entities, key);
  });
  if (!y) return std::unexpected(y.error());
  capnp::MallocMessageBuilder msg(64);
  auto e = msg.initRoot<s::WoCompleted>();
  e.setWo(r.getWo());
  e.setTheoretical(y->theoretical);
  e.setActual(y->actual);
  e.setBasis(y->basis);
  d.emit_own("wo.completed", e);
  // Outside the product's limits (judged on the exact figure): an exception on the order's
  // lots for QA to investigate; it holds nothing by itself.
  const auto percent = yield_percent(y->actual, y->theoretical);
  if (percent && !yield_in_limits(*percent, y->min, y->max)) {
    raise_automatic_exception(
        d, s::ExceptionCategory::QUALITY,
        "Yield of work order " + str(r.getWo()) + " is " + percent_text(*percent) +
            " of theoretical (" + qty_text(y->actual) + " of " + qty_text(y->theoretical) + " " +
            str(w.getMaterial()) + "); its limits are " + limits_text(y->min, y->max),
        kYieldDeadline, [&](s::ExceptionRaised::Builder x) {
          x.setWo(r.getWo());
          auto produced = w.getProduced();
          auto lots = x.initLots(produced.size());
          for (unsigned k = 0; k < produced.size(); ++k) lots.set(k, produced[k].getLot());
        });
  }
  return {};
}

void apply_completed(Apply& a, s::WoCompleted::Reader r) {
  TimeNs due = 0;
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
                         b.setStatus(s::WoStatus::COMPLETED);
                         b.setCompletedAt(a.time());
                         due = b.getDue();
                       });
  a.unindex(keys::wip(sv(r.getWo())));
  capnp::MallocMessageBuilder msg(64);
  auto f = msg.initRoot<s::Fact>().initWoCompleted();
  f.setWo(r.getWo());
  f.setDue(due);
  f.setOnTime(a.time() <= due);
  a.fact(msg.getRoot<s::Fact>());
  a.history("wo", sv(r.getWo()));
}

Result<void> decide_close(Decide& d, s::WoRef::Reader r) {
  auto wo = wo_in(d, sv(r.getWo()), s::WoStatus::COMPLETED, "only completed orders can be closed");
  if (!wo) return std::unexpected(wo.error());
  d.emit_data("wo.closed");
  return {};
}

void apply_closed(Apply& a, s::WoRef::Reader r) {
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
                         b.setStatus(s::WoStatus::CLOSED);
                         b.setClosedAt(a.time());
                       });
  a.history("wo", sv(r.getWo()));
}

// ---- op.start, op.complete, op.report

Result<void> decide_start(Decide& d, s::OpStart::Reader r) {
  auto wo = workable_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  const int i = step_index(w, r.getStep());
  if (i < 0)
    return not_found("data.step", "step " + str(r.getStep()) + " of work order " + str(r.getWo()));
  auto steps = w.getSteps();
  if (steps[i].getStatus() != s::StepStatus::PENDING) {
    return bad_state("data.step", "step " + str(r.getStep()) + " of work order " + str(r.getWo()) +
                                      " has already started");
  }
  if (i > 0 && steps[i - 1].getStatus() != s::StepStatus::COMPLETED) {
    return std::unexpected(Error{ErrorCode::kSequenceViolation,
                                 "step " + str(steps[i - 1].getStep()) +
                                     " must be completed before " + str(r.getStep()) + " starts",
                                 "data.step"});
  }
  if (auto ok = check_qualified(d, w, steps[i], d.event_time()); !ok) return ok;
  auto eq = existing_equipment(d, sv(r.getEquipment()));
  if (!eq) return std::unexpected(eq.error());
  auto e = (*eq)->get();
  if (auto ok = check_equipment_for_step(e, w, steps[i]); !ok) return ok;
  if (e.getState() == s::EquipmentState::DOWN) {
    return bad_state("data.equipment", "equipment " + str(r.getEquipment()) +
                                           " is down (an equipment exception is open)");
  }
  if (auto ok = check_equipment_ready(d, e, w, d.event_time()); !ok) return ok;
  if (auto ok = check_line_cleared(w, steps[i], e, d.event_time()); !ok) return ok;
  d.emit_data("op.started");
  return {};
}

void apply_started(Apply& a, s::OpStart::Reader r) {
  const capnp::Text::Reader actor(a.rec.actor.data(), a.rec.actor.size());
  std::string material;
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         material = str(old.getMaterial());
                         if (b.getStatus() == s::WoStatus::RELEASED) {
                           b.setStatus(s::WoStatus::IN_PROGRESS);
                           b.setStartedAt(a.time());
                         }
                         const int i = step_index(old, r.getStep());
                         auto step = b.getSteps()[i];
                         step.setStatus(s::StepStatus::RUNNING);
                         step.setEquipment(r.getEquipment());
                         step.setStartedAt(a.time());
                         auto ops = step.getOperators();
                         add_name(ops, old.getSteps()[i].getOperators(), actor,
                                  [&](unsigned n) { return step.initOperators(n); });
                       });
  std::string allergen_class;
  if (auto m = load<s::Material>(a.state, a.cf.entities, keys::entity("material", material))) {
    allergen_class = str(m->get().getAllergenClass());
  }
  update<s::Equipment>(
      a.state, a.cf.entities, keys::entity("equipment", sv(r.getEquipment())),
      [&](s::Equipment::Builder b, s::Equipment::Reader) {
        if (b.getState() != s::EquipmentState::DOWN) b.setState(s::EquipmentState::RUNNING);
        b.setWo(r.getWo());
        b.setStep(r.getStep());
        // A start uses up the line clearance the equipment carried, or voids
        // one made for another order (unless it is a late entry from before).
        if (b.getClearedFor().size() > 0 &&
            start_voids_clearance(a.state, a.cf, sv(b.getClearedFor()), a.time())) {
          b.setClearedFor("");
        }
        // What the equipment now needs cleaning of (a late entry before the
        // last start leaves the later product in place, and one before the
        // last cleaning was cleaned off). Only equipment that cleans on a
        // change keeps it, so equipment without the rule keeps the bytes it
        // had before custody knew of cleaning (the format-1 fixture).
        if (b.getCleanOnChange() != s::Changeover::NONE && a.time() >= b.getLastStartedAt() &&
            a.time() >= b.getCleanedAt()) {
          b.setLastStartedAt(a.time());
          b.setLastMaterial(material);
          b.setLastAllergenClass(allergen_class);
        }
        track_equipment_time(a, b);
      });
  a.history("wo", sv(r.getWo()));
  a.history("equipment", sv(r.getEquipment()));
}

Result<void> decide_complete_op(Decide& d, s::OpRef::Reader r) {
  auto wo = workable_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto i = running_step((*wo)->get(), r.getStep());
  if (!i) return std::unexpected(i.error());
  if (auto ok = check_labels_reconciled((*wo)->get(), (*wo)->get().getSteps()[*i]); !ok) return ok;
  d.emit_data("op.completed");
  return {};
}

void apply_op_completed(Apply& a, s::OpRef::Reader r) {
  std::string equipment;
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         auto step = b.getSteps()[step_index(old, r.getStep())];
                         step.setStatus(s::StepStatus::COMPLETED);
                         step.setCompletedAt(a.time());
                         equipment = str(step.getEquipment());
                       });
  const std::string eq_key = keys::entity("equipment", equipment);
  if (auto eq = load<s::Equipment>(a.state, a.cf.entities, eq_key);
      eq && eq->get().getWo() == r.getWo() && eq->get().getStep() == r.getStep()) {
    update<s::Equipment>(a.state, a.cf.entities, eq_key,
                         [&](s::Equipment::Builder b, s::Equipment::Reader) {
                           if (b.getState() == s::EquipmentState::RUNNING)
                             b.setState(s::EquipmentState::IDLE);
                           b.setWo("");
                           b.setStep("");
                           track_equipment_time(a, b);
                         });
    a.history("equipment", equipment);
  }
  a.history("wo", sv(r.getWo()));
}

Result<void> decide_verify(Decide& d, s::OpVerify::Reader r) {
  auto wo = existing_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  if (w.getStatus() == s::WoStatus::CLOSED) {
    return bad_state("data.wo", "work order " + str(r.getWo()) + " is closed");
  }
  const int i = step_index(w, r.getStep());
  if (i < 0)
    return not_found("data.step", "step " + str(r.getStep()) + " of work order " + str(r.getWo()));
  auto step = w.getSteps()[i];
  if (step.getStatus() != s::StepStatus::COMPLETED) {
    return bad_state("data.step", "step " + str(r.getStep()) + " of work order " + str(r.getWo()) +
                                      " is not completed yet");
  }
  if (step.getVerifiedBy().size() > 0) {
    return bad_state("data.step", "step " + str(r.getStep()) + " was verified already by " +
                                      str(step.getVerifiedBy()));
  }
  for (auto op : step.getOperators()) {
    if (sv(op) == d.cmd.actor) {
      return std::unexpected(Error{ErrorCode::kPermissionDenied,
                                   d.cmd.actor + " performed step " + str(r.getStep()) +
                                       "; its verifier must be a second person",
                                   "actor"});
    }
  }
  if (auto ok = check_qualified(d, w, step, d.event_time()); !ok) return ok;
  d.emit_data("op.verified");
  return {};
}

void apply_verified(Apply& a, s::OpVerify::Reader r) {
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         auto step = b.getSteps()[step_index(old, r.getStep())];
                         step.setVerifiedBy(std::string(a.rec.actor));
                         step.setVerifiedAt(a.time());
                       });
}

Result<void> decide_report(Decide& d, s::OpReport::Reader r) {
  auto wo = workable_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  auto started = started_step(w, r.getStep());
  if (!started) return std::unexpected(started.error());
  const int i = *started;
  if (r.getGood() < 0) return invalid("data.good", "must not be negative");
  if (r.getScrap() < 0) return invalid("data.scrap", "must not be negative");
  if (r.getGood() == 0 && r.getScrap() == 0)
    return invalid("data.good", "good and scrap are both zero");
  const auto step = w.getSteps()[i];
  if (auto ok = check_qualified(d, w, step, d.event_time()); !ok) return ok;
  if (auto t = add_quantity(step.getGood(), r.getGood(), "data.good"); !t) {
    return std::unexpected(t.error());
  }
  if (auto t = add_quantity(step.getScrap(), r.getScrap(), "data.scrap"); !t) {
    return std::unexpected(t.error());
  }
  if (auto ok = check_defect_breakdown(d, r.getScrap(), r.getDefects(), "data.defects"); !ok) {
    return ok;
  }
  d.emit_data("op.reported");
  return {};
}

void apply_reported(Apply& a, s::OpReport::Reader r) {
  const capnp::Text::Reader actor(a.rec.actor.data(), a.rec.actor.size());
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         const int i = step_index(old, r.getStep());
                         auto step = b.getSteps()[i];
                         step.setGood(step.getGood() + r.getGood());
                         step.setScrap(step.getScrap() + r.getScrap());
                         auto ops = step.getOperators();
                         add_name(ops, old.getSteps()[i].getOperators(), actor,
                                  [&](unsigned n) { return step.initOperators(n); });
                       });
  capnp::MallocMessageBuilder msg(64);
  auto f = msg.initRoot<s::Fact>().initOpReported();
  f.setWo(r.getWo());
  f.setStep(r.getStep());
  f.setOperator(actor);
  f.setGood(r.getGood());
  f.setScrap(r.getScrap());
  if (r.getDefects().size() > 0) f.setDefects(r.getDefects());
  a.fact(msg.getRoot<s::Fact>());
  a.history("wo", sv(r.getWo()));
}

// ---- op.rework

// `delta` more (or, corrected, less) sent back from step `from` to step `to`: in all, no more
// can come back to `to` than it made good, nor more than custody can hold (errors on `field`).
Result<void> check_rework_qty(s::WoStep::Reader from, s::WoStep::Reader to, std::int64_t delta,
                              const std::string& field) {
  auto in = add_quantity(to.getReworkIn(), delta, field);
  if (!in) return std::unexpected(in.error());
  if (*in > to.getGood()) {
    return invalid(field, "step " + str(to.getStep()) + " has made " + qty_text(to.getGood()) +
                              " good and " + qty_text(to.getReworkIn()) +
                              " came back to it already; no more than it made can come back");
  }
  if (auto out = add_quantity(from.getReworkOut(), delta, field); !out) {
    return std::unexpected(out.error());
  }
  return {};
}

Result<void> decide_rework(Decide& d, s::OpRework::Reader r) {
  auto wo = workable_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  auto from = started_step(w, r.getStep());
  if (!from) return std::unexpected(from.error());
  const int to = step_index(w, r.getToStep());
  if (to < 0) {
    return not_found("data.toStep",
                     "step " + str(r.getToStep()) + " of work order " + str(r.getWo()));
  }
  auto not_allowed = [&](const std::string& why) {
    return std::unexpected(Error{ErrorCode::kReworkNotAllowed, why, "data.toStep"});
  };
  if (to >= *from) {
    return not_allowed("rework goes back to an earlier step; " + str(r.getToStep()) +
                       " does not come before " + str(r.getStep()));
  }
  bool allowed = false;
  if (auto routing = find_routing(d, sv(w.getRouting()))) {
    for (auto step : routing->get().getSteps()) {
      if (step.getStep() != r.getStep()) continue;
      for (auto target : step.getReworkTo()) allowed = allowed || target == r.getToStep();
    }
  }
  if (!allowed) {
    return not_allowed("routing " + str(w.getRouting()) + " does not allow rework from step " +
                       str(r.getStep()) + " back to " + str(r.getToStep()));
  }
  if (r.getQty() <= 0) return invalid("data.qty", "must be positive");
  auto steps = w.getSteps();
  if (auto ok = check_rework_qty(steps[*from], steps[to], r.getQty(), "data.qty"); !ok) return ok;
  if (r.getDefect().size() > 0 && !find_defect(d, sv(r.getDefect()))) {
    return not_found("data.defect", "defect " + str(r.getDefect()));
  }
  if (auto ok = check_qualified(d, w, steps[*from], d.event_time()); !ok) return ok;
  d.emit_data("op.reworked");
  return {};
}

// Moves the two steps' rework by `delta`.
void add_rework(Apply& a, s::OpRework::Reader r, std::int64_t delta) {
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         auto from = b.getSteps()[step_index(old, r.getStep())];
                         from.setReworkOut(from.getReworkOut() + delta);
                         auto to = b.getSteps()[step_index(old, r.getToStep())];
                         to.setReworkIn(to.getReworkIn() + delta);
                       });
  a.history("wo", sv(r.getWo()));
}

void apply_reworked(Apply& a, s::OpRework::Reader r) {
  add_rework(a, r, r.getQty());
}

Result<void> check_rework_fix(Decide& d, s::OpRework::Reader before, s::OpRework::Builder after) {
  if (after.getQty() <= 0) return invalid("data.data.qty", "must be positive");
  auto wo = existing_wo(d, sv(before.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  const int from = step_index(w, before.getStep());
  const int to = step_index(w, before.getToStep());
  if (from < 0 || to < 0) {
    return not_found("data.seq", "the steps of the rework in work order " + str(w.getWo()));
  }
  return check_rework_qty(w.getSteps()[from], w.getSteps()[to], after.getQty() - before.getQty(),
                          "data.data.qty");
}

void shift_reworked(Apply& a, s::OpRework::Reader x, s::OpRework::Reader y,
                    const ledger::RecordFields&) {
  if (y.getQty() != x.getQty()) add_rework(a, x, y.getQty() - x.getQty());
}

// ---- lot.consume, lot.produce

// First expired, first out: a released lot of `lot`'s material, with something on hand, not
// expired at the event time, that expires before it. Its id and expiry.
std::optional<std::pair<std::string, TimeNs>> sooner_expiring_lot(const Decide& d,
                                                                  s::Lot::Reader lot) {
  if (lot.getExpires() == 0) return std::nullopt;
  const TimeNs at = d.event_time();
  const std::string prefix = keys::fefo_prefix(sv(lot.getMaterial()));
  const std::string end = keys::fefo(sv(lot.getMaterial()), lot.getExpires(), "");
  const std::string start = keys::fefo(sv(lot.getMaterial()), at + 1, "");
  std::optional<std::pair<std::string, TimeNs>> found;
  // From the first lot not expired at the event time (an expired one may not be used at all)
  // up to `lot`'s expiry.
  d.state.scan_prefix(
      d.cf.index, prefix,
      [&](std::string_view key, std::string_view) {
        if (key >= end) return false;
        const auto parsed = keys::parse_fefo(key, prefix.size());
        if (!parsed) return true;
        auto other = find_lot(d, parsed->first);
        if (other && other->get().getStatus() == s::LotStatus::RELEASED &&
            other->get().getOnHand() > 0) {
          found.emplace(std::string(parsed->first), parsed->second);
          return false;
        }
        return true;
      },
      start);
  return found;
}

Result<void> decide_consume(Decide& d, s::LotConsume::Reader r) {
  auto wo = workable_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  auto i = running_step(w, r.getStep());
  if (!i) return std::unexpected(i.error());
  auto lot = find_lot(d, sv(r.getLot()));
  if (!lot) return not_found("data.lot", "lot " + str(r.getLot()));
  auto l = lot->get();
  if (auto ok = check_lot_available(l, r.getQty(), d.event_time(), "data.lot", "data.qty"); !ok) {
    return ok;
  }
  auto routing = find_routing(d, sv(w.getRouting()));
  for (auto step : routing->get().getSteps()) {
    if (step.getStep() != r.getStep() || step.getInputs().size() == 0) continue;
    bool listed = false;
    for (auto in : step.getInputs()) listed = listed || in.getMaterial() == l.getMaterial();
    if (!listed) {
      return invalid("data.lot", "lot " + str(r.getLot()) + " is " + str(l.getMaterial()) +
                                     ", not an input of step " + str(r.getStep()));
    }
  }
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::LotConsumed>();
  e.setWo(r.getWo());
  e.setStep(r.getStep());
  e.setLot(r.getLot());
  e.setQty(r.getQty());
  e.setEquipment(w.getSteps()[*i].getEquipment());
  auto produced = w.getProduced();
  auto into = e.initInto(produced.size());
  for (unsigned k = 0; k < produced.size(); ++k) into.set(k, produced[k].getLot());
  if (auto sooner = sooner_expiring_lot(d, l)) {
    auto material = find_material(d, sv(l.getMaterial()));
    if (material && material->get().getFefo() == s::FefoRule::ENFORCE) {
      return std::unexpected(
          Error{ErrorCode::kFefoViolation,
                "lot " + sooner->first + " of " + str(l.getMaterial()) + " expires at " +
                    format_rfc3339(sooner->second) + ", before lot " + str(r.getLot()) + " (" +
                    format_rfc3339(l.getExpires()) + "): first expired, first out",
                "data.lot"});
    }
    e.setFefoSkipped(sooner->first);
  }
  d.emit_own("lot.consumed", e);
  return {};
}

void apply_consumed(Apply& a, s::LotConsumed::Reader r) {
  update_lot(a, sv(r.getLot()), [&](s::Lot::Builder b, s::Lot::Reader old) {
    b.setOnHand(b.getOnHand() - r.getQty());
    b.setConsumed(b.getConsumed() + r.getQty());
    track_stock(a, b.asReader(), old.getOnHand());
  });
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         add_lot_qty(old.getConsumed(), r.getLot(), r.getQty(),
                                     [&](unsigned n) { return b.initConsumed(n); });
                       });
  for (auto to : r.getInto()) {
    add_edge(a, sv(r.getLot()), sv(to), s::EdgeKind::CONSUMED_INTO, r.getQty(), sv(r.getWo()));
  }
  if (r.getEquipment().size() > 0) {
    a.index(keys::equipment_lot(sv(r.getEquipment()), a.time(), a.rec.seq, sv(r.getLot())),
            "consumed");
  }
  a.index(keys::consumed_by(sv(r.getLot()), sv(r.getWo())));
  a.history("lot", sv(r.getLot()));
  a.history("wo", sv(r.getWo()));
}

Result<void> decide_produce(Decide& d, s::LotProduce::Reader r) {
  auto wo = workable_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  auto i = running_step(w, r.getStep());
  if (!i) return std::unexpected(i.error());
  if (find_lot(d, sv(r.getLot()))) return already_exists("data.lot", "lot " + str(r.getLot()));
  if (r.getQty() <= 0) return invalid("data.qty", "must be greater than zero");
  const capnp::Text::Reader material_id =
      r.getMaterial().size() ? r.getMaterial() : w.getMaterial();
  auto material = find_material(d, sv(material_id));
  if (!material) return not_found("data.material", "material " + str(material_id));

  capnp::MallocMessageBuilder msg(256);
  auto e = msg.initRoot<s::LotProduced>();
  e.setWo(r.getWo());
  e.setStep(r.getStep());
  e.setLot(r.getLot());
  e.setQty(r.getQty());
  e.setMaterial(material_id);
  e.setUom(material->get().getUom());
  e.setLocation(r.getLocation().size() ? r.getLocation() : w.getSteps()[*i].getWorkCenter());
  e.setEquipment(w.getSteps()[*i].getEquipment());
  // A lot made from one an open deviation holds is born on hold, not released: the deviation
  // did not know it, and lot.release asks its ancestors (check_no_open_deviation).
  bool deviated = false;
  for (auto src : w.getConsumed()) {
    auto l = find_lot(d, sv(src.getLot()));
    deviated = deviated || (l && l->get().getDeviations() > 0);
  }
  e.setStatus(material->get().getRequiresRelease() ? s::LotStatus::AWAITING_RELEASE
              : deviated                           ? s::LotStatus::HELD
                                                   : s::LotStatus::RELEASED);
  e.setSources(w.getConsumed());
  const LotDates dates = dates_from_shelf_life(material->get(), d.event_time());
  e.setExpires(dates.expires);  // zero is absent: lots of a material without a shelf life
  e.setBestBefore(dates.best_before);
  d.emit_own("lot.produced", e);
  return {};
}

void apply_produced(Apply& a, s::LotProduced::Reader r) {
  put_new_lot(a,
              {r.getLot(), r.getMaterial(), r.getUom(), r.getStatus(), r.getLocation(),
               s::LotOrigin::PRODUCED, r.getQty(), LotDates{0, r.getExpires(), r.getBestBefore()}},
              [&](s::Lot::Builder l) { l.setWo(r.getWo()); });
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         add_lot_qty(old.getProduced(), r.getLot(), r.getQty(),
                                     [&](unsigned n) { return b.initProduced(n); });
                       });
  for (auto src : r.getSources()) {
    add_edge(a, sv(src.getLot()), sv(r.getLot()), s::EdgeKind::CONSUMED_INTO, src.getQty(),
             sv(r.getWo()), Target::kNew);
  }
  if (r.getEquipment().size() > 0) {
    a.index(keys::equipment_lot(sv(r.getEquipment()), a.time(), a.rec.seq, sv(r.getLot())),
            "produced");
  }
  a.history("lot", sv(r.getLot()));
  a.history("wo", sv(r.getWo()));
}

// ---- corrections of what was entered

// Moves the entry for `lot` in one of an order's lists by `delta`.
enum class LotList { kConsumed, kProduced };
void shift_wo_list(Apply& a, std::string_view wo, std::string_view lot, std::int64_t delta,
                   LotList which) {
  update<s::WorkOrder>(
      a.state, a.cf.entities, wo_key(wo), [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
        auto list = which == LotList::kProduced ? b.getProduced() : b.getConsumed();
        for (auto e : list) {
          if (e.getLot() == capnp::Text::Reader(lot.data(), lot.size()))
            e.setQty(e.getQty() + delta);
        }
      });
  a.history("wo", wo);
}

Result<void> check_consumed_fix(Decide& d, s::LotConsumed::Reader before,
                                s::LotConsumed::Builder after) {
  if (after.getQty() <= 0) return invalid("data.data.qty", "must be greater than zero");
  return check_lot_change(d, sv(before.getLot()), before.getQty() - after.getQty(),
                          "data.data.qty");
}

void shift_consumed(Apply& a, s::LotConsumed::Reader x, s::LotConsumed::Reader y,
                    const ledger::RecordFields&) {
  const auto d = y.getQty() - x.getQty();
  if (d == 0) return;
  shift_lot(a, sv(x.getLot()), {.on_hand = -d, .consumed = d});
  shift_wo_list(a, sv(x.getWo()), sv(x.getLot()), d, LotList::kConsumed);
  // Every lot the order produced derives from this one by the consumed quantity.
  auto wo = load<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(x.getWo())));
  for (auto p : wo->get().getProduced()) shift_edge(a, sv(x.getLot()), sv(p.getLot()), d);
}

Result<void> check_produced_fix(Decide& d, s::LotProduced::Reader before,
                                s::LotProduced::Builder after) {
  if (after.getQty() <= 0) return invalid("data.data.qty", "must be greater than zero");
  return check_lot_change(d, sv(before.getLot()), after.getQty() - before.getQty(),
                          "data.data.qty");
}

void shift_produced(Apply& a, s::LotProduced::Reader x, s::LotProduced::Reader y,
                    const ledger::RecordFields&) {
  const auto d = y.getQty() - x.getQty();
  if (d == 0) return;
  shift_lot(a, sv(x.getLot()), {.on_hand = d, .created = d});
  shift_wo_list(a, sv(x.getWo()), sv(x.getLot()), d, LotList::kProduced);
}

Result<void> check_reported_fix(Decide& d, s::OpReport::Reader before, s::OpReport::Builder after) {
  if (after.getGood() < 0) return invalid("data.data.good", "must not be negative");
  if (after.getScrap() < 0) return invalid("data.data.scrap", "must not be negative");
  if (auto ok =
          check_defect_breakdown(d, after.getScrap(), after.getDefects(), "data.data.defects");
      !ok) {
    return ok;
  }
  auto wo = find_wo(d, sv(before.getWo()));
  if (!wo) return {};
  for (auto step : wo->get().getSteps()) {
    if (step.getStep() != before.getStep()) continue;
    auto good = add_quantity(step.getGood(), after.getGood() - before.getGood(), "data.data.good");
    if (!good) return std::unexpected(good.error());
    if (*good < step.getReworkIn()) {
      return invalid("data.data.good", "step " + str(step.getStep()) + " would have made " +
                                           qty_text(*good) + " good, less than the " +
                                           qty_text(step.getReworkIn()) +
                                           " sent back to it for rework");
    }
    auto scrap =
        add_quantity(step.getScrap(), after.getScrap() - before.getScrap(), "data.data.scrap");
    if (!scrap) return std::unexpected(scrap.error());
  }
  return {};
}

void shift_reported(Apply& a, s::OpReport::Reader x, s::OpReport::Reader y,
                    const ledger::RecordFields& original) {
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(x.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
                         for (auto step : b.getSteps()) {
                           if (step.getStep() != x.getStep()) continue;
                           step.setGood(step.getGood() + y.getGood() - x.getGood());
                           step.setScrap(step.getScrap() + y.getScrap() - x.getScrap());
                         }
                       });
  // The report's fact carries the corrected figures.
  const TimeNs t = original.occurred_at != 0 ? original.occurred_at : original.recorded_at;
  update<s::Fact>(a.state, a.cf.facts, keys::fact(t, original.seq),
                  [&](s::Fact::Builder b, s::Fact::Reader) {
                    auto f = b.getOpReported();
                    f.setGood(y.getGood());
                    f.setScrap(y.getScrap());
                    if (y.getDefects().size() > 0) {
                      f.setDefects(y.getDefects());
                    } else if (f.hasDefects()) {
                      f.disownDefects();
                    }
                  });
  a.history("wo", sv(x.getWo()));
}

}  // namespace

const Area& work_orders_area() {
  static const Area area{
      "work orders",
      {command<s::WoCreate, decide_create>("wo.create", {"wo.created"}, stream("wo", "wo")),
       command<s::WoRef, decide_release>("wo.release", {"wo.released"}, stream("wo", "wo")),
       command<s::OpStart, decide_start>("op.start", {"op.started"}, stream("wo", "wo")),
       command<s::LotConsume, decide_consume>("lot.consume", {"lot.consumed"},
                                              stream("lot", "lot")),
       command<s::LotProduce, decide_produce>("lot.produce", {"lot.produced"},
                                              stream("lot", "lot")),
       command<s::OpReport, decide_report>("op.report", {"op.reported"}, stream("wo", "wo")),
       command<s::OpRework, decide_rework>("op.rework", {"op.reworked"}, stream("wo", "wo")),
       command<s::OpRef, decide_complete_op>("op.complete", {"op.completed"}, stream("wo", "wo")),
       command<s::OpVerify, decide_verify>("op.verify", {"op.verified"}, stream("wo", "wo")),
       command<s::WoRef, decide_complete>("wo.complete", {"wo.completed", "exception.raised"},
                                          stream("wo", "wo")),
       command<s::WoRef, decide_close>("wo.close", {"wo.closed"}, stream("wo", "wo"))},
      {event<s::WoCreate, apply_created>("wo.created"),
       event<s::WoRef, apply_released>("wo.released"),
       event<s::OpStart, apply_started>("op.started"),
       event<s::LotConsumed, apply_consumed>(
           "lot.consumed",
           correctable<s::LotConsumed, check_consumed_fix, shift_consumed>({"qty"})),
       event<s::LotProduced, apply_produced>(
           "lot.produced",
           correctable<s::LotProduced, check_produced_fix, shift_produced>({"qty"})),
       event<s::OpReport, apply_reported>(
           "op.reported", correctable<s::OpReport, check_reported_fix, shift_reported>(
                              {"good", "scrap", "defects"})),
       event<s::OpRework, apply_reworked>(
           "op.reworked", correctable<s::OpRework, check_rework_fix, shift_reworked>({"qty"})),
       event<s::OpRef, apply_op_completed>("op.completed"),
       event<s::OpVerify, apply_verified>("op.verified"),
       event<s::WoCompleted, apply_completed>("wo.completed"),
       event<s::WoRef, apply_closed>("wo.closed")}};
  return area;
}

}  // namespace custody::domain
