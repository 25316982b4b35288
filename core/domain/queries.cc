#include "custody/domain/queries.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <tuple>

#include "custody/codec/capnp_util.h"
#include "custody/codec/json_binding.h"
#include "custody/common/encoding.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/late_entries.h"
#include "custody/domain/projections.h"
#include "custody/domain/registry.h"
#include "custody/domain/signatures.h"
#include "custody/ledger/record.h"
#include "facts.h"
#include "shifts.h"
#include "state_access.h"
#include "values.h"
#include "yields.h"

namespace custody::domain {
namespace {

std::string_view kind_name(EntityKind k) {
  switch (k) {
    case EntityKind::kLot:
      return "lot";
    case EntityKind::kWorkOrder:
      return "wo";
    case EntityKind::kException:
      return "exception";
    case EntityKind::kEquipment:
      return "equipment";
    case EntityKind::kMaterial:
      return "material";
    case EntityKind::kParty:
      return "party";
    case EntityKind::kReceipt:
      return "receipt";
    case EntityKind::kDefect:
      return "defect";
    case EntityKind::kShift:
      return "shift";
    case EntityKind::kDeviation:
      return "deviation";
    case EntityKind::kCapa:
      return "capa";
  }
  return "";
}

capnp::StructSchema schema_for(EntityKind k) {
  switch (k) {
    case EntityKind::kLot:
      return capnp::Schema::from<s::Lot>();
    case EntityKind::kWorkOrder:
      return capnp::Schema::from<s::WorkOrder>();
    case EntityKind::kException:
      return capnp::Schema::from<s::Exception>();
    case EntityKind::kEquipment:
      return capnp::Schema::from<s::Equipment>();
    case EntityKind::kMaterial:
      return capnp::Schema::from<s::Material>();
    case EntityKind::kParty:
      return capnp::Schema::from<s::Party>();
    case EntityKind::kReceipt:
      return capnp::Schema::from<s::Receipt>();
    case EntityKind::kDefect:
      return capnp::Schema::from<s::DefectDefine>();
    case EntityKind::kShift:
      return capnp::Schema::from<s::ShiftDefine>();
    case EntityKind::kDeviation:
      return capnp::Schema::from<s::Deviation>();
    case EntityKind::kCapa:
      return capnp::Schema::from<s::Capa>();
  }
  return capnp::Schema::from<s::Lot>();
}

// Every key of a projection with `prefix` (from `from` on), as of the snapshot.
Result<void> scan(const ledger::Snapshot& snap, std::string_view cf_name, std::string_view prefix,
                  const ledger::Reader::Visit& fn, std::string_view from = {}) {
  return ledger::reading([&]() -> Result<void> {
    snap.scan_prefix(snap.family(cf_name), prefix, fn, from);
    return {};
  });
}

Result<std::optional<std::string>> get(const ledger::Snapshot& snap, std::string_view cf_name,
                                       std::string_view key) {
  return ledger::reading(
      [&]() -> Result<std::optional<std::string>> { return snap.get(snap.family(cf_name), key); });
}

double hours(TimeNs d) {
  return static_cast<double>(d) / 3.6e12;
}

}  // namespace

Result<void> scan_facts(const ledger::Snapshot& snap, TimeNs from, TimeNs to,
                        const std::function<bool(TimeNs, s::Fact::Reader)>& fn) {
  return scan(
      snap, kFactsCf, "",
      [&](std::string_view key, std::string_view value) {
        const TimeNs t = keys::parse_fact_time(key).value_or(0);
        if (t >= to) return false;
        if (t < from) return true;
        codec::MessageView view(value);
        return fn(t, view.root<s::Fact>());
      },
      keys::fact_from(std::max<TimeNs>(from, 0)));
}

Result<const OrderLookup::Order*> OrderLookup::find(std::string_view wo) {
  if (auto it = orders_.find(wo); it != orders_.end()) return &it->second;
  Order o;
  auto bytes = get(snap_, kEntitiesCf, keys::entity("wo", wo));
  if (!bytes) return std::unexpected(bytes.error());
  if (*bytes) {
    codec::MessageView view(**bytes);
    auto w = view.root<s::WorkOrder>();
    o.material = str(w.getMaterial());
    for (auto st : w.getSteps()) o.equipment[str(st.getStep())] = str(st.getEquipment());
    auto routing = get(snap_, kEntitiesCf, keys::entity("routing", sv(w.getRouting())));
    if (!routing) return std::unexpected(routing.error());
    if (*routing) {
      codec::MessageView rview(**routing);
      for (auto st : rview.root<s::RoutingDefine>().getSteps()) {
        if (st.getMinutesPerUnit() > 0) {
          o.minutes_per_unit[str(st.getStep())] = st.getMinutesPerUnit();
        }
      }
    }
  }
  return &orders_.emplace(std::string(wo), std::move(o)).first->second;
}

std::string_view OrderLookup::equipment(const Order& o, std::string_view step) {
  auto eq = o.equipment.find(step);
  return eq == o.equipment.end() ? std::string_view() : std::string_view(eq->second);
}

std::optional<EntityKind> parse_entity_kind(std::string_view name) {
  for (auto k :
       {EntityKind::kLot, EntityKind::kWorkOrder, EntityKind::kException, EntityKind::kEquipment,
        EntityKind::kMaterial, EntityKind::kParty, EntityKind::kReceipt, EntityKind::kDefect,
        EntityKind::kShift, EntityKind::kDeviation, EntityKind::kCapa}) {
    if (kind_name(k) == name) return k;
  }
  return std::nullopt;
}

Queries::Queries(const ledger::Snapshot& snapshot) : snap_(snapshot) {}

Result<std::vector<std::uint64_t>> Queries::history_seqs(std::string_view kname,
                                                         std::string_view id,
                                                         std::size_t limit) const {
  std::vector<std::uint64_t> seqs;
  auto r = scan(snap_, kHistoryCf, keys::history_prefix(kname, id),
                [&](std::string_view key, std::string_view) {
                  if (auto seq = keys::parse_history(key)) seqs.push_back(*seq);
                  return true;
                });
  if (!r) return std::unexpected(r.error());
  if (limit != 0 && seqs.size() > limit) {
    seqs.erase(seqs.begin(), seqs.end() - static_cast<std::ptrdiff_t>(limit));
  }
  const std::string stream = keys::stream(kname, id);
  std::uint64_t from_version = 1;
  if (limit != 0) {
    auto head = ledger::reading([&]() -> Result<std::optional<std::string>> {
      return snap_.get(snap_.store().cf(ledger::Cf::kStreams), stream);
    });
    if (!head) return std::unexpected(head.error());
    if (*head && (*head)->size() == 16) {
      const std::uint64_t version = get_be64((*head)->data());
      if (version > limit) from_version = version - limit + 1;
    }
  }
  r = snap_.stream_records(stream, from_version, 0, [&](std::uint64_t seq, std::string_view) {
    seqs.push_back(seq);
    return true;
  });
  if (!r) return std::unexpected(r.error());
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  if (limit != 0 && seqs.size() > limit) {
    seqs.erase(seqs.begin(), seqs.end() - static_cast<std::ptrdiff_t>(limit));
  }
  return seqs;
}

Result<void> Queries::show(EntityKind kind, std::string_view id, std::size_t history_limit,
                           codec::JsonWriter& out) const {
  const std::string_view kname = kind_name(kind);
  auto value = get(snap_, kEntitiesCf, keys::entity(kname, id));
  if (!value) return std::unexpected(value.error());
  if (!*value) {
    return fail(ErrorCode::kNotFound,
                std::string(kname) + " " + std::string(id) + " does not exist", "id");
  }
  auto seqs = history_seqs(kname, id, history_limit);
  if (!seqs) return std::unexpected(seqs.error());
  out.begin_object();
  out.key("kind").string(kname);
  out.key("state");
  if (auto w = codec::write_canonical(**value, schema_for(kind), out); !w) return w;
  if (kind == EntityKind::kEquipment) {
    out.key("lastReadings").begin_array();
    Result<void> inner;
    auto r = scan(snap_, kEntitiesCf, keys::reading_prefix(id),
                  [&](std::string_view, std::string_view v) {
                    inner = codec::write_canonical(v, capnp::Schema::from<s::Reading>(), out);
                    return inner.has_value();
                  });
    if (!r) return r;
    if (!inner) return inner;
    out.end_array();
  }
  out.key("history").begin_array();
  for (std::uint64_t seq : *seqs) {
    auto bytes = snap_.record(seq);
    if (!bytes) return std::unexpected(bytes.error());
    auto rec = ledger::decode_record(*bytes);
    if (!rec) return std::unexpected(rec.error());
    auto leaf = ledger::record_leaf(*bytes);
    if (!leaf) return std::unexpected(leaf.error());
    auto corrected = get(snap_, kCorrectionsCf, keys::correction(seq));
    if (!corrected) return std::unexpected(corrected.error());
    std::string entry;
    codec::JsonWriter ew(entry);
    write_record_json(*rec, *leaf, ew);
    if (*corrected && !rec->payload_present) {
      // A redacted record: what is left of it, the erased fields blank.
      codec::MessageView c(**corrected);
      auto remainder = c.root<s::Correction>().getPayload();
      const EventType* ev = find_event(rec->type);
      std::string payload;
      codec::JsonWriter pw(payload);
      if (ev != nullptr &&
          codec::write_canonical(
              std::string_view(reinterpret_cast<const char*>(remainder.begin()), remainder.size()),
              ev->payload, pw)) {
        entry.pop_back();
        entry += ",\"payload\":" + payload + "}";
      }
    } else if (*corrected) {
      // Same object, one more member: the record was changed after it was entered.
      entry.pop_back();
      entry += ",\"corrected\":true}";
    }
    if (rec->type != "signature.signed") {  // the manifestations of its signatures
      auto sigs = signatures_of(snap_, seq);
      if (!sigs) return std::unexpected(sigs.error());
      if (!sigs->empty()) {
        entry.pop_back();
        entry += ",\"signatures\":[";
        for (std::size_t i = 0; i < sigs->size(); ++i) {
          if (i > 0) entry += ',';
          codec::JsonWriter sw(entry);
          write_signature_json((*sigs)[i], sw);
        }
        entry += "]}";
      }
    }
    auto late = late_entry_of(snap_, seq);  // entered late: the flag and its reason
    if (!late) return std::unexpected(late.error());
    if (*late) {
      entry.pop_back();
      entry += ",\"late\":";
      codec::JsonWriter lw(entry);
      write_late_entry_json(**late, lw);
      entry += "}";
    }
    out.raw(entry);
  }
  out.end_array();
  out.end_object();
  return {};
}

namespace {

// The status of a stored entity as the schema names it; empty for a kind without one.
std::string_view status_of(EntityKind kind, std::string_view bytes) {
  codec::MessageView view(bytes);
  switch (kind) {
    case EntityKind::kLot:
      return codec::enum_name(view.root<s::Lot>().getStatus());
    case EntityKind::kWorkOrder:
      return codec::enum_name(view.root<s::WorkOrder>().getStatus());
    case EntityKind::kException:
      return codec::enum_name(view.root<s::Exception>().getStatus());
    case EntityKind::kEquipment:
      return codec::enum_name(view.root<s::Equipment>().getState());
    case EntityKind::kReceipt:
      return codec::enum_name(view.root<s::Receipt>().getStatus());
    case EntityKind::kDeviation:
      return codec::enum_name(view.root<s::Deviation>().getStatus());
    case EntityKind::kCapa:
      return codec::enum_name(view.root<s::Capa>().getStatus());
    case EntityKind::kMaterial:
    case EntityKind::kParty:
    case EntityKind::kDefect:
    case EntityKind::kShift:
      return {};
  }
  return {};
}

std::vector<std::string> statuses_of(EntityKind kind) {
  switch (kind) {
    case EntityKind::kLot:
      return codec::enum_names<s::LotStatus>();
    case EntityKind::kWorkOrder:
      return codec::enum_names<s::WoStatus>();
    case EntityKind::kException:
      return codec::enum_names<s::ExceptionStatus>();
    case EntityKind::kEquipment:
      return codec::enum_names<s::EquipmentState>();
    case EntityKind::kReceipt:
      return codec::enum_names<s::ReceiptStatus>();
    case EntityKind::kDeviation:
      return codec::enum_names<s::DeviationStatus>();
    case EntityKind::kCapa:
      return codec::enum_names<s::CapaStatus>();
    case EntityKind::kMaterial:
    case EntityKind::kParty:
    case EntityKind::kDefect:
    case EntityKind::kShift:
      return {};
  }
  return {};
}

}  // namespace

Result<void> Queries::list(EntityKind kind, std::string_view status, std::string_view after,
                           std::size_t limit, codec::JsonWriter& out) const {
  if (!status.empty()) {
    const auto names = statuses_of(kind);
    if (std::find(names.begin(), names.end(), status) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      return fail(ErrorCode::kInvalidArgument,
                  "a " + std::string(kind_name(kind)) + " has no status " + std::string(status) +
                      (known.empty() ? std::string(" (it has none)") : " (it has " + known + ")"),
                  "status");
    }
  }
  const std::string prefix = keys::entity(kind_name(kind), "");
  // Start just past `after`: its own key, then a zero byte, sorts right after it.
  std::string from;
  if (!after.empty()) {
    from = prefix;
    from += after;
    from += '\0';
  }
  std::vector<std::string> items;
  std::string last;  // the id of the last item taken
  bool more = false;
  Result<void> inner;
  auto r = scan(
      snap_, kEntitiesCf, prefix,
      [&](std::string_view key, std::string_view value) {
        if (!status.empty() && status_of(kind, value) != status) return true;
        if (items.size() == limit) {
          more = true;
          return false;
        }
        std::string json;
        codec::JsonWriter w(json);
        if (auto c = codec::write_canonical(value, schema_for(kind), w); !c) {
          inner = std::unexpected(c.error());
          return false;
        }
        items.push_back(std::move(json));
        last = key.substr(prefix.size());
        return true;
      },
      from);
  if (!r) return r;
  if (!inner) return inner;
  out.begin_object();
  out.key("kind").string(kind_name(kind));
  out.key("items").begin_array();
  for (const auto& item : items) out.raw(item);
  out.end_array();
  out.key("count").uint64(items.size());
  out.key("next");
  if (more) {
    out.string(last);
  } else {
    out.null();
  }
  out.end_object();
  return {};
}

Result<void> Queries::wip_board(TimeNs now, codec::JsonWriter& out) const {
  struct Row {
    TimeNs due;
    std::string wo;
    std::string json;
  };
  std::vector<Row> rows;
  Result<void> inner;
  auto r = scan(snap_, kIndexCf, keys::kWipPrefix, [&](std::string_view key, std::string_view) {
    const std::string wo_id(keys::parse_wip(key));
    auto v = get(snap_, kEntitiesCf, keys::entity("wo", wo_id));
    if (!v || !*v) return true;
    codec::MessageView view(**v);
    auto wo = view.root<s::WorkOrder>();
    std::string json;
    codec::JsonWriter w(json);
    w.begin_object();
    w.key("wo").string(wo_id);
    w.key("material").string(sv(wo.getMaterial()));
    w.key("qty").decimal(wo.getQty(), 3);
    w.key("status").string(codec::enum_name(wo.getStatus()));
    w.key("due").string(format_rfc3339(wo.getDue()));
    w.key("late").boolean(now > wo.getDue());
    std::int64_t good = 0, scrap = 0;
    std::string current, equipment, step_status = "completed";
    for (auto step : wo.getSteps()) {
      good = step.getGood();  // the last step's good is what the order has made
      scrap += step.getScrap();
      if (current.empty() && step.getStatus() != s::StepStatus::COMPLETED) {
        current = str(step.getStep());
        equipment = str(step.getEquipment());
        step_status = step.getStatus() == s::StepStatus::RUNNING ? "running" : "pending";
      }
    }
    w.key("step").string(current);
    w.key("stepStatus").string(step_status);
    w.key("equipment").string(equipment);
    w.key("good").decimal(good, 3);
    w.key("scrap").decimal(scrap, 3);
    w.end_object();
    rows.push_back(Row{wo.getDue(), wo_id, std::move(json)});
    return true;
  });
  if (!r) return r;
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.due, a.wo) < std::tie(b.due, b.wo);
  });
  out.begin_object();
  out.key("board").string("wip");
  out.key("asOf").string(format_rfc3339(now));
  out.key("count").uint64(rows.size());
  out.key("workOrders").begin_array();
  for (const auto& row : rows) out.raw(row.json);
  out.end_array();
  out.end_object();
  return {};
}

Result<void> Queries::exception_board(TimeNs now, codec::JsonWriter& out) const {
  std::uint64_t by_severity[4] = {0, 0, 0, 0};
  std::string rows;
  codec::JsonWriter rw(rows);
  rw.begin_array();
  std::uint64_t open = 0;
  auto r = scan(snap_, kIndexCf, keys::kOpenExceptionPrefix,
                [&](std::string_view key, std::string_view) {
                  const auto parsed = keys::parse_open_exception(key);
                  if (!parsed) return true;
                  const std::string id(*parsed);
                  auto v = get(snap_, kEntitiesCf, keys::entity("exception", id));
                  if (!v || !*v) return true;
                  codec::MessageView view(**v);
                  auto e = view.root<s::Exception>();
                  ++open;
                  ++by_severity[static_cast<int>(e.getSeverity())];
                  rw.begin_object();
                  rw.key("exception").string(id);
                  rw.key("severity").string(codec::enum_name(e.getSeverity()));
                  rw.key("status").string(codec::enum_name(e.getStatus()));
                  rw.key("ageHours").number(std::round(hours(now - e.getRaisedAt()) * 10) / 10);
                  rw.key("overdue").boolean(e.getDeadline() != 0 && now > e.getDeadline());
                  rw.key("escalated").boolean(e.getEscalated());
                  rw.key("assignee").string(sv(e.getAssignee()));
                  rw.key("equipment").string(sv(e.getEquipment()));
                  rw.key("wo").string(sv(e.getWo()));
                  rw.key("description").string(sv(e.getDescription()));
                  rw.end_object();
                  return true;
                });
  if (!r) return r;
  rw.end_array();
  // Closure times, from the facts of every closed exception.
  std::uint64_t closed = 0;
  double close_hours = 0;
  r = scan(snap_, kFactsCf, "", [&](std::string_view key, std::string_view value) {
    codec::MessageView view(value);
    auto f = view.root<s::Fact>();
    if (f.isExceptionClosed()) {
      ++closed;
      close_hours +=
          hours(keys::parse_fact_time(key).value_or(0) - f.getExceptionClosed().getRaisedAt());
    }
    return true;
  });
  if (!r) return r;
  out.begin_object();
  out.key("board").string("exceptions");
  out.key("asOf").string(format_rfc3339(now));
  out.key("open").uint64(open);
  out.key("bySeverity").begin_object();
  for (int i = 3; i >= 0; --i) {
    out.key(codec::enum_name(static_cast<s::Severity>(i))).uint64(by_severity[i]);
  }
  out.end_object();
  out.key("closed").uint64(closed);
  out.key("meanHoursToClose").number(closed ? std::round(close_hours / closed * 10) / 10 : 0.0);
  out.key("exceptions").raw(rows);
  out.end_object();
  return {};
}

Result<void> Queries::expiry_board(TimeNs now, std::uint32_t within_days,
                                   codec::JsonWriter& out) const {
  const TimeNs horizon = now + static_cast<TimeNs>(within_days) * kDay;
  const std::string end = keys::expiry_before(horizon);
  std::string rows;
  codec::JsonWriter rw(rows);
  rw.begin_array();
  std::uint64_t expired = 0, expiring = 0;
  auto r = scan(snap_, kIndexCf, keys::kExpiryPrefix, [&](std::string_view key, std::string_view) {
    if (key >= end) return false;
    const auto id = keys::parse_expiry(key);
    if (!id) return true;
    auto v = get(snap_, kEntitiesCf, keys::entity("lot", *id));
    if (!v || !*v) return true;
    codec::MessageView view(**v);
    auto lot = view.root<s::Lot>();
    const bool past = now >= lot.getExpires();
    ++(past ? expired : expiring);
    rw.begin_object();
    rw.key("lot").string(*id);
    rw.key("material").string(sv(lot.getMaterial()));
    rw.key("status").string(codec::enum_name(lot.getStatus()));
    rw.key("onHand").decimal(lot.getOnHand(), 3);
    rw.key("uom").string(sv(lot.getUom()));
    rw.key("location").string(sv(lot.getLocation()));
    rw.key("expires").string(format_rfc3339(lot.getExpires()));
    rw.key("expired").boolean(past);
    rw.key("daysLeft").number(std::round((lot.getExpires() - now) / double(kDay) * 10) / 10);
    if (lot.getBestBefore() != 0) rw.key("bestBefore").string(format_rfc3339(lot.getBestBefore()));
    rw.key("supplierLot").string(sv(lot.getSupplierLot()));
    rw.end_object();
    return true;
  });
  if (!r) return r;
  rw.end_array();
  out.begin_object();
  out.key("board").string("expiry");
  out.key("asOf").string(format_rfc3339(now));
  out.key("withinDays").uint64(within_days);
  out.key("expired").uint64(expired);
  out.key("expiring").uint64(expiring);
  out.key("lots").raw(rows);
  out.end_object();
  return {};
}

Result<void> Queries::board(std::string_view name, TimeNs now, std::uint32_t within_days,
                            codec::JsonWriter& out) const {
  if (name == "wip") return wip_board(now, out);
  if (name == "exceptions") return exception_board(now, out);
  if (name == "expiry") return expiry_board(now, within_days, out);
  if (name == "training") return training_board(now, within_days, out);
  if (name == "deviations") return deviation_board(now, out);
  if (name == "capa") return capa_board(now, out);
  return std::unexpected(Error{ErrorCode::kNotFound,
                               "boards are wip, exceptions, expiry, training, deviations and capa",
                               "board"});
}

Result<void> Queries::deviation_board(TimeNs now, codec::JsonWriter& out) const {
  std::uint64_t by_class[3] = {0, 0, 0};
  std::uint64_t open = 0, held = 0;
  // Oldest first: by the time each was opened.
  std::vector<std::pair<TimeNs, std::string>> rows;
  auto r =
      scan(snap_, kEntitiesCf, keys::entity("deviation", ""),
           [&](std::string_view, std::string_view value) {
             codec::MessageView view(value);
             auto v = view.root<s::Deviation>();
             if (v.getStatus() == s::DeviationStatus::APPROVED) return true;
             ++open;
             ++by_class[static_cast<int>(v.getClassification())];
             const std::uint64_t holding = v.getLots().size() - v.getCleared().size();
             held += holding;
             std::string row;
             codec::JsonWriter rw(row);
             rw.begin_object();
             rw.key("deviation").string(sv(v.getDeviation()));
             rw.key("classification").string(codec::enum_name(v.getClassification()));
             rw.key("status").string(codec::enum_name(v.getStatus()));
             rw.key("exception").string(sv(v.getException()));
             rw.key("wo").string(sv(v.getWo()));
             rw.key("description").string(sv(v.getDescription()));
             rw.key("openedAt").string(format_rfc3339(v.getOpenedAt()));
             rw.key("openedBy").string(sv(v.getOpenedBy()));
             rw.key("ageDays").number(std::round((now - v.getOpenedAt()) / double(kDay) * 10) / 10);
             rw.key("lots").uint64(v.getLots().size());
             rw.key("lotsHeld").uint64(holding);
             rw.key("rootCause").string(sv(v.getRootCause()));
             rw.key("capa").begin_array();
             for (auto c : v.getCapas()) rw.string(sv(c));
             rw.end_array();
             rw.end_object();
             rows.emplace_back(v.getOpenedAt(), std::move(row));
             return true;
           });
  if (!r) return r;
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.begin_object();
  out.key("board").string("deviations");
  out.key("asOf").string(format_rfc3339(now));
  out.key("open").uint64(open);
  out.key("byClassification").begin_object();
  for (int i = 2; i >= 0; --i) {
    out.key(codec::enum_name(static_cast<s::DeviationClass>(i))).uint64(by_class[i]);
  }
  out.end_object();
  out.key("lotsHeld").uint64(held);
  out.key("deviations").begin_array();
  for (const auto& [at, row] : rows) out.raw(row);
  out.end_array();
  out.end_object();
  return {};
}

Result<void> Queries::capa_board(TimeNs now, codec::JsonWriter& out) const {
  std::uint64_t open = 0, overdue = 0, awaiting = 0;
  std::vector<std::pair<TimeNs, std::string>> rows;
  auto r = scan(
      snap_, kEntitiesCf, keys::entity("capa", ""), [&](std::string_view, std::string_view value) {
        codec::MessageView view(value);
        auto c = view.root<s::Capa>();
        if (c.getStatus() == s::CapaStatus::EFFECTIVE) return true;
        const bool is_open = c.getStatus() == s::CapaStatus::OPEN;
        const bool late = is_open && now > c.getDue();
        ++(is_open ? open : awaiting);
        if (late) ++overdue;
        std::string row;
        codec::JsonWriter rw(row);
        rw.begin_object();
        rw.key("capa").string(sv(c.getCapa()));
        rw.key("deviation").string(sv(c.getDeviation()));
        rw.key("kind").string(codec::enum_name(c.getKind()));
        rw.key("status").string(codec::enum_name(c.getStatus()));
        rw.key("action").string(sv(c.getAction()));
        rw.key("owner").string(sv(c.getOwner()));
        rw.key("due").string(format_rfc3339(c.getDue()));
        rw.key("overdue").boolean(late);
        rw.key("daysLeft").number(std::round((c.getDue() - now) / double(kDay) * 10) / 10);
        rw.key("ineffective").uint64(c.getIneffective());
        if (c.getCompletedAt() != 0) {
          rw.key("completedAt").string(format_rfc3339(c.getCompletedAt()));
        }
        rw.end_object();
        rows.emplace_back(c.getDue(), std::move(row));
        return true;
      });
  if (!r) return r;
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.begin_object();
  out.key("board").string("capa");
  out.key("asOf").string(format_rfc3339(now));
  out.key("open").uint64(open);
  out.key("overdue").uint64(overdue);
  out.key("awaitingCheck").uint64(awaiting);
  out.key("actions").begin_array();
  for (const auto& [due, row] : rows) out.raw(row);
  out.end_array();
  out.end_object();
  return {};
}

Result<void> Queries::training_board(TimeNs now, std::uint32_t within_days,
                                     codec::JsonWriter& out) const {
  const TimeNs horizon = now + static_cast<TimeNs>(within_days) * kDay;
  std::string rows;
  codec::JsonWriter rw(rows);
  rw.begin_array();
  std::map<std::string_view, std::uint64_t> counts{
      {"valid", 0}, {"expiring", 0}, {"expired", 0}, {"revoked", 0}};
  auto r =
      scan(snap_, kEntitiesCf, keys::qualification_prefix(""),
           [&](std::string_view, std::string_view value) {
             codec::MessageView view(value);
             auto q = view.root<s::Qualification>();
             // As of an earlier time: a grant made since is not shown, a revocation since
             // not yet counted.
             if (q.getGrantedAt() > now) return true;
             const bool revoked = q.getRevokedAt() != 0 && q.getRevokedAt() <= now;
             const std::string_view standing = revoked                   ? "revoked"
                                               : q.getUntil() <= now     ? "expired"
                                               : q.getUntil() <= horizon ? "expiring"
                                                                         : "valid";
             ++counts[standing];
             rw.begin_object();
             rw.key("user").string(sv(q.getUser()));
             if (q.getWorkCenter().size() != 0) {
               rw.key("workCenter").string(sv(q.getWorkCenter()));
             } else {
               rw.key("routing").string(sv(q.getRouting()));
               rw.key("step").string(sv(q.getStep()));
             }
             rw.key("standing").string(standing);
             rw.key("until").string(format_rfc3339(q.getUntil()));
             rw.key("daysLeft").number(std::round((q.getUntil() - now) / double(kDay) * 10) / 10);
             rw.key("trainer").string(sv(q.getTrainer()));
             rw.key("procedure").string(sv(q.getProcedure()));
             rw.key("grantedAt").string(format_rfc3339(q.getGrantedAt()));
             rw.key("grantedBy").string(sv(q.getGrantedBy()));
             rw.key("seq").uint64(q.getGrantSeq());
             if (revoked) {
               rw.key("revokedAt").string(format_rfc3339(q.getRevokedAt()));
               rw.key("revokedBy").string(sv(q.getRevokedBy()));
               rw.key("reason").string(sv(q.getReason()));
             }
             rw.end_object();
             return true;
           });
  if (!r) return r;
  rw.end_array();
  out.begin_object();
  out.key("board").string("training");
  out.key("asOf").string(format_rfc3339(now));
  out.key("withinDays").uint64(within_days);
  for (const auto& [standing, n] : counts) out.key(standing).uint64(n);
  out.key("qualifications").raw(rows);
  out.end_object();
  return {};
}

Result<void> Queries::equipment_logbook(std::string_view equipment, TimeNs from, TimeNs to,
                                        codec::JsonWriter& out) const {
  auto value = get(snap_, kEntitiesCf, keys::entity("equipment", equipment));
  if (!value) return std::unexpected(value.error());
  if (!*value) {
    return fail(ErrorCode::kNotFound, "equipment " + std::string(equipment) + " does not exist",
                "equipment");
  }
  auto seqs = history_seqs("equipment", equipment, 0);
  if (!seqs) return std::unexpected(seqs.error());
  codec::MessageView ev(**value);
  auto e = ev.root<s::Equipment>();

  // The product each order makes, read once per order.
  std::map<std::string, std::string, std::less<>> materials;
  auto material_of = [&](std::string_view wo) -> Result<std::string> {
    if (auto it = materials.find(wo); it != materials.end()) return it->second;
    auto w = get(snap_, kEntitiesCf, keys::entity("wo", wo));
    if (!w) return std::unexpected(w.error());
    std::string m;
    if (*w) m = str(codec::MessageView(**w).root<s::WorkOrder>().getMaterial());
    materials.emplace(std::string(wo), m);
    return m;
  };

  std::string entries;
  codec::JsonWriter ew(entries);
  ew.begin_array();
  std::size_t count = 0;
  for (std::uint64_t seq : *seqs) {
    auto bytes = snap_.record(seq);
    if (!bytes) return std::unexpected(bytes.error());
    auto rec = ledger::decode_record(*bytes);
    if (!rec) return std::unexpected(rec.error());
    const TimeNs at = rec->occurred_at != 0 ? rec->occurred_at : rec->recorded_at;
    if (at < from || at >= to) continue;
    std::string_view event;
    if (rec->type == "equipment.defined")
      event = "defined";
    else if (rec->type == "equipment.cleaned")
      event = "cleaned";
    else if (rec->type == "equipment.calibrated")
      event = "calibrated";
    else if (rec->type == "equipment.status_set")
      event = "status";
    else if (rec->type == "line.cleared")
      event = "cleared";
    else if (rec->type == "op.started")
      event = "started";
    else if (rec->type == "op.completed")
      event = "completed";
    else if (rec->type == "exception.raised")
      event = "exception";
    else
      continue;  // readings, and the exceptions' later steps: on their own screens
    ew.begin_object();
    ew.key("at").string(format_rfc3339(at));
    ew.key("seq").uint64(seq);
    ew.key("event").string(event);
    ew.key("actor").string(rec->actor);
    if (rec->payload_present) {
      codec::MessageView p(rec->payload);
      if (event == "cleaned") {
        ew.key("procedure").string(sv(p.root<s::EquipmentClean>().getProcedure()));
      } else if (event == "calibrated") {
        auto c = p.root<s::EquipmentCalibrate>();
        ew.key("until").string(format_rfc3339(c.getUntil()));
        ew.key("certificate").string(sv(c.getCertificate()));
      } else if (event == "status") {
        auto st = p.root<s::EquipmentSetStatus>();
        ew.key("status").string(codec::enum_name(st.getStatus()));
        ew.key("reason").string(sv(st.getReason()));
      } else if (event == "started" || event == "completed" || event == "cleared") {
        // The three payloads start with the order and its step (OpStart, OpRef, LineClear).
        const std::string_view wo = event == "started"   ? sv(p.root<s::OpStart>().getWo())
                                    : event == "cleared" ? sv(p.root<s::LineClear>().getWo())
                                                         : sv(p.root<s::OpRef>().getWo());
        const std::string_view step = event == "started"   ? sv(p.root<s::OpStart>().getStep())
                                      : event == "cleared" ? sv(p.root<s::LineClear>().getStep())
                                                           : sv(p.root<s::OpRef>().getStep());
        auto m = material_of(wo);
        if (!m) return std::unexpected(m.error());
        ew.key("wo").string(wo);
        ew.key("step").string(step);
        ew.key("material").string(*m);
      } else if (event == "exception") {
        auto x = p.root<s::ExceptionRaised>();
        ew.key("exception").string(sv(x.getException()));
        ew.key("description").string(sv(x.getDescription()));
      }
    }
    ew.end_object();
    ++count;
  }
  ew.end_array();

  out.begin_object();
  out.key("equipment").string(equipment);
  out.key("name").string(sv(e.getName()));
  out.key("workCenter").string(sv(e.getWorkCenter()));
  if (from != 0) out.key("from").string(format_rfc3339(from));
  if (to != std::numeric_limits<TimeNs>::max()) out.key("to").string(format_rfc3339(to));
  out.key("service").string(codec::enum_name(e.getService()));
  if (e.getCleanedAt() != 0) {
    out.key("cleanedAt").string(format_rfc3339(e.getCleanedAt()));
    out.key("cleanedBy").string(sv(e.getCleanedBy()));
    out.key("cleanProcedure").string(sv(e.getCleanProcedure()));
  }
  if (e.getCalibratedUntil() != 0) {
    out.key("calibratedUntil").string(format_rfc3339(e.getCalibratedUntil()));
  }
  out.key("count").uint64(count);
  out.key("entries").raw(entries);
  out.end_object();
  return {};
}

Result<void> Queries::work_order_yield(std::string_view wo, codec::JsonWriter& out) const {
  auto value = get(snap_, kEntitiesCf, keys::entity("wo", wo));
  if (!value) return std::unexpected(value.error());
  if (!*value) {
    return fail(ErrorCode::kNotFound, "work order " + std::string(wo) + " does not exist", "wo");
  }
  codec::MessageView view(**value);
  auto w = view.root<s::WorkOrder>();
  auto y = order_yield(w, [&](std::string_view key) { return get(snap_, kEntitiesCf, key); });
  if (!y) return std::unexpected(y.error());
  auto number_or_null = [&](std::optional<double> v) {
    if (v) {
      out.number(*v);
    } else {
      out.null();
    }
  };
  auto percent = [&](std::int64_t actual, std::int64_t theoretical) {
    const auto p = yield_percent(actual, theoretical);
    number_or_null(p ? std::optional(round_percent(*p)) : std::nullopt);
    return p;
  };
  auto limit = [](double v) {
    return v > 0 ? std::optional(v) : std::nullopt;
  };
  out.begin_object();
  out.key("wo").string(wo);
  out.key("material").string(sv(w.getMaterial()));
  out.key("qty").decimal(w.getQty(), 3);
  out.key("status").string(codec::enum_name(w.getStatus()));
  out.key("basis").string(codec::enum_name(y->basis));
  out.key("theoretical").decimal(y->theoretical, 3);
  out.key("actual").decimal(y->actual, 3);
  out.key("percentOfTheoretical");
  const auto p = percent(y->actual, y->theoretical);
  out.key("limits").begin_object();
  out.key("min");
  number_or_null(limit(y->min));
  out.key("max");
  number_or_null(limit(y->max));
  out.end_object();
  // Judged once the order is complete, as wo.complete judges it; null before.
  out.key("inLimits");
  if (w.getStatus() == s::WoStatus::COMPLETED || w.getStatus() == s::WoStatus::CLOSED) {
    out.boolean(!p || yield_in_limits(*p, y->min, y->max));
  } else {
    out.null();
  }
  out.key("components").begin_array();
  for (const auto& c : y->components) {
    out.begin_object();
    out.key("material").string(c.material);
    out.key("qtyPerUnit").decimal(c.per_unit, 3);
    out.key("consumed").decimal(c.consumed, 3);
    out.end_object();
  }
  out.end_array();
  out.key("steps").begin_array();
  auto steps = w.getSteps();
  for (unsigned i = 0; i < y->steps.size(); ++i) {
    const auto& st = y->steps[i];
    out.begin_object();
    out.key("step").string(st.step);
    out.key("status").string(codec::enum_name(steps[i].getStatus()));
    out.key("basis").string(st.basis);
    out.key("theoretical").decimal(st.theoretical, 3);
    out.key("actual").decimal(st.actual, 3);
    out.key("scrap").decimal(steps[i].getScrap(), 3);
    out.key("percentOfTheoretical");
    percent(st.actual, st.theoretical);
    out.end_object();
  }
  out.end_array();
  out.end_object();
  return {};
}

Result<void> Queries::kpis(TimeNs from, TimeNs to, codec::JsonWriter& out) const {
  std::uint64_t completed = 0, on_time = 0, raised = 0, closed = 0;
  std::int64_t good = 0, scrap = 0;
  double close_hours = 0;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> operators;
  std::uint64_t raised_by_severity[4] = {0, 0, 0, 0};
  auto r = scan_facts(snap_, from, to, [&](TimeNs t, s::Fact::Reader f) {
    switch (f.which()) {
      case s::Fact::OP_REPORTED: {
        auto o = f.getOpReported();
        good += o.getGood();
        scrap += o.getScrap();
        auto& op = operators[str(o.getOperator())];
        op.first += o.getGood();
        op.second += o.getScrap();
        break;
      }
      case s::Fact::WO_COMPLETED:
        ++completed;
        if (f.getWoCompleted().getOnTime()) ++on_time;
        break;
      case s::Fact::EXCEPTION_RAISED:
        ++raised;
        ++raised_by_severity[static_cast<int>(f.getExceptionRaised().getSeverity())];
        break;
      case s::Fact::EXCEPTION_CLOSED:
        ++closed;
        close_hours += hours(t - f.getExceptionClosed().getRaisedAt());
        break;
      case s::Fact::EQUIPMENT_TIME:
        break;  // OEE's (oee())
    }
    return true;
  });
  if (!r) return r;
  auto ratio = [](double a, double b) {
    return b > 0 ? std::round(a / b * 10000) / 10000 : 0.0;
  };
  out.begin_object();
  out.key("from").string(format_rfc3339(from));
  out.key("to").string(format_rfc3339(to));
  out.key("workOrders").begin_object();
  out.key("completed").uint64(completed);
  out.key("onTime").uint64(on_time);
  out.key("onTimeRate").number(ratio(on_time, completed));
  out.end_object();
  out.key("production").begin_object();
  out.key("good").decimal(good, 3);
  out.key("scrap").decimal(scrap, 3);
  out.key("firstPassYield")
      .number(ratio(static_cast<double>(good), static_cast<double>(good + scrap)));
  out.key("scrapRate").number(ratio(static_cast<double>(scrap), static_cast<double>(good + scrap)));
  out.end_object();
  out.key("exceptions").begin_object();
  out.key("raised").uint64(raised);
  out.key("raisedBySeverity").begin_object();
  for (int i = 3; i >= 0; --i) {
    out.key(codec::enum_name(static_cast<s::Severity>(i))).uint64(raised_by_severity[i]);
  }
  out.end_object();
  out.key("closed").uint64(closed);
  out.key("meanHoursToClose").number(closed ? std::round(close_hours / closed * 10) / 10 : 0.0);
  out.end_object();
  out.key("operators").begin_array();
  for (const auto& [name, q] : operators) {
    out.begin_object();
    out.key("operator").string(name);
    out.key("good").decimal(q.first, 3);
    out.key("scrap").decimal(q.second, 3);
    out.end_object();
  }
  out.end_array();
  out.end_object();
  return {};
}

namespace {

// The name an entity of `kind` gives itself, empty when it has none or does not exist.
template <typename T>
Result<std::string> entity_name(const ledger::Snapshot& snap, std::string_view kind,
                                std::string_view id) {
  auto bytes = get(snap, kEntitiesCf, keys::entity(kind, id));
  if (!bytes) return std::unexpected(bytes.error());
  if (!*bytes) return std::string();
  codec::MessageView view(**bytes);
  return str(view.root<T>().getName());
}

}  // namespace

Result<void> Queries::defect_pareto(const ParetoQuery& q, const TimeZone& zone,
                                    codec::JsonWriter& out) const {
  static constexpr std::array<std::string_view, 5> kBy = {"defect", "step", "material", "equipment",
                                                          "shift"};
  if (std::find(kBy.begin(), kBy.end(), q.by) == kBy.end()) {
    return std::unexpected(
        Error::invalid_argument("by", "must be defect, step, material, equipment or shift"));
  }
  if (q.to <= q.from) return std::unexpected(Error::invalid_argument("to", "must be after from"));
  auto shifts = ledger::reading([&]() -> Result<std::vector<ShiftSpan>> {
    return defined_shifts(snap_, snap_.family(kEntitiesCf));
  });
  if (!shifts) return std::unexpected(shifts.error());

  // What each order's reports are attributed to: its material, and its steps' equipment.
  OrderLookup orders(snap_);

  struct Row {
    std::int64_t qty = 0;
    std::int64_t unclassified = 0;
    std::map<std::string, std::int64_t> defects;
  };
  std::map<std::optional<std::string>, Row> rows;  // nullopt: unclassified, or none of the kind
  std::int64_t scrap = 0, classified = 0;
  std::optional<Error> problem;
  auto r = scan_facts(snap_, q.from, q.to, [&](TimeNs t, s::Fact::Reader f) {
    if (f.which() != s::Fact::OP_REPORTED) return true;
    auto o = f.getOpReported();
    if (o.getScrap() <= 0) return true;
    auto order = orders.find(sv(o.getWo()));
    if (!order) {
      problem = order.error();
      return false;
    }
    const std::string step = str(o.getStep());
    const std::string& material = (*order)->material;
    const std::string equipment(OrderLookup::equipment(**order, step));
    const std::string shift = shift_at(*shifts, zone, t).value_or("");
    if ((!q.step.empty() && q.step != step) || (!q.material.empty() && q.material != material) ||
        (!q.equipment.empty() && q.equipment != equipment) ||
        (!q.shift.empty() && q.shift != shift)) {
      return true;
    }
    std::int64_t explained = 0;
    for (auto d : o.getDefects()) explained += d.getQty();
    const std::int64_t unexplained = std::max<std::int64_t>(o.getScrap() - explained, 0);
    scrap += o.getScrap();
    classified += o.getScrap() - unexplained;
    if (q.by == "defect") {
      for (auto d : o.getDefects()) rows[str(d.getDefect())].qty += d.getQty();
      if (unexplained > 0) rows[std::nullopt].qty += unexplained;
      return true;
    }
    const std::string& k = q.by == "step"        ? step
                           : q.by == "material"  ? material
                           : q.by == "equipment" ? equipment
                                                 : shift;
    Row& row = rows[k.empty() ? std::nullopt : std::optional<std::string>(k)];
    row.qty += o.getScrap();
    row.unclassified += unexplained;
    for (auto d : o.getDefects()) row.defects[str(d.getDefect())] += d.getQty();
    return true;
  });
  if (!r) return r;
  if (problem) return std::unexpected(*problem);

  // Most first; the unattributed row last, as a Pareto chart puts "other".
  std::vector<std::pair<std::optional<std::string>, Row>> sorted(rows.begin(), rows.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
    return a.second.qty > b.second.qty;
  });
  auto share = [&](std::int64_t part) {
    return scrap > 0 ? round_percent(100.0 * static_cast<double>(part) / static_cast<double>(scrap))
                     : 0.0;
  };
  auto name_of = [&](std::string_view kind, const std::string& id) -> Result<std::string> {
    if (kind == "defect") return entity_name<s::DefectDefine>(snap_, kind, id);
    if (kind == "material") return entity_name<s::Material>(snap_, kind, id);
    if (kind == "equipment") return entity_name<s::Equipment>(snap_, kind, id);
    if (kind == "shift") return entity_name<s::ShiftDefine>(snap_, kind, id);
    return std::string();
  };
  out.begin_object();
  // An open end of the period (all time) is null rather than a date nobody typed.
  for (const auto& [name, t, open] : {std::tuple{"from", q.from, TimeNs{0}},
                                      std::tuple{"to", q.to, std::numeric_limits<TimeNs>::max()}}) {
    out.key(name);
    if (t == open) {
      out.null();
    } else {
      out.string(format_rfc3339(t));
    }
  }
  out.key("by").string(q.by);
  out.key("filters").begin_object();
  for (const auto& [name, value] : {std::pair<std::string_view, const std::string&>{"step", q.step},
                                    {"material", q.material},
                                    {"equipment", q.equipment},
                                    {"shift", q.shift}}) {
    if (!value.empty()) out.key(name).string(value);
  }
  out.end_object();
  out.key("scrap").decimal(scrap, 3);
  out.key("classified").decimal(classified, 3);
  out.key("unclassified").decimal(scrap - classified, 3);
  out.key("rows").begin_array();
  std::int64_t running = 0;
  for (const auto& [key, row] : sorted) {
    running += row.qty;
    out.begin_object();
    out.key("key");
    if (key) {
      out.string(*key);
    } else {
      out.null();
    }
    auto name = key ? name_of(q.by, *key) : Result<std::string>(std::string());
    if (!name) return std::unexpected(name.error());
    out.key("name").string(*name);
    out.key("qty").decimal(row.qty, 3);
    out.key("percent").number(share(row.qty));
    out.key("cumulativePercent").number(share(running));
    if (q.by != "defect") {
      out.key("unclassified").decimal(row.unclassified, 3);
      std::vector<std::pair<std::string, std::int64_t>> defects(row.defects.begin(),
                                                                row.defects.end());
      std::stable_sort(defects.begin(), defects.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      out.key("defects").begin_array();
      for (const auto& [code, qty] : defects) {
        auto defect_name = name_of("defect", code);
        if (!defect_name) return std::unexpected(defect_name.error());
        out.begin_object();
        out.key("defect").string(code);
        out.key("name").string(*defect_name);
        out.key("qty").decimal(qty, 3);
        out.end_object();
      }
      out.end_array();
    }
    out.end_object();
  }
  out.end_array();
  out.end_object();
  return {};
}

}  // namespace custody::domain
