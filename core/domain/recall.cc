// Recall scoping: from a lot, a supplier's lot, or an equipment and a time window, forward
// through the genealogy to every lot, order, shipment and customer, with a mass balance of the
// starting lots. Exports of the report are in recall_export.cc and fsma204.cc.
#include "custody/domain/recall.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <set>

#include "custody/codec/capnp_util.h"
#include "custody/domain/projections.h"
#include "names.h"
#include "state_access.h"

namespace custody::domain {
namespace {

// A start lot's mass balance, from its projection.
MassBalance mass_balance(s::Lot::Reader l) {
  MassBalance b;
  b.lot = str(l.getLot());
  b.uom = str(l.getUom());
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
      b.received > 0 ? 100.0 * static_cast<double>(accounted) / static_cast<double>(b.received) : 0;
  return b;
}

Result<RecallReport> recall(const ledger::Snapshot& snap, const RecallScope& scope,
                            const GenealogyGraph* graph) {
  const auto started = std::chrono::steady_clock::now();
  RecallReport report;
  report.scope = scope;
  report.as_of_seq = snap.head().seq;
  auto* entities = snap.family(kEntitiesCf);
  auto index = snap.scanner(snap.family(kIndexCf));

  // 1. Where the recall starts.
  switch (scope.from) {
    case RecallScope::From::kLot: {
      if (!snap.get(entities, keys::entity("lot", scope.lot))) {
        return fail(ErrorCode::kNotFound, "lot " + scope.lot + " does not exist", "lot");
      }
      report.starts.push_back(scope.lot);
      break;
    }
    case RecallScope::From::kLots: {
      if (scope.lots.empty()) return fail(ErrorCode::kNotFound, "no lot was named", "lots");
      for (const auto& lot : scope.lots) {
        if (!snap.get(entities, keys::entity("lot", lot))) {
          return fail(ErrorCode::kNotFound, "lot " + lot + " does not exist", "lots");
        }
      }
      report.starts = scope.lots;
      break;
    }
    case RecallScope::From::kSupplierLot: {
      if (!snap.get(entities, keys::entity("party", scope.supplier))) {
        return fail(ErrorCode::kNotFound, "supplier " + scope.supplier + " does not exist",
                    "supplier");
      }
      const std::string prefix = keys::supplier_lot_prefix(scope.supplier, scope.supplier_lot);
      index->scan_prefix(prefix, [&](std::string_view key, std::string_view) {
        report.starts.emplace_back(keys::parse_supplier_lot(key, prefix));
        return true;
      });
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
      if (!snap.get(entities, keys::entity("equipment", scope.equipment))) {
        return fail(ErrorCode::kNotFound, "equipment " + scope.equipment + " does not exist",
                    "equipment");
      }
      const std::string prefix = keys::equipment_lot_prefix(scope.equipment);
      std::set<std::string> seen;
      index->scan_prefix(
          prefix,
          [&](std::string_view key, std::string_view) {
            const auto at = keys::parse_equipment_lot(key, prefix);
            if (!at) return true;
            if (at->time >= scope.window_to) return false;
            std::string lot(at->lot);
            if (seen.insert(lot).second) report.starts.push_back(std::move(lot));
            return true;
          },
          keys::equipment_lot_from(scope.equipment, std::max<TimeNs>(scope.window_from, 0)));
      break;
    }
  }

  // 2. Forward from there (the graph answers for snapshots since its load: all but one
  // taken before it, which walks the snapshot instead).
  const bool from_graph = graph != nullptr && report.as_of_seq >= graph->base_seq();
  if (from_graph) {
    report.trace = graph->trace(report.starts, Direction::kForward, 0, report.as_of_seq);
  } else {
    auto t = trace_snapshot(snap, report.starts, Direction::kForward, 0);
    if (!t) return std::unexpected(t.error());
    report.trace = std::move(*t);
  }
  report.lots_reached = report.trace.lots.size();

  // 3. Each lot's facts: from the graph's lot table when it holds them as of the snapshot;
  // else, and for the starts (whose mass balance needs their whole projection), in one
  // batched read.
  const std::size_t n = report.trace.lots.size();
  std::vector<std::optional<LotFacts>> facts(n);
  std::vector<std::size_t> unread;
  for (std::size_t i = 0; i < n; ++i) {
    const Trace::Lot& t = report.trace.lots[i];
    if (from_graph && t.depth > 0 && t.id != Trace::kNoId) {
      facts[i] = graph->lots().get(t.id, report.as_of_seq);
    }
    if (!facts[i]) unread.push_back(i);
  }
  std::vector<std::string> lot_keys;
  lot_keys.reserve(unread.size());
  for (const std::size_t i : unread)
    lot_keys.push_back(keys::entity("lot", report.trace.lots[i].lot));
  const auto values = snap.multi_get(entities, lot_keys);
  std::deque<codec::MessageView> views;  // what the facts read here point into
  for (std::size_t k = 0; k < unread.size(); ++k) {
    if (!values[k]) continue;  // a lot named by an edge but never created: skipped
    auto l = views.emplace_back(*values[k]).root<s::Lot>();
    facts[unread[k]] = lot_facts(l);
    if (report.trace.lots[unread[k]].depth == 0) report.balance.push_back(mass_balance(l));
  }

  Names names(snap, entities);
  std::set<std::string> wos;
  for (std::size_t i = 0; i < n; ++i) {
    if (!facts[i]) continue;
    const LotFacts& f = *facts[i];
    RecallLot lot;
    lot.lot = std::string(report.trace.lots[i].lot);
    lot.depth = report.trace.lots[i].depth;
    lot.material = std::string(f.material);
    lot.material_name = names.material(lot.material);
    lot.uom = std::string(f.uom);
    lot.status = codec::enum_name(f.status);
    lot.location = std::string(f.location);
    lot.origin = codec::enum_name(f.origin);
    lot.wo = std::string(f.wo);
    lot.supplier = std::string(f.supplier);
    lot.supplier_lot = std::string(f.supplier_lot);
    lot.on_hand = f.on_hand;
    if (!lot.wo.empty()) wos.insert(lot.wo);
    // 4. Orders that consumed it (some may not have produced anything yet), and shipments:
    // looked up only for a lot that was consumed or shipped (every consumption and shipment
    // adds its quantity, more than zero even when corrected), one seek each.
    if (f.consumed) {
      const std::string consumers = keys::consumed_by_prefix(lot.lot);
      index->scan_prefix(consumers, [&](std::string_view key, std::string_view) {
        wos.emplace(key.substr(consumers.size()));
        return true;
      });
    }
    if (f.shipped) {
      index->scan_prefix(keys::shipment_prefix(lot.lot),
                         [&](std::string_view, std::string_view value) {
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
                           sh.sscc = str(line.getSscc());
                           report.shipments.push_back(std::move(sh));
                           return true;
                         });
    }
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
  report.partner_events = partner_trace(snap, report.trace, Direction::kForward);
  report.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace

Result<RecallReport> build_recall(const ledger::Snapshot& snap, const RecallScope& scope,
                                  const GenealogyGraph* graph) {
  return ledger::reading([&] { return recall(snap, scope, graph); });
}

}  // namespace custody::domain
