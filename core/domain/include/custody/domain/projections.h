// The domain's projection column families and their keys. Everything here is derived from
// the log by the apply functions and rebuilt by `custody rebuild`; values are canonical
// Cap'n Proto structs from schema/projections.capnp unless noted.
//
//   entities       "<kind>/<id>"                          -> the entity's struct
//                  "equipment/<id>" 0x00 "reading/" param -> Reading: its latest reading
//                  kinds: material (Material), party (Party), equipment (Equipment),
//                  routing (RoutingDefine, as defined), lot (Lot), wo (WorkOrder),
//                  exception (Exception), user (User), token (ApiToken)
//                  "qualification/<user>" 0x00 "step" 0x00 routing 0x00 step
//                  "qualification/<user>" 0x00 "wc" 0x00 workCenter -> Qualification
//   history        "<kind>/<id>" 0x00 be64(seq)           -> event type (text): every record
//                                                            that changed the entity, except
//                                                            those of its own stream (the
//                                                            stream lists them already)
//   genealogy_fwd  from 0x00 to                           -> Edge (from's quantity in to)
//   genealogy_bwd  to 0x00 from                           -> Edge (the same edge)
//   genealogy_out  from                                   -> adjacency: every edge out of from
//   genealogy_in   to                                     -> adjacency: every edge into to
//                  (not Cap'n Proto: the format below, keys::adjacency; a walk reads a level's
//                  lots with one batched point read of these, rather than a seek a lot)
//   index          "wip/" wo                              -> ""   released, not completed
//                  "open_exc/" u8(3 - severity) be64(raisedAt) id -> ""  not resolved
//                  "deadline/" be64(deadline) id          -> ""   not resolved or escalated
//                  "receipt_due/" be64(expected) receipt  -> ""   open, not yet late
//                  "expiry/" be64(expires) lot            -> "" | "expired": lots with an expiry
//                                                            and something on hand
//                  "fefo/" material 0x00 be64(expires) lot -> ""  the same lots, by material
//                  "supplier_lot/" supplier 0x00 supplierLot 0x00 lot -> ""
//                  "equipment_lot/" equipment 0x00 be64(time) be64(seq) lot -> "consumed" |
//                                                            "produced"
//                  "shipment/" lot 0x00 be64(seq)         -> ShipmentLine
//                  "shipment_by_id/" shipment 0x00 be64(seq) -> lot (text)
//                  "consumed_by/" lot 0x00 wo             -> ""   orders that consumed it
//                  "epcis_event/" eventId                 -> be64(seq) a partner's event, stored
//                  "epcis_id/" identifier 0x00 eventId    -> role: "input" | "output" | "object"
//                  "epcis_lot/" lot code 0x00 eventId     -> role (the lot of each LGTIN)
//                  "epcis_error/" eventId                 -> reason: the partner declared it wrong
//   facts          be64(time) be64(seq) u8(n)             -> Fact, by event time (n 1: the
//                                                            EquipmentTime a record ends)
//   corrections    be64(seq)                              -> Correction: payload in force
//
// Event time is the record's occurredAt when the command gave one, else its recordedAt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace custody::domain {

inline constexpr std::string_view kEntitiesCf = "entities";
inline constexpr std::string_view kHistoryCf = "history";
inline constexpr std::string_view kGenealogyFwdCf = "genealogy_fwd";
inline constexpr std::string_view kGenealogyBwdCf = "genealogy_bwd";
inline constexpr std::string_view kGenealogyOutCf = "genealogy_out";
inline constexpr std::string_view kGenealogyInCf = "genealogy_in";
inline constexpr std::string_view kIndexCf = "index";
inline constexpr std::string_view kFactsCf = "facts";
inline constexpr std::string_view kCorrectionsCf = "corrections";

// A material's piece rates are the entity "piecerate/<material>" (PieceRates).
inline constexpr std::string_view kPieceRatesKind = "piecerate";

// All of them, in a fixed order (state digests walk them in this order).
[[nodiscard]] const std::vector<std::string>& projection_column_families();

// Builders and parsers of every key above: the only place the grammar is written in code.
// Parsers take a key of their family (found under its prefix) and return nullopt when it is
// not well formed.
namespace keys {

// entities
[[nodiscard]] std::string entity(std::string_view kind, std::string_view id);
[[nodiscard]] std::string reading(std::string_view equipment, std::string_view param);
[[nodiscard]] std::string reading_prefix(std::string_view equipment);
// A qualification for a routing step (work_center empty) or a work center (routing and step
// empty); the prefix of one person's ("" user: everyone's).
[[nodiscard]] std::string qualification(std::string_view user, std::string_view routing,
                                        std::string_view step, std::string_view work_center);
[[nodiscard]] std::string qualification_prefix(std::string_view user);

// history
[[nodiscard]] std::string history(std::string_view kind, std::string_view id, std::uint64_t seq);
[[nodiscard]] std::string history_prefix(std::string_view kind, std::string_view id);
[[nodiscard]] std::optional<std::uint64_t> parse_history(std::string_view key);

// genealogy_fwd (from, to) and genealogy_bwd (to, from)
[[nodiscard]] std::string edge(std::string_view a, std::string_view b);
[[nodiscard]] std::string edge_prefix(std::string_view a);
// The two lots of an edge key, in key order.
[[nodiscard]] std::optional<std::pair<std::string_view, std::string_view>> parse_edge(
    std::string_view key);

// genealogy_out and genealogy_in: the key is the lot itself. The value lists the lot's edges
// in the order they were made, each as u32 (little-endian) length, the other lot, u8 kind
// (schema EdgeKind), i64 (little-endian) quantity, after a first byte 0. A lot with more than
// kMaxAdjacent edges has the single byte 1 instead (too_many): its edges are read from
// genealogy_fwd or genealogy_bwd, whose value a lot with thousands of edges would otherwise
// rewrite at each new one.
namespace adjacency {
inline constexpr std::size_t kMaxAdjacent = 128;
struct Entry {
  std::string_view other;
  std::uint8_t kind = 0;
  std::int64_t qty = 0;
};
// The entries of `value`; nullopt when it is malformed.
[[nodiscard]] std::optional<std::vector<Entry>> decode(std::string_view value);
[[nodiscard]] bool too_many(std::string_view value);
// `value` (empty: no entry yet) with other's entry set to kind and qty, added at the end when
// it has none; the too_many value once that would exceed kMaxAdjacent.
[[nodiscard]] std::string with(std::string_view value, std::string_view other, std::uint8_t kind,
                               std::int64_t qty);
}  // namespace adjacency

// index
inline constexpr std::string_view kWipPrefix = "wip/";
[[nodiscard]] std::string wip(std::string_view wo);
[[nodiscard]] std::string_view parse_wip(std::string_view key);  // the work order

inline constexpr std::string_view kOpenExceptionPrefix = "open_exc/";
// Most severe first (severity 0..3, 3 the most), then oldest first.
[[nodiscard]] std::string open_exception(int severity, std::int64_t raised_at, std::string_view id);
[[nodiscard]] std::optional<std::string_view> parse_open_exception(std::string_view key);

inline constexpr std::string_view kDeadlinePrefix = "deadline/";
[[nodiscard]] std::string deadline(std::int64_t at, std::string_view id);
// Keys below this one are deadlines before `now`.
[[nodiscard]] std::string deadline_before(std::int64_t now);
[[nodiscard]] std::optional<std::string_view> parse_deadline(std::string_view key);  // the id

// Expected receipts by their date, while they may still become late (the same grammar).
inline constexpr std::string_view kReceiptDuePrefix = "receipt_due/";
[[nodiscard]] std::string receipt_due(std::int64_t at, std::string_view receipt);
[[nodiscard]] std::string receipt_due_before(std::int64_t now);
[[nodiscard]] std::optional<std::string_view> parse_receipt_due(std::string_view key);

// Lots in stock (something on hand) with an expiry, by it (the same grammar); the value is
// "expired" once custody recorded lot.expired. And the same lots by material, for
// first-expired-first-out.
inline constexpr std::string_view kExpiryPrefix = "expiry/";
inline constexpr std::string_view kExpiredMark = "expired";
[[nodiscard]] std::string expiry(std::int64_t at, std::string_view lot);
[[nodiscard]] std::string expiry_before(std::int64_t at);
[[nodiscard]] std::optional<std::string_view> parse_expiry(std::string_view key);  // the lot
[[nodiscard]] std::string fefo_prefix(std::string_view material);
[[nodiscard]] std::string fefo(std::string_view material, std::int64_t at, std::string_view lot);
// The lot, and its expiry, of a key under fefo_prefix(material) of `prefix_size` bytes.
[[nodiscard]] std::optional<std::pair<std::string_view, std::int64_t>> parse_fefo(
    std::string_view key, std::size_t prefix_size);

[[nodiscard]] std::string supplier_lot(std::string_view supplier, std::string_view supplier_lot,
                                       std::string_view lot);
[[nodiscard]] std::string supplier_lot_prefix(std::string_view supplier,
                                              std::string_view supplier_lot);
[[nodiscard]] std::string_view parse_supplier_lot(std::string_view key,
                                                  std::string_view prefix);  // the lot

struct EquipmentLot {
  std::int64_t time = 0;
  std::uint64_t seq = 0;
  std::string_view lot;
};
[[nodiscard]] std::string equipment_lot(std::string_view equipment, std::int64_t time,
                                        std::uint64_t seq, std::string_view lot);
[[nodiscard]] std::string equipment_lot_prefix(std::string_view equipment);
// The first key at or after `time`.
[[nodiscard]] std::string equipment_lot_from(std::string_view equipment, std::int64_t time);
[[nodiscard]] std::optional<EquipmentLot> parse_equipment_lot(std::string_view key,
                                                              std::string_view prefix);

[[nodiscard]] std::string shipment(std::string_view lot, std::uint64_t seq);
[[nodiscard]] std::string shipment_prefix(std::string_view lot);
[[nodiscard]] std::string shipment_by_id(std::string_view shipment, std::uint64_t seq);

[[nodiscard]] std::string consumed_by(std::string_view lot, std::string_view wo);
[[nodiscard]] std::string consumed_by_prefix(std::string_view lot);

// Partners' EPCIS events (epcis.captured): by event id, and by each identifier they name, in
// its canonical form (GS1 keys as Digital Link URIs); an LGTIN also by its lot code alone.
[[nodiscard]] std::string epcis_event(std::string_view event_id);
[[nodiscard]] std::string epcis_identifier_prefix(std::string_view identifier);
[[nodiscard]] std::string epcis_lot_prefix(std::string_view lot_code);
[[nodiscard]] std::string epcis_error(std::string_view event_id);

// facts: be64(time) be64(seq) u8(n), the n-th fact of record seq
[[nodiscard]] std::string fact(std::int64_t time, std::uint64_t seq, std::uint8_t n = 0);
[[nodiscard]] std::string fact_from(std::int64_t time);
[[nodiscard]] std::optional<std::int64_t> parse_fact_time(std::string_view key);

// corrections: be64(seq) of the corrected record
[[nodiscard]] std::string correction(std::uint64_t seq);

// The stream of an entity: "lot:<id>" for kind "lot".
[[nodiscard]] std::string stream(std::string_view kind, std::string_view id);

}  // namespace keys

}  // namespace custody::domain
