// Projections are disposable: rebuild them from the log, and prove that what was built
// incrementally is what the log says, with a digest of all projection state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "custody/common/error.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/state_machine.h"
#include "custody/ledger/store.h"

namespace custody::ledger {

struct RebuildReport {
  std::uint64_t records = 0;
  double seconds = 0;
};

// Drops the state machine's projection column families and replays every record through
// apply() into fresh ones. The projections are built in memory and written as sorted SST
// files (in chunks, for large ledgers), so rebuilding costs no memtable inserts. `store`
// must be open read-write and nothing else may write to it meanwhile.
[[nodiscard]] Result<RebuildReport> rebuild_projections(Store& store, StateMachine& machine);

// Opens `dir` exclusively (no sequencer) and rebuilds it.
[[nodiscard]] Result<RebuildReport> rebuild_ledger(const std::filesystem::path& dir,
                                                   StateMachine& machine);

struct StateDigest {
  crypto::Digest digest{};  // SHA-256 over every (family, key, value), length-prefixed
  std::uint64_t entries = 0;
  std::uint64_t head_seq = 0;  // the log head the projections reflect
};

// Digest of the state machine's projection column families, from one snapshot.
[[nodiscard]] Result<StateDigest> state_digest(Store& store, const StateMachine& machine);

}  // namespace custody::ledger
