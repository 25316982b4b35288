// A realistic demo plant for custody: NDJSON commands, one JSON object per line, that a
// fresh-cut salad plant would append over N days. `custody gen plant` prints them; tests and
// benchmarks link this library to get a large, valid, deterministic workload.
//
// The plant (leafy greens are on FDA's FSMA 204 food traceability list):
//
//   farms (5) --raw greens, kg--> receiving QA --> raw cold room
//   packaging supplier --film, clamshells, cases--> packaging store
//   work orders: wash (flume, chlorine 50..200 ppm, water 0..5 C, pH 6..7.5)
//                -> cut (chopped products) -> spin dry -> mix (blends) -> pack (pallets)
//   finished lots (cases) --QA inspection, release--> finished-goods cold room
//                --shipments (BOL-...)--> 6 retail distribution centres
//
// Day 0 defines the master data. Every day then has morning truck receipts sized to the
// day's plan; 6-12 work orders run through their routing on free equipment; device readings
// while a flume washes (chlorine every 20 s, water temperature and pH every minute) and
// every 15-30 minutes in the two cold rooms; QA inspections of every finished pallet; four
// shipping waves; two shifts of named operators (06:00-14:00, 14:00-22:00) with shift
// notes; and the occasional trouble a real plant has: failed inspections, chlorine dips,
// cold-room door excursions, breakdowns that take equipment down, raw lots held for a
// missing certificate of analysis or rejected at receiving, expedited deliveries. Every
// exception is worked through its whole workflow, usually within hours.
// The last command is a recall drill: a note with subject "recall-alert" naming a supplier
// lot (received mid-period) whose greens went into several shipped work orders.
//
// Every command the generator writes is accepted when appended, in output order, to a fresh
// ledger (or to one that holds only plants with other prefixes): the generator tracks lot
// quantities and status, equipment state, routing order and exception state itself.
// Output times (`occurredAt`) never decrease.
//
// Determinism: the output depends only on the options. Randomness comes from xoshiro256**
// seeded by splitmix64 and integer arithmetic only (no floating point, no std::
// distributions), so it is byte-identical across platforms and standard libraries.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "custody/common/clock.h"
#include "custody/common/error.h"

namespace custody::gen {

// 2026-10-01T00:00:00Z.
inline constexpr TimeNs kDefaultPlantStart = 1'790'812'800LL * 1'000'000'000LL;
inline constexpr int kMaxPlantDays = 3650;

struct PlantOptions {
  int days = 30;           // 1 .. kMaxPlantDays
  std::uint64_t seed = 1;  // same options, same bytes
  // Namespaces the plant so that several can share one ledger. When not empty, every
  // entity id (materials, parties, equipment, work centres, routings, lots, work orders,
  // exceptions, shipments, locations, note subjects), every commandId and the name part of
  // every actor ("user:<P>-maria") is written as P + "-" + id. Vocabulary is not prefixed:
  // units, step ids (scoped to their routing), parameter and characteristic names, and the
  // suppliers' own lot codes (scoped to the prefixed supplier id). Automatic exception ids
  // are "auto:" + the (prefixed) commandId, as custody makes them. Shifts belong to the site,
  // so a prefixed plant defines none.
  std::string prefix;
  // Midnight of the first day; shift times are offsets from it.
  TimeNs start = kDefaultPlantStart;
  // Called as each simulated day begins (0-based), for progress reports. Optional.
  std::function<void(int day)> on_day;
};

// What was written, for reports and tests.
struct PlantSummary {
  std::uint64_t commands = 0;
  std::uint64_t readings = 0;
  std::uint64_t work_orders = 0;
  std::uint64_t lots_received = 0;
  std::uint64_t lots_produced = 0;
  std::uint64_t lots_shipped = 0;          // lot.ship commands
  std::uint64_t exceptions_raised = 0;     // by people, with exception.raise
  std::uint64_t automatic_exceptions = 0;  // raised by custody on out-of-limit values
  std::uint64_t reworks = 0;               // op.rework: cases sent back to the wash
  std::uint64_t line_clearances = 0;       // line.clear (each verified by a supervisor)
  std::uint64_t label_discrepancies = 0;   // label.reconcile counts that do not add up
  std::uint64_t deviations = 0;            // deviation.open (label losses QA escalates)
  std::uint64_t capa_actions = 0;          // capa.open
  std::string recall_supplier;             // the recall drill's supplier (party id) ...
  std::string recall_supplier_lot;         // ... and its lot code
};

// Writes the plant's commands to `out`, one per line. kInvalidArgument (field "days") when
// days is outside 1..kMaxPlantDays, kIoError when `out` fails. Not thread-safe with respect
// to `out`; separate calls are independent.
[[nodiscard]] Result<PlantSummary> generate_plant(const PlantOptions& options, std::ostream& out);

}  // namespace custody::gen
