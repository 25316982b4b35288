// Read requests as JSON: what the plugin host's query service answers (and, later, the HTTP
// API). Each answer is the document the matching CLI command prints, so one reference
// (docs/cli.md) describes them all.
//
//   {"view":"lot"|"wo"|"exception"|"equipment"|"material"|"party","id":"...","history":N}
//   {"view":"board","board":"wip"|"exceptions","at":"<RFC 3339>"?}
//   {"view":"kpi","from":"<RFC 3339>","to":"<RFC 3339>"}
//   {"view":"logbook","equipment":"...","from":"<RFC 3339>"?,"to":"<RFC 3339>"?}
//   {"view":"yield","wo":"..."}                             -> the order's yield against theory
//   {"view":"pareto","by":"defect"|"step"|"material"|"equipment"|"shift"?,"from"?,"to"?,
//    "step"?,"material"?,"equipment"?,"shift"?}           -> a Pareto of defects
//   {"view":"trace","lot":"...","direction":"forward"|"backward","depth":N?}
//   {"view":"recall","lot":"..."}, {"view":"recall","supplier":"...","supplierLot":"..."},
//   {"view":"recall","equipment":"...","from":"...","to":"..."}; "excludeConsumed":true?
//   {"view":"log","from":N?,"limit":N?,"stream":"..."?}   -> NDJSON, one record per line
//   {"view":"head"}                                        -> {"seq":N,"hash":"<hex>"}
//   {"view":"site","from":"<RFC 3339>"?,"to":"<RFC 3339>"?} -> name, address, gln, timeZone
//       and "periods": [{"from","offsetMinutes","abbreviation","dst"}], the zone's offsets
//
// Errors: kInvalidArgument with the request field ("view", "id", "from") for a malformed
// request; kNotFound for an entity or lot that does not exist. Thread-safe as Snapshot is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/domain/genealogy.h"
#include "custody/domain/recall.h"
#include "custody/ledger/config.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

struct ViewOptions {
  TimeNs now = 0;                         // for lateness and age on the boards
  const GenealogyGraph* graph = nullptr;  // recall uses it when the host keeps one
  std::size_t max_log_records = 10000;    // the most a "log" request returns
  const ledger::Site* site = nullptr;     // the "site" view's answer, the Pareto's clock
                                          // (unnamed, UTC when unset)
  std::string origin;                     // the ledger's origin, for the "epcis" view's ids
};

[[nodiscard]] Result<void> answer_view(const ledger::Snapshot& snap, std::string_view request,
                                       const ViewOptions& options, std::string& out);

// The pieces `custody trace` and `custody recall` share with answer_view.

// kNotFound (field `lot_field`) when the lot does not exist.
[[nodiscard]] Result<Trace> trace_lot(const ledger::Snapshot& snap, const std::string& lot,
                                      Direction direction, std::uint32_t depth,
                                      std::string_view lot_field = "lot");
// The trace and, past the plant's gate, the partners' events it reaches (partner_trace).
void write_trace_answer(const ledger::Snapshot& snap, std::string_view lot, Direction direction,
                        std::uint32_t depth, const Trace& trace, codec::JsonWriter& out);

// A recall scope from the ways a user can name one. Exactly one of lot, supplier_lot (with
// supplier) or equipment (with from and to, RFC 3339) must be given; errors name
// `names.*` so the CLI can say "--supplier-lot" and JSON "supplierLot".
struct RecallRequest {
  std::string lot, supplier_lot, supplier, equipment, from, to;
  bool exclude_consumed = false;
};
struct RecallFieldNames {
  std::string_view lot = "lot", supplier_lot = "supplierLot", supplier = "supplier",
                   equipment = "equipment", from = "from", to = "to";
};
[[nodiscard]] Result<RecallScope> recall_scope(const RecallRequest& request,
                                               const RecallFieldNames& names = {});

}  // namespace custody::domain
