// Work orders and their operations: created from a routing, released, each step started on
// equipment, material consumed and produced, good and scrap reported, steps completed in
// routing order, the order completed and closed.
#include "domain_state.h"

namespace custody::domain {
namespace {

using codec::MessageView;

std::string wo_stream(std::string_view wo) {
  return "wo:" + std::string(wo);
}
std::string wo_key(std::string_view wo) {
  return keys::entity("wo", wo);
}

Result<std::unique_ptr<Loaded<s::WorkOrder>>> existing_wo(const Decide& d, std::string_view id) {
  auto wo = find_wo(d, id);
  if (!wo) return not_found("data.wo", "work order " + std::string(id));
  return wo;
}

// Work happens on orders that are released and not yet completed.
Result<void> check_workable(s::WorkOrder::Reader wo) {
  const auto st = wo.getStatus();
  if (st != s::WoStatus::RELEASED && st != s::WoStatus::IN_PROGRESS) {
    return bad_state("data.wo",
                     "work order " + str(wo.getWo()) + " is " + std::string(wo_status_name(st)));
  }
  return {};
}

// Index of `step` in the order, or -1.
int step_index(s::WorkOrder::Reader wo, capnp::Text::Reader step) {
  auto steps = wo.getSteps();
  for (unsigned i = 0; i < steps.size(); ++i) {
    if (steps[i].getStep() == step) return static_cast<int>(i);
  }
  return -1;
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

Result<void> decide_create(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::WoCreate>();
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
  d.emit(wo_stream(sv(r.getWo())), "wo.created", d.cmd.data);
  return {};
}

void apply_created(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::WoCreate>();
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
  }
  put_struct(a.state, a.cf.entities, wo_key(sv(r.getWo())), wo);
  a.history("wo", sv(r.getWo()));
}

// ---- wo.release, wo.complete, wo.close

Result<void> decide_release(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::WoRef>();
  auto wo = existing_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  if ((*wo)->get().getStatus() != s::WoStatus::CREATED) {
    return bad_state("data.wo", "work order " + str(r.getWo()) + " is " +
                                    std::string(wo_status_name((*wo)->get().getStatus())) +
                                    "; only created orders can be released");
  }
  d.emit(wo_stream(sv(r.getWo())), "wo.released", d.cmd.data);
  return {};
}

void apply_released(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::WoRef>();
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
                         b.setStatus(s::WoStatus::RELEASED);
                         b.setReleasedAt(a.time());
                       });
  a.index("wip/" + str(r.getWo()));
  a.history("wo", sv(r.getWo()));
}

Result<void> decide_complete(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::WoRef>();
  auto wo = existing_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  if (w.getStatus() != s::WoStatus::IN_PROGRESS) {
    return bad_state("data.wo", "work order " + str(r.getWo()) + " is " +
                                    std::string(wo_status_name(w.getStatus())));
  }
  for (auto step : w.getSteps()) {
    if (step.getStatus() != s::StepStatus::COMPLETED) {
      return bad_state("data.wo", "step " + str(step.getStep()) + " of work order " +
                                      str(r.getWo()) + " is not complete");
    }
  }
  d.emit(wo_stream(sv(r.getWo())), "wo.completed", d.cmd.data);
  return {};
}

void apply_completed(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::WoRef>();
  TimeNs due = 0;
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
                         b.setStatus(s::WoStatus::COMPLETED);
                         b.setCompletedAt(a.time());
                         due = b.getDue();
                       });
  a.unindex("wip/" + str(r.getWo()));
  capnp::MallocMessageBuilder msg(64);
  auto f = msg.initRoot<s::Fact>().initWoCompleted();
  f.setWo(r.getWo());
  f.setDue(due);
  f.setOnTime(a.time() <= due);
  a.state.put(a.cf.facts, be64(static_cast<std::uint64_t>(a.time())) + be64(a.rec.seq) + '\0',
              codec::canonical_bytes(msg.getRoot<s::Fact>().asReader()));
  a.history("wo", sv(r.getWo()));
}

Result<void> decide_close(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::WoRef>();
  auto wo = existing_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  if ((*wo)->get().getStatus() != s::WoStatus::COMPLETED) {
    return bad_state("data.wo", "work order " + str(r.getWo()) + " is " +
                                    std::string(wo_status_name((*wo)->get().getStatus())) +
                                    "; only completed orders can be closed");
  }
  d.emit(wo_stream(sv(r.getWo())), "wo.closed", d.cmd.data);
  return {};
}

void apply_closed(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::WoRef>();
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
                         b.setStatus(s::WoStatus::CLOSED);
                         b.setClosedAt(a.time());
                       });
  a.history("wo", sv(r.getWo()));
}

// ---- op.start, op.complete, op.report

Result<void> decide_start(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::OpStart>();
  auto wo = existing_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  if (auto ok = check_workable(w); !ok) return ok;
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
  auto eq = find_equipment(d, sv(r.getEquipment()));
  if (!eq) return not_found("data.equipment", "equipment " + str(r.getEquipment()));
  auto e = eq->get();
  if (e.getWorkCenter() != steps[i].getWorkCenter()) {
    return invalid("data.equipment", "equipment " + str(r.getEquipment()) + " is in work center " +
                                         str(e.getWorkCenter()) + "; step " + str(r.getStep()) +
                                         " runs in " + str(steps[i].getWorkCenter()));
  }
  if (e.getState() == s::EquipmentState::DOWN) {
    return bad_state("data.equipment", "equipment " + str(r.getEquipment()) +
                                           " is down (an equipment exception is open)");
  }
  if (e.getState() == s::EquipmentState::RUNNING) {
    return bad_state("data.equipment", "equipment " + str(r.getEquipment()) + " is running " +
                                           str(e.getWo()) + " step " + str(e.getStep()));
  }
  d.emit(wo_stream(sv(r.getWo())), "op.started", d.cmd.data);
  return {};
}

void apply_started(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::OpStart>();
  const capnp::Text::Reader actor(a.rec.actor.data(), a.rec.actor.size());
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
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
  update<s::Equipment>(a.state, a.cf.entities, keys::entity("equipment", sv(r.getEquipment())),
                       [&](s::Equipment::Builder b, s::Equipment::Reader) {
                         if (b.getState() != s::EquipmentState::DOWN)
                           b.setState(s::EquipmentState::RUNNING);
                         b.setWo(r.getWo());
                         b.setStep(r.getStep());
                       });
  a.history("wo", sv(r.getWo()));
  a.history("equipment", sv(r.getEquipment()));
}

Result<void> decide_complete_op(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::OpRef>();
  auto wo = existing_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  if (auto ok = check_workable((*wo)->get()); !ok) return ok;
  auto i = running_step((*wo)->get(), r.getStep());
  if (!i) return std::unexpected(i.error());
  d.emit(wo_stream(sv(r.getWo())), "op.completed", d.cmd.data);
  return {};
}

void apply_op_completed(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::OpRef>();
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
                         });
    a.history("equipment", equipment);
  }
  a.history("wo", sv(r.getWo()));
}

Result<void> decide_report(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::OpReport>();
  auto wo = existing_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  if (auto ok = check_workable(w); !ok) return ok;
  const int i = step_index(w, r.getStep());
  if (i < 0)
    return not_found("data.step", "step " + str(r.getStep()) + " of work order " + str(r.getWo()));
  if (w.getSteps()[i].getStatus() == s::StepStatus::PENDING) {
    return bad_state("data.step", "step " + str(r.getStep()) + " has not started");
  }
  if (r.getGood() < 0) return invalid("data.good", "must not be negative");
  if (r.getScrap() < 0) return invalid("data.scrap", "must not be negative");
  if (r.getGood() == 0 && r.getScrap() == 0)
    return invalid("data.good", "good and scrap are both zero");
  const auto step = w.getSteps()[i];
  if (auto t = add_quantity(step.getGood(), r.getGood(), "data.good"); !t) {
    return std::unexpected(t.error());
  }
  if (auto t = add_quantity(step.getScrap(), r.getScrap(), "data.scrap"); !t) {
    return std::unexpected(t.error());
  }
  d.emit(wo_stream(sv(r.getWo())), "op.reported", d.cmd.data);
  return {};
}

void apply_reported(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::OpReport>();
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
  a.state.put(a.cf.facts, be64(static_cast<std::uint64_t>(a.time())) + be64(a.rec.seq) + '\0',
              codec::canonical_bytes(msg.getRoot<s::Fact>().asReader()));
  a.history("wo", sv(r.getWo()));
}

// ---- lot.consume, lot.produce

Result<void> decide_consume(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotConsume>();
  auto wo = existing_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  if (auto ok = check_workable(w); !ok) return ok;
  auto i = running_step(w, r.getStep());
  if (!i) return std::unexpected(i.error());
  auto lot = find_lot(d, sv(r.getLot()));
  if (!lot) return not_found("data.lot", "lot " + str(r.getLot()));
  auto l = lot->get();
  if (auto ok = check_lot_available(l, r.getQty(), "data.lot", "data.qty"); !ok) return ok;
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
  d.emit_struct("lot:" + str(r.getLot()), "lot.consumed", e);
  return {};
}

void apply_consumed(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotConsumed>();
  update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", sv(r.getLot())),
                 [&](s::Lot::Builder b, s::Lot::Reader) {
                   b.setOnHand(b.getOnHand() - r.getQty());
                   b.setConsumed(b.getConsumed() + r.getQty());
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
    a.index(equipment_lot_key(sv(r.getEquipment()), a.time(), a.rec.seq, sv(r.getLot())),
            "consumed");
  }
  std::string consumer = "consumed_by/" + str(r.getLot());
  consumer.push_back('\0');
  consumer += sv(r.getWo());
  a.index(consumer);
  a.history("lot", sv(r.getLot()));
  a.history("wo", sv(r.getWo()));
}

Result<void> decide_produce(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotProduce>();
  auto wo = existing_wo(d, sv(r.getWo()));
  if (!wo) return std::unexpected(wo.error());
  auto w = (*wo)->get();
  if (auto ok = check_workable(w); !ok) return ok;
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
  e.setStatus(material->get().getRequiresRelease() ? s::LotStatus::AWAITING_RELEASE
                                                   : s::LotStatus::RELEASED);
  e.setSources(w.getConsumed());
  d.emit_struct("lot:" + str(r.getLot()), "lot.produced", e);
  return {};
}

void apply_produced(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotProduced>();
  put_new_lot(a,
              {r.getLot(), r.getMaterial(), r.getUom(), r.getStatus(), r.getLocation(),
               s::LotOrigin::PRODUCED, r.getQty()},
              [&](s::Lot::Builder l) { l.setWo(r.getWo()); });
  update<s::WorkOrder>(a.state, a.cf.entities, wo_key(sv(r.getWo())),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader old) {
                         add_lot_qty(old.getProduced(), r.getLot(), r.getQty(),
                                     [&](unsigned n) { return b.initProduced(n); });
                       });
  for (auto src : r.getSources()) {
    add_edge(a, sv(src.getLot()), sv(r.getLot()), s::EdgeKind::CONSUMED_INTO, src.getQty(),
             sv(r.getWo()), true);
  }
  if (r.getEquipment().size() > 0) {
    a.index(equipment_lot_key(sv(r.getEquipment()), a.time(), a.rec.seq, sv(r.getLot())),
            "produced");
  }
  a.history("lot", sv(r.getLot()));
  a.history("wo", sv(r.getWo()));
}

}  // namespace

void register_work_orders(Handlers& h) {
  h.decide.emplace_back("wo.create", &decide_create);
  h.decide.emplace_back("wo.release", &decide_release);
  h.decide.emplace_back("op.start", &decide_start);
  h.decide.emplace_back("lot.consume", &decide_consume);
  h.decide.emplace_back("lot.produce", &decide_produce);
  h.decide.emplace_back("op.report", &decide_report);
  h.decide.emplace_back("op.complete", &decide_complete_op);
  h.decide.emplace_back("wo.complete", &decide_complete);
  h.decide.emplace_back("wo.close", &decide_close);
  h.apply.emplace_back("wo.created", &apply_created);
  h.apply.emplace_back("wo.released", &apply_released);
  h.apply.emplace_back("op.started", &apply_started);
  h.apply.emplace_back("lot.consumed", &apply_consumed);
  h.apply.emplace_back("lot.produced", &apply_produced);
  h.apply.emplace_back("op.reported", &apply_reported);
  h.apply.emplace_back("op.completed", &apply_op_completed);
  h.apply.emplace_back("wo.completed", &apply_completed);
  h.apply.emplace_back("wo.closed", &apply_closed);
}

}  // namespace custody::domain
