// Corrections: record.correct names an earlier record, says why, and gives the fields that
// were entered wrongly. The original record stays in the log untouched; the correction is a
// new record in the same stream, and projections move by the difference. Only fields whose
// change has a clear meaning can be corrected (quantities, measured values, free text);
// anything structural (which lot, which order) is undone by a compensating command instead.
#include <boost/json.hpp>

#include "custody/codec/json_binding.h"
#include "custody/codec/json_parse.h"
#include "custody/domain/genealogy.h"
#include "custody/domain/registry.h"
#include "custody/ledger/record.h"
#include "domain_state.h"

namespace custody::domain {
namespace {

using codec::MessageView;

// The payload in force for record `seq`: its latest correction, or the record's own.
std::string payload_in_force(const State& state, const Cfs& cf, std::uint64_t seq,
                             const std::string& original) {
  if (auto c = load<s::Correction>(state, cf.corrections, be64(seq))) {
    auto p = c->get().getPayload();
    return std::string(reinterpret_cast<const char*>(p.begin()), p.size());
  }
  return original;
}

// Fields that differ between two structs of the same schema, by name, compared through
// their JSON form (exact for every field type).
std::vector<std::string> changed_fields(capnp::DynamicStruct::Reader a,
                                        capnp::DynamicStruct::Reader b) {
  std::vector<std::string> out;
  for (auto field : a.getSchema().getFields()) {
    std::string ja, jb;
    codec::JsonWriter wa(ja), wb(jb);
    codec::write_field(a, field, wa);
    codec::write_field(b, field, wb);
    if (ja != jb) out.push_back(field.getProto().getName().cStr());
  }
  return out;
}

Result<void> decide_correct(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::RecordCorrect>();
  const std::uint64_t seq = r.getSeq();
  auto original_bytes = d.state.record(seq);
  if (seq == 0 || !original_bytes) return not_found("data.seq", "record " + std::to_string(seq));
  auto original = ledger::decode_record(*original_bytes);
  if (!original) return std::unexpected(original.error());
  if (original->type == "record.corrected") {
    return invalid("data.seq", "record " + std::to_string(seq) +
                                   " is itself a correction; correct the original record");
  }
  if (!original->payload_present) {
    return invalid("data.seq", "record " + std::to_string(seq) + " has been redacted");
  }
  const EventType* type = find_event(original->type);
  const auto correctable =
      type ? correctable_fields(original->type) : std::span<const std::string_view>{};
  if (correctable.empty()) {
    return invalid("data.seq", "records of type " + original->type +
                                   " cannot be corrected; record a compensating command");
  }

  auto parsed = codec::parse_json(std::string_view(r.getData().cStr(), r.getData().size()),
                                  "data.data");
  if (!parsed) return std::unexpected(parsed.error());
  const boost::json::value& json = *parsed;
  if (!json.is_object()) return invalid("data.data", "must be an object of corrected fields");
  const std::string current = payload_in_force(d.state, d.cf, seq, original->payload);
  MessageView before(current);
  auto old = before.reader().getRoot<capnp::DynamicStruct>(type->payload);
  capnp::MallocMessageBuilder msg(256);
  msg.setRoot(old);
  auto fixed = msg.getRoot<capnp::DynamicStruct>(type->payload);
  if (auto bound = codec::bind_struct(json, fixed, "data.data", codec::BindMode::kPatch); !bound) {
    return std::unexpected(bound.error());
  }
  const auto changed = changed_fields(old, fixed.asReader());
  if (changed.empty())
    return invalid("data.data", "changes nothing in record " + std::to_string(seq));
  for (const auto& f : changed) {
    if (std::find(correctable.begin(), correctable.end(), f) == correctable.end()) {
      return invalid("data.data." + f, "cannot be corrected on " + original->type +
                                           "; record a compensating command");
    }
  }

  // Derived fields follow the corrected values.
  if (original->type == "reading.recorded") {
    auto rr = msg.getRoot<s::ReadingRecorded>();
    if (rr.getHasLimits())
      rr.setInLimits(rr.getValue() >= rr.getMin() && rr.getValue() <= rr.getMax());
  } else if (original->type == "inspection.recorded") {
    auto ir = msg.getRoot<s::InspectionRecorded>();
    ir.setPassed(ir.getValue() >= ir.getMin() && ir.getValue() <= ir.getMax());
  }

  // Quantities may not drive a lot below zero.
  std::int64_t lot_delta = 0;  // change of the lot's on-hand quantity
  std::string lot_id;
  if (original->type == "lot.received") {
    auto a = before.root<s::LotReceived>(), b = msg.getRoot<s::LotReceived>().asReader();
    lot_delta = b.getQty() - a.getQty();
    lot_id = str(a.getLot());
    if (b.getQty() <= 0) return invalid("data.data.qty", "must be greater than zero");
  } else if (original->type == "lot.produced") {
    auto a = before.root<s::LotProduced>(), b = msg.getRoot<s::LotProduced>().asReader();
    lot_delta = b.getQty() - a.getQty();
    lot_id = str(a.getLot());
    if (b.getQty() <= 0) return invalid("data.data.qty", "must be greater than zero");
  } else if (original->type == "lot.consumed") {
    auto a = before.root<s::LotConsumed>(), b = msg.getRoot<s::LotConsumed>().asReader();
    lot_delta = a.getQty() - b.getQty();
    lot_id = str(a.getLot());
    if (b.getQty() <= 0) return invalid("data.data.qty", "must be greater than zero");
  } else if (original->type == "lot.shipped") {
    auto a = before.root<s::LotShip>(), b = msg.getRoot<s::LotShip>().asReader();
    lot_delta = a.getQty() - b.getQty();
    lot_id = str(a.getLot());
    if (b.getQty() <= 0) return invalid("data.data.qty", "must be greater than zero");
  } else if (original->type == "op.reported") {
    auto b = msg.getRoot<s::OpReport>().asReader();
    if (b.getGood() < 0) return invalid("data.data.good", "must not be negative");
    if (b.getScrap() < 0) return invalid("data.data.scrap", "must not be negative");
  }
  if (lot_delta > 0) {
    if (auto lot = find_lot(d, lot_id)) {
      if (auto t = add_quantity(lot->get().getCreated(), lot_delta, "data.data.qty"); !t) {
        return std::unexpected(t.error());
      }
    }
  }
  if (original->type == "op.reported") {
    auto before_report = before.root<s::OpReport>();
    auto after_report = msg.getRoot<s::OpReport>().asReader();
    if (auto wo = find_wo(d, sv(before_report.getWo()))) {
      for (auto step : wo->get().getSteps()) {
        if (step.getStep() != before_report.getStep()) continue;
        if (auto t = add_quantity(step.getGood(), after_report.getGood() - before_report.getGood(),
                                  "data.data.good");
            !t) {
          return std::unexpected(t.error());
        }
        if (auto t = add_quantity(step.getScrap(),
                                  after_report.getScrap() - before_report.getScrap(),
                                  "data.data.scrap");
            !t) {
          return std::unexpected(t.error());
        }
      }
    }
  }
  if (lot_delta < 0) {
    auto lot = find_lot(d, lot_id);
    if (lot && lot->get().getOnHand() + lot_delta < 0) {
      return std::unexpected(Error{ErrorCode::kInsufficientQuantity,
                                   "lot " + lot_id + " has " + qty_text(lot->get().getOnHand()) +
                                       " on hand; the correction needs " + qty_text(-lot_delta),
                                   "data.data.qty"});
    }
  }

  capnp::MallocMessageBuilder out(256);
  auto e = out.initRoot<s::RecordCorrected>();
  e.setSeq(seq);
  e.setReason(r.getReason());
  e.setType(original->type);
  const std::string corrected = codec::canonical_bytes(msg.getRoot<capnp::AnyStruct>().asReader());
  e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(corrected.data()), corrected.size()));
  auto ch = e.initChanged(changed.size());
  for (unsigned i = 0; i < changed.size(); ++i) ch.set(i, changed[i]);
  d.emit_struct(original->stream, "record.corrected", e);
  return {};
}

// ---- apply: move projections by the difference between the payload in force and the new one

void shift_lot(Apply& a, std::string_view lot, std::int64_t on_hand, std::int64_t created,
               std::int64_t consumed, std::int64_t shipped) {
  update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", lot),
                 [&](s::Lot::Builder b, s::Lot::Reader) {
                   b.setOnHand(b.getOnHand() + on_hand);
                   b.setCreated(b.getCreated() + created);
                   b.setConsumed(b.getConsumed() + consumed);
                   b.setShipped(b.getShipped() + shipped);
                 });
  a.history("lot", lot);
}

void shift_wo_list(Apply& a, std::string_view wo, std::string_view lot, std::int64_t delta,
                   bool produced) {
  update<s::WorkOrder>(a.state, a.cf.entities, keys::entity("wo", wo),
                       [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
                         auto list = produced ? b.getProduced() : b.getConsumed();
                         for (auto e : list) {
                           if (e.getLot() == capnp::Text::Reader(lot.data(), lot.size()))
                             e.setQty(e.getQty() + delta);
                         }
                       });
  a.history("wo", wo);
}

void shift_edge(Apply& a, std::string_view from, std::string_view to, std::int64_t delta) {
  const std::string key = keys::edge(from, to);
  auto old = load<s::Edge>(a.state, a.cf.fwd, key);
  if (!old) return;
  capnp::MallocMessageBuilder msg(64);
  msg.setRoot(old->get());
  auto e = msg.getRoot<s::Edge>();
  e.setQty(e.getQty() + delta);
  const std::string bytes = codec::canonical_bytes(e.asReader());
  a.state.put(a.cf.fwd, key, bytes);
  a.state.put(a.cf.bwd, keys::edge(to, from), bytes);
  if (a.graph != nullptr) a.graph->add_edge(from, to, e.getKind(), delta, a.rec.seq);
}

void apply_corrected(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::RecordCorrected>();
  const std::uint64_t seq = r.getSeq();
  auto original = ledger::decode_record(*a.state.record(seq));
  const std::string before_bytes = payload_in_force(a.state, a.cf, seq, original->payload);
  const std::string after_bytes(reinterpret_cast<const char*>(r.getPayload().begin()),
                                r.getPayload().size());
  MessageView before(before_bytes), after(after_bytes);
  const std::string_view type = sv(r.getType());

  if (type == "lot.received") {
    auto x = before.root<s::LotReceived>(), y = after.root<s::LotReceived>();
    const auto d = y.getQty() - x.getQty();
    if (d != 0) shift_lot(a, sv(x.getLot()), d, d, 0, 0);
    if (x.getSupplierLot() != y.getSupplierLot()) {
      auto index_key = [&](capnp::Text::Reader supplier_lot) {
        std::string k = "supplier_lot/" + str(x.getSupplier());
        k.push_back('\0');
        k += sv(supplier_lot);
        k.push_back('\0');
        k += sv(x.getLot());
        return k;
      };
      a.unindex(index_key(x.getSupplierLot()));
      a.index(index_key(y.getSupplierLot()));
      update<s::Lot>(
          a.state, a.cf.entities, keys::entity("lot", sv(x.getLot())),
          [&](s::Lot::Builder b, s::Lot::Reader) { b.setSupplierLot(y.getSupplierLot()); });
      a.history("lot", sv(x.getLot()));
    }
  } else if (type == "lot.produced") {
    auto x = before.root<s::LotProduced>(), y = after.root<s::LotProduced>();
    const auto d = y.getQty() - x.getQty();
    if (d != 0) {
      shift_lot(a, sv(x.getLot()), d, d, 0, 0);
      shift_wo_list(a, sv(x.getWo()), sv(x.getLot()), d, true);
    }
  } else if (type == "lot.consumed") {
    auto x = before.root<s::LotConsumed>(), y = after.root<s::LotConsumed>();
    const auto d = y.getQty() - x.getQty();
    if (d != 0) {
      shift_lot(a, sv(x.getLot()), -d, 0, d, 0);
      shift_wo_list(a, sv(x.getWo()), sv(x.getLot()), d, false);
      // Every lot the order produced derives from this one by the consumed quantity.
      auto wo = load<s::WorkOrder>(a.state, a.cf.entities, keys::entity("wo", sv(x.getWo())));
      for (auto p : wo->get().getProduced()) shift_edge(a, sv(x.getLot()), sv(p.getLot()), d);
    }
  } else if (type == "lot.shipped") {
    auto x = before.root<s::LotShip>(), y = after.root<s::LotShip>();
    const auto d = y.getQty() - x.getQty();
    if (d != 0) {
      shift_lot(a, sv(x.getLot()), -d, 0, 0, d);
      std::string key = "shipment/" + str(x.getLot());
      key.push_back('\0');
      key += be64(seq);
      update<s::ShipmentLine>(
          a.state, a.cf.index, key,
          [&](s::ShipmentLine::Builder b, s::ShipmentLine::Reader) { b.setQty(y.getQty()); });
    }
  } else if (type == "op.reported") {
    auto x = before.root<s::OpReport>(), y = after.root<s::OpReport>();
    update<s::WorkOrder>(a.state, a.cf.entities, keys::entity("wo", sv(x.getWo())),
                         [&](s::WorkOrder::Builder b, s::WorkOrder::Reader) {
                           for (auto step : b.getSteps()) {
                             if (step.getStep() != x.getStep()) continue;
                             step.setGood(step.getGood() + y.getGood() - x.getGood());
                             step.setScrap(step.getScrap() + y.getScrap() - x.getScrap());
                           }
                         });
    // The report's fact carries the corrected figures.
    const TimeNs t = original->occurred_at != 0 ? original->occurred_at : original->recorded_at;
    const std::string fact_key = be64(static_cast<std::uint64_t>(t)) + be64(seq) + '\0';
    update<s::Fact>(a.state, a.cf.facts, fact_key, [&](s::Fact::Builder b, s::Fact::Reader) {
      b.getOpReported().setGood(y.getGood());
      b.getOpReported().setScrap(y.getScrap());
    });
    a.history("wo", sv(x.getWo()));
  } else if (type == "reading.recorded") {
    auto y = after.root<s::ReadingRecorded>();
    // The latest reading of the parameter follows when it is the one corrected.
    const std::string key = keys::reading(sv(y.getEquipment()), sv(y.getParam()));
    if (auto last = load<s::Reading>(a.state, a.cf.entities, key);
        last && last->get().getSeq() == seq) {
      update<s::Reading>(a.state, a.cf.entities, key,
                         [&](s::Reading::Builder b, s::Reading::Reader) {
                           b.setValue(y.getValue());
                           b.setUnit(y.getUnit());
                           b.setInLimits(y.getInLimits());
                         });
    }
    a.history("equipment", sv(y.getEquipment()));
  } else if (type == "inspection.recorded") {
    auto y = after.root<s::InspectionRecorded>();
    if (y.getLot().size()) a.history("lot", sv(y.getLot()));
    if (y.getWo().size()) a.history("wo", sv(y.getWo()));
  } else if (type == "exception.raised") {
    auto y = after.root<s::ExceptionRaised>();
    update<s::Exception>(a.state, a.cf.entities, keys::entity("exception", sv(y.getException())),
                         [&](s::Exception::Builder b, s::Exception::Reader) {
                           b.setDescription(y.getDescription());
                         });
    a.history("exception", sv(y.getException()));
  } else if (type == "exception.resolved") {
    auto y = after.root<s::ExceptionResolve>();
    update<s::Exception>(a.state, a.cf.entities, keys::entity("exception", sv(y.getException())),
                         [&](s::Exception::Builder b, s::Exception::Reader) {
                           b.setRootCause(y.getRootCause());
                           b.setAction(y.getAction());
                         });
    a.history("exception", sv(y.getException()));
  }

  capnp::MallocMessageBuilder msg(128);
  auto c = msg.initRoot<s::Correction>();
  c.setPayload(r.getPayload());
  std::uint32_t count = 1;
  if (auto old = load<s::Correction>(a.state, a.cf.corrections, be64(seq)))
    count += old->get().getCorrections();
  c.setCorrections(count);
  c.setLastSeq(a.rec.seq);
  put_struct(a.state, a.cf.corrections, be64(seq), c);
}

}  // namespace

void register_corrections(Handlers& h) {
  h.decide.emplace_back("record.correct", &decide_correct);
  h.apply.emplace_back("record.corrected", &apply_corrected);
}

}  // namespace custody::domain
