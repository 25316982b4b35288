// Quality and process data: inspections of lots and of work-order steps, and device
// readings. A value outside its limits raises an exception, as the system, in the same
// commit: linked to the equipment, the running work order and its lots.
#include <cmath>
#include <cstdio>

#include "catalogue.h"

namespace custody::domain {
namespace {

// Automatic exceptions are due within this long.
constexpr TimeNs kQualityDeadline = 24 * kHour;
constexpr TimeNs kProcessDeadline = 4 * kHour;

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Lots the order touched so far: consumed, then produced.
void order_lots(s::WorkOrder::Reader wo, capnp::List<capnp::Text>::Builder out, unsigned from) {
  unsigned i = from;
  for (auto l : wo.getConsumed()) out.set(i++, l.getLot());
  for (auto l : wo.getProduced()) out.set(i++, l.getLot());
}

// The exception custody raises when a value breaks its limits, with the equipment, the order
// and the lots it touched.
void raise_automatic(Decide& d, s::ExceptionCategory category, std::string description,
                     std::string_view equipment, const Loaded<s::WorkOrder>* wo,
                     std::string_view lot, TimeNs deadline) {
  raise_automatic_exception(d, category, std::move(description), deadline,
                            [&](s::ExceptionRaised::Builder e) {
                              e.setEquipment(std::string(equipment));
                              unsigned n = lot.empty() ? 0 : 1;
                              if (wo != nullptr) {
                                auto w = const_cast<Loaded<s::WorkOrder>*>(wo)->get();
                                e.setWo(w.getWo());
                                n += w.getConsumed().size() + w.getProduced().size();
                                auto lots = e.initLots(n);
                                if (!lot.empty()) lots.set(0, std::string(lot));
                                order_lots(w, lots, lot.empty() ? 0 : 1);
                              } else if (!lot.empty()) {
                                e.initLots(1).set(0, std::string(lot));
                              }
                            });
}

// ---- inspection.record

Result<void> decide_inspection(Decide& d, s::InspectionRecord::Reader r) {
  const bool of_lot = r.getLot().size() > 0;
  const bool of_step = r.getWo().size() > 0 || r.getStep().size() > 0;
  if (of_lot == of_step) return invalid("data.lot", "give either lot, or wo and step");
  if (!std::isfinite(r.getValue())) return invalid("data.value", "must be a finite number");
  if (r.getMin() > r.getMax()) return invalid("data.max", "is below min");
  std::unique_ptr<Loaded<s::WorkOrder>> wo;
  std::string equipment;
  if (of_lot) {
    if (!find_lot(d, sv(r.getLot()))) return not_found("data.lot", "lot " + str(r.getLot()));
  } else {
    if (r.getWo().size() == 0) return invalid("data.wo", "is required with step");
    if (r.getStep().size() == 0) return invalid("data.step", "is required with wo");
    wo = find_wo(d, sv(r.getWo()));
    if (!wo) return not_found("data.wo", "work order " + str(r.getWo()));
    auto w = wo->get();
    if (w.getStatus() == s::WoStatus::CREATED || w.getStatus() == s::WoStatus::CLOSED) {
      return bad_state("data.wo", "work order " + str(r.getWo()) + " is " +
                                      std::string(wo_status_name(w.getStatus())));
    }
    bool found = false;
    for (auto step : w.getSteps()) {
      if (step.getStep() == r.getStep()) {
        found = true;
        equipment = str(step.getEquipment());
      }
    }
    if (!found)
      return not_found("data.step",
                       "step " + str(r.getStep()) + " of work order " + str(r.getWo()));
  }
  const bool passed = r.getValue() >= r.getMin() && r.getValue() <= r.getMax();
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::InspectionRecorded>();
  e.setLot(r.getLot());
  e.setWo(r.getWo());
  e.setStep(r.getStep());
  e.setCharacteristic(r.getCharacteristic());
  e.setValue(r.getValue());
  e.setMin(r.getMin());
  e.setMax(r.getMax());
  e.setUnit(r.getUnit());
  e.setPassed(passed);
  d.emit_own("inspection.recorded", e);
  if (!passed) {
    raise_automatic(d, s::ExceptionCategory::QUALITY,
                    "inspection " + str(r.getCharacteristic()) + " " + number(r.getValue()) + " " +
                        str(r.getUnit()) + " outside " + number(r.getMin()) + ".." +
                        number(r.getMax()) +
                        (of_lot ? " on lot " + str(r.getLot())
                                : " on " + str(r.getWo()) + " step " + str(r.getStep())),
                    equipment, wo.get(), sv(r.getLot()), kQualityDeadline);
  }
  return {};
}

void apply_inspection(Apply& a, s::InspectionRecorded::Reader r) {
  if (r.getLot().size()) a.history("lot", sv(r.getLot()));
  if (r.getWo().size()) a.history("wo", sv(r.getWo()));
}

// ---- reading.record

Result<void> decide_reading(Decide& d, s::ReadingRecord::Reader r) {
  auto eq = existing_equipment(d, sv(r.getEquipment()));
  if (!eq) return std::unexpected(eq.error());
  if (!std::isfinite(r.getValue())) return invalid("data.value", "must be a finite number");
  auto e = (*eq)->get();

  capnp::MallocMessageBuilder msg(128);
  auto out = msg.initRoot<s::ReadingRecorded>();
  out.setEquipment(r.getEquipment());
  out.setParam(r.getParam());
  out.setValue(r.getValue());
  out.setUnit(r.getUnit());
  out.setAt(r.getAt() != 0 ? r.getAt() : (d.cmd.occurred_at != 0 ? d.cmd.occurred_at : d.now));
  out.setInLimits(true);
  out.setOutOfCalibration(calibration_lapsed(e, out.getAt()));
  std::unique_ptr<Loaded<s::WorkOrder>> wo;
  if (e.getWo().size()) {
    out.setWo(e.getWo());
    out.setStep(e.getStep());
    wo = find_wo(d, sv(e.getWo()));
    auto routing = wo ? find_routing(d, sv(wo->get().getRouting())) : nullptr;
    if (routing) {
      for (auto step : routing->get().getSteps()) {
        if (step.getStep() != e.getStep()) continue;
        for (auto p : step.getParams()) {
          if (p.getName() != r.getParam()) continue;
          out.setHasLimits(true);
          out.setMin(p.getMin());
          out.setMax(p.getMax());
          out.setInLimits(r.getValue() >= p.getMin() && r.getValue() <= p.getMax());
        }
      }
    }
  }
  if (!out.getHasLimits()) {
    for (auto p : e.getParams()) {
      if (p.getName() != r.getParam()) continue;
      out.setHasLimits(true);
      out.setMin(p.getMin());
      out.setMax(p.getMax());
      out.setInLimits(r.getValue() >= p.getMin() && r.getValue() <= p.getMax());
    }
  }
  d.emit_own("reading.recorded", out);
  if (!out.getInLimits()) {
    // A continuing excursion (the equipment's previous reading of this parameter was out
    // of limits too, whatever order it ran) already has its exception.
    auto last = load<s::Reading>(d.state, d.cf.entities,
                                 keys::reading(sv(r.getEquipment()), sv(r.getParam())));
    const bool continuing = last && !last->get().getInLimits();
    if (!continuing) {
      raise_automatic(
          d, s::ExceptionCategory::PROCESS,
          str(r.getParam()) + " " + number(r.getValue()) + " " + str(r.getUnit()) + " outside " +
              number(out.getMin()) + ".." + number(out.getMax()) + " on " + str(r.getEquipment()) +
              (e.getWo().size() ? " running " + str(e.getWo()) + " step " + str(e.getStep())
                                : std::string()),
          sv(r.getEquipment()), wo.get(), {}, kProcessDeadline);
    }
  }
  return {};
}

void apply_reading(Apply& a, s::ReadingRecorded::Reader r) {
  capnp::MallocMessageBuilder msg(32);
  auto last = msg.initRoot<s::Reading>();
  last.setParam(r.getParam());
  last.setValue(r.getValue());
  last.setUnit(r.getUnit());
  last.setAt(r.getAt());
  last.setInLimits(r.getInLimits());
  last.setSeq(a.rec.seq);
  last.setOutOfCalibration(r.getOutOfCalibration());
  put_struct(a.state, a.cf.entities, keys::reading(sv(r.getEquipment()), sv(r.getParam())), last);
  a.history("equipment", sv(r.getEquipment()));
}

// ---- corrections of what was measured

Result<void> check_inspection_fix(Decide&, s::InspectionRecorded::Reader,
                                  s::InspectionRecorded::Builder after) {
  after.setPassed(after.getValue() >= after.getMin() && after.getValue() <= after.getMax());
  return {};
}

void shift_inspection(Apply& a, s::InspectionRecorded::Reader, s::InspectionRecorded::Reader y,
                      const ledger::RecordFields&) {
  if (y.getLot().size()) a.history("lot", sv(y.getLot()));
  if (y.getWo().size()) a.history("wo", sv(y.getWo()));
}

Result<void> check_reading_fix(Decide&, s::ReadingRecorded::Reader,
                               s::ReadingRecorded::Builder after) {
  if (after.getHasLimits()) {
    after.setInLimits(after.getValue() >= after.getMin() && after.getValue() <= after.getMax());
  }
  return {};
}

void shift_reading(Apply& a, s::ReadingRecorded::Reader, s::ReadingRecorded::Reader y,
                   const ledger::RecordFields& original) {
  // The latest reading of the parameter follows when it is the one corrected.
  const std::string key = keys::reading(sv(y.getEquipment()), sv(y.getParam()));
  if (auto last = load<s::Reading>(a.state, a.cf.entities, key);
      last && last->get().getSeq() == original.seq) {
    update<s::Reading>(a.state, a.cf.entities, key, [&](s::Reading::Builder b, s::Reading::Reader) {
      b.setValue(y.getValue());
      b.setUnit(y.getUnit());
      b.setInLimits(y.getInLimits());
    });
  }
  a.history("equipment", sv(y.getEquipment()));
}

}  // namespace

const Area& quality_area() {
  static const Area area{
      "quality",
      {command<s::InspectionRecord, decide_inspection>("inspection.record",
                                                       {"inspection.recorded", "exception.raised"},
                                                       streams({{"lot", "lot"}, {"wo", "wo"}})),
       command<s::ReadingRecord, decide_reading>("reading.record",
                                                 {"reading.recorded", "exception.raised"},
                                                 stream("equipment", "equipment"))},
      {event<s::InspectionRecorded, apply_inspection>(
           "inspection.recorded",
           correctable<s::InspectionRecorded, check_inspection_fix, shift_inspection>(
               {"value", "unit"})),
       event<s::ReadingRecorded, apply_reading>(
           "reading.recorded",
           correctable<s::ReadingRecorded, check_reading_fix, shift_reading>({"value", "unit"}))}};
  return area;
}

}  // namespace custody::domain
