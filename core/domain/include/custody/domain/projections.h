// The domain's projection column families and their keys. Everything here is derived from
// the log by the apply functions and rebuilt by `custody rebuild`; values are canonical
// Cap'n Proto structs from schema/projections.capnp unless noted.
//
//   entities       "<kind>/<id>"                          -> the entity's struct
//                  "equipment/<id>" 0x00 "reading/" param -> Reading: its latest reading
//                  kinds: material (Material), party (Party), equipment (Equipment),
//                  routing (RoutingDefine, as defined), lot (Lot), wo (WorkOrder),
//                  exception (Exception)
//   history        "<kind>/<id>" 0x00 be64(seq)           -> event type (text): every record
//                                                            that changed the entity, except
//                                                            those of its own stream (the
//                                                            stream lists them already)
//   genealogy_fwd  from 0x00 to                           -> Edge (from's quantity in to)
//   genealogy_bwd  to 0x00 from                           -> Edge (the same edge)
//   index          "wip/" wo                              -> ""   released, not completed
//                  "open_exc/" u8(3 - severity) be64(raisedAt) id -> ""  not resolved
//                  "deadline/" be64(deadline) id          -> ""   not resolved or escalated
//                  "supplier_lot/" supplier 0x00 supplierLot 0x00 lot -> ""
//                  "equipment_lot/" equipment 0x00 be64(time) be64(seq) lot -> "consumed" |
//                                                            "produced"
//                  "shipment/" lot 0x00 be64(seq)         -> ShipmentLine
//                  "shipment_by_id/" shipment 0x00 be64(seq) -> lot (text)
//                  "consumed_by/" lot 0x00 wo             -> ""   orders that consumed it
//   facts          be64(time) be64(seq) u8(n)             -> Fact, by event time
//   corrections    be64(seq)                              -> Correction: payload in force
//
// Event time is the record's occurredAt when the command gave one, else its recordedAt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace custody::domain {

inline constexpr std::string_view kEntitiesCf = "entities";
inline constexpr std::string_view kHistoryCf = "history";
inline constexpr std::string_view kGenealogyFwdCf = "genealogy_fwd";
inline constexpr std::string_view kGenealogyBwdCf = "genealogy_bwd";
inline constexpr std::string_view kIndexCf = "index";
inline constexpr std::string_view kFactsCf = "facts";
inline constexpr std::string_view kCorrectionsCf = "corrections";

// All of them, in a fixed order (state digests walk them in this order).
[[nodiscard]] const std::vector<std::string>& projection_column_families();

namespace keys {
[[nodiscard]] std::string entity(std::string_view kind, std::string_view id);
[[nodiscard]] std::string history(std::string_view kind, std::string_view id, std::uint64_t seq);
[[nodiscard]] std::string history_prefix(std::string_view kind, std::string_view id);
[[nodiscard]] std::string edge(std::string_view a, std::string_view b);
[[nodiscard]] std::string edge_prefix(std::string_view a);
[[nodiscard]] std::string reading(std::string_view equipment, std::string_view param);
[[nodiscard]] std::string reading_prefix(std::string_view equipment);
// The stream of an entity: "lot:<id>" for kind "lot".
[[nodiscard]] std::string stream(std::string_view kind, std::string_view id);
}  // namespace keys

}  // namespace custody::domain
