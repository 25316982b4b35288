// The plant's state machine: custody's manufacturing domain on top of the ledger core.
// Each command type has a decide function (checks against state, produces events) and each
// event type an apply function (folds into the projections).
#pragma once

#include <memory>

#include "custody/ledger/state_machine.h"

namespace custody::domain {

class GenealogyGraph;

struct PlantOptions {
  // Keep the genealogy graph in memory (loaded when the ledger opens, then kept current as
  // records are applied) so that recalls take microseconds instead of a seek per lot. For
  // long-running hosts; one-shot commands read the column families instead.
  bool genealogy_graph = false;
};

[[nodiscard]] std::unique_ptr<ledger::StateMachine> make_state_machine(PlantOptions options = {});

// The in-memory genealogy of a plant state machine made with genealogy_graph, else nullptr.
[[nodiscard]] const GenealogyGraph* genealogy_graph(const ledger::StateMachine& machine);

}  // namespace custody::domain
