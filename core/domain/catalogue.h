// Internal to core/domain: every command and event type is declared once, in the file that
// holds its rules, as part of that file's Area:
//
//   const Area& lots_area() {
//     static const Area area{
//         "lots",
//         {command<s::LotReceive, decide_receive>("lot.receive", {"lot.received"},
//                                                 stream("lot", "lot")),
//          ...},
//         {event<s::LotReceived, apply_received>(
//              "lot.received", correctable<s::LotReceived, check_received_fix, shift_received>(
//                                  {"qty", "document", "supplierLot"})),
//          ...}};
//     return area;
//   }
//
// A declaration names the command type, the Cap'n Proto struct its JSON `data` binds to, the
// rule that decides it, the event types it emits (its own first), the stream its records go
// to; and for an event type, its payload struct, the projection that applies it, and whether
// and how record.correct may change it. Everything else that lists types is built from these:
// the registry (what JSON binds to, what `custody log` decodes with, what plugins are told),
// the state machine's dispatch, record.correct's rules per type, and `custody types`.
//
// Decide and apply functions receive their data already decoded as their struct.
#pragma once

#include <capnp/message.h>
#include <capnp/schema.h>

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "apply.h"
#include "custody/ledger/record.h"
#include "decide.h"

namespace custody::domain {

// Where a command's records go: "<kind>:<value of data.<field>>", from the first rule whose
// field is set. With no rules the decide function names the stream itself (`described` says
// which, for people: "the corrected record's stream").
struct StreamRule {
  std::string_view kind;
  std::string_view field;
};
struct StreamSpec {
  std::vector<StreamRule> rules;
  std::string_view described;
};
[[nodiscard]] inline StreamSpec stream(std::string_view kind, std::string_view field) {
  return {{{kind, field}}, {}};
}
[[nodiscard]] inline StreamSpec streams(std::initializer_list<StreamRule> rules) {
  return {rules, {}};
}
[[nodiscard]] inline StreamSpec stream_described(std::string_view described) {
  return {{}, described};
}

using DecideFn = Result<void> (*)(Decide&);
using ApplyFn = void (*)(Apply&);

struct CommandSpec {
  std::string_view type;  // "lot.receive"
  capnp::StructSchema data;
  DecideFn decide;
  std::vector<std::string_view> emits;  // event types; the first is the command's own
  StreamSpec stream;
  std::vector<capnp::StructSchema::Field> stream_fields;  // `stream.rules`, resolved
};

// How record.correct may change a record of one event type.
struct CorrectionSpec {
  std::vector<std::string_view> fields;  // empty: records of the type cannot be corrected
  // Checks the corrected payload against the state and brings fields derived from the
  // corrected ones up to date (a reading's inLimits). Optional.
  Result<void> (*check)(Decide&, std::string_view before, capnp::MessageBuilder& after) = nullptr;
  // Moves the projections from what `before` said to what `after` says. `original` is the
  // corrected record.
  void (*shift)(Apply&, std::string_view before, std::string_view after,
                const ledger::RecordFields& original) = nullptr;
};

struct EventSpec {
  std::string_view type;  // "lot.received"
  capnp::StructSchema payload;
  ApplyFn apply;
  CorrectionSpec correction;
};

struct Area {
  std::string_view name;
  std::vector<CommandSpec> commands;
  std::vector<EventSpec> events;
};

// ---- typed declarations

namespace detail {
template <typename Data, auto Fn>
Result<void> decide_as(Decide& d) {
  codec::MessageView v(d.cmd.data);
  return Fn(d, v.root<Data>());
}
template <typename Payload, auto Fn>
void apply_as(Apply& a) {
  codec::MessageView v(a.rec.payload);
  Fn(a, v.root<Payload>());
}
template <typename Payload, auto Check>
Result<void> check_as(Decide& d, std::string_view before, capnp::MessageBuilder& after) {
  if constexpr (std::is_same_v<decltype(Check), std::nullptr_t>) {
    return {};
  } else {
    codec::MessageView b(before);
    return Check(d, b.root<Payload>(), after.getRoot<Payload>());
  }
}
template <typename Payload, auto Shift>
void shift_as(Apply& a, std::string_view before, std::string_view after,
              const ledger::RecordFields& original) {
  if constexpr (!std::is_same_v<decltype(Shift), std::nullptr_t>) {
    codec::MessageView b(before), x(after);
    Shift(a, b.root<Payload>(), x.root<Payload>(), original);
  }
}
std::vector<capnp::StructSchema::Field> resolve(capnp::StructSchema data, const StreamSpec& s);
}  // namespace detail

// Fn: Result<void>(Decide&, Data::Reader).
template <typename Data, auto Fn>
[[nodiscard]] CommandSpec command(std::string_view type,
                                  std::initializer_list<std::string_view> emits, StreamSpec where) {
  const auto schema = capnp::Schema::from<Data>();
  auto fields = detail::resolve(schema, where);
  return CommandSpec{type,  schema,           &detail::decide_as<Data, Fn>, std::vector(emits),
                     where, std::move(fields)};
}

// Check: Result<void>(Decide&, Payload::Reader before, Payload::Builder after), or nullptr;
// Shift: void(Apply&, Payload::Reader before, Payload::Reader after, const RecordFields&), or
// nullptr when no projection holds the corrected fields (the record's history notes it).
template <typename Payload, auto Check, auto Shift>
[[nodiscard]] CorrectionSpec correctable(std::initializer_list<std::string_view> fields) {
  return CorrectionSpec{std::vector(fields), &detail::check_as<Payload, Check>,
                        &detail::shift_as<Payload, Shift>};
}

// Fn: void(Apply&, Payload::Reader).
template <typename Payload, auto Fn>
[[nodiscard]] EventSpec event(std::string_view type, CorrectionSpec correction = {}) {
  return EventSpec{type, capnp::Schema::from<Payload>(), &detail::apply_as<Payload, Fn>,
                   std::move(correction)};
}

// ---- the catalogue

// Every area, in one order (commands are dispatched and documented in it).
[[nodiscard]] std::span<const Area* const> areas();
// nullptr when unknown.
[[nodiscard]] const CommandSpec* find_command_spec(std::string_view type);
[[nodiscard]] const EventSpec* find_event_spec(std::string_view type);
// The stream a command's declaration names for its data ("lot:R-1"), or "" when it has none.
[[nodiscard]] std::string own_stream(const CommandSpec& spec, std::string_view data);

// The areas, one file each.
[[nodiscard]] const Area& notes_area();
[[nodiscard]] const Area& master_data_area();
[[nodiscard]] const Area& lots_area();
[[nodiscard]] const Area& work_orders_area();
[[nodiscard]] const Area& scheduling_area();
[[nodiscard]] const Area& quality_area();
[[nodiscard]] const Area& exceptions_area();
[[nodiscard]] const Area& corrections_area();
[[nodiscard]] const Area& retention_area();
[[nodiscard]] const Area& configuration_area();
[[nodiscard]] const Area& late_entries_area();
// The record.entered_late that records a late entry's reason (StateMachine::on_late_entry;
// late_entries.cc).
[[nodiscard]] ledger::Event late_entry_event(const ledger::StateMachine::LateEntry& late);
// The payload in force of redacted record `seq`: the remainder that record `redacted_by` (its
// record.redacted) holds. Throws when that record is not a redaction of `seq` (a damaged log
// or redaction index).
[[nodiscard]] std::string redacted_remainder(const ledger::State& state, std::uint64_t seq,
                                             std::uint64_t redacted_by);
// The seq a record.redacted payload erased; 0 when the payload is not one.
[[nodiscard]] std::uint64_t redacted_seq(std::string_view payload) noexcept;
[[nodiscard]] const Area& access_area();
[[nodiscard]] const Area& identity_area();
[[nodiscard]] const Area& signatures_area();
[[nodiscard]] const Area& partners_area();
[[nodiscard]] const Area& receipts_area();
[[nodiscard]] const Area& expiry_area();
[[nodiscard]] const Area& training_area();
[[nodiscard]] const Area& equipment_area();
[[nodiscard]] const Area& defects_area();
[[nodiscard]] const Area& line_control_area();
[[nodiscard]] const Area& deviations_area();
[[nodiscard]] const Area& piecework_area();
// A lot that an open deviation names (and its assessment did not clear), or that was made from
// one, is not released: open_deviation on `data.lot` (deviations.cc).
[[nodiscard]] Result<void> check_no_open_deviation(const Decide& d, s::Lot::Reader lot);

// The defect code `id` of the catalogue, null when it is not defined (defects.cc).
[[nodiscard]] std::unique_ptr<Loaded<s::DefectDefine>> find_defect(const Decide& d,
                                                                   std::string_view id);

// A breakdown of `scrap` by defect code (op.report's defects, at `field`): each code in the
// catalogue and named once, each quantity positive, together exactly the scrap. An empty
// breakdown is always right: the scrap stays unclassified (defects.cc).
[[nodiscard]] Result<void> check_defect_breakdown(const Decide& d, std::int64_t scrap,
                                                  capnp::List<s::DefectQty>::Reader defects,
                                                  const std::string& field);

// A step starts only on equipment that is in service (out_of_service, under_maintenance),
// calibrated where it must be (out_of_calibration) and clean for the order's product
// (equipment_dirty), each judged at `at` (equipment.cc).
[[nodiscard]] Result<void> check_equipment_ready(const Decide& d, s::Equipment::Reader e,
                                                 s::WorkOrder::Reader wo, TimeNs at);
// Whether a reading taken at `at` comes from an instrument whose calibration had lapsed.
// OEE: what the equipment's time counts as after the change just made to it (running, idle,
// down with a reason, planned stop); kept for equipment defined with an ideal rate only. When that
// differs from the span in force, the span is ended with a Fact::EquipmentTime at the record's time
// (fact number kEquipmentTimeFact) and a new one begins. Down time because of an exception carries
// the equipment's downCause, which raising its first open exception sets.
inline constexpr std::uint8_t kEquipmentTimeFact = 1;
void track_equipment_time(Apply& a, s::Equipment::Builder b);

[[nodiscard]] bool calibration_lapsed(s::Equipment::Reader e, TimeNs at);

// Work happens on orders that exist, are released and are not yet completed (invalid_state
// on `data.wo` otherwise); step_index is the index of `step` in the order, or -1; started_step
// refuses a step that does not exist (not_found) or has not started (work_orders.cc).
[[nodiscard]] Result<std::unique_ptr<Loaded<s::WorkOrder>>> workable_wo(const Decide& d,
                                                                        std::string_view id);
[[nodiscard]] int step_index(s::WorkOrder::Reader wo, capnp::Text::Reader step);
[[nodiscard]] Result<int> started_step(s::WorkOrder::Reader wo, capnp::Text::Reader step);
// Equipment `e` for `step` (of work order `wo`): in the step's work center (invalid_argument)
// and not running a step (invalid_state, saying `when_free`), both on `data.equipment`.
[[nodiscard]] Result<void> check_equipment_for_step(s::Equipment::Reader e, s::WorkOrder::Reader wo,
                                                    s::WoStep::Reader step,
                                                    std::string_view when_free = {});

// A step whose routing asks for a line clearance starts on `e` at `at` only when a clearance
// for it on `e` was recorded, verified by a second person by then and not voided by another
// start or clearance there (line_not_cleared); a labelling step completes only once its labels
// were reconciled (labels_not_reconciled) (line_control.cc).
[[nodiscard]] Result<void> check_line_cleared(s::WorkOrder::Reader wo, s::WoStep::Reader step,
                                              s::Equipment::Reader e, TimeNs at);
// Whether a start at `at` on equipment carrying the clearance `cleared_for` ("wo/step") comes
// after that clearance was recorded, and so voids (or uses) it; a late entry from before it
// does not (line_control.cc).
[[nodiscard]] bool start_voids_clearance(const State& state, const Cfs& cf,
                                         std::string_view cleared_for, TimeNs at);
[[nodiscard]] Result<void> check_labels_reconciled(s::WorkOrder::Reader wo, s::WoStep::Reader step);

// A critical step (the routing says so) is started, reported and verified only by someone
// qualified for it at `at`: not_qualified (field `actor`) otherwise (training.cc).
[[nodiscard]] Result<void> check_qualified(const Decide& d, s::WorkOrder::Reader wo,
                                           s::WoStep::Reader step, TimeNs at);

// Commands the passage of time calls for: lot.expire for each lot in stock past its expiry
// and not yet recorded expired (expiry.cc).
[[nodiscard]] std::vector<Command> expired_lots(const State& state, const Cfs& cf, TimeNs now);

// lot.receive against an expected receipt (receipts.cc). check_receipt refuses a receipt that
// does not match the expected one it names (receipt_mismatch), would take it beyond its
// quantity and tolerance (over_receipt), or names one unknown (not_found) or cancelled;
// check_receipt_change the same for a correction adding `delta`. receive_against counts
// `delta` (and the lot, when given) against the receipt.
[[nodiscard]] Result<void> check_receipt(const Decide& d, s::LotReceive::Reader r);
[[nodiscard]] Result<void> check_receipt_change(const Decide& d, std::string_view receipt,
                                                std::int64_t delta, const std::string& field);
void receive_against(Apply& a, std::string_view receipt, std::string_view lot, std::int64_t delta);
// Commands the passage of time calls for: the late exceptions of expected receipts past their
// date (receipts.cc).
[[nodiscard]] std::vector<Command> late_receipts(const State& state, const Cfs& cf, TimeNs now);

// After a command's rules accepted it: refuses it with signature_required when the signature
// policy asks for a signature it does not carry, and adds the signature.signed record when it
// carries one (signatures.cc).
[[nodiscard]] Result<void> sign_or_require(Decide& d);

// Commands the passage of time calls for: escalations of exceptions past their deadline
// (exceptions.cc).
[[nodiscard]] std::vector<Command> overdue_exceptions(const State& state, const Cfs& cf,
                                                      TimeNs now);
// The exception custody raises when the wall clock was stepped (StateMachine::on_clock_step):
// security, high, by the system, saying by how much and in which direction.
[[nodiscard]] Command clock_step_exception(TimeNs expected, TimeNs now);

}  // namespace custody::domain
