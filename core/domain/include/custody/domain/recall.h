// Recall scoping: from a lot, a supplier's lot, or an equipment and time window, every lot
// downstream with where it is and how much of it is left, the work orders that touched them,
// the shipments with customer, date and quantity, totals per customer, and a mass balance of
// the starting lots. Reads one snapshot; never blocks appends.
//
// Outputs: JSON and CSV (one table, a `record` column telling lots, shipments, customers and
// balance rows apart). The FDA FSMA 204 electronic sortable spreadsheet of a recall is
// fsma204_export() (fsma204.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/domain/epcis_import.h"
#include "custody/domain/genealogy.h"
#include "custody/ledger/config.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

struct RecallScope {
  enum class From { kLot, kSupplierLot, kEquipment, kLots };
  From from = From::kLot;
  std::string lot;                // kLot
  std::vector<std::string> lots;  // kLots: several at once (an enterprise recall's receipts)
  std::string supplier;           // kSupplierLot
  std::string supplier_lot;
  std::string equipment;  // kEquipment: lots consumed or produced on it in [window_from, window_to)
  TimeNs window_from = 0;
  TimeNs window_to = 0;
  bool exclude_consumed = false;  // leave lots with nothing on hand out of `lots`
};

// Who we are, for FSMA 204 location descriptions (config.json "site").
using SiteInfo = ledger::Site;

struct RecallLot {
  std::string lot, material, material_name, uom, status, location, origin, wo, supplier,
      supplier_lot;
  std::int64_t on_hand = 0;
  std::uint32_t depth = 0;
};

struct RecallShipment {
  std::string shipment, lot, customer, customer_name, material, uom;
  std::string sscc;  // the pallet it left on, when the shipment named one
  std::int64_t qty = 0;
  TimeNs at = 0;
  std::uint64_t seq = 0;
};

struct RecallCustomer {
  std::string customer, name, uom;
  std::int64_t qty = 0;
  std::size_t shipments = 0;
  std::size_t lots = 0;
};

// created = consumed + shipped + split off + merged out + on hand; rejected stock on hand is
// reported as scrapped.
struct MassBalance {
  std::string lot, uom;
  std::int64_t received = 0, consumed = 0, shipped = 0, split_off = 0, merged_out = 0, on_hand = 0,
               scrapped = 0;
  double accounted_pct = 0;
};

struct RecallReport {
  RecallScope scope;
  std::uint64_t as_of_seq = 0;
  std::vector<std::string> starts;
  std::vector<RecallLot> lots;   // breadth-first from the starts
  std::size_t lots_reached = 0;  // including those left out by exclude_consumed
  std::vector<std::string> work_orders;
  std::vector<RecallShipment> shipments;
  std::vector<RecallCustomer> customers;
  std::vector<MassBalance> balance;
  // Past the plant's gate: what customers reported doing with what was shipped (their EPCIS
  // events, docs/epcis.md), each hop with the partner's document and event it rests on.
  std::vector<PartnerHop> partner_events;
  Trace trace;
  double elapsed_ms = 0;
};

// Errors: kNotFound (field "lot", "supplier", "supplier-lot", "equipment") when the scope
// names nothing that exists (kLots: any of its lots, or none given, field "lots"); kInvalidArgument
// for an empty time window.
[[nodiscard]] Result<RecallReport> build_recall(const ledger::Snapshot& snap,
                                                const RecallScope& scope,
                                                const GenealogyGraph* graph);

void write_recall_json(const RecallReport& report, codec::JsonWriter& out);
[[nodiscard]] std::string recall_csv(const RecallReport& report);

// A file an export writes: (file name, contents). The FDA sortable spreadsheet of a recall
// is in fsma204.h.
using NamedFile = std::pair<std::string, std::string>;

// The recall's genealogy laid out for a screen: lots in columns by depth (x) and rows (y),
// each column ordered by its parents' rows so edges mostly run straight. A lot that feeds
// more than `fan_out` lots first reached through it shows the first `fan_out` and one
// summary node ("more:<lot>", with `count` and the `members` it stands for) that a viewer
// can expand. Writes {"nodes":[{id,kind,x,y,depth,...}],"edges":[{from,to,kind,qty}],
// "fanOut","collapsed"}.
void write_recall_graph(const RecallReport& report, std::size_t fan_out, codec::JsonWriter& out);

// Trace output, shared with `custody trace`.
void write_trace_json(const Trace& trace, codec::JsonWriter& out);
[[nodiscard]] std::string trace_csv(const Trace& trace);

// A field of a CSV file people open in a spreadsheet: RFC 4180 quoting, and never a
// formula. Text a spreadsheet would evaluate (starting with =, +, -, @, a tab or a carriage
// return, and not a plain number such as -1.5) gets a leading apostrophe, which spreadsheets
// show as text: a lot named "=HYPERLINK(...)" stays a name in the FDA's copy.
[[nodiscard]] std::string csv_field(std::string_view s);
// Appends `fields` as one CSV line (csv_field each, comma-separated, '\n').
void append_csv_row(std::string& out, std::initializer_list<std::string> fields);

}  // namespace custody::domain
