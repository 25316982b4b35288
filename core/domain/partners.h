// Internal to core/domain: what the epcis.capture rule, the importer and the partner trace
// share about one EPCIS event.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"
#include "custody/epcis/event_hash.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

// The identifiers an event names, canonical (GS1 keys as Digital Link URIs), by what the event
// did with them: a transformation's inputs and outputs; an aggregation's children packed into
// (or unpacked from) its parent; every other event's objects.
struct EventIdentifiers {
  std::vector<std::string> inputs, outputs, objects;
};
[[nodiscard]] EventIdentifiers event_identifiers(const boost::json::object& event);

// The lot code of an LGTIN in canonical Digital Link form ("https://id.gs1.org/01/<gtin>/10/
// <lot>", percent-decoded), or nullopt for any other identifier.
[[nodiscard]] std::optional<std::string> lgtin_lot_code(std::string_view identifier);

// The string member `key` of an event ("type", "eventTime"), or "" when absent or not a string.
[[nodiscard]] std::string event_text(const boost::json::object& event, std::string_view key);

// A GTIN-8, -12, -13 or -14 with its check digit right: only then an LGTIN is made of it.
[[nodiscard]] bool valid_gtin(std::string_view gtin);

// The lot a split part was split off (its genealogy's backward split edge), or nullopt for a
// lot that is not a split part or whose parent is not recorded. `bwd` is the genealogy_bwd
// family. One step: the EPCIS identity and the FSMA 204 traceability lot code follow it back
// to the first lot of a chain of splits.
[[nodiscard]] std::optional<std::string> split_parent(const ledger::Reader& reader,
                                                      ledger::Reader::Cf bwd, std::string_view lot);

// A custody lot as an EPC class, the one identity both the EPCIS export and the partner trace
// use. A lot received with the supplier's lot code is the supplier's lot: its LGTIN carries
// that code, so the supplier's shipping event and custody's receipt name the same class. A
// lot made here carries its own id. A split part is the class of the lot it was split off
// (back to the first of a chain of splits): a split makes no new traceability lot. An LGTIN
// (GS1 Digital Link) needs the material's GTIN; without one the lot is
// "urn:custody:<origin>:lot:<material>%2F<lot>".
[[nodiscard]] std::string lot_epc_class(const ledger::Snapshot& snap, std::string_view lot,
                                        std::string_view origin);

// The event hash's path of a field ("epcList[2]", "a.b") as a JSON pointer ("/epcList/2").
[[nodiscard]] std::string pointer_of(std::string_view path);

// An event custody holds (index "epcis_event/"): its epcis.captured record, Event Hash ID and
// the partner it was filed for.
struct StoredEvent {
  std::uint64_t seq = 0;
  std::string hash_id;
  std::string partner;
};
[[nodiscard]] std::string stored_event_value(std::uint64_t seq, std::string_view partner,
                                             std::string_view hash_id);
[[nodiscard]] std::optional<StoredEvent> stored_event(const ledger::Reader& reader,
                                                      ledger::Reader::Cf index,
                                                      std::string_view event_id);

// What an event is stored under: its eventID when it has one, else its Event Hash ID; and
// the hash id itself. Errors carry the JSON pointer inside the event ("/eventTime").
struct EpcisEventIdentity {
  std::string event_id;
  std::string hash_id;
};
[[nodiscard]] Result<EpcisEventIdentity> epcis_event_identity(const boost::json::object& event,
                                                              const epcis::Context& context);

}  // namespace custody::domain
