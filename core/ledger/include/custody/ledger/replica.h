// Replication of a ledger to followers (docs/replication.md).
//
// A site publishes its committed records in batches; a follower keeps a copy of the site's
// ledger that it has checked record by record. This file knows nothing of the transport
// (NATS JetStream, core/replication): it defines a batch, reads batches off a site's store,
// and checks and applies them to a follower's copy.
//
// A batch carries consecutive records, first..last, in their stored bytes. The records up to
// one of the site's signed checkpoints travel in one or more batches (split by size); the
// last of them carries that checkpoint. A follower checks each batch as it comes (canonical
// records, consecutive seqs, every record's prevHash the leaf before it) and holds it; when
// the checkpoint comes, it checks that the checkpoint is signed by the site's key of that
// moment (following rotations in the log) and that its root is the root of the tree it holds
// with the new records, and only then writes them, with the checkpoint, the Merkle nodes,
// stream heads and projections, in one synced write. So a copy never holds a record that a
// signed checkpoint does not cover, and never holds anything the site did not sign.
//
//   batch      = "custody-batch 1\n" be64(first) be64(count) prevLeaf(32)
//                str(ledgerId) str(origin) str(checkpoint) str(record)*count
//   str        = be32(length) bytes
//
// Redactions travel as the records that make them: a record.redacted names the record whose
// payload it erased (StateMachine::erased_by). A follower erases that payload in its copy, and
// applies a record that comes to it already without its payload as what its redaction left;
// the site keeps such a record in one range with the record that redacted it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"
#include "custody/crypto/note.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/head.h"
#include "custody/ledger/merkle.h"
#include "custody/ledger/record.h"

namespace custody::ledger {

class State;
class StateMachine;
class Store;

struct Redaction {
  std::uint64_t seq = 0;  // the record whose payload was erased
  std::uint64_t by = 0;   // the record that erased it
  bool operator==(const Redaction&) const = default;
};

struct Batch {
  std::string ledger_id;
  std::string origin;
  std::uint64_t first = 0;           // seq of records[0]
  crypto::Digest prev_leaf{};        // leaf hash of record first-1 (zeros when first is 1)
  std::vector<std::string> records;  // stored bytes of first..last
  std::string checkpoint;  // the site's signed checkpoint of size last(), or "" (more follow)

  [[nodiscard]] std::uint64_t last() const { return first + records.size() - 1; }
};

// At most this many bytes of records in one batch (a NATS message is at most 1 MiB by
// default), unless one record alone is larger.
inline constexpr std::size_t kBatchBytes = 512 * 1024;

[[nodiscard]] std::string encode_batch(const Batch& batch);
// kInvalidArgument (field "batch") when `bytes` are not a whole, well-formed batch.
[[nodiscard]] Result<Batch> decode_batch(std::string_view bytes);

// Site side: the batches that carry the records after `after`, up to the first checkpoint
// that covers more than `after`, split at `max_bytes`; the last carries the checkpoint. Empty
// when no checkpoint covers a record after `after` yet. When a record in that range comes
// without its payload (redacted), the range goes on to the first checkpoint that also covers
// the record that redacted it: a follower applies the one as what the other left of it. At most
// `max_batches` batches (the rest follow in the next call; then none carries a checkpoint).
[[nodiscard]] Result<std::vector<Batch>> read_batches(Store& store, std::uint64_t after,
                                                      std::size_t max_bytes = kBatchBytes,
                                                      std::size_t max_batches = 64);

// The leaf hash of record `seq` of `store` (zeros for seq 0). kCorruption when it is missing.
[[nodiscard]] Result<crypto::Digest> leaf_of(Store& store, std::uint64_t seq);

// Whether `batch` is one `store` could have published: its ledger, records the store holds
// (compared by leaf, so a payload redacted since does not matter), and no checkpoint or the
// store's own for its last seq. A publisher resumes after the last batch that is.
[[nodiscard]] Result<bool> batch_is_from(Store& store, const Batch& batch);

// What a follower's copy holds of a site: `DIR/REPLICA`, beside a ledger that no command may
// write to. The copy's node.pub is the site's key at seq 1.
struct ReplicaInfo {
  std::string site;       // the name the site publishes under
  std::string ledger_id;  // the site's ledger
  std::string origin;
};

// Whether DIR is a follower's copy (DIR/REPLICA exists); its figures when it is.
[[nodiscard]] Result<std::optional<ReplicaInfo>> read_replica_info(
    const std::filesystem::path& dir);

// Follower side: one site's copy. Not thread-safe.
class Replica {
 public:
  // Opens the copy in `dir`, or prepares to create it from the site's first batch when `dir`
  // does not exist. `site_key` is the site's checkpoint key at seq 1 (a vkey); an existing
  // copy must have been made for the same site and key. Errors: kInvalidArgument (field
  // "key"), kNotALedger (dir exists and is not a copy), kConflict (a copy of another site or
  // key), and the store's.
  [[nodiscard]] static Result<std::unique_ptr<Replica>> open(const std::filesystem::path& dir,
                                                             std::string site,
                                                             std::string_view site_key,
                                                             std::unique_ptr<StateMachine> machine);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  enum class Outcome {
    kHeld,       // checked and held until the checkpoint that covers it comes
    kWritten,    // with the batches held before it, written and fsynced
    kDuplicate,  // everything in it is already held or written, identically
  };
  struct Offered {
    Outcome outcome = Outcome::kHeld;
    std::uint64_t written = 0;  // records written by this call
  };
  // Checks `batch` and takes it. `position` is the transport's mark for the message after
  // it, stored with the records it completes (so a restarted follower resumes there). A batch
  // that fails any check changes nothing. Errors:
  //   kCorruption     it does not verify: another ledger's, a malformed or non-canonical
  //                   record, a broken chain, a checkpoint not signed by the site's key or
  //                   whose root is not the tree's, or one that covers another size;
  //   kConflict       it differs from a record the copy already holds (a rewrite);
  //   kInvalidState   it starts after the next record expected (a gap), field "first";
  //   kIoError        the copy could not be written (then the copy is as before).
  [[nodiscard]] Result<Offered> offer(const Batch& batch, std::string_view position);

  // The last record written (fsynced) and checkpointed.
  [[nodiscard]] const Head& head() const { return head_; }
  // Records checked and held, not yet covered by a checkpoint.
  [[nodiscard]] std::uint64_t held() const { return held_.size(); }
  // The position stored with the last write ("" before any).
  [[nodiscard]] const std::string& position() const { return position_; }
  // The last checkpoint written ("" before any).
  [[nodiscard]] const std::string& checkpoint() const { return checkpoint_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] bool exists() const { return store_ != nullptr; }
  // The copy's store; only when exists().
  [[nodiscard]] Store& store() { return *store_; }

 private:
  struct HeldRecord {
    std::string bytes;
    crypto::Digest leaf{};
  };
  Replica() = default;
  [[nodiscard]] Result<void> create();
  [[nodiscard]] Result<void> load();
  [[nodiscard]] Result<crypto::Digest> leaf_at(std::uint64_t seq) const;
  [[nodiscard]] Result<std::vector<Redaction>> redactions(const std::vector<RecordFields>& fields,
                                                          std::uint64_t first) const;
  [[nodiscard]] Result<void> write(std::vector<HeldRecord>& records, const MerkleFrontier& tip,
                                   const crypto::NoteVerifier& key, std::string_view checkpoint,
                                   std::string_view position);

  std::filesystem::path dir_;
  std::string site_;
  std::string site_key_;
  std::string ledger_id_;  // "" until the copy exists or a first batch is held
  std::string origin_;
  std::unique_ptr<StateMachine> machine_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<State> state_;
  Head head_;
  MerkleFrontier frontier_;                      // of head_
  std::optional<crypto::NoteVerifier> key_;      // the site's key at head_
  std::vector<HeldRecord> held_;                 // head_.seq+1 .. head_.seq+held_.size()
  MerkleFrontier tip_;                           // of the held records too
  std::optional<crypto::NoteVerifier> tip_key_;  // the site's key after them
  std::string position_;
  std::string checkpoint_;
  std::uint64_t group_ = 0;
};

}  // namespace custody::ledger
