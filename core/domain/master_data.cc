// Master data: materials, parties (suppliers, customers), equipment, routings. Each is
// defined once; its id is then referenced by everything else.
#include "domain_state.h"

namespace custody::domain {
namespace {

using codec::MessageView;

Result<void> decide_material(Decide& d) {
  MessageView v(d.cmd.data);
  auto m = v.root<s::MaterialDefine>();
  if (find_material(d, sv(m.getMaterial()))) {
    return already_exists("data.material", "material " + str(m.getMaterial()));
  }
  d.emit("material:" + str(m.getMaterial()), "material.defined", d.cmd.data);
  return {};
}

void apply_material(Apply& a) {
  MessageView v(a.rec.payload);
  auto m = v.root<s::MaterialDefine>();
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::Material>();
  e.setMaterial(m.getMaterial());
  e.setName(m.getName());
  e.setUom(m.getUom());
  e.setKind(m.getKind());
  e.setRequiresRelease(m.getRequiresRelease());
  e.setGtin(m.getGtin());
  put_struct(a.state, a.cf.entities, keys::entity("material", sv(m.getMaterial())), e);
  a.history("material", sv(m.getMaterial()));
}

Result<void> decide_party(Decide& d) {
  MessageView v(d.cmd.data);
  auto p = v.root<s::PartyDefine>();
  if (find_party(d, sv(p.getParty())))
    return already_exists("data.party", "party " + str(p.getParty()));
  d.emit("party:" + str(p.getParty()), "party.defined", d.cmd.data);
  return {};
}

void apply_party(Apply& a) {
  MessageView v(a.rec.payload);
  auto p = v.root<s::PartyDefine>();
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::Party>();
  e.setParty(p.getParty());
  e.setName(p.getName());
  e.setRole(p.getRole());
  e.setAddress(p.getAddress());
  e.setGln(p.getGln());
  put_struct(a.state, a.cf.entities, keys::entity("party", sv(p.getParty())), e);
  a.history("party", sv(p.getParty()));
}

Result<void> decide_equipment(Decide& d) {
  MessageView v(d.cmd.data);
  auto q = v.root<s::EquipmentDefine>();
  if (find_equipment(d, sv(q.getEquipment()))) {
    return already_exists("data.equipment", "equipment " + str(q.getEquipment()));
  }
  auto params = q.getParams();
  for (unsigned k = 0; k < params.size(); ++k) {
    if (params[k].getMin() > params[k].getMax()) {
      return invalid("data.params[" + std::to_string(k) + "].max", "is below min");
    }
  }
  d.emit("equipment:" + str(q.getEquipment()), "equipment.defined", d.cmd.data);
  return {};
}

void apply_equipment(Apply& a) {
  MessageView v(a.rec.payload);
  auto q = v.root<s::EquipmentDefine>();
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::Equipment>();
  e.setEquipment(q.getEquipment());
  e.setName(q.getName());
  e.setWorkCenter(q.getWorkCenter());
  e.setState(s::EquipmentState::IDLE);
  e.setParams(q.getParams());
  put_struct(a.state, a.cf.entities, keys::entity("equipment", sv(q.getEquipment())), e);
  a.history("equipment", sv(q.getEquipment()));
}

Result<void> decide_routing(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::RoutingDefine>();
  if (find_routing(d, sv(r.getRouting()))) {
    return already_exists("data.routing", "routing " + str(r.getRouting()));
  }
  if (!find_material(d, sv(r.getMaterial()))) {
    return not_found("data.material", "material " + str(r.getMaterial()));
  }
  auto steps = r.getSteps();
  for (unsigned i = 0; i < steps.size(); ++i) {
    const std::string at = "data.steps[" + std::to_string(i) + "]";
    for (unsigned j = 0; j < i; ++j) {
      if (steps[j].getStep() == steps[i].getStep()) {
        return invalid(at + ".step", "step " + str(steps[i].getStep()) + " appears twice");
      }
    }
    auto inputs = steps[i].getInputs();
    for (unsigned k = 0; k < inputs.size(); ++k) {
      if (!find_material(d, sv(inputs[k].getMaterial()))) {
        return not_found(at + ".inputs[" + std::to_string(k) + "].material",
                         "material " + str(inputs[k].getMaterial()));
      }
      if (inputs[k].getQtyPerUnit() < 0) {
        return invalid(at + ".inputs[" + std::to_string(k) + "].qtyPerUnit",
                       "must not be negative");
      }
    }
    auto params = steps[i].getParams();
    for (unsigned k = 0; k < params.size(); ++k) {
      if (params[k].getMin() > params[k].getMax()) {
        return invalid(at + ".params[" + std::to_string(k) + "].max", "is below min");
      }
    }
  }
  d.emit("routing:" + str(r.getRouting()), "routing.defined", d.cmd.data);
  return {};
}

void apply_routing(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::RoutingDefine>();
  a.state.put(a.cf.entities, keys::entity("routing", sv(r.getRouting())), a.rec.payload);
  a.history("routing", sv(r.getRouting()));
}

}  // namespace

void register_master_data(Handlers& h) {
  h.decide.emplace_back("material.define", &decide_material);
  h.decide.emplace_back("party.define", &decide_party);
  h.decide.emplace_back("equipment.define", &decide_equipment);
  h.decide.emplace_back("routing.define", &decide_routing);
  h.apply.emplace_back("material.defined", &apply_material);
  h.apply.emplace_back("party.defined", &apply_party);
  h.apply.emplace_back("equipment.defined", &apply_equipment);
  h.apply.emplace_back("routing.defined", &apply_routing);
}

}  // namespace custody::domain
