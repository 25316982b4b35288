#include "custody/domain/recall.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>

#include "custody/codec/capnp_util.h"
#include "custody/domain/projections.h"
#include "custody/ledger/record.h"
#include "custody/common/encoding.h"
#include "state_access.h"
#include "values.h"

namespace custody::domain {
namespace {

rocksdb::ColumnFamilyHandle* cf_of(const ledger::Snapshot& snap, std::string_view name) {
  return snap.store().cf(name);
}

// Every key under `prefix` in the index column family, with its value.
template <typename F>
Result<void> scan_index(const ledger::Snapshot& snap, rocksdb::Iterator& it,
                        std::string_view prefix, F&& fn) {
  for (it.Seek(prefix); it.Valid() && it.key().starts_with(prefix); it.Next()) {
    fn(it.key().ToStringView().substr(prefix.size()), it.value().ToStringView());
  }
  if (!it.status().ok()) return fail(ErrorCode::kIoError, it.status().ToString());
  (void)snap;
  return {};
}

struct Names {
  const ledger::Snapshot& snap;
  std::map<std::string, std::string, std::less<>> materials, parties;
  std::string material(std::string_view id) {
    if (auto it = materials.find(id); it != materials.end()) return it->second;
    std::string name(id);
    if (auto v = snap.get(cf_of(snap, kEntitiesCf), keys::entity("material", id)); v && *v) {
      codec::MessageView view(**v);
      name = str(view.root<s::Material>().getName());
    }
    return materials.emplace(std::string(id), name).first->second;
  }
  std::string party(std::string_view id) {
    if (auto it = parties.find(id); it != parties.end()) return it->second;
    std::string name(id);
    if (auto v = snap.get(cf_of(snap, kEntitiesCf), keys::entity("party", id)); v && *v) {
      codec::MessageView view(**v);
      name = str(view.root<s::Party>().getName());
    }
    return parties.emplace(std::string(id), name).first->second;
  }
};

std::string date_of(TimeNs t) {
  return format_rfc3339(t).substr(0, 10);
}

}  // namespace

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Result<RecallReport> build_recall(const ledger::Snapshot& snap, const RecallScope& scope,
                                  const GenealogyGraph* graph) {
  const auto started = std::chrono::steady_clock::now();
  RecallReport report;
  report.scope = scope;
  report.as_of_seq = snap.head().seq;
  auto* entities = cf_of(snap, kEntitiesCf);
  auto* index_cf = cf_of(snap, kIndexCf);
  if (entities == nullptr || index_cf == nullptr)
    return fail(ErrorCode::kCorruption, "projections missing");
  std::unique_ptr<rocksdb::Iterator> idx(
      snap.store().db().NewIterator(snap.read_options(), index_cf));

  // 1. Where the recall starts.
  switch (scope.from) {
    case RecallScope::From::kLot: {
      auto v = snap.get(entities, keys::entity("lot", scope.lot));
      if (!v) return std::unexpected(v.error());
      if (!*v) return fail(ErrorCode::kNotFound, "lot " + scope.lot + " does not exist", "lot");
      report.starts.push_back(scope.lot);
      break;
    }
    case RecallScope::From::kSupplierLot: {
      auto p = snap.get(entities, keys::entity("party", scope.supplier));
      if (!p) return std::unexpected(p.error());
      if (!*p)
        return fail(ErrorCode::kNotFound, "supplier " + scope.supplier + " does not exist",
                    "supplier");
      std::string prefix = "supplier_lot/" + scope.supplier;
      prefix.push_back('\0');
      prefix += scope.supplier_lot;
      prefix.push_back('\0');
      auto r = scan_index(snap, *idx, prefix, [&](std::string_view lot, std::string_view) {
        report.starts.emplace_back(lot);
      });
      if (!r) return std::unexpected(r.error());
      if (report.starts.empty()) {
        return fail(
            ErrorCode::kNotFound,
            "no lot of " + scope.supplier + " supplier lot " + scope.supplier_lot + " was received",
            "supplier-lot");
      }
      break;
    }
    case RecallScope::From::kEquipment: {
      if (scope.window_to <= scope.window_from) {
        return fail(ErrorCode::kInvalidArgument, "the time window is empty", "to");
      }
      auto e = snap.get(entities, keys::entity("equipment", scope.equipment));
      if (!e) return std::unexpected(e.error());
      if (!*e)
        return fail(ErrorCode::kNotFound, "equipment " + scope.equipment + " does not exist",
                    "equipment");
      std::string prefix = "equipment_lot/" + scope.equipment;
      prefix.push_back('\0');
      const std::string from =
          be64(static_cast<std::uint64_t>(std::max<TimeNs>(scope.window_from, 0)));
      const std::string to = be64(static_cast<std::uint64_t>(scope.window_to));
      std::set<std::string> seen;
      for (idx->Seek(prefix + from); idx->Valid() && idx->key().starts_with(prefix); idx->Next()) {
        const std::string_view rest = idx->key().ToStringView().substr(prefix.size());
        if (rest.substr(0, 8) >= to) break;
        std::string lot(rest.substr(16));
        if (seen.insert(lot).second) report.starts.push_back(std::move(lot));
      }
      if (!idx->status().ok()) return fail(ErrorCode::kIoError, idx->status().ToString());
      break;
    }
  }

  // 2. Forward from there.
  if (graph != nullptr) {
    report.trace = graph->trace(report.starts, Direction::kForward, 0, report.as_of_seq);
  } else {
    auto t = trace_snapshot(snap, report.starts, Direction::kForward, 0);
    if (!t) return std::unexpected(t.error());
    report.trace = std::move(*t);
  }
  report.lots_reached = report.trace.lots.size();

  // 3. Each lot's state, in one batched read.
  const std::size_t n = report.trace.lots.size();
  std::vector<std::string> keys(n);
  std::vector<rocksdb::Slice> slices(n);
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = keys::entity("lot", report.trace.lots[i].lot);
    slices[i] = keys[i];
  }
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  if (n > 0) {
    snap.store().db().MultiGet(snap.read_options(), entities, n, slices.data(), values.data(),
                               statuses.data());
  }
  Names names{snap, {}, {}};
  std::set<std::string> wos;
  for (std::size_t i = 0; i < n; ++i) {
    if (!statuses[i].ok()) continue;  // a lot named by an edge but never created: skip
    codec::MessageView view(values[i].ToStringView());
    auto l = view.root<s::Lot>();
    RecallLot lot;
    lot.lot = std::string(report.trace.lots[i].lot);
    lot.depth = report.trace.lots[i].depth;
    lot.material = str(l.getMaterial());
    lot.material_name = names.material(lot.material);
    lot.uom = str(l.getUom());
    lot.status = codec::enum_name(l.getStatus());
    lot.location = str(l.getLocation());
    lot.origin = codec::enum_name(l.getOrigin());
    lot.wo = str(l.getWo());
    lot.supplier = str(l.getSupplier());
    lot.supplier_lot = str(l.getSupplierLot());
    lot.on_hand = l.getOnHand();
    lot.created_at = l.getCreatedAt();
    lot.created_seq = l.getCreatedSeq();
    if (!lot.wo.empty()) wos.insert(lot.wo);
    if (lot.depth == 0) {
      MassBalance b;
      b.lot = lot.lot;
      b.uom = lot.uom;
      b.received = l.getCreated();
      b.consumed = l.getConsumed();
      b.shipped = l.getShipped();
      b.split_off = l.getSplitOff();
      b.merged_out = l.getMergedOut();
      b.on_hand = l.getOnHand();
      if (l.getStatus() == s::LotStatus::REJECTED) {
        b.scrapped = b.on_hand;
        b.on_hand = 0;
      }
      const std::int64_t accounted =
          b.consumed + b.shipped + b.split_off + b.merged_out + b.on_hand + b.scrapped;
      b.accounted_pct =
          b.received > 0 ? 100.0 * static_cast<double>(accounted) / static_cast<double>(b.received)
                         : 0;
      report.balance.push_back(std::move(b));
    }
    // 4. Orders that consumed it (some may not have produced anything yet), and shipments.
    std::string prefix = "consumed_by/" + lot.lot;
    prefix.push_back('\0');
    auto r = scan_index(snap, *idx, prefix,
                        [&](std::string_view wo, std::string_view) { wos.emplace(wo); });
    if (!r) return std::unexpected(r.error());
    prefix = "shipment/" + lot.lot;
    prefix.push_back('\0');
    r = scan_index(snap, *idx, prefix, [&](std::string_view, std::string_view value) {
      codec::MessageView sv_(value);
      auto line = sv_.root<s::ShipmentLine>();
      RecallShipment sh;
      sh.shipment = str(line.getShipment());
      sh.lot = lot.lot;
      sh.customer = str(line.getCustomer());
      sh.customer_name = names.party(sh.customer);
      sh.material = lot.material;
      sh.uom = lot.uom;
      sh.qty = line.getQty();
      sh.at = line.getAt();
      sh.seq = line.getSeq();
      report.shipments.push_back(std::move(sh));
    });
    if (!r) return std::unexpected(r.error());
    if (scope.exclude_consumed && lot.on_hand == 0 && lot.depth > 0) continue;
    report.lots.push_back(std::move(lot));
  }
  report.work_orders.assign(wos.begin(), wos.end());

  // 5. Customers, with totals per unit.
  std::map<std::pair<std::string, std::string>, RecallCustomer> customers;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> customer_lots;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> customer_shipments;
  for (const auto& sh : report.shipments) {
    auto& c = customers[{sh.customer, sh.uom}];
    c.customer = sh.customer;
    c.name = sh.customer_name;
    c.uom = sh.uom;
    c.qty += sh.qty;
    customer_lots[{sh.customer, sh.uom}].insert(sh.lot);
    customer_shipments[{sh.customer, sh.uom}].insert(sh.shipment);
  }
  for (auto& [key, c] : customers) {
    c.lots = customer_lots[key].size();
    c.shipments = customer_shipments[key].size();
    report.customers.push_back(c);
  }
  std::sort(report.shipments.begin(), report.shipments.end(),
            [](const auto& a, const auto& b) { return a.seq < b.seq; });
  report.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return report;
}

void write_trace_json(const Trace& trace, codec::JsonWriter& out) {
  out.key("lots").begin_array();
  for (const auto& l : trace.lots) {
    out.begin_object();
    out.key("lot").string(l.lot);
    out.key("depth").uint64(l.depth);
    out.end_object();
  }
  out.end_array();
  out.key("edges").begin_array();
  for (const auto& e : trace.edges) {
    out.begin_object();
    out.key("from").string(e.from);
    out.key("to").string(e.to);
    out.key("kind").string(codec::enum_name(e.kind));
    out.key("qty").decimal(e.qty, 3);
    out.end_object();
  }
  out.end_array();
}

std::string trace_csv(const Trace& trace) {
  std::map<std::string_view, std::uint32_t> depth;
  for (const auto& l : trace.lots) depth.emplace(l.lot, l.depth);
  std::string out = "record,lot,depth,from,to,kind,qty\n";
  for (const auto& l : trace.lots) {
    out += "lot," + csv_field(l.lot) + "," + std::to_string(l.depth) + ",,,,\n";
  }
  for (const auto& e : trace.edges) {
    out += "edge,,,";
    out += csv_field(e.from) + "," + csv_field(e.to) + "," + std::string(codec::enum_name(e.kind)) +
           "," + codec::format_decimal(e.qty, 3) + "\n";
  }
  return out;
}

void write_recall_json(const RecallReport& r, codec::JsonWriter& out) {
  out.begin_object();
  out.key("scope").begin_object();
  switch (r.scope.from) {
    case RecallScope::From::kLot:
      out.key("lot").string(r.scope.lot);
      break;
    case RecallScope::From::kSupplierLot:
      out.key("supplier").string(r.scope.supplier);
      out.key("supplierLot").string(r.scope.supplier_lot);
      break;
    case RecallScope::From::kEquipment:
      out.key("equipment").string(r.scope.equipment);
      out.key("from").string(format_rfc3339(r.scope.window_from));
      out.key("to").string(format_rfc3339(r.scope.window_to));
      break;
  }
  out.key("excludeConsumed").boolean(r.scope.exclude_consumed);
  out.end_object();
  out.key("asOfSeq").uint64(r.as_of_seq);
  out.key("elapsedMs").number(std::round(r.elapsed_ms * 100) / 100);
  out.key("startLots").begin_array();
  for (const auto& s : r.starts) out.string(s);
  out.end_array();
  out.key("summary").begin_object();
  out.key("lotsReached").uint64(r.lots_reached);
  out.key("lots").uint64(r.lots.size());
  out.key("workOrders").uint64(r.work_orders.size());
  out.key("shipments").uint64(r.shipments.size());
  out.key("customers").uint64(r.customers.size());
  out.end_object();
  out.key("lots").begin_array();
  for (const auto& l : r.lots) {
    out.begin_object();
    out.key("lot").string(l.lot);
    out.key("depth").uint64(l.depth);
    out.key("material").string(l.material);
    out.key("product").string(l.material_name);
    out.key("status").string(l.status);
    out.key("onHand").decimal(l.on_hand, 3);
    out.key("uom").string(l.uom);
    out.key("location").string(l.location);
    out.key("origin").string(l.origin);
    if (!l.wo.empty()) out.key("wo").string(l.wo);
    if (!l.supplier_lot.empty()) out.key("supplierLot").string(l.supplier_lot);
    out.end_object();
  }
  out.end_array();
  out.key("workOrders").begin_array();
  for (const auto& w : r.work_orders) out.string(w);
  out.end_array();
  out.key("shipments").begin_array();
  for (const auto& s : r.shipments) {
    out.begin_object();
    out.key("shipment").string(s.shipment);
    out.key("lot").string(s.lot);
    out.key("customer").string(s.customer);
    out.key("customerName").string(s.customer_name);
    out.key("date").string(format_rfc3339(s.at));
    out.key("qty").decimal(s.qty, 3);
    out.key("uom").string(s.uom);
    out.end_object();
  }
  out.end_array();
  out.key("customers").begin_array();
  for (const auto& c : r.customers) {
    out.begin_object();
    out.key("customer").string(c.customer);
    out.key("name").string(c.name);
    out.key("qty").decimal(c.qty, 3);
    out.key("uom").string(c.uom);
    out.key("shipments").uint64(c.shipments);
    out.key("lots").uint64(c.lots);
    out.end_object();
  }
  out.end_array();
  out.key("massBalance").begin_array();
  for (const auto& b : r.balance) {
    out.begin_object();
    out.key("lot").string(b.lot);
    out.key("uom").string(b.uom);
    out.key("received").decimal(b.received, 3);
    out.key("consumed").decimal(b.consumed, 3);
    out.key("shipped").decimal(b.shipped, 3);
    out.key("splitOff").decimal(b.split_off, 3);
    out.key("mergedOut").decimal(b.merged_out, 3);
    out.key("onHand").decimal(b.on_hand, 3);
    out.key("scrapped").decimal(b.scrapped, 3);
    out.key("accountedPct").number(std::round(b.accounted_pct * 100) / 100);
    out.end_object();
  }
  out.end_array();
  out.end_object();
}

std::string recall_csv(const RecallReport& r) {
  std::string out =
      "record,lot,depth,product,material,status,on_hand,uom,location,origin,work_order,"
      "shipment,customer,customer_name,date,qty,received,consumed,shipped,accounted_pct\n";
  auto row = [&](std::initializer_list<std::string> fields) {
    bool first = true;
    for (const auto& f : fields) {
      if (!first) out += ',';
      out += csv_field(f);
      first = false;
    }
    out += '\n';
  };
  const auto d = [](std::int64_t q) {
    return codec::format_decimal(q, 3);
  };
  for (const auto& l : r.lots) {
    row({"lot",
         l.lot,
         std::to_string(l.depth),
         l.material_name,
         l.material,
         l.status,
         d(l.on_hand),
         l.uom,
         l.location,
         l.origin,
         l.wo,
         "",
         "",
         "",
         "",
         "",
         "",
         "",
         "",
         ""});
  }
  for (const auto& s : r.shipments) {
    row({"shipment",    s.lot,    "", "", s.material, "",         "",
         s.uom,         "",       "", "", s.shipment, s.customer, s.customer_name,
         date_of(s.at), d(s.qty), "", "", "",         ""});
  }
  for (const auto& c : r.customers) {
    row({"customer", "", "",         "",     "", "",       "", c.uom, "", "",
         "",         "", c.customer, c.name, "", d(c.qty), "", "",    "", ""});
  }
  for (const auto& b : r.balance) {
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.2f", b.accounted_pct);
    row({"balance", b.lot, "0", "", "", "", d(b.on_hand),  b.uom,         "",           "",
         "",        "",    "",  "", "", "", d(b.received), d(b.consumed), d(b.shipped), pct});
  }
  return out;
}

std::vector<NamedFile> fsma204_files(const ledger::Snapshot& snap, const RecallReport& r,
                                     const SiteInfo& site) {
  auto* entities = cf_of(snap, kEntitiesCf);
  auto* bwd = cf_of(snap, kGenealogyBwdCf);
  Names names{snap, {}, {}};
  std::map<std::string, s::Party::Reader> dummy;
  (void)dummy;

  // Descriptions of parties (name, address) and the codes the glossary lists.
  std::map<std::string, std::pair<std::string, std::string>> parties;  // id -> (name, address/GLN)
  auto party = [&](const std::string& id) -> std::string {
    auto it = parties.find(id);
    if (it == parties.end()) {
      std::string name = id, where;
      if (auto v = snap.get(entities, keys::entity("party", id)); v && *v) {
        codec::MessageView view(**v);
        auto p = view.root<s::Party>();
        name = str(p.getName());
        where = str(p.getAddress());
        if (p.getGln().size())
          where += (where.empty() ? "" : "; ") + std::string("GLN ") + str(p.getGln());
      }
      it = parties.emplace(id, std::pair{name, where}).first;
    }
    return it->second.first + (it->second.second.empty() ? "" : ", " + it->second.second);
  };
  const std::string here = site.name + (site.address.empty() ? "" : ", " + site.address) +
                           (site.gln.empty() ? "" : "; GLN " + site.gln);
  std::map<std::string, std::string> lot_tlc;  // internal lot -> traceability lot code
  std::map<std::string, const RecallLot*> by_lot;
  for (const auto& l : r.lots) by_lot[l.lot] = &l;
  auto tlc = [&](const RecallLot& l) {
    return l.origin == "received" && !l.supplier_lot.empty() ? l.supplier_lot : l.lot;
  };
  auto tlc_source = [&](const RecallLot& l) {
    return l.origin == "received" && !l.supplier.empty() ? party(l.supplier) : here;
  };

  std::string receiving =
      "Traceability Lot Code,Internal Lot,Quantity,Unit of Measure,Product Description,"
      "Immediate Previous Source Location,Receiving Location,Date Received,"
      "Traceability Lot Code Source Location,Reference Document Type,Reference Document Number\n";
  std::string transformation =
      "Event ID,New Traceability Lot Code,New Product Description,New Quantity,New Unit of Measure,"
      "Transformation Location,Date Transformation Completed,Input Traceability Lot Code,"
      "Input Product Description,Input Quantity,Input Unit of Measure,Reference Document Type,"
      "Reference Document Number\n";
  std::string shipping =
      "Traceability Lot Code,Internal Lot,Quantity,Unit of Measure,Product Description,"
      "Immediate Subsequent Recipient Location,Ship From Location,Date Shipped,"
      "Traceability Lot Code Source Location,Reference Document Type,Reference Document Number\n";
  auto add = [](std::string& out, std::initializer_list<std::string> fields) {
    bool first = true;
    for (const auto& f : fields) {
      if (!first) out += ',';
      out += csv_field(f);
      first = false;
    }
    out += '\n';
  };
  const auto d = [](std::int64_t q) {
    return codec::format_decimal(q, 3);
  };

  // Every lot reached, including those left out of r.lots by exclude_consumed.
  std::vector<RecallLot> all;
  {
    std::set<std::string> listed;
    for (const auto& l : r.lots) listed.insert(l.lot);
    all = r.lots;
    for (const auto& t : r.trace.lots) {
      if (listed.count(std::string(t.lot))) continue;
      auto v = snap.get(entities, keys::entity("lot", t.lot));
      if (!v || !*v) continue;
      codec::MessageView view(**v);
      auto l = view.root<s::Lot>();
      RecallLot x;
      x.lot = std::string(t.lot);
      x.material = str(l.getMaterial());
      x.material_name = names.material(x.material);
      x.uom = str(l.getUom());
      x.origin = codec::enum_name(l.getOrigin());
      x.wo = str(l.getWo());
      x.supplier = str(l.getSupplier());
      x.supplier_lot = str(l.getSupplierLot());
      x.created_at = l.getCreatedAt();
      x.created_seq = l.getCreatedSeq();
      x.on_hand = l.getCreated();
      all.push_back(std::move(x));
    }
    for (const auto& l : all) by_lot[l.lot] = &l;
  }
  std::set<std::string> materials;
  for (const auto& l : all) {
    materials.insert(l.material);
    if (l.origin == "received") {
      std::string doc_type = "Receiving record", doc = "seq " + std::to_string(l.created_seq);
      if (auto bytes = snap.record(l.created_seq)) {
        if (auto rec = ledger::decode_record(*bytes); rec && rec->type == "lot.received") {
          codec::MessageView view(rec->payload);
          auto p = view.root<s::LotReceived>();
          if (p.getDocument().size()) {
            doc_type = "Bill of lading";
            doc = str(p.getDocument());
          }
        }
      }
      std::int64_t received = 0;
      if (auto v = snap.get(entities, keys::entity("lot", l.lot)); v && *v) {
        codec::MessageView view(**v);
        received = view.root<s::Lot>().getCreated();
      }
      add(receiving, {tlc(l), l.lot, d(received), l.uom, l.material_name, party(l.supplier), here,
                      date_of(l.created_at), tlc_source(l), doc_type, doc});
      if (!l.supplier.empty()) party(l.supplier);
      continue;
    }
    // A transformation: one row per input lot line.
    std::int64_t created = 0;
    if (auto v = snap.get(entities, keys::entity("lot", l.lot)); v && *v) {
      codec::MessageView view(**v);
      created = view.root<s::Lot>().getCreated();
    }
    const std::string doc_type = l.wo.empty() ? "Lot record" : "Work order";
    const std::string doc = l.wo.empty() ? "seq " + std::to_string(l.created_seq) : l.wo;
    std::unique_ptr<rocksdb::Iterator> it(snap.store().db().NewIterator(snap.read_options(), bwd));
    const std::string prefix = keys::edge_prefix(l.lot);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const std::string input(it->key().ToStringView().substr(prefix.size()));
      codec::MessageView ev(it->value().ToStringView());
      const auto qty = ev.root<s::Edge>().getQty();
      std::string input_tlc = input, input_desc = input, input_uom;
      if (auto v = snap.get(entities, keys::entity("lot", input)); v && *v) {
        codec::MessageView view(**v);
        auto in = view.root<s::Lot>();
        input_uom = str(in.getUom());
        input_desc = names.material(sv(in.getMaterial()));
        materials.insert(str(in.getMaterial()));
        if (in.getOrigin() == s::LotOrigin::RECEIVED && in.getSupplierLot().size()) {
          input_tlc = str(in.getSupplierLot());
        }
      }
      add(transformation,
          {l.lot, tlc(l), l.material_name, d(created), l.uom, here, date_of(l.created_at),
           input_tlc, input_desc, d(qty), input_uom, doc_type, doc});
    }
  }
  for (const auto& s : r.shipments) {
    auto it = by_lot.find(s.lot);
    const RecallLot* l = it == by_lot.end() ? nullptr : it->second;
    add(shipping, {l ? tlc(*l) : s.lot, s.lot, d(s.qty), s.uom, l ? l->material_name : s.material,
                   party(s.customer), here, date_of(s.at), l ? tlc_source(*l) : here,
                   "Bill of lading", s.shipment});
  }

  std::string glossary = "Code Type,Code,Description,Details\n";
  add(glossary, {"Location", "site", site.name,
                 site.address + (site.gln.empty() ? "" : "; GLN " + site.gln)});
  for (const auto& [id, p] : parties) add(glossary, {"Party", id, p.first, p.second});
  for (const auto& m : materials) {
    std::string details;
    if (auto v = snap.get(entities, keys::entity("material", m)); v && *v) {
      codec::MessageView view(**v);
      auto mm = view.root<s::Material>();
      details = "unit " + str(mm.getUom());
      if (mm.getGtin().size()) details += "; GTIN " + str(mm.getGtin());
    }
    add(glossary, {"Product", m, names.material(m), details});
  }
  add(glossary,
      {"Lot code", "Traceability Lot Code",
       "Supplier-assigned lot code for received lots; this site's lot id for lots it made", ""});
  add(glossary,
      {"Reference document", "Work order", "custody work order id (custody show DIR wo ID)", ""});
  add(glossary,
      {"Reference document", "Lot record", "the custody log record that created the lot", ""});

  return {{"fsma204-receiving.csv", std::move(receiving)},
          {"fsma204-transformation.csv", std::move(transformation)},
          {"fsma204-shipping.csv", std::move(shipping)},
          {"fsma204-glossary.csv", std::move(glossary)}};
}

}  // namespace custody::domain
