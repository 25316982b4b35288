// Equipment status: cleaning, calibration, maintenance (21 CFR 211.67, 211.68, 211.182). A
// piece of equipment is cleaned to a procedure (equipment.clean), calibrated until a date
// (equipment.calibrate), and taken out for maintenance, out of service or back in service
// (equipment.set_status). op.start asks check_equipment_ready (work_orders.cc) whether a step
// may start on it; reading.record asks calibration_lapsed (quality.cc) whether to flag a
// reading. The equipment's stream and history are its logbook (views.cc).
#include "catalogue.h"
#include "custody/common/encoding.h"

namespace custody::domain {

namespace {

std::string service_text(s::EquipmentService s) {
  switch (s) {
    case s::EquipmentService::MAINTENANCE:
      return "under maintenance";
    case s::EquipmentService::OUT_OF_SERVICE:
      return "out of service";
    case s::EquipmentService::PLANNED_STOP:
      return "in a planned stop";
    default:
      return "in service";
  }
}

// A step runs on it (also while an equipment exception has it down mid-step).
Result<void> check_not_running(s::Equipment::Reader e, const std::string& what) {
  if (e.getWo().size() == 0) return {};
  return bad_state("data.equipment", "equipment " + str(e.getEquipment()) + " is running " +
                                         str(e.getWo()) + " step " + str(e.getStep()) +
                                         ": complete the step before it is " + what);
}

// ---- equipment.clean

Result<void> decide_clean(Decide& d, s::EquipmentClean::Reader r) {
  auto eq = existing_equipment(d, sv(r.getEquipment()));
  if (!eq) return std::unexpected(eq.error());
  if (auto ok = check_not_running((*eq)->get(), "cleaned"); !ok) return ok;
  d.emit_data("equipment.cleaned");
  return {};
}

void apply_cleaned(Apply& a, s::EquipmentClean::Reader r) {
  const std::string key = keys::entity("equipment", sv(r.getEquipment()));
  update<s::Equipment>(
      a.state, a.cf.entities, key, [&](s::Equipment::Builder b, s::Equipment::Reader) {
        // A cleaning entered late, before a later one, does not replace it; nor does one before
        // the last start clean what that start left.
        if (a.time() < b.getCleanedAt()) return;
        b.setCleanedAt(a.time());
        b.setCleanedBy(capnp::Text::Reader(a.rec.actor.data(), a.rec.actor.size()));
        b.setCleanProcedure(r.getProcedure());
        if (a.time() >= b.getLastStartedAt()) {
          b.setLastMaterial("");
          b.setLastAllergenClass("");
        }
      });
  a.history("equipment", sv(r.getEquipment()));
}

// ---- equipment.calibrate

Result<void> decide_calibrate(Decide& d, s::EquipmentCalibrate::Reader r) {
  auto eq = existing_equipment(d, sv(r.getEquipment()));
  if (!eq) return std::unexpected(eq.error());
  if (r.getUntil() <= d.event_time()) {
    return invalid("data.until", "must be after the time of the calibration (" +
                                     format_rfc3339(d.event_time()) + ")");
  }
  d.emit_data("equipment.calibrated");
  return {};
}

void apply_calibrated(Apply& a, s::EquipmentCalibrate::Reader r) {
  const std::string key = keys::entity("equipment", sv(r.getEquipment()));
  update<s::Equipment>(a.state, a.cf.entities, key,
                       [&](s::Equipment::Builder b, s::Equipment::Reader) {
                         if (r.getUntil() < b.getCalibratedUntil())
                           return;  // a late entry of an older calibration
                         b.setCalibratedUntil(r.getUntil());
                         b.setCertificate(r.getCertificate());
                       });
  a.history("equipment", sv(r.getEquipment()));
}

// ---- equipment.set_status

Result<void> decide_set_status(Decide& d, s::EquipmentSetStatus::Reader r) {
  auto eq = existing_equipment(d, sv(r.getEquipment()));
  if (!eq) return std::unexpected(eq.error());
  auto e = (*eq)->get();
  if (e.getService() == r.getStatus()) {
    return bad_state("data.status", "equipment " + str(r.getEquipment()) + " is already " +
                                        service_text(r.getStatus()));
  }
  if (r.getStatus() != s::EquipmentService::IN_SERVICE) {
    if (auto ok = check_not_running(e, service_text(r.getStatus())); !ok) return ok;
  }
  d.emit_data("equipment.status_set");
  return {};
}

void apply_status_set(Apply& a, s::EquipmentSetStatus::Reader r) {
  const std::string key = keys::entity("equipment", sv(r.getEquipment()));
  update<s::Equipment>(
      a.state, a.cf.entities, key, [&](s::Equipment::Builder b, s::Equipment::Reader) {
        if (a.time() < b.getServiceSince()) return;  // a late entry, before the status in force
        b.setService(r.getStatus());
        b.setServiceReason(r.getStatus() == s::EquipmentService::IN_SERVICE ? "" : r.getReason());
        b.setServiceSince(a.time());
        track_equipment_time(a, b);
      });
  a.history("equipment", sv(r.getEquipment()));
}

std::unexpected<Error> refuse(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message), "data.equipment"});
}

}  // namespace

void track_equipment_time(Apply& a, s::Equipment::Builder b) {
  if (b.getIdealRate() == 0) return;  // OEE is kept for equipment with an ideal rate
  // The exception that took it down (downCause, set when it was raised) stays the reason while
  // any is open, also across a maintenance or planned stop that ends before it is resolved.
  if (b.getOpenExceptions() == 0) b.setDownCause("");
  s::OeeState next = s::OeeState::IDLE;
  std::string reason;
  switch (b.getService()) {
    case s::EquipmentService::PLANNED_STOP:
      next = s::OeeState::PLANNED;
      reason = str(b.getServiceReason());
      break;
    case s::EquipmentService::MAINTENANCE:
    case s::EquipmentService::OUT_OF_SERVICE:
      next = s::OeeState::DOWN;
      reason = service_text(b.getService()) + ": " + str(b.getServiceReason());
      break;
    default:
      if (b.getOpenExceptions() > 0) {
        next = s::OeeState::DOWN;
        reason = str(b.getDownCause());
      } else if (b.getWo().size() > 0) {
        next = s::OeeState::RUNNING;
      }
  }
  if (next == b.getOeeState() && sv(b.getOeeReason()) == reason) return;
  // A late entry from before the span in force ends that span where it began.
  const TimeNs at = std::max(a.time(), b.getOeeSince());
  if (at > b.getOeeSince()) {
    capnp::MallocMessageBuilder msg(128);
    auto f = msg.initRoot<s::Fact>().initEquipmentTime();
    f.setEquipment(b.getEquipment());
    f.setState(b.getOeeState());
    f.setReason(b.getOeeReason());
    f.setSince(b.getOeeSince());
    a.state.put(a.cf.facts, keys::fact(at, a.rec.seq, kEquipmentTimeFact),
                codec::canonical_bytes(msg.getRoot<s::Fact>().asReader()));
  }
  b.setOeeState(next);
  b.setOeeReason(reason);
  b.setOeeSince(at);
}

bool calibration_lapsed(s::Equipment::Reader e, TimeNs at) {
  if (!e.getRequiresCalibration() && e.getCalibratedUntil() == 0) return false;
  return e.getCalibratedUntil() == 0 || at > e.getCalibratedUntil();
}

Result<void> check_equipment_ready(const Decide& d, s::Equipment::Reader e, s::WorkOrder::Reader wo,
                                   TimeNs at) {
  const std::string name = "equipment " + str(e.getEquipment());
  switch (e.getService()) {
    case s::EquipmentService::MAINTENANCE:
      return refuse(ErrorCode::kUnderMaintenance, name + " is under maintenance since " +
                                                      format_rfc3339(e.getServiceSince()) + " (" +
                                                      str(e.getServiceReason()) + ")");
    case s::EquipmentService::OUT_OF_SERVICE:
      return refuse(ErrorCode::kOutOfService, name + " is out of service since " +
                                                  format_rfc3339(e.getServiceSince()) + " (" +
                                                  str(e.getServiceReason()) + ")");
    case s::EquipmentService::PLANNED_STOP:
      return refuse(ErrorCode::kPlannedStop, name + " is in a planned stop since " +
                                                 format_rfc3339(e.getServiceSince()) + " (" +
                                                 str(e.getServiceReason()) + ")");
    default:
      break;
  }
  if (calibration_lapsed(e, at)) {
    return refuse(
        ErrorCode::kOutOfCalibration,
        e.getCalibratedUntil() == 0
            ? name + " must be calibrated before use and has no calibration"
            : name + "'s calibration lapsed at " + format_rfc3339(e.getCalibratedUntil()));
  }
  const std::string cleaned = e.getCleanedAt() == 0
                                  ? std::string("it has never been cleaned")
                                  : "it was last cleaned at " + format_rfc3339(e.getCleanedAt());
  if (e.getCleanEveryHours() != 0 &&
      (e.getCleanedAt() == 0 ||
       at - e.getCleanedAt() > static_cast<TimeNs>(e.getCleanEveryHours()) * kHour)) {
    return refuse(ErrorCode::kEquipmentDirty, name + " must be cleaned every " +
                                                  std::to_string(e.getCleanEveryHours()) +
                                                  " hours; " + cleaned);
  }
  if (e.getLastMaterial().size() == 0 || e.getLastMaterial() == wo.getMaterial()) return {};
  switch (e.getCleanOnChange()) {
    case s::Changeover::MATERIAL:
      return refuse(ErrorCode::kEquipmentDirty, name + " last ran " + str(e.getLastMaterial()) +
                                                    " and must be cleaned before " +
                                                    str(wo.getMaterial()) + "; " + cleaned);
    case s::Changeover::ALLERGEN_CLASS: {
      auto material = find_material(d, sv(wo.getMaterial()));
      const std::string_view next = material ? sv(material->get().getAllergenClass()) : "";
      if (next == sv(e.getLastAllergenClass())) return {};
      auto label = [](std::string_view c) {
        return c.empty() ? std::string("no allergen class") : "allergen class " + std::string(c);
      };
      return refuse(ErrorCode::kEquipmentDirty,
                    name + " last ran " + str(e.getLastMaterial()) + " (" +
                        label(sv(e.getLastAllergenClass())) + ") and must be cleaned before " +
                        str(wo.getMaterial()) + " (" + label(next) + "); " + cleaned);
    }
    default:
      return {};
  }
}

const Area& equipment_area() {
  static const Area area{
      "equipment",
      {command<s::EquipmentClean, decide_clean>("equipment.clean", {"equipment.cleaned"},
                                                stream("equipment", "equipment")),
       command<s::EquipmentCalibrate, decide_calibrate>(
           "equipment.calibrate", {"equipment.calibrated"}, stream("equipment", "equipment")),
       command<s::EquipmentSetStatus, decide_set_status>(
           "equipment.set_status", {"equipment.status_set"}, stream("equipment", "equipment"))},
      {event<s::EquipmentClean, apply_cleaned>("equipment.cleaned"),
       event<s::EquipmentCalibrate, apply_calibrated>("equipment.calibrated"),
       event<s::EquipmentSetStatus, apply_status_set>("equipment.status_set")}};
  return area;
}

}  // namespace custody::domain
