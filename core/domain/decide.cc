#include "decide.h"

#include "custody/common/encoding.h"
#include "custody/domain/projections.h"

namespace custody::domain {

std::unique_ptr<Loaded<s::Material>> find_material(const Decide& d, std::string_view id) {
  return load<s::Material>(d.state, d.cf.entities, keys::entity("material", id));
}
std::unique_ptr<Loaded<s::Party>> find_party(const Decide& d, std::string_view id) {
  return load<s::Party>(d.state, d.cf.entities, keys::entity("party", id));
}
std::unique_ptr<Loaded<s::Equipment>> find_equipment(const Decide& d, std::string_view id) {
  return load<s::Equipment>(d.state, d.cf.entities, keys::entity("equipment", id));
}
std::unique_ptr<Loaded<s::RoutingDefine>> find_routing(const Decide& d, std::string_view id) {
  return load<s::RoutingDefine>(d.state, d.cf.entities, keys::entity("routing", id));
}
std::unique_ptr<Loaded<s::Lot>> find_lot(const Decide& d, std::string_view id) {
  return load<s::Lot>(d.state, d.cf.entities, keys::entity("lot", id));
}
std::unique_ptr<Loaded<s::WorkOrder>> find_wo(const Decide& d, std::string_view id) {
  return load<s::WorkOrder>(d.state, d.cf.entities, keys::entity("wo", id));
}
std::unique_ptr<Loaded<s::Exception>> find_exception(const Decide& d, std::string_view id) {
  return load<s::Exception>(d.state, d.cf.entities, keys::entity("exception", id));
}

Result<std::unique_ptr<Loaded<s::Lot>>> existing_lot(const Decide& d, std::string_view id,
                                                     const std::string& field) {
  auto lot = find_lot(d, id);
  if (!lot) return not_found(field, "lot " + std::string(id));
  return lot;
}

Result<std::unique_ptr<Loaded<s::WorkOrder>>> existing_wo(const Decide& d, std::string_view id) {
  auto wo = find_wo(d, id);
  if (!wo) return not_found("data.wo", "work order " + std::string(id));
  return wo;
}

Result<std::unique_ptr<Loaded<s::Equipment>>> existing_equipment(const Decide& d,
                                                                 std::string_view id) {
  auto eq = find_equipment(d, id);
  if (!eq) return not_found("data.equipment", "equipment " + std::string(id));
  return eq;
}

Result<void> check_lot_available(s::Lot::Reader lot, std::int64_t qty, TimeNs at,
                                 const std::string& lot_field, const std::string& qty_field) {
  if (lot.getStatus() != s::LotStatus::RELEASED) {
    return std::unexpected(
        Error{ErrorCode::kLotNotAvailable,
              "lot " + str(lot.getLot()) + " is " + std::string(lot_status_name(lot.getStatus())),
              lot_field});
  }
  if (lot.getExpires() != 0 && at >= lot.getExpires()) {
    return std::unexpected(Error{ErrorCode::kLotExpired,
                                 "lot " + str(lot.getLot()) + " expired at " +
                                     format_rfc3339(lot.getExpires()) +
                                     "; it may no longer be used or shipped",
                                 lot_field});
  }
  if (qty <= 0) return invalid(qty_field, "must be greater than zero");
  if (qty > lot.getOnHand()) {
    return std::unexpected(Error{ErrorCode::kInsufficientQuantity,
                                 "lot " + str(lot.getLot()) + " has " + qty_text(lot.getOnHand()) +
                                     " " + str(lot.getUom()) + " on hand, not " + qty_text(qty),
                                 qty_field});
  }
  return {};
}

Result<void> written_by_custody(const Decide& d, std::string_view when) {
  if (d.cmd.actor == kSystem) return {};
  return std::unexpected(Error{ErrorCode::kPermissionDenied,
                               d.cmd.type + " is written by custody itself " + std::string(when),
                               "actor"});
}

std::vector<Command> due_commands(
    const State& state, const Cfs& cf, std::string_view prefix, std::string_view end,
    const std::function<std::optional<Command>(std::string_view key, std::string_view value)>&
        make) {
  std::vector<Command> out;
  state.scan_prefix(cf.index, prefix, [&](std::string_view key, std::string_view value) {
    if (key >= end) return false;
    if (auto c = make(key, value)) out.push_back(std::move(*c));
    return out.size() < 1000;
  });
  return out;
}

LotDates dates_from_shelf_life(s::Material::Reader material, TimeNs made) {
  LotDates dates{.produced = made};
  if (material.getShelfLifeDays() != 0) {
    dates.expires = made + static_cast<TimeNs>(material.getShelfLifeDays()) * kDay;
  }
  if (material.getBestBeforeDays() != 0) {
    dates.best_before = made + static_cast<TimeNs>(material.getBestBeforeDays()) * kDay;
  }
  return dates;
}

Result<void> check_lot_change(const Decide& d, std::string_view lot, std::int64_t delta,
                              const std::string& field) {
  auto l = find_lot(d, lot);
  if (!l || delta == 0) return {};
  if (delta > 0) {
    auto t = add_quantity(l->get().getCreated(), delta, field);
    if (!t) return std::unexpected(t.error());
  } else if (l->get().getOnHand() + delta < 0) {
    return std::unexpected(Error{ErrorCode::kInsufficientQuantity,
                                 "lot " + std::string(lot) + " has " +
                                     qty_text(l->get().getOnHand()) +
                                     " on hand; the correction needs " + qty_text(-delta),
                                 field});
  }
  return {};
}

void raise_automatic_exception(Decide& d, s::ExceptionCategory category, std::string description,
                               TimeNs due_in,
                               const std::function<void(s::ExceptionRaised::Builder)>& more) {
  capnp::MallocMessageBuilder msg(256);
  auto e = msg.initRoot<s::ExceptionRaised>();
  const std::string id = std::string(kAutomaticExceptionPrefix) + d.cmd.command_id;
  e.setException(id);
  e.setCategory(category);
  e.setSeverity(s::Severity::HIGH);
  e.setDescription(description);
  // Due relative to when it happened (device or client time), else to now.
  e.setDeadline((d.cmd.occurred_at != 0 ? d.cmd.occurred_at : d.now) + due_in);
  e.setAutomatic(true);
  if (more) more(e);
  d.emit_struct(keys::stream("exception", id), "exception.raised", e, std::string(kSystem));
}

}  // namespace custody::domain
