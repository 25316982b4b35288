// Partners' GS1 EPCIS 2.0 documents in (docs/epcis.md, "Import"), and the trace across the
// plant's gate they make possible.
//
// An import is checked whole before anything is written: the document against the GS1 EPCIS
// 2.0 JSON schema's rules and those the schema cannot express, every event's Event Hash ID,
// the sending party. Only then is each event not already stored submitted as one
// epcis.capture command; a re-sent event (the same eventID, or with none the same Event Hash
// ID) is reported as a duplicate and adds nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/domain/genealogy.h"
#include "custody/ledger/command.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

// What one import takes: events per document, the bytes of one event and of the document's
// @context as custody stores them (each is a JSON text field of its record).
inline constexpr std::size_t kMaxEpcisEvents = 250'000;
inline constexpr std::size_t kMaxEpcisEventBytes = 64 * 1024;
inline constexpr std::size_t kMaxEpcisContextBytes = 8 * 1024;

// The import's command ids start with this reserved prefix (command_codec.h): no client can
// take the id of an event before it is imported. The importer submits them as the host.
inline constexpr std::string_view kEpcisCommandIdPrefix = "epcis:";

struct EpcisImportItem {
  std::string event_id;
  std::string event_type;
  std::string command_id;  // kEpcisCommandIdPrefix + a digest of the command: a retry is idempotent
  std::string data_json;   // epcis.capture's data
};

struct EpcisImportPlan {
  std::size_t events = 0;               // in the document
  std::vector<EpcisImportItem> fresh;   // to submit, in document order
  std::vector<std::string> duplicates;  // event ids stored already, or twice in the document
};

// `source` names the document in each record (a file name, a capture job); `partner`, when
// not empty, is the party (party.define) that sent it. Errors: kInvalidArgument with `field`
// the RFC 6901 JSON pointer of the first offending value ("/epcisBody/eventList/2/bizStep",
// "" for the document as a whole), also for more events or larger ones than the limits above
// and for an eventID custody holds with other content; kInvalidArgument with field "source"
// for a source with control characters or over 1000 bytes; kNotFound with field "partner"
// for an unknown party; kPermissionDenied (field "partner") for an error declaration of an
// event another partner sent.
[[nodiscard]] Result<EpcisImportPlan> plan_epcis_import(const ledger::Snapshot& snap,
                                                        std::string_view document,
                                                        std::string_view source,
                                                        std::string_view partner);

// The epcis.capture command of one planned event, as JSON, recorded as `actor`.
[[nodiscard]] std::string epcis_capture_command(const EpcisImportItem& item,
                                                std::string_view actor);

// Submits every planned event as `actor` and calls `done` once each is durable with what
// the import stored, as JSON: {"ok", "events", "stored": [{"eventId", "type", "seq"}],
// "duplicates"}; an event another import stored meanwhile counts as a duplicate. Any other
// refusal of a command is passed to `done` as the error. `submit` is the ledger's (or a
// server's admission in front of it).
using SubmitCommand = std::function<void(std::string command_json,
                                         std::function<void(Result<ledger::CommandResult>)>)>;
void submit_epcis_import(const EpcisImportPlan& plan, std::string_view actor,
                         const SubmitCommand& submit,
                         std::function<void(Result<std::string>)> done);

// A partner's event a trace reached from a custody lot: upstream of a received lot (the
// supplier's shipping, the transformation that made what was shipped, and so on back), or
// downstream of a shipped one (the customer's receipt and what they made of it).
struct PartnerHop {
  std::string lot;          // the custody lot the chain leaves from
  std::string identifier;   // the identifier that joined this event to the one before
  std::string role;         // what the event did with it: "input", "output" or "object"
  std::uint32_t depth = 1;  // 1: names the custody lot itself
  std::string event_id, event_type, biz_step, partner, source;
  TimeNs event_time = 0;
  std::uint64_t seq = 0;  // the epcis.captured record
  // The partner has since declared the event wrong (an EPCIS errorDeclaration): it is listed,
  // flagged, and the trace does not go on through it.
  bool error_declared = false;
  std::string declaration_reason;
  std::string filed_by;  // who recorded it: the integration token or person that imported it
};

// The most partner events one trace lists (it stops there, breadth first).
inline constexpr std::size_t kMaxPartnerHops = 100'000;

// The partner events reachable from the lots of `trace`, in the trace's direction, breadth
// first, each once, at most `max_depth` hops past the gate (0: unlimited). Lots are named as
// the EPCIS export names them (the ledger's origin in the private identifiers).
[[nodiscard]] std::vector<PartnerHop> partner_trace(const ledger::Snapshot& snap,
                                                    const Trace& trace, Direction direction,
                                                    std::uint32_t max_depth = 0);

// "partnerEvents": [...] into an object `w` has open; each hop's "evidence" names the
// partner's document and event it rests on, and who filed it.
void write_partner_hops(const std::vector<PartnerHop>& hops, codec::JsonWriter& w);

}  // namespace custody::domain
