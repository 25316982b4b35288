// Verification of a whole ledger: streaming, bounded memory, parallel hashing.
//
// For every record in seq order it checks: the key is the next seq (no gap, no insertion),
// the value is a canonical Record whose own seq matches its key, the payload matches its
// digest, and prevHash equals the previous record's recomputed leaf hash. It folds the
// leaves into the RFC 6962 tree and compares the root with every stored checkpoint (each
// signature checked by the node key) and with a checkpoint the auditor supplies, and the
// last leaf with the meta head.
//
// First bad seq: when the link between records k-1 and k breaks, either k-1's content or
// k's prevHash changed. If the link k -> k+1 also breaks, k's own bytes changed (its leaf
// moved with its prevHash), so k is reported; otherwise k-1. A broken link at the very
// end is decided against the meta head. A root that disagrees while every link holds (a
// consistent rewrite) is localised to the records after the last checkpoint that matched.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/error.h"
#include "custody/crypto/note.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/store.h"

namespace custody::ledger {

struct VerifyOptions {
  // A checkpoint note the auditor holds; its signature, size and root are checked.
  std::optional<std::string> checkpoint;
  // The key the auditor trusts: the key the ledger was created with, or one a rotation
  // handed over to (checkpoints vouch for records from the point the key history reaches it).
  // Without one, the ledger's own keys (from meta, then its rotations) are used, which proves
  // integrity against accidents but not against someone who can also replace the key.
  std::optional<crypto::NoteVerifier> key;
  unsigned threads = 0;  // hashing threads; 0: one per core
  // Called now and then with the number of records checked so far. Optional.
  std::function<void(std::uint64_t)> progress;
  // Called with each record as stored, in log order, once it has been checked and folded
  // into the chain; on the thread that called verify_ledger, while other threads check the
  // next records. Optional: `custody verify` replays the projections from it.
  std::function<void(std::string_view)> each_record;
};

struct VerifyReport {
  bool ok = true;
  std::uint64_t records = 0;   // records read
  std::uint64_t head_seq = 0;  // last seq read
  crypto::Digest root{};       // tree head over the records read
  std::uint64_t checkpoints_checked = 0;
  std::uint64_t redacted = 0;                  // records whose payload was redacted
  std::uint64_t key_rotations = 0;             // node key rotations followed
  bool trusted_key = false;                    // the key came from the caller, not the ledger
  std::optional<std::uint64_t> first_bad_seq;  // unset when no record is to blame
  std::string reason;                          // empty when ok
};

// Errors are returned only when verification could not run (I/O); findings go into the
// report. Reads a consistent snapshot; may run while the ledger is being written.
[[nodiscard]] Result<VerifyReport> verify_ledger(Store& store, const VerifyOptions& options);

}  // namespace custody::ledger
