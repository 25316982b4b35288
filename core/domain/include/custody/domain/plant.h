// The plant's state machine: custody's manufacturing domain on top of the ledger core.
// Every command and event type is declared once, next to its rules (core/domain/*.cc); the
// machine dispatches each command to its rule and each record to its projection by those
// declarations.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "custody/ledger/state_machine.h"

namespace custody::domain {

class GenealogyGraph;

struct PlantOptions {
  // Keep the genealogy graph in memory (loaded when the ledger opens, then kept current as
  // records are applied) so that recalls take microseconds instead of a seek per lot. For
  // long-running hosts (`custody run`, the server); one-shot commands read the column
  // families instead.
  bool genealogy_graph = false;
  // With the graph, keep every lot's recall facts beside it (lot_table.h): a recall report
  // then reads no lot projection (about 8 ms instead of 60 for 11k lots), for about 50 bytes
  // a lot more memory.
  bool lot_table = true;
  // Where the graph is saved and read: DIR/genealogy.graph when empty. A reader of a ledger
  // it does not own (an enterprise node's copy of a site) keeps its own file elsewhere.
  std::filesystem::path graph_file;
  // With the graph, in a process that writes: save it on a thread of its own, beside the
  // sequencer, once `graph_save_records` records were applied since the last save and at
  // most once every `graph_save_interval`. A process that dies then costs its next start the
  // records since that save, replayed on the saved graph, not a build from the projections
  // (7 s for 2M lots). 0 records: only at a clean close. DIR/config.json's "genealogyGraph"
  // sets both for the server (ledger/config.h).
  std::uint64_t graph_save_records = 100'000;
  std::chrono::seconds graph_save_interval{60};
};

class PlantMachine : public ledger::StateMachine {
 public:
  // The version of what the plant's apply functions write (see StateMachine). 2: the
  // genealogy's adjacency families (genealogy_out, genealogy_in; docs/storage.md).
  static constexpr std::uint32_t kProjectionVersion = 2;

  // The in-memory genealogy, once attached, when made with genealogy_graph; else nullptr.
  // Readers on any thread (GenealogyGraph's rules); valid while the machine lives, or until
  // a failed catch_up_graph.
  [[nodiscard]] virtual const GenealogyGraph* graph() const = 0;
  // A read-only open (a follower's copy, or a reader beside the writer): after
  // Store::catch_up(), applies the records the writer added since to the graph (the writer
  // already projected them). One thread at a time, and no reader may hold graph() meanwhile
  // (an enterprise node catches up under its lock). Returns how many records it took (0
  // without a graph). kCorruption when a record does not apply; the graph is then dropped
  // (graph() is nullptr) rather than left holding part of the records.
  [[nodiscard]] virtual Result<std::uint64_t> catch_up_graph(ledger::Store& store) = 0;
  // Saves the graph to its file, for a reader (a writer saves at its clean close): when it
  // holds exactly what the store sees and was changed since it was read. Returns whether it
  // wrote. kIoError when the file cannot be written.
  [[nodiscard]] virtual Result<bool> save_graph(ledger::Store& store) = 0;
  // Any thread: the seq of the graph's file as this process last wrote or read it (0: none),
  // and how many saves beside the sequencer failed (each is tried again at the next mark).
  [[nodiscard]] virtual std::uint64_t graph_saved_seq() const = 0;
  [[nodiscard]] virtual std::uint64_t graph_save_failures() const = 0;
};

// The machine is handed to ledger::Ledger::open, which owns it; keep a pointer first to reach
// graph():
//
//   auto machine = domain::make_state_machine({.genealogy_graph = true});
//   const domain::PlantMachine* plant = machine.get();
//   auto ledger = ledger::Ledger::open(dir, mode, std::move(machine), options);
[[nodiscard]] std::unique_ptr<PlantMachine> make_state_machine(PlantOptions options = {});

}  // namespace custody::domain
