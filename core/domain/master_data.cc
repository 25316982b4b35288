// Master data: materials, parties (suppliers, customers), equipment, routings. Each is
// defined once; its id is then referenced by everything else.
#include <cmath>
#include <utility>

#include "catalogue.h"

namespace custody::domain {
namespace {

// A yield limit above this is a typo (yields over 100% come from gains such as added water).
constexpr double kMaxYieldPercent = 1000;

Result<void> decide_material(Decide& d, s::MaterialDefine::Reader m) {
  if (find_material(d, sv(m.getMaterial()))) {
    return already_exists("data.material", "material " + str(m.getMaterial()));
  }
  constexpr std::uint32_t kMaxDays = 100 * 366;  // beyond any shelf life; keeps dates in range
  if (m.getShelfLifeDays() > kMaxDays) {
    return invalid("data.shelfLifeDays", "must be at most " + std::to_string(kMaxDays));
  }
  if (m.getBestBeforeDays() > kMaxDays) {
    return invalid("data.bestBeforeDays", "must be at most " + std::to_string(kMaxDays));
  }
  for (const auto& [field, value] :
       {std::pair{"data.yieldMin", m.getYieldMin()}, std::pair{"data.yieldMax", m.getYieldMax()}}) {
    if (!std::isfinite(value) || std::signbit(value) || value > kMaxYieldPercent) {
      return invalid(field, "must be a percentage of theoretical yield from 0 to " +
                                std::to_string(static_cast<int>(kMaxYieldPercent)));
    }
  }
  if (m.getYieldMax() > 0 && m.getYieldMin() > m.getYieldMax()) {
    return invalid("data.yieldMax", "is below yieldMin");
  }
  d.emit_data("material.defined");
  return {};
}

void apply_material(Apply& a, s::MaterialDefine::Reader m) {
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::Material>();
  e.setMaterial(m.getMaterial());
  e.setName(m.getName());
  e.setUom(m.getUom());
  e.setKind(m.getKind());
  e.setRequiresRelease(m.getRequiresRelease());
  e.setGtin(m.getGtin());
  e.setShelfLifeDays(m.getShelfLifeDays());
  e.setBestBeforeDays(m.getBestBeforeDays());
  e.setFefo(m.getFefo());
  // Left unset when absent, so a material defined before allergens keeps its stored bytes.
  if (m.getAllergenClass().size() != 0) e.setAllergenClass(m.getAllergenClass());
  e.setYieldMin(m.getYieldMin());
  e.setYieldMax(m.getYieldMax());
  put_struct(a.state, a.cf.entities, keys::entity("material", sv(m.getMaterial())), e);
  a.history("material", sv(m.getMaterial()));
}

Result<void> decide_party(Decide& d, s::PartyDefine::Reader p) {
  if (find_party(d, sv(p.getParty()))) {
    return already_exists("data.party", "party " + str(p.getParty()));
  }
  d.emit_data("party.defined");
  return {};
}

void apply_party(Apply& a, s::PartyDefine::Reader p) {
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

// Limits must be the right way round: `path` names the list ("data.params").
Result<void> check_limits(capnp::List<s::ProcessParam>::Reader params, const std::string& path) {
  for (unsigned k = 0; k < params.size(); ++k) {
    if (params[k].getMin() > params[k].getMax()) {
      return invalid(path + "[" + std::to_string(k) + "].max", "is below min");
    }
  }
  return {};
}

Result<void> decide_equipment(Decide& d, s::EquipmentDefine::Reader q) {
  if (find_equipment(d, sv(q.getEquipment()))) {
    return already_exists("data.equipment", "equipment " + str(q.getEquipment()));
  }
  if (auto ok = check_limits(q.getParams(), "data.params"); !ok) return ok;
  constexpr std::uint32_t kMaxHours = 366 * 24;  // a cleaning interval longer than a year is a typo
  if (q.getCleanEveryHours() > kMaxHours) {
    return invalid("data.cleanEveryHours", "must be at most " + std::to_string(kMaxHours));
  }
  constexpr std::int64_t kMaxRate = 100'000'000'000;  // 100 million units an hour, decimal(3)
  if (q.getIdealRate() < 0 || q.getIdealRate() > kMaxRate) {
    return invalid("data.idealRate", "must be from 0 to 100000000 units an hour");
  }
  d.emit_data("equipment.defined");
  return {};
}

void apply_equipment(Apply& a, s::EquipmentDefine::Reader q) {
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::Equipment>();
  e.setEquipment(q.getEquipment());
  e.setName(q.getName());
  e.setWorkCenter(q.getWorkCenter());
  e.setState(s::EquipmentState::IDLE);
  e.setParams(q.getParams());
  e.setCleanOnChange(q.getCleanOnChange());
  e.setCleanEveryHours(q.getCleanEveryHours());
  e.setRequiresCalibration(q.getRequiresCalibration());
  if (q.getIdealRate() > 0) {  // its OEE time is kept from now on (track_equipment_time)
    e.setIdealRate(q.getIdealRate());
    e.setOeeState(s::OeeState::IDLE);
    e.setOeeSince(a.time());
  }
  put_struct(a.state, a.cf.entities, keys::entity("equipment", sv(q.getEquipment())), e);
  a.history("equipment", sv(q.getEquipment()));
}

Result<void> decide_routing(Decide& d, s::RoutingDefine::Reader r) {
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
    if (auto ok = check_limits(steps[i].getParams(), at + ".params"); !ok) return ok;
    auto rework = steps[i].getReworkTo();
    for (unsigned k = 0; k < rework.size(); ++k) {
      bool earlier = false;
      for (unsigned j = 0; j < i; ++j) earlier = earlier || steps[j].getStep() == rework[k];
      if (!earlier) {
        return invalid(at + ".reworkTo[" + std::to_string(k) + "]",
                       "step " + str(rework[k]) + " is not an earlier step of routing " +
                           str(r.getRouting()) + "; rework goes back to one");
      }
    }
  }
  d.emit_data("routing.defined");
  return {};
}

void apply_routing(Apply& a, s::RoutingDefine::Reader r) {
  a.state.put(a.cf.entities, keys::entity("routing", sv(r.getRouting())), a.rec.payload);
  a.history("routing", sv(r.getRouting()));
}

}  // namespace

const Area& master_data_area() {
  static const Area area{
      "master data",
      {command<s::MaterialDefine, decide_material>("material.define", {"material.defined"},
                                                   stream("material", "material")),
       command<s::PartyDefine, decide_party>("party.define", {"party.defined"},
                                             stream("party", "party")),
       command<s::EquipmentDefine, decide_equipment>("equipment.define", {"equipment.defined"},
                                                     stream("equipment", "equipment")),
       command<s::RoutingDefine, decide_routing>("routing.define", {"routing.defined"},
                                                 stream("routing", "routing"))},
      {event<s::MaterialDefine, apply_material>("material.defined"),
       event<s::PartyDefine, apply_party>("party.defined"),
       event<s::EquipmentDefine, apply_equipment>("equipment.defined"),
       event<s::RoutingDefine, apply_routing>("routing.defined")}};
  return area;
}

}  // namespace custody::domain
