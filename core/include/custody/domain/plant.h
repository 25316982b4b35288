// The plant's state machine: custody's manufacturing domain on top of the ledger core.
// Each command type has a decide function (checks against state, produces events) and each
// event type an apply function (folds into the projections).
#pragma once

#include <memory>

#include "custody/ledger/state_machine.h"

namespace custody::domain {

[[nodiscard]] std::unique_ptr<ledger::StateMachine> make_state_machine();

}  // namespace custody::domain
