// Material lots: received from suppliers, split, merged, moved, held, released, rejected
// and shipped. Consumption and production by work orders are in work_orders.cc.
#include <algorithm>

#include "catalogue.h"
#include "custody/common/encoding.h"
#include "custody/epcis/gs1_keys.h"

namespace custody::domain {
namespace {

// When a lot was made: the supplier's date for a received one, when given; custody's own
// for one it made (its createdAt); 0 when not known.
TimeNs production_date(s::Lot::Reader l) {
  if (l.getProduced() != 0) return l.getProduced();
  const auto origin = l.getOrigin();
  return origin == s::LotOrigin::PRODUCED || origin == s::LotOrigin::TRANSFORMED ? l.getCreatedAt()
                                                                                 : 0;
}

// ---- lot.receive

// The dates a received lot carries: the supplier's, and what the material's shelf life
// derives from its production date. A material with a shelf life needs one or the other.
Result<LotDates> receipt_dates(const Decide& d, s::Material::Reader m, s::LotReceive::Reader r) {
  const TimeNs at = d.event_time();
  if (r.getProduced() < 0 || r.getExpires() < 0 || r.getBestBefore() < 0) {
    return invalid(r.getProduced() < 0  ? "data.produced"
                   : r.getExpires() < 0 ? "data.expires"
                                        : "data.bestBefore",
                   "must be after 1970");
  }
  if (r.getProduced() > at) {
    return invalid("data.produced", "is after the receipt (" + format_rfc3339(at) + ")");
  }
  LotDates dates{r.getProduced(), r.getExpires(), r.getBestBefore()};
  if (dates.produced != 0) {
    const LotDates derived = dates_from_shelf_life(m, dates.produced);
    if (dates.expires == 0) dates.expires = derived.expires;
    if (dates.best_before == 0) dates.best_before = derived.best_before;
  }
  if (m.getShelfLifeDays() != 0 && dates.expires == 0) {
    return invalid("data.expires", "material " + str(m.getMaterial()) + " has a shelf life of " +
                                       std::to_string(m.getShelfLifeDays()) +
                                       " days: give the supplier's expiry (expires) or "
                                       "production date (produced)");
  }
  if (dates.expires != 0 && dates.produced != 0 && dates.expires <= dates.produced) {
    return invalid("data.expires", "is not after the production date");
  }
  if (dates.expires != 0 && dates.expires <= at) {
    return std::unexpected(Error{ErrorCode::kLotExpired,
                                 "the lot expired at " + format_rfc3339(dates.expires) +
                                     "; an expired lot is not received into stock",
                                 "data.expires"});
  }
  return dates;
}

// An SSCC, when one is given (field data.sscc): 18 digits with GS1's check digit.
Result<void> check_sscc(std::string_view sscc) {
  if (sscc.empty()) return {};
  if (sscc.size() != 18 ||
      !std::all_of(sscc.begin(), sscc.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("data.sscc", "must be an SSCC: 18 digits");
  }
  if (const char check = epcis::gs1_check_digit(sscc.substr(0, 17)); check != sscc[17]) {
    return invalid("data.sscc", "has the check digit " + std::string(1, sscc[17]) + "; GS1's is " +
                                    std::string(1, check));
  }
  return {};
}

Result<void> decide_receive(Decide& d, s::LotReceive::Reader r) {
  if (find_lot(d, sv(r.getLot()))) return already_exists("data.lot", "lot " + str(r.getLot()));
  auto material = find_material(d, sv(r.getMaterial()));
  if (!material) return not_found("data.material", "material " + str(r.getMaterial()));
  auto supplier = find_party(d, sv(r.getSupplier()));
  if (!supplier) return not_found("data.supplier", "party " + str(r.getSupplier()));
  if (supplier->get().getRole() != s::PartyRole::SUPPLIER) {
    return invalid("data.supplier", "party " + str(r.getSupplier()) + " is not a supplier");
  }
  if (r.getUom() != material->get().getUom()) {
    return invalid("data.uom", "material " + str(r.getMaterial()) + " is counted in " +
                                   str(material->get().getUom()));
  }
  if (r.getQty() <= 0) return invalid("data.qty", "must be greater than zero");
  auto dates = receipt_dates(d, material->get(), r);
  if (!dates) return std::unexpected(dates.error());
  if (auto ok = check_receipt(d, r); !ok) return ok;
  const std::string_view sscc = sv(r.getSscc());
  if (auto ok = check_sscc(sscc); !ok) return ok;

  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::LotReceived>();
  e.setLot(r.getLot());
  e.setMaterial(r.getMaterial());
  e.setQty(r.getQty());
  e.setUom(r.getUom());
  e.setSupplier(r.getSupplier());
  e.setSupplierLot(r.getSupplierLot());
  e.setLocation(r.getLocation().size() ? r.getLocation() : capnp::Text::Reader("receiving"));
  e.setDocument(r.getDocument());
  e.setStatus(material->get().getRequiresRelease() ? s::LotStatus::AWAITING_RELEASE
                                                   : s::LotStatus::RELEASED);
  if (!sscc.empty()) e.setSscc(r.getSscc());  // unset otherwise: receipts hash as before
  if (r.getReceipt().size() != 0) e.setReceipt(r.getReceipt());  // the same
  e.setProduced(dates->produced);                                // likewise: zero is absent
  e.setExpires(dates->expires);
  e.setBestBefore(dates->best_before);
  d.emit_own("lot.received", e);
  return {};
}

void apply_received(Apply& a, s::LotReceived::Reader r) {
  put_new_lot(a,
              {r.getLot(), r.getMaterial(), r.getUom(), r.getStatus(), r.getLocation(),
               s::LotOrigin::RECEIVED, r.getQty(),
               LotDates{r.getProduced(), r.getExpires(), r.getBestBefore()}},
              [&](s::Lot::Builder l) {
                l.setSupplier(r.getSupplier());
                l.setSupplierLot(r.getSupplierLot());
              });
  a.index(keys::supplier_lot(sv(r.getSupplier()), sv(r.getSupplierLot()), sv(r.getLot())));
  a.history("lot", sv(r.getLot()));
  receive_against(a, sv(r.getReceipt()), sv(r.getLot()), r.getQty());
}

// ---- lot.split

Result<void> decide_split(Decide& d, s::LotSplit::Reader r) {
  auto parent = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!parent) return std::unexpected(parent.error());
  auto p = (*parent)->get();
  if (p.getStatus() == s::LotStatus::REJECTED) {
    return bad_state("data.lot", "lot " + str(r.getLot()) + " is rejected");
  }
  std::int64_t total = 0;
  auto into = r.getInto();
  for (unsigned i = 0; i < into.size(); ++i) {
    const std::string at = "data.into[" + std::to_string(i) + "]";
    if (into[i].getLot() == r.getLot())
      return invalid(at + ".lot", "a lot cannot split into itself");
    for (unsigned j = 0; j < i; ++j) {
      if (into[j].getLot() == into[i].getLot()) return invalid(at + ".lot", "appears twice");
    }
    if (find_lot(d, sv(into[i].getLot())))
      return already_exists(at + ".lot", "lot " + str(into[i].getLot()));
    if (into[i].getQty() <= 0) return invalid(at + ".qty", "must be greater than zero");
    total += into[i].getQty();
  }
  if (total > p.getOnHand()) {
    return std::unexpected(Error{ErrorCode::kInsufficientQuantity,
                                 "lot " + str(r.getLot()) + " has " + qty_text(p.getOnHand()) +
                                     " on hand, the split asks for " + qty_text(total),
                                 "data.into"});
  }
  d.emit_data("lot.split");
  return {};
}

void apply_split(Apply& a, s::LotSplit::Reader r) {
  const std::string parent_key = keys::entity("lot", sv(r.getLot()));
  auto parent = load<s::Lot>(a.state, a.cf.entities, parent_key);
  auto p = parent->get();
  std::int64_t total = 0;
  for (auto child : r.getInto()) {
    total += child.getQty();
    put_new_lot(a,
                {child.getLot(), p.getMaterial(), p.getUom(), p.getStatus(), p.getLocation(),
                 s::LotOrigin::SPLIT, child.getQty(),
                 LotDates{p.getProduced(), p.getExpires(), p.getBestBefore()}},
                [&](s::Lot::Builder l) {  // a split part keeps its parent's provenance
                  l.setSupplier(p.getSupplier());
                  l.setSupplierLot(p.getSupplierLot());
                  l.setWo(p.getWo());
                  l.setHoldReason(p.getHoldReason());
                  l.setExpired(p.getExpired());
                });
    add_edge(a, sv(r.getLot()), sv(child.getLot()), s::EdgeKind::SPLIT, child.getQty(), "",
             Target::kNew);
    a.history("lot", sv(child.getLot()));
  }
  update_lot(a, sv(r.getLot()), [&](s::Lot::Builder b, s::Lot::Reader old) {
    b.setOnHand(b.getOnHand() - total);
    b.setSplitOff(b.getSplitOff() + total);
    track_stock(a, b.asReader(), old.getOnHand());
  });
  a.history("lot", sv(r.getLot()));
}

// ---- lot.merge

Result<void> decide_merge(Decide& d, s::LotMerge::Reader r) {
  if (find_lot(d, sv(r.getInto()))) return already_exists("data.into", "lot " + str(r.getInto()));
  auto lots = r.getLots();
  capnp::MallocMessageBuilder msg(256);
  auto e = msg.initRoot<s::LotMerged>();
  e.setInto(r.getInto());
  auto sources = e.initSources(lots.size());
  s::LotStatus status = s::LotStatus::RELEASED;
  for (unsigned i = 0; i < lots.size(); ++i) {
    const std::string at = "data.lots[" + std::to_string(i) + "]";
    for (unsigned j = 0; j < i; ++j) {
      if (lots[j] == lots[i]) return invalid(at, "appears twice");
    }
    if (lots[i] == r.getInto()) return invalid(at, "a lot cannot merge into itself");
    auto lot = existing_lot(d, sv(lots[i]), at);
    if (!lot) return std::unexpected(lot.error());
    auto l = (*lot)->get();
    if (l.getStatus() == s::LotStatus::HELD || l.getStatus() == s::LotStatus::REJECTED) {
      return std::unexpected(
          Error{ErrorCode::kLotNotAvailable,
                "lot " + str(lots[i]) + " is " + std::string(lot_status_name(l.getStatus())), at});
    }
    if (l.getOnHand() <= 0) {
      return std::unexpected(
          Error{ErrorCode::kInsufficientQuantity, "lot " + str(lots[i]) + " is empty", at});
    }
    if (i == 0) {
      e.setMaterial(l.getMaterial());
      e.setLocation(l.getLocation());
    } else if (l.getMaterial() != e.getMaterial()) {
      return invalid(at, "lot " + str(lots[i]) + " is " + str(l.getMaterial()) + ", not " +
                             str(e.getMaterial()));
    }
    if (l.getStatus() == s::LotStatus::AWAITING_RELEASE) status = s::LotStatus::AWAITING_RELEASE;
    // The merged lot is as old as its oldest part: the earliest of each date they carry.
    e.setProduced(earliest(e.getProduced(), production_date(l)));
    e.setExpires(earliest(e.getExpires(), l.getExpires()));
    e.setBestBefore(earliest(e.getBestBefore(), l.getBestBefore()));
    sources[i].setLot(lots[i]);
    sources[i].setQty(l.getOnHand());
  }
  std::int64_t total = 0;
  for (auto src : e.getSources()) {
    auto t = add_quantity(total, src.getQty(), "data.lots");
    if (!t) return std::unexpected(t.error());
    total = *t;
  }
  e.setStatus(status);
  d.emit_own("lot.merged", e);
  return {};
}

void apply_merged(Apply& a, s::LotMerged::Reader r) {
  std::int64_t total = 0;
  std::string uom;
  for (auto src : r.getSources()) {
    total += src.getQty();
    update_lot(a, sv(src.getLot()), [&](s::Lot::Builder b, s::Lot::Reader old) {
      b.setOnHand(b.getOnHand() - src.getQty());
      b.setMergedOut(b.getMergedOut() + src.getQty());
      uom = str(b.getUom());
      track_stock(a, b.asReader(), old.getOnHand());
    });
    add_edge(a, sv(src.getLot()), sv(r.getInto()), s::EdgeKind::MERGE, src.getQty(), "",
             Target::kNew);
    a.history("lot", sv(src.getLot()));
  }
  put_new_lot(a, {r.getInto(), r.getMaterial(), capnp::Text::Reader(uom.c_str(), uom.size()),
                  r.getStatus(), r.getLocation(), s::LotOrigin::MERGED, total,
                  LotDates{r.getProduced(), r.getExpires(), r.getBestBefore()}});
  a.history("lot", sv(r.getInto()));
}

// ---- lot.transform

Result<void> decide_transform(Decide& d, s::LotTransform::Reader r) {
  if (find_lot(d, sv(r.getLot()))) return already_exists("data.lot", "lot " + str(r.getLot()));
  auto material = find_material(d, sv(r.getMaterial()));
  if (!material) return not_found("data.material", "material " + str(r.getMaterial()));
  if (r.getQty() <= 0) return invalid("data.qty", "must be greater than zero");
  if (r.getEquipment().size() && !find_equipment(d, sv(r.getEquipment()))) {
    return not_found("data.equipment", "equipment " + str(r.getEquipment()));
  }
  capnp::MallocMessageBuilder msg(256);
  auto e = msg.initRoot<s::LotTransformed>();
  e.setLot(r.getLot());
  e.setMaterial(r.getMaterial());
  e.setQty(r.getQty());
  e.setUom(material->get().getUom());
  e.setStatus(material->get().getRequiresRelease() ? s::LotStatus::AWAITING_RELEASE
                                                   : s::LotStatus::RELEASED);
  e.setInputs(r.getInputs());
  e.setEquipment(r.getEquipment());
  e.setDocument(r.getDocument());
  const LotDates dates = dates_from_shelf_life(material->get(), d.event_time());
  e.setExpires(dates.expires);
  e.setBestBefore(dates.best_before);
  auto inputs = r.getInputs();
  for (unsigned i = 0; i < inputs.size(); ++i) {
    const std::string at = "data.inputs[" + std::to_string(i) + "]";
    for (unsigned j = 0; j < i; ++j) {
      if (inputs[j].getLot() == inputs[i].getLot()) return invalid(at + ".lot", "appears twice");
    }
    if (inputs[i].getLot() == r.getLot())
      return invalid(at + ".lot", "a lot cannot be its own input");
    auto lot = existing_lot(d, sv(inputs[i].getLot()), at + ".lot");
    if (!lot) return std::unexpected(lot.error());
    if (auto ok = check_lot_available((*lot)->get(), inputs[i].getQty(), d.event_time(),
                                      at + ".lot", at + ".qty");
        !ok) {
      return ok;
    }
    if (i == 0) e.setLocation((*lot)->get().getLocation());
  }
  if (r.getLocation().size()) e.setLocation(r.getLocation());
  d.emit_own("lot.transformed", e);
  return {};
}

void apply_transformed(Apply& a, s::LotTransformed::Reader r) {
  for (auto in : r.getInputs()) {
    update_lot(a, sv(in.getLot()), [&](s::Lot::Builder b, s::Lot::Reader old) {
      b.setOnHand(b.getOnHand() - in.getQty());
      b.setConsumed(b.getConsumed() + in.getQty());
      track_stock(a, b.asReader(), old.getOnHand());
    });
    add_edge(a, sv(in.getLot()), sv(r.getLot()), s::EdgeKind::CONSUMED_INTO, in.getQty(), "",
             Target::kNew);
    if (r.getEquipment().size()) {
      a.index(keys::equipment_lot(sv(r.getEquipment()), a.time(), a.rec.seq, sv(in.getLot())),
              "consumed");
    }
    a.history("lot", sv(in.getLot()));
  }
  put_new_lot(a, {r.getLot(), r.getMaterial(), r.getUom(), r.getStatus(), r.getLocation(),
                  s::LotOrigin::TRANSFORMED, r.getQty(),
                  LotDates{0, r.getExpires(), r.getBestBefore()}});  // made at createdAt
  if (r.getEquipment().size()) {
    a.index(keys::equipment_lot(sv(r.getEquipment()), a.time(), a.rec.seq, sv(r.getLot())),
            "produced");
  }
  a.history("lot", sv(r.getLot()));
}

// ---- lot.move, lot.hold, lot.release, lot.reject

Result<void> decide_move(Decide& d, s::LotMove::Reader r) {
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  d.emit_data("lot.moved");
  return {};
}

void apply_moved(Apply& a, s::LotMove::Reader r) {
  update_lot(a, sv(r.getLot()),
             [&](s::Lot::Builder b, s::Lot::Reader) { b.setLocation(r.getLocation()); });
  a.history("lot", sv(r.getLot()));
}

Result<void> decide_hold(Decide& d, s::LotReason::Reader r) {
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  const auto status = (*lot)->get().getStatus();
  if (status == s::LotStatus::HELD || status == s::LotStatus::REJECTED) {
    return bad_state("data.lot", "lot " + str(r.getLot()) + " is already " +
                                     std::string(lot_status_name(status)));
  }
  d.emit_data("lot.held");
  return {};
}

void apply_held(Apply& a, s::LotReason::Reader r) {
  update_lot(a, sv(r.getLot()), [&](s::Lot::Builder b, s::Lot::Reader) {
    b.setStatus(s::LotStatus::HELD);
    b.setHoldReason(r.getReason());
  });
  a.history("lot", sv(r.getLot()));
}

Result<void> decide_release(Decide& d, s::LotRef::Reader r) {
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  const auto status = (*lot)->get().getStatus();
  if (status != s::LotStatus::HELD && status != s::LotStatus::AWAITING_RELEASE) {
    return bad_state("data.lot", "lot " + str(r.getLot()) + " is " +
                                     std::string(lot_status_name(status)) +
                                     "; only held lots and lots awaiting release can be released");
  }
  if (auto ok = check_no_open_deviation(d, (*lot)->get()); !ok) return ok;
  d.emit_data("lot.released");
  return {};
}

void apply_released(Apply& a, s::LotRef::Reader r) {
  update_lot(a, sv(r.getLot()), [&](s::Lot::Builder b, s::Lot::Reader) {
    b.setStatus(s::LotStatus::RELEASED);
    b.setHoldReason("");
  });
  a.history("lot", sv(r.getLot()));
}

Result<void> decide_reject(Decide& d, s::LotReason::Reader r) {
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  if ((*lot)->get().getStatus() == s::LotStatus::REJECTED) {
    return bad_state("data.lot", "lot " + str(r.getLot()) + " is already rejected");
  }
  d.emit_data("lot.rejected");
  return {};
}

void apply_rejected(Apply& a, s::LotReason::Reader r) {
  update_lot(a, sv(r.getLot()), [&](s::Lot::Builder b, s::Lot::Reader) {
    b.setStatus(s::LotStatus::REJECTED);
    b.setHoldReason(r.getReason());
  });
  a.history("lot", sv(r.getLot()));
}

// ---- lot.ship

Result<void> decide_ship(Decide& d, s::LotShip::Reader r) {
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  auto customer = find_party(d, sv(r.getCustomer()));
  if (!customer) return not_found("data.customer", "party " + str(r.getCustomer()));
  if (customer->get().getRole() != s::PartyRole::CUSTOMER) {
    return invalid("data.customer", "party " + str(r.getCustomer()) + " is not a customer");
  }
  if (auto ok = check_sscc(sv(r.getSscc())); !ok) return ok;
  if (auto ok =
          check_lot_available((*lot)->get(), r.getQty(), d.event_time(), "data.lot", "data.qty");
      !ok) {
    return ok;
  }
  d.emit_data("lot.shipped");
  return {};
}

void apply_shipped(Apply& a, s::LotShip::Reader r) {
  update_lot(a, sv(r.getLot()), [&](s::Lot::Builder b, s::Lot::Reader old) {
    b.setOnHand(b.getOnHand() - r.getQty());
    b.setShipped(b.getShipped() + r.getQty());
    track_stock(a, b.asReader(), old.getOnHand());
  });
  capnp::MallocMessageBuilder msg(128);
  auto line = msg.initRoot<s::ShipmentLine>();
  line.setShipment(r.getShipment());
  line.setLot(r.getLot());
  line.setCustomer(r.getCustomer());
  line.setQty(r.getQty());
  line.setAt(a.time());
  line.setSeq(a.rec.seq);
  if (r.getSscc().size() != 0) line.setSscc(r.getSscc());
  put_struct(a.state, a.cf.index, keys::shipment(sv(r.getLot()), a.rec.seq), line);
  a.index(keys::shipment_by_id(sv(r.getShipment()), a.rec.seq), sv(r.getLot()));
  a.history("lot", sv(r.getLot()));
}

// ---- corrections of what was entered

Result<void> check_received_fix(Decide& d, s::LotReceived::Reader before,
                                s::LotReceived::Builder after) {
  if (after.getQty() <= 0) return invalid("data.data.qty", "must be greater than zero");
  const std::int64_t delta = after.getQty() - before.getQty();
  if (auto ok = check_receipt_change(d, sv(before.getReceipt()), delta, "data.data.qty"); !ok) {
    return ok;
  }
  return check_lot_change(d, sv(before.getLot()), delta, "data.data.qty");
}

void shift_received(Apply& a, s::LotReceived::Reader x, s::LotReceived::Reader y,
                    const ledger::RecordFields&) {
  if (const auto d = y.getQty() - x.getQty(); d != 0) {
    shift_lot(a, sv(x.getLot()), {.on_hand = d, .created = d});
    receive_against(a, sv(x.getReceipt()), {}, d);
  }
  if (x.getSupplierLot() != y.getSupplierLot()) {
    a.unindex(keys::supplier_lot(sv(x.getSupplier()), sv(x.getSupplierLot()), sv(x.getLot())));
    a.index(keys::supplier_lot(sv(x.getSupplier()), sv(y.getSupplierLot()), sv(x.getLot())));
    update_lot(a, sv(x.getLot()),
               [&](s::Lot::Builder b, s::Lot::Reader) { b.setSupplierLot(y.getSupplierLot()); });
    a.history("lot", sv(x.getLot()));
  }
}

Result<void> check_shipped_fix(Decide& d, s::LotShip::Reader before, s::LotShip::Builder after) {
  if (after.getQty() <= 0) return invalid("data.data.qty", "must be greater than zero");
  return check_lot_change(d, sv(before.getLot()), before.getQty() - after.getQty(),
                          "data.data.qty");
}

void shift_shipped(Apply& a, s::LotShip::Reader x, s::LotShip::Reader y,
                   const ledger::RecordFields& original) {
  const auto d = y.getQty() - x.getQty();
  if (d == 0) return;
  shift_lot(a, sv(x.getLot()), {.on_hand = -d, .shipped = d});
  update<s::ShipmentLine>(
      a.state, a.cf.index, keys::shipment(sv(x.getLot()), original.seq),
      [&](s::ShipmentLine::Builder b, s::ShipmentLine::Reader) { b.setQty(y.getQty()); });
}

}  // namespace

const Area& lots_area() {
  static const Area area{
      "lots",
      {command<s::LotReceive, decide_receive>("lot.receive", {"lot.received"},
                                              stream("lot", "lot")),
       command<s::LotSplit, decide_split>("lot.split", {"lot.split"}, stream("lot", "lot")),
       command<s::LotMerge, decide_merge>("lot.merge", {"lot.merged"}, stream("lot", "into")),
       command<s::LotTransform, decide_transform>("lot.transform", {"lot.transformed"},
                                                  stream("lot", "lot")),
       command<s::LotMove, decide_move>("lot.move", {"lot.moved"}, stream("lot", "lot")),
       command<s::LotReason, decide_hold>("lot.hold", {"lot.held"}, stream("lot", "lot")),
       command<s::LotRef, decide_release>("lot.release", {"lot.released"}, stream("lot", "lot")),
       command<s::LotReason, decide_reject>("lot.reject", {"lot.rejected"}, stream("lot", "lot")),
       command<s::LotShip, decide_ship>("lot.ship", {"lot.shipped"}, stream("lot", "lot"))},
      {event<s::LotReceived, apply_received>(
           "lot.received", correctable<s::LotReceived, check_received_fix, shift_received>(
                               {"qty", "document", "supplierLot"})),
       event<s::LotSplit, apply_split>("lot.split"),
       event<s::LotMerged, apply_merged>("lot.merged"),
       event<s::LotTransformed, apply_transformed>(
           "lot.transformed", correctable<s::LotTransformed, nullptr, nullptr>({"document"})),
       event<s::LotMove, apply_moved>("lot.moved"), event<s::LotReason, apply_held>("lot.held"),
       event<s::LotRef, apply_released>("lot.released"),
       event<s::LotReason, apply_rejected>("lot.rejected"),
       event<s::LotShip, apply_shipped>(
           "lot.shipped", correctable<s::LotShip, check_shipped_fix, shift_shipped>({"qty"}))}};
  return area;
}

}  // namespace custody::domain
