// A recall report and a trace as people and spreadsheets read them: JSON, CSV.
#include <cstdio>
#include <map>

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
    append_csv_row(out, fields);
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

}  // namespace custody::domain
