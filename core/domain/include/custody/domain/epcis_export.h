// custody's records as GS1 EPCIS 2.0 events, in one JSON-LD EPCISDocument (docs/epcis.md has
// the mapping): receipts and shipments as ObjectEvents with source, destination and bill of
// lading; work order consumption and output as TransformationEvents joined by the order's
// transformationID; transformations, splits and merges as TransformationEvents; holds,
// releases and rejections as ObjectEvents with their dispositions; readings as sensor data.
// Every eventID is the event's CBV 2.0 Event Hash ID.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/ledger/config.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

// Which records an export covers.
struct EpcisScope {
  enum class By { kAll, kLot, kWorkOrder, kTime, kSinceSeq };
  By by = By::kAll;
  std::string lot;  // kLot: every record of the lot's history
  std::string wo;   // kWorkOrder: every record of the order's history
  TimeNs from = std::numeric_limits<TimeNs>::min();  // kTime: records that happened in
  TimeNs to = std::numeric_limits<TimeNs>::max();    // [from, to)
  std::uint64_t since_seq = 1;                       // kSinceSeq: records from this seq on
};

struct EpcisExport {
  std::string document;  // the EPCISDocument, JSON-LD
  std::size_t events = 0;
  std::map<std::string, std::size_t> not_mapped;  // record types with no EPCIS event, counted
};

// `origin` is the ledger's checkpoint origin ("salad-plant.example/line-1"): it names this
// site in the private identifiers of things that have no GS1 key. Errors: kNotFound (field
// "lot"/"wo") for an unknown lot or order; kInvalidArgument (field "to") for an empty window.
[[nodiscard]] Result<EpcisExport> epcis_export(const ledger::Snapshot& snap,
                                               const EpcisScope& scope, const ledger::Site& site,
                                               const std::string& origin);

}  // namespace custody::domain
