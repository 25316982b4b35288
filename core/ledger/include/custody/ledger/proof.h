// Proofs about the log of one snapshot (RFC 9162 form, custody/crypto/merkle_proof.h):
// that a record is in the tree a checkpoint signed, and that an older checkpoint's tree is a
// prefix of a newer one's. Subtree hashes come from the stored Merkle nodes (levels >=
// kStoredMinLevel) and, below them, from the records themselves, so a proof costs O(log n)
// point reads.
//
// A record's leaf index is its seq - 1; a tree size counts records 1..size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/error.h"
#include "custody/crypto/merkle_proof.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/snapshot.h"

namespace custody::ledger {

struct InclusionProof {
  std::uint64_t seq = 0;
  std::uint64_t tree_size = 0;
  crypto::Digest leaf{};  // the record's hash: SHA-256(0x00 || its leaf bytes)
  crypto::Digest root{};  // the tree head of tree_size records
  std::vector<crypto::Digest> path;
  std::string checkpoint;  // the signed checkpoint note of tree_size; "" when none was signed
};

struct ConsistencyProof {
  std::uint64_t from_size = 0;
  std::uint64_t to_size = 0;
  crypto::Digest from_root{};
  crypto::Digest to_root{};
  std::vector<crypto::Digest> path;
  std::string from_checkpoint;  // signed notes of both sizes; "" where none was signed
  std::string to_checkpoint;
};

// The stored checkpoint note of exactly `size` records, "" when none; the newest one when
// `size` is 0 ("" when the ledger has none).
[[nodiscard]] Result<std::string> checkpoint_note(const Snapshot& snap, std::uint64_t size);

// The snapshot's subtree roots for crypto::inclusion_path and friends: stored nodes high up,
// records' leaves low down. Throws StorageError (use inside reading()). Valid while `snap` is.
[[nodiscard]] crypto::SubtreeFn stored_subtrees(const Snapshot& snap);

// The oldest stored checkpoint note covering at least `size` records ("" when none does).
[[nodiscard]] Result<std::string> first_checkpoint_covering(const Snapshot& snap,
                                                            std::uint64_t size);

// The tree head over records 1..size (size <= head).
[[nodiscard]] Result<crypto::Digest> tree_root(const Snapshot& snap, std::uint64_t size);

// Proves record `seq` is in the tree of `tree_size` records; tree_size 0 means the newest
// signed checkpoint. Errors (kInvalidArgument, field "seq" or "treeSize"): seq 0 or beyond
// the tree, a tree larger than the log; kNotFound (field "treeSize") when tree_size is 0 and
// no checkpoint covers the record yet; kCorruption when the stored tree disagrees with a
// signed checkpoint.
[[nodiscard]] Result<InclusionProof> prove_inclusion(const Snapshot& snap, std::uint64_t seq,
                                                     std::uint64_t tree_size);

// Proves the tree of from_size records is a prefix of the tree of to_size (0: the newest
// signed checkpoint). Errors as above, fields "from" and "to".
[[nodiscard]] Result<ConsistencyProof> prove_consistency(const Snapshot& snap,
                                                         std::uint64_t from_size,
                                                         std::uint64_t to_size);

// The proofs as JSON objects (hashes in lowercase hex, the notes as text), the form the CLI
// prints, the API answers and audit packages hold (docs/audit-package.md):
//   {"type":"inclusion","seq","leafIndex","treeSize","leafHash","rootHash","path":[...],
//    "checkpoint"}
//   {"type":"consistency","fromSize","toSize","fromRoot","toRoot","path":[...],
//    "fromCheckpoint","toCheckpoint"}
void write_json(const InclusionProof& proof, codec::JsonWriter& w);
void write_json(const ConsistencyProof& proof, codec::JsonWriter& w);

}  // namespace custody::ledger
