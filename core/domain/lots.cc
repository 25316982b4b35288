// Material lots: received from suppliers, split, merged, moved, held, released, rejected
// and shipped. Consumption and production by work orders are in work_orders.cc.
#include "domain_state.h"

namespace custody::domain {
namespace {

using codec::MessageView;

std::string lot_stream(std::string_view lot) {
  return "lot:" + std::string(lot);
}

// A lot must exist; the error names `field`.
Result<std::unique_ptr<Loaded<s::Lot>>> existing_lot(const Decide& d, std::string_view id,
                                                     const std::string& field) {
  auto lot = find_lot(d, id);
  if (!lot) return not_found(field, "lot " + std::string(id));
  return lot;
}

// Consuming or shipping needs a released lot with enough on hand.
Result<void> check_available(s::Lot::Reader lot, std::int64_t qty, const std::string& lot_field,
                             const std::string& qty_field) {
  if (lot.getStatus() != s::LotStatus::RELEASED) {
    return std::unexpected(
        Error{ErrorCode::kLotNotAvailable,
              "lot " + str(lot.getLot()) + " is " + std::string(lot_status_name(lot.getStatus())),
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

// ---- lot.receive

Result<void> decide_receive(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotReceive>();
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
  d.emit_struct(lot_stream(sv(r.getLot())), "lot.received", e);
  return {};
}

void apply_received(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotReceived>();
  put_new_lot(a,
              {r.getLot(), r.getMaterial(), r.getUom(), r.getStatus(), r.getLocation(),
               s::LotOrigin::RECEIVED, r.getQty()},
              [&](s::Lot::Builder l) {
                l.setSupplier(r.getSupplier());
                l.setSupplierLot(r.getSupplierLot());
              });
  std::string idx = "supplier_lot/" + str(r.getSupplier());
  idx.push_back('\0');
  idx += sv(r.getSupplierLot());
  idx.push_back('\0');
  idx += sv(r.getLot());
  a.index(idx);
  a.history("lot", sv(r.getLot()));
}

// ---- lot.split

Result<void> decide_split(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotSplit>();
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
  d.emit(lot_stream(sv(r.getLot())), "lot.split", d.cmd.data);
  return {};
}

void apply_split(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotSplit>();
  const std::string parent_key = keys::entity("lot", sv(r.getLot()));
  auto parent = load<s::Lot>(a.state, a.cf.entities, parent_key);
  auto p = parent->get();
  std::int64_t total = 0;
  for (auto child : r.getInto()) {
    total += child.getQty();
    put_new_lot(a,
                {child.getLot(), p.getMaterial(), p.getUom(), p.getStatus(), p.getLocation(),
                 s::LotOrigin::SPLIT, child.getQty()},
                [&](s::Lot::Builder l) {  // a split part keeps its parent's provenance
                  l.setSupplier(p.getSupplier());
                  l.setSupplierLot(p.getSupplierLot());
                  l.setWo(p.getWo());
                  l.setHoldReason(p.getHoldReason());
                });
    add_edge(a, sv(r.getLot()), sv(child.getLot()), s::EdgeKind::SPLIT, child.getQty(), "", true);
    a.history("lot", sv(child.getLot()));
  }
  update<s::Lot>(a.state, a.cf.entities, parent_key, [&](s::Lot::Builder b, s::Lot::Reader) {
    b.setOnHand(b.getOnHand() - total);
    b.setSplitOff(b.getSplitOff() + total);
  });
  a.history("lot", sv(r.getLot()));
}

// ---- lot.merge

Result<void> decide_merge(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotMerge>();
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
  d.emit_struct(lot_stream(sv(r.getInto())), "lot.merged", e);
  return {};
}

void apply_merged(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotMerged>();
  std::int64_t total = 0;
  std::string uom;
  for (auto src : r.getSources()) {
    total += src.getQty();
    update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", sv(src.getLot())),
                   [&](s::Lot::Builder b, s::Lot::Reader) {
                     b.setOnHand(b.getOnHand() - src.getQty());
                     b.setMergedOut(b.getMergedOut() + src.getQty());
                     uom = str(b.getUom());
                   });
    add_edge(a, sv(src.getLot()), sv(r.getInto()), s::EdgeKind::MERGE, src.getQty(), "", true);
    a.history("lot", sv(src.getLot()));
  }
  put_new_lot(a, {r.getInto(), r.getMaterial(), capnp::Text::Reader(uom.c_str(), uom.size()),
                  r.getStatus(), r.getLocation(), s::LotOrigin::MERGED, total});
  a.history("lot", sv(r.getInto()));
}

// ---- lot.transform

Result<void> decide_transform(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotTransform>();
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
    if (auto ok = check_available((*lot)->get(), inputs[i].getQty(), at + ".lot", at + ".qty");
        !ok) {
      return ok;
    }
    if (i == 0) e.setLocation((*lot)->get().getLocation());
  }
  if (r.getLocation().size()) e.setLocation(r.getLocation());
  d.emit_struct(lot_stream(sv(r.getLot())), "lot.transformed", e);
  return {};
}

void apply_transformed(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotTransformed>();
  for (auto in : r.getInputs()) {
    update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", sv(in.getLot())),
                   [&](s::Lot::Builder b, s::Lot::Reader) {
                     b.setOnHand(b.getOnHand() - in.getQty());
                     b.setConsumed(b.getConsumed() + in.getQty());
                   });
    add_edge(a, sv(in.getLot()), sv(r.getLot()), s::EdgeKind::CONSUMED_INTO, in.getQty(), "", true);
    if (r.getEquipment().size()) {
      a.index(equipment_lot_key(sv(r.getEquipment()), a.time(), a.rec.seq, sv(in.getLot())),
              "consumed");
    }
    a.history("lot", sv(in.getLot()));
  }
  put_new_lot(a, {r.getLot(), r.getMaterial(), r.getUom(), r.getStatus(), r.getLocation(),
                  s::LotOrigin::TRANSFORMED, r.getQty()});
  if (r.getEquipment().size()) {
    a.index(equipment_lot_key(sv(r.getEquipment()), a.time(), a.rec.seq, sv(r.getLot())),
            "produced");
  }
  a.history("lot", sv(r.getLot()));
}

// ---- lot.move, lot.hold, lot.release, lot.reject

Result<void> decide_move(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotMove>();
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  d.emit(lot_stream(sv(r.getLot())), "lot.moved", d.cmd.data);
  return {};
}

void apply_moved(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotMove>();
  update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", sv(r.getLot())),
                 [&](s::Lot::Builder b, s::Lot::Reader) { b.setLocation(r.getLocation()); });
  a.history("lot", sv(r.getLot()));
}

Result<void> decide_hold(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotReason>();
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  const auto status = (*lot)->get().getStatus();
  if (status == s::LotStatus::HELD || status == s::LotStatus::REJECTED) {
    return bad_state("data.lot", "lot " + str(r.getLot()) + " is already " +
                                     std::string(lot_status_name(status)));
  }
  d.emit(lot_stream(sv(r.getLot())), "lot.held", d.cmd.data);
  return {};
}

void apply_held(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotReason>();
  update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", sv(r.getLot())),
                 [&](s::Lot::Builder b, s::Lot::Reader) {
                   b.setStatus(s::LotStatus::HELD);
                   b.setHoldReason(r.getReason());
                 });
  a.history("lot", sv(r.getLot()));
}

Result<void> decide_release(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotRef>();
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  const auto status = (*lot)->get().getStatus();
  if (status != s::LotStatus::HELD && status != s::LotStatus::AWAITING_RELEASE) {
    return bad_state("data.lot", "lot " + str(r.getLot()) + " is " +
                                     std::string(lot_status_name(status)) +
                                     "; only held lots and lots awaiting release can be released");
  }
  d.emit(lot_stream(sv(r.getLot())), "lot.released", d.cmd.data);
  return {};
}

void apply_released(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotRef>();
  update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", sv(r.getLot())),
                 [&](s::Lot::Builder b, s::Lot::Reader) {
                   b.setStatus(s::LotStatus::RELEASED);
                   b.setHoldReason("");
                 });
  a.history("lot", sv(r.getLot()));
}

Result<void> decide_reject(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotReason>();
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  if ((*lot)->get().getStatus() == s::LotStatus::REJECTED) {
    return bad_state("data.lot", "lot " + str(r.getLot()) + " is already rejected");
  }
  d.emit(lot_stream(sv(r.getLot())), "lot.rejected", d.cmd.data);
  return {};
}

void apply_rejected(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotReason>();
  update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", sv(r.getLot())),
                 [&](s::Lot::Builder b, s::Lot::Reader) {
                   b.setStatus(s::LotStatus::REJECTED);
                   b.setHoldReason(r.getReason());
                 });
  a.history("lot", sv(r.getLot()));
}

// ---- lot.ship

Result<void> decide_ship(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::LotShip>();
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  auto customer = find_party(d, sv(r.getCustomer()));
  if (!customer) return not_found("data.customer", "party " + str(r.getCustomer()));
  if (customer->get().getRole() != s::PartyRole::CUSTOMER) {
    return invalid("data.customer", "party " + str(r.getCustomer()) + " is not a customer");
  }
  if (auto ok = check_available((*lot)->get(), r.getQty(), "data.lot", "data.qty"); !ok) {
    return ok;
  }
  d.emit(lot_stream(sv(r.getLot())), "lot.shipped", d.cmd.data);
  return {};
}

void apply_shipped(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::LotShip>();
  update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", sv(r.getLot())),
                 [&](s::Lot::Builder b, s::Lot::Reader) {
                   b.setOnHand(b.getOnHand() - r.getQty());
                   b.setShipped(b.getShipped() + r.getQty());
                 });
  capnp::MallocMessageBuilder msg(128);
  auto line = msg.initRoot<s::ShipmentLine>();
  line.setShipment(r.getShipment());
  line.setLot(r.getLot());
  line.setCustomer(r.getCustomer());
  line.setQty(r.getQty());
  line.setAt(a.time());
  line.setSeq(a.rec.seq);
  std::string key = "shipment/" + str(r.getLot());
  key.push_back('\0');
  key += be64(a.rec.seq);
  put_struct(a.state, a.cf.index, key, line);
  std::string by_id = "shipment_by_id/" + str(r.getShipment());
  by_id.push_back('\0');
  by_id += be64(a.rec.seq);
  a.index(by_id, sv(r.getLot()));
  a.history("lot", sv(r.getLot()));
}

}  // namespace

// Shared with work_orders.cc.
Result<void> check_lot_available(s::Lot::Reader lot, std::int64_t qty, const std::string& lot_field,
                                 const std::string& qty_field) {
  return check_available(lot, qty, lot_field, qty_field);
}

void register_lots(Handlers& h) {
  h.decide.emplace_back("lot.receive", &decide_receive);
  h.decide.emplace_back("lot.split", &decide_split);
  h.decide.emplace_back("lot.merge", &decide_merge);
  h.decide.emplace_back("lot.move", &decide_move);
  h.decide.emplace_back("lot.hold", &decide_hold);
  h.decide.emplace_back("lot.release", &decide_release);
  h.decide.emplace_back("lot.reject", &decide_reject);
  h.decide.emplace_back("lot.ship", &decide_ship);
  h.decide.emplace_back("lot.transform", &decide_transform);
  h.apply.emplace_back("lot.received", &apply_received);
  h.apply.emplace_back("lot.split", &apply_split);
  h.apply.emplace_back("lot.merged", &apply_merged);
  h.apply.emplace_back("lot.moved", &apply_moved);
  h.apply.emplace_back("lot.held", &apply_held);
  h.apply.emplace_back("lot.released", &apply_released);
  h.apply.emplace_back("lot.rejected", &apply_rejected);
  h.apply.emplace_back("lot.shipped", &apply_shipped);
  h.apply.emplace_back("lot.transformed", &apply_transformed);
}

}  // namespace custody::domain
