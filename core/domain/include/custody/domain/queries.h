// The read side of the domain: entities with their history, the WIP and exception boards,
// and KPIs over a time range, written as JSON. Every query reads one snapshot, so what it
// shows is consistent, and it never blocks the sequencer.
//
// Thread-safe as Snapshot is.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/common/time_zone.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

// How far ahead the training board calls a qualification expiring, unless asked (days).
inline constexpr std::uint32_t kTrainingHorizonDays = 30;

// A Pareto of defects: scrap reported in [from, to) by event time, broken down `by` one of
// "defect", "step", "material", "equipment" or "shift", counting only the reports that
// match each filter given (empty: any).
struct ParetoQuery {
  TimeNs from = 0;
  TimeNs to = 0;
  std::string by = "defect";
  std::string step, material, equipment, shift;
};

// OEE over [from, to) by event time, of every equipment with an ideal rate or only
// `equipment`; time after `now` has not happened yet and does not count.
struct OeeQuery {
  TimeNs from = 0;
  TimeNs to = 0;
  TimeNs now = 0;
  std::string equipment;
};

// The boards, by name.
inline constexpr std::string_view kBoards[] = {"wip",      "exceptions", "expiry",
                                               "training", "deviations", "capa"};

enum class EntityKind {
  kLot,
  kWorkOrder,
  kException,
  kEquipment,
  kMaterial,
  kParty,
  kReceipt,
  kDefect,
  kShift,
  kDeviation,
  kCapa
};

// "lot", "wo", "exception", "equipment", "material", "party", "receipt", "defect", "shift",
// "deviation", "capa"; nullopt for anything else.
[[nodiscard]] std::optional<EntityKind> parse_entity_kind(std::string_view name);

class Queries {
 public:
  explicit Queries(const ledger::Snapshot& snapshot);

  // The entity and its most recent `history_limit` records (0: all), newest last. Records
  // that were later corrected carry "corrected": true. kNotFound when it does not exist.
  [[nodiscard]] Result<void> show(EntityKind kind, std::string_view id, std::size_t history_limit,
                                  codec::JsonWriter& out) const;

  // Released work orders not yet completed, by due date: current step, equipment, good and
  // scrap so far, and whether it is late at `now`.
  [[nodiscard]] Result<void> wip_board(TimeNs now, codec::JsonWriter& out) const;

  // Unresolved exceptions, most severe first and oldest first within a severity, with
  // their age at `now`; counts by severity and the mean time to close of closed ones.
  [[nodiscard]] Result<void> exception_board(TimeNs now, codec::JsonWriter& out) const;

  // Lots with something on hand that expire before `now` plus `within_days` days, soonest
  // first: those expired already (in stock, to be dealt with) and those about to.
  [[nodiscard]] Result<void> expiry_board(TimeNs now, std::uint32_t within_days,
                                          codec::JsonWriter& out) const;

  // The board `name` names (one of kBoards), at `now`; `within_days` is the expiry or training
  // board's horizon. kNotFound for another name.
  [[nodiscard]] Result<void> board(std::string_view name, TimeNs now, std::uint32_t within_days,
                                   codec::JsonWriter& out) const;

  // Deviations not yet approved, oldest first, with their age at `now`, the lots they still
  // hold from release and their CAPA actions; and the counts by classification.
  [[nodiscard]] Result<void> deviation_board(TimeNs now, codec::JsonWriter& out) const;

  // CAPA actions not yet found effective, by due date: those open past their due date at `now`
  // are overdue; those completed wait for their effectiveness check. With the counts of each.
  [[nodiscard]] Result<void> capa_board(TimeNs now, codec::JsonWriter& out) const;

  // Every qualification, by person and scope, with its standing at `now`: valid, expiring
  // (its date within `within_days` days), expired or revoked; and the counts of each.
  [[nodiscard]] Result<void> training_board(TimeNs now, std::uint32_t within_days,
                                            codec::JsonWriter& out) const;

  // Entities of one kind in id order, after `after` (exclusive; empty: from the first), at
  // most `limit`, only those whose status is `status` when it is not empty (lots, work
  // orders, exceptions, equipment and expected receipts have one; the names of the schema's enum,
  // e.g. "awaitingRelease"). Writes {"kind","items":[state...],"count","next"}: `next` is the id to
  // pass as `after` for the following page, null after the last. kInvalidArgument for a status the
  // kind does not have. Filtering reads every entity of the kind from `after` on.
  [[nodiscard]] Result<void> list(EntityKind kind, std::string_view status, std::string_view after,
                                  std::size_t limit, codec::JsonWriter& out) const;

  // KPIs over events in [from, to): work orders completed and on time, first-pass yield and
  // scrap rate of reported operations, exceptions raised and closed with mean time to
  // close, and good and scrap quantity per operator.
  [[nodiscard]] Result<void> kpis(TimeNs from, TimeNs to, codec::JsonWriter& out) const;

  // The equipment's logbook (21 CFR 211.182): its cleanings, calibrations, maintenance and
  // service changes, each use (order, step, product, who, started and completed) and its
  // equipment exceptions, in the order they were recorded (a late entry where it was
  // entered; each entry says its own time), with event times in [from, to) (to: max for no
  // end); and its standing now (cleaned, calibrated until, in service). kNotFound when it
  // does not exist.
  [[nodiscard]] Result<void> equipment_logbook(std::string_view equipment, TimeNs from, TimeNs to,
                                               codec::JsonWriter& out) const;

  // The work order's yield against theory (21 CFR 211.188(b)(7)) as its state stands: the
  // theoretical and actual yield of the order and of each step, each as a percentage of
  // theoretical, the components they come from, and the product's limits. kNotFound when the
  // order does not exist.
  [[nodiscard]] Result<void> work_order_yield(std::string_view wo, codec::JsonWriter& out) const;

  // The Pareto of defects `q` asks for: the scrap reported, classified by defect code and
  // unclassified, and one row per defect (or per step, material, equipment or shift, each
  // with its defects), most first, with its share of the scrap and the running total of
  // shares. A report's equipment is the one its step ran on and its material the order's;
  // its shift is the shift (shift.define) its event time falls in on the site's clock
  // (`zone`). kInvalidArgument (field "by") for another breakdown.
  [[nodiscard]] Result<void> defect_pareto(const ParetoQuery& q, const TimeZone& zone,
                                           codec::JsonWriter& out) const;

  // OEE (docs/commands.md, "OEE and piecework pay") of each equipment defined with an ideal
  // rate, per shift on the site's clock (`zone`) and in total: the minutes it was running,
  // idle, down (by reason) and in a planned stop, from the spans its state changes end
  // (Fact::EquipmentTime) and the span in force; the good and scrap reported on its steps;
  // availability = running / (running + idle + down), performance = ideal run time of the
  // counted units (the routing step's minutesPerUnit, else the ideal rate) / running time,
  // quality = good / (good + scrap), OEE their product (null
  // where a divisor is 0). kNotFound for an unknown `equipment`, kInvalidArgument for one
  // without an ideal rate.
  [[nodiscard]] Result<void> oee(const OeeQuery& q, const TimeZone& zone,
                                 codec::JsonWriter& out) const;

  // Piecework pay over reports in [from, to): per operator, a line per material, step and
  // piece rate in force when the report was made (piece_rate.define), with the quantity it
  // pays (good; with scrap when the rate pays it; less scrap when it deducts it), the amount
  // (rounded to cents per line) and the operator's totals; reports with no rate in force
  // pay nothing and are shown (rate null). The total's good and scrap are the KPIs' (kpis()).
  [[nodiscard]] Result<void> piecework_pay(TimeNs from, TimeNs to, codec::JsonWriter& out) const;

 private:
  // The seqs of the entity's records, oldest first: its own stream and what the history
  // index lists; the newest `limit` of them (0: all).
  [[nodiscard]] Result<std::vector<std::uint64_t>> history_seqs(std::string_view kind,
                                                                std::string_view id,
                                                                std::size_t limit) const;

  const ledger::Snapshot& snap_;
};

}  // namespace custody::domain
