// Projections are disposable: rebuild them from the log, and prove that what was built
// incrementally is what the log says, with a digest of all projection state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include "custody/common/error.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/state_machine.h"
#include "custody/ledger/store.h"

namespace custody::ledger {

// Called now and then with the records replayed so far (for progress reports).
using ReplayProgress = std::function<void(std::uint64_t records)>;

struct RebuildReport {
  std::uint64_t records = 0;
  double seconds = 0;
};

// Replays every record through apply() into a new generation of the state machine's
// projection column families, built beside the live ones, and then makes it live in one
// synced write (store.h). An interruption at any moment leaves the live projections as
// they were. The projections are built in memory and written as sorted SST
// files (in chunks, for large ledgers), so rebuilding costs no memtable inserts. `store`
// must be open read-write and nothing else may write to it meanwhile.
[[nodiscard]] Result<RebuildReport> rebuild_projections(Store& store, StateMachine& machine,
                                                        const ReplayProgress& progress = {});

class State;

// Applies records of `source`'s log, one by one and in log order, through machine.apply()
// into `target` (whose projection families must be empty), holding at most about
// `chunk_entries` projection entries in memory before writing them out as sorted files
// through `tmp_dir`. replay_log feeds it what it reads; `custody verify` feeds it the records
// its log check has just read, so that the log is read once. Attaches `machine` to `target`.
class LogReplay {
 public:
  LogReplay(Store& source, ColumnFamilies& target, std::filesystem::path tmp_dir,
            StateMachine& machine, std::size_t chunk_entries);
  LogReplay(const LogReplay&) = delete;
  LogReplay& operator=(const LogReplay&) = delete;
  ~LogReplay();

  // One record as the log stores it. kCorruption for a record that does not decode or apply,
  // or whose payload is gone without a redaction naming it.
  [[nodiscard]] Result<void> apply(std::string_view stored);
  // Writes out what is still in memory; the replay is complete once this returns.
  [[nodiscard]] Result<void> finish();
  [[nodiscard]] std::uint64_t records() const { return records_; }

 private:
  [[nodiscard]] Result<void> flush();

  Store& source_;
  ColumnFamilies& target_;
  std::filesystem::path tmp_dir_;
  StateMachine& machine_;
  std::size_t chunk_entries_;
  std::unique_ptr<State> state_;
  std::uint64_t records_ = 0;
};

// Replays every record of `source`'s log through machine.apply() into `target` (whose
// projection families must be empty), writing sorted files of at most `chunk_entries`
// entries through `tmp_dir`. Leaves `machine` attached to `target`.
[[nodiscard]] Result<RebuildReport> replay_log(Store& source, ColumnFamilies& target,
                                               const std::filesystem::path& tmp_dir,
                                               StateMachine& machine, std::size_t chunk_entries,
                                               const ReplayProgress& progress = {});

// Opens `dir` exclusively (no sequencer) and rebuilds it.
[[nodiscard]] Result<RebuildReport> rebuild_ledger(const std::filesystem::path& dir,
                                                   StateMachine& machine,
                                                   const ReplayProgress& progress = {});

// Applies the records after seq `after`, as far as `store` sees, to `machine`, into a scratch
// state whose writes are thrown away: the projections already hold them. For what a machine
// keeps in memory beside its projections (the genealogy graph of a saved file's head, or of a
// read-only open that caught up). Reads see the projections as of now, later than each
// record, so only what apply() derives from the record itself is exact. Returns the last seq
// applied (`after` when none). kCorruption for a record that does not decode or apply.
[[nodiscard]] Result<std::uint64_t> apply_records_after(Store& store, std::uint64_t after,
                                                        StateMachine& machine);

struct StateDigest {
  crypto::Digest digest{};  // SHA-256 over every (family, key, value), length-prefixed
  std::uint64_t entries = 0;
  std::uint64_t head_seq = 0;  // the log head the projections reflect
};

// Digest of the state machine's projection column families, from one snapshot.
[[nodiscard]] Result<StateDigest> state_digest(Store& store, const StateMachine& machine);

}  // namespace custody::ledger
