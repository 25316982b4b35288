// A recall report and a trace as people and spreadsheets read them: JSON, CSV.
#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "custody/codec/capnp_util.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/domain/recall.h"
#include "values.h"

namespace custody::domain {

namespace {

// -?digits[.digits], or +digits...: what a spreadsheet reads as a number, not a formula.
bool plain_number(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  const auto point = s.find('.');
  const std::string_view whole = s.substr(0, point);
  const std::string_view frac = point == std::string_view::npos ? "" : s.substr(point + 1);
  auto digits = [](std::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return digits(whole) && (point == std::string_view::npos || digits(frac));
}

}  // namespace

std::string csv_field(std::string_view s) {
  std::string text;
  if (!s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos &&
      !plain_number(s)) {
    text = "'";
  }
  text += s;
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void append_csv_row(std::string& out, std::initializer_list<std::string> fields) {
  bool first = true;
  for (const auto& f : fields) {
    if (!first) out += ',';
    out += csv_field(f);
    first = false;
  }
  out += '\n';
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
    out.key("evidence").string("custody");  // this ledger's own records
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
    case RecallScope::From::kLots:
      out.key("lots").begin_array();
      for (const auto& lot : r.scope.lots) out.string(lot);
      out.end_array();
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
    if (!s.sscc.empty()) out.key("sscc").string(s.sscc);  // the pallet, when the shipment named one
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
  write_partner_hops(r.partner_events, out);
  out.end_object();
}

std::string recall_csv(const RecallReport& r) {
  std::string out =
      "record,lot,depth,product,material,status,on_hand,uom,location,origin,work_order,"
      "shipment,customer,customer_name,date,qty,received,consumed,shipped,accounted_pct,"
      "partner,event_id,event_type,biz_step,identifier,role,error_declared,evidence_seq\n";
  // Partners' events past the gate (docs/epcis.md) have the last columns to themselves: the
  // other rows leave them empty.
  constexpr std::size_t kPartnerColumns = 8;
  auto row = [&](std::initializer_list<std::string> fields) {
    append_csv_row(out, fields);
    out.insert(out.size() - 1, kPartnerColumns, ',');
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
  for (const auto& h : r.partner_events) {
    append_csv_row(out, {"partner_event",
                         h.lot,
                         std::to_string(h.depth),
                         "",
                         "",
                         "",
                         "",
                         "",
                         "",
                         "",
                         "",
                         "",
                         "",
                         "",
                         date_of(h.event_time),
                         "",
                         "",
                         "",
                         "",
                         "",
                         h.partner,
                         h.event_id,
                         h.event_type,
                         h.biz_step,
                         h.identifier,
                         h.role,
                         h.error_declared ? "yes" : "",
                         std::to_string(h.seq)});
  }
  return out;
}

void write_recall_graph(const RecallReport& r, std::size_t fan_out, codec::JsonWriter& out) {
  const auto& trace = r.trace;
  // Each lot's parent in the layout: the lot it was first reached through (breadth-first).
  std::unordered_map<std::string_view, std::uint32_t> depth;
  for (const auto& l : trace.lots) depth.emplace(l.lot, l.depth);
  std::unordered_map<std::string_view, std::string_view> parent;
  std::unordered_map<std::string_view, std::vector<std::string_view>> children;
  for (const auto& e : trace.edges) {
    auto d = depth.find(e.to);
    auto f = depth.find(e.from);
    if (d == depth.end() || f == depth.end() || d->second != f->second + 1) continue;
    if (parent.emplace(e.to, e.from).second) children[e.from].push_back(e.to);
  }
  // Which lots are shown, and which stand behind a summary node.
  std::unordered_map<std::string_view, bool> hidden;
  std::vector<std::pair<std::string_view, std::vector<std::string_view>>> summaries;
  for (auto& [from, kids] : children) {
    if (kids.size() <= fan_out) continue;
    std::vector<std::string_view> rest(kids.begin() + static_cast<std::ptrdiff_t>(fan_out),
                                       kids.end());
    for (auto k : rest) hidden[k] = true;
    summaries.emplace_back(from, std::move(rest));
  }
  std::sort(summaries.begin(), summaries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // A hidden lot hides what descends from it too (the summary's expansion shows it).
  for (const auto& l : trace.lots) {
    auto p = parent.find(l.lot);
    if (p != parent.end() && hidden.count(p->second) != 0) hidden[l.lot] = true;
  }
  // Rows: column by column, ordered by the parent's row, then the breadth-first order.
  std::unordered_map<std::string_view, double> row;
  std::vector<std::vector<std::string_view>> columns;
  for (const auto& l : trace.lots) {
    if (hidden.count(l.lot) != 0) continue;
    if (columns.size() <= l.depth) columns.resize(l.depth + 1);
    columns[l.depth].push_back(l.lot);
  }
  std::unordered_map<std::string_view, std::string> summary_of;  // parent -> its summary id
  for (const auto& [from, rest] : summaries) summary_of[from] = "more:" + std::string(from);
  out.begin_object();
  out.key("fanOut").uint64(fan_out);
  out.key("collapsed").uint64(hidden.size());
  out.key("nodes").begin_array();
  for (std::size_t d = 0; d < columns.size(); ++d) {
    auto& column = columns[d];
    std::stable_sort(column.begin(), column.end(), [&](std::string_view a, std::string_view b) {
      auto pa = parent.find(a);
      auto pb = parent.find(b);
      const double ra = pa == parent.end() ? -1 : row[pa->second];
      const double rb = pb == parent.end() ? -1 : row[pb->second];
      return ra < rb;
    });
    std::size_t y = 0;
    for (auto lot : column) {
      row[lot] = static_cast<double>(y);
      out.begin_object();
      out.key("id").string(lot);
      out.key("kind").string("lot");
      out.key("x").uint64(d);
      out.key("y").uint64(y++);
      out.key("depth").uint64(d);
      out.end_object();
    }
    // Summary nodes of the previous column's lots go at the end of this column.
    for (const auto& [from, rest] : summaries) {
      if (depth[from] + 1 != d || hidden.count(from) != 0) continue;
      out.begin_object();
      out.key("id").string(summary_of[from]);
      out.key("kind").string("more");
      out.key("x").uint64(d);
      out.key("y").uint64(y++);
      out.key("depth").uint64(d);
      out.key("parent").string(from);
      out.key("count").uint64(rest.size());
      out.key("members").begin_array();
      for (auto m : rest) out.string(m);
      out.end_array();
      out.end_object();
    }
  }
  out.end_array();
  out.key("edges").begin_array();
  for (const auto& e : trace.edges) {
    if (hidden.count(e.from) != 0 || hidden.count(e.to) != 0) continue;
    out.begin_object();
    out.key("from").string(e.from);
    out.key("to").string(e.to);
    out.key("kind").string(codec::enum_name(e.kind));
    out.key("qty").decimal(e.qty, 3);
    out.end_object();
  }
  for (const auto& [from, rest] : summaries) {
    if (hidden.count(from) != 0) continue;
    out.begin_object();
    out.key("from").string(from);
    out.key("to").string(summary_of[from]);
    out.key("kind").string("summary");
    out.end_object();
  }
  out.end_array();
  out.end_object();
}

}  // namespace custody::domain
