#include "custody/domain/registry.h"

#include <algorithm>
#include <vector>

#include "schema/commands.capnp.h"

namespace custody::domain {
namespace {

namespace s = custody::schema;

template <typename T>
capnp::StructSchema schema_of() {
  return capnp::Schema::from<T>();
}

const std::vector<CommandType>& commands() {
  static const std::vector<CommandType> all = {
      {"note.add", schema_of<s::NoteAdd>()},
      {"material.define", schema_of<s::MaterialDefine>()},
      {"party.define", schema_of<s::PartyDefine>()},
      {"equipment.define", schema_of<s::EquipmentDefine>()},
      {"routing.define", schema_of<s::RoutingDefine>()},
      {"lot.receive", schema_of<s::LotReceive>()},
      {"lot.split", schema_of<s::LotSplit>()},
      {"lot.merge", schema_of<s::LotMerge>()},
      {"lot.move", schema_of<s::LotMove>()},
      {"lot.hold", schema_of<s::LotReason>()},
      {"lot.release", schema_of<s::LotRef>()},
      {"lot.reject", schema_of<s::LotReason>()},
      {"lot.ship", schema_of<s::LotShip>()},
      {"wo.create", schema_of<s::WoCreate>()},
      {"wo.release", schema_of<s::WoRef>()},
      {"op.start", schema_of<s::OpStart>()},
      {"lot.consume", schema_of<s::LotConsume>()},
      {"lot.produce", schema_of<s::LotProduce>()},
      {"lot.transform", schema_of<s::LotTransform>()},
      {"op.report", schema_of<s::OpReport>()},
      {"op.complete", schema_of<s::OpRef>()},
      {"wo.complete", schema_of<s::WoRef>()},
      {"wo.close", schema_of<s::WoRef>()},
      {"wo.schedule", schema_of<s::WoSchedule>()},
      {"inspection.record", schema_of<s::InspectionRecord>()},
      {"reading.record", schema_of<s::ReadingRecord>()},
      {"exception.raise", schema_of<s::ExceptionRaise>()},
      {"exception.assign", schema_of<s::ExceptionAssign>()},
      {"exception.acknowledge", schema_of<s::ExceptionRef>()},
      {"exception.resolve", schema_of<s::ExceptionResolve>()},
      {"exception.close", schema_of<s::ExceptionRef>()},
      {"exception.escalate", schema_of<s::ExceptionEscalate>()},
      {"record.correct", schema_of<s::RecordCorrect>()},
      {"access.deny", schema_of<s::AccessDeny>()},
  };
  return all;
}

const std::vector<EventType>& events() {
  static const std::vector<EventType> all = {
      {"note.added", schema_of<s::NoteAdd>()},
      {"material.defined", schema_of<s::MaterialDefine>()},
      {"party.defined", schema_of<s::PartyDefine>()},
      {"equipment.defined", schema_of<s::EquipmentDefine>()},
      {"routing.defined", schema_of<s::RoutingDefine>()},
      {"lot.received", schema_of<s::LotReceived>()},
      {"lot.split", schema_of<s::LotSplit>()},
      {"lot.merged", schema_of<s::LotMerged>()},
      {"lot.moved", schema_of<s::LotMove>()},
      {"lot.held", schema_of<s::LotReason>()},
      {"lot.released", schema_of<s::LotRef>()},
      {"lot.rejected", schema_of<s::LotReason>()},
      {"lot.shipped", schema_of<s::LotShip>()},
      {"wo.created", schema_of<s::WoCreate>()},
      {"wo.released", schema_of<s::WoRef>()},
      {"op.started", schema_of<s::OpStart>()},
      {"lot.consumed", schema_of<s::LotConsumed>()},
      {"lot.produced", schema_of<s::LotProduced>()},
      {"lot.transformed", schema_of<s::LotTransformed>()},
      {"op.reported", schema_of<s::OpReport>()},
      {"op.completed", schema_of<s::OpRef>()},
      {"wo.completed", schema_of<s::WoRef>()},
      {"wo.closed", schema_of<s::WoRef>()},
      {"wo.scheduled", schema_of<s::WoSchedule>()},
      {"inspection.recorded", schema_of<s::InspectionRecorded>()},
      {"reading.recorded", schema_of<s::ReadingRecorded>()},
      {"exception.raised", schema_of<s::ExceptionRaised>()},
      {"exception.assigned", schema_of<s::ExceptionAssign>()},
      {"exception.acknowledged", schema_of<s::ExceptionRef>()},
      {"exception.resolved", schema_of<s::ExceptionResolve>()},
      {"exception.closed", schema_of<s::ExceptionRef>()},
      {"exception.escalated", schema_of<s::ExceptionEscalate>()},
      {"record.corrected", schema_of<s::RecordCorrected>()},
      {"access.denied", schema_of<s::AccessDeny>()},
  };
  return all;
}

struct Correctable {
  std::string_view type;
  std::vector<std::string_view> fields;
};

const std::vector<Correctable>& correctable() {
  static const std::vector<Correctable> all = {
      {"note.added", {"text"}},
      {"lot.received", {"qty", "document", "supplierLot"}},
      {"lot.consumed", {"qty"}},
      {"lot.produced", {"qty"}},
      {"lot.transformed", {"document"}},
      {"lot.shipped", {"qty"}},
      {"op.reported", {"good", "scrap"}},
      {"reading.recorded", {"value", "unit"}},
      {"inspection.recorded", {"value", "unit"}},
      {"exception.raised", {"description"}},
      {"exception.resolved", {"rootCause", "action"}},
  };
  return all;
}

}  // namespace

std::span<const CommandType> command_types() {
  return commands();
}
std::span<const EventType> event_types() {
  return events();
}

const CommandType* find_command(std::string_view name) {
  const auto& all = commands();
  auto it = std::find_if(all.begin(), all.end(), [&](const auto& c) { return c.name == name; });
  return it == all.end() ? nullptr : &*it;
}

const EventType* find_event(std::string_view name) {
  const auto& all = events();
  auto it = std::find_if(all.begin(), all.end(), [&](const auto& e) { return e.name == name; });
  return it == all.end() ? nullptr : &*it;
}

std::span<const std::string_view> correctable_fields(std::string_view event_type) {
  for (const auto& c : correctable()) {
    if (c.type == event_type) return c.fields;
  }
  return {};
}

}  // namespace custody::domain
