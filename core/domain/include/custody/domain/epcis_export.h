// custody's records as GS1 EPCIS 2.0 events, in one JSON-LD EPCISDocument (docs/epcis.md has
// the mapping): receipts and shipments as ObjectEvents with source, destination and bill of
// lading; work order consumption and output as TransformationEvents joined by the order's
// transformationID; transformations and merges as TransformationEvents; a split as the lot
// observed (its parts are its class: a split makes no new traceability lot); holds, releases
// and rejections as ObjectEvents with their dispositions; readings as sensor data.
// Every eventID is the event's CBV 2.0 Event Hash ID.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <functional>
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

// The events a GS1 EPCIS query reads (docs/epcis.md, "REST interface"): custody's own records
// mapped as the export maps them, and the partners' events custody captured (epcis.captured,
// as received, with their eventID and the recordTime of their capture), in ledger order from the
// record `from_seq` on (`limit` records of the log at most; 0: to its end). `visit` gets each with
// its record's seq and its place among that record's events (a correction makes two); returning
// false stops the walk.
using EpcisEventVisitor =
    std::function<bool(std::uint64_t seq, std::uint32_t index, boost::json::object& event)>;
[[nodiscard]] Result<void> epcis_events(const ledger::Snapshot& snap, std::uint64_t from_seq,
                                        const ledger::Site& site, const std::string& origin,
                                        const EpcisEventVisitor& visit, std::uint64_t limit = 0);

// The EPCISDocument of the events of the one record `seq` (an empty eventList for a type with
// no EPCIS meaning; two events for a correction): what the outbox delivers in its "epcis"
// format. Its creationDate is the record's recordedAt, so the document is the same however
// often it is made. `events` gets the number of events. kNotFound (field "seq") beyond the head.
[[nodiscard]] Result<std::string> epcis_record_document(const ledger::Snapshot& snap,
                                                        std::uint64_t seq, const ledger::Site& site,
                                                        const std::string& origin,
                                                        std::size_t* events = nullptr);
// JSON text of EPCIS data with quantities as decimals ("36.5", not Boost's "3.65E1").
void write_epcis_json(const boost::json::value& v, std::string& out);

// The @context of a document of custody's events (the standard one, and custody's prefix).
[[nodiscard]] std::string_view epcis_standard_context();

}  // namespace custody::domain
