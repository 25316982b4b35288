#include "custody/ledger/proof.h"

#include <rocksdb/db.h>

#include <cstring>
#include <memory>

#include "custody/common/encoding.h"
#include "custody/crypto/merkle_proof.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/merkle.h"
#include "custody/ledger/record.h"
#include "custody/ledger/store.h"

namespace custody::ledger {
namespace {

Error damaged() {
  return Error::corruption(
      "the stored Merkle nodes do not form the tree of the log; run `custody verify`");
}

// The tree size to prove against: the one asked for, or the newest checkpoint's.
Result<std::uint64_t> resolve_size(const Snapshot& snap, std::uint64_t size, const char* field) {
  if (size > snap.head().seq) {
    return fail(ErrorCode::kInvalidArgument,
                "the log holds " + std::to_string(snap.head().seq) + " records, not " +
                    std::to_string(size),
                field);
  }
  if (size != 0) return size;
  auto note = checkpoint_note(snap, 0);
  if (!note) return std::unexpected(note.error());
  if (note->empty()) {
    return fail(ErrorCode::kNotFound,
                "no checkpoint has been signed yet; `custody checkpoint DIR` signs one", field);
  }
  auto cp = parse_checkpoint_note_unverified(*note);
  if (!cp) return std::unexpected(cp.error());
  return cp->size;
}

// The root of `size` records, checked against that size's signed checkpoint when one exists.
Result<crypto::Digest> checked_root(const Snapshot& snap, std::uint64_t size,
                                    const std::string& note) {
  auto root = tree_root(snap, size);
  if (!root || note.empty()) return root;
  auto cp = parse_checkpoint_note_unverified(note);
  if (!cp) return std::unexpected(cp.error());
  if (cp->size != size || cp->root != *root) {
    return fail(ErrorCode::kCorruption, "the stored tree of " + std::to_string(size) +
                                            " records does not match its signed checkpoint; "
                                            "run `custody verify`");
  }
  return root;
}

void write_path(const std::vector<crypto::Digest>& path, codec::JsonWriter& w) {
  w.key("path").begin_array();
  for (const auto& d : path) w.string(to_hex(d));
  w.end_array();
}

}  // namespace

crypto::SubtreeFn stored_subtrees(const Snapshot& snap) {
  return [&snap](unsigned level, std::uint64_t index) -> crypto::Digest {
    if (level >= kStoredMinLevel) {
      auto v = snap.get(snap.store().cf(Cf::kMerkle), keys::merkle(level, index));
      if (!v || v->size() != 32) {
        throw StorageError(Error::corruption("missing Merkle node at level " +
                                             std::to_string(level) + " index " +
                                             std::to_string(index) + "; run `custody verify`"));
      }
      crypto::Digest d;
      std::memcpy(d.data(), v->data(), 32);
      return d;
    }
    MerkleFrontier sub;
    const std::uint64_t first = (index << level) + 1;
    for (std::uint64_t seq = first; seq < first + (std::uint64_t{1} << level); ++seq) {
      auto bytes = snap.record(seq);
      if (!bytes) throw StorageError(bytes.error());
      auto leaf = record_leaf(*bytes);
      if (!leaf) throw StorageError(leaf.error());
      sub.append(*leaf);
    }
    return sub.root();
  };
}

void write_json(const InclusionProof& proof, codec::JsonWriter& w) {
  w.begin_object().key("type").string("inclusion");
  w.key("seq").uint64(proof.seq).key("leafIndex").uint64(proof.seq - 1);
  w.key("treeSize").uint64(proof.tree_size);
  w.key("leafHash").string(to_hex(proof.leaf)).key("rootHash").string(to_hex(proof.root));
  write_path(proof.path, w);
  w.key("checkpoint").string(proof.checkpoint);
  w.end_object();
}

void write_json(const ConsistencyProof& proof, codec::JsonWriter& w) {
  w.begin_object().key("type").string("consistency");
  w.key("fromSize").uint64(proof.from_size).key("toSize").uint64(proof.to_size);
  w.key("fromRoot").string(to_hex(proof.from_root)).key("toRoot").string(to_hex(proof.to_root));
  write_path(proof.path, w);
  w.key("fromCheckpoint").string(proof.from_checkpoint);
  w.key("toCheckpoint").string(proof.to_checkpoint);
  w.end_object();
}

Result<std::string> checkpoint_note(const Snapshot& snap, std::uint64_t size) {
  return reading([&]() -> Result<std::string> {
    auto* cf = snap.store().cf(Cf::kCheckpoints);
    if (size != 0) return snap.get(cf, be64(size)).value_or(std::string());
    rocksdb::ReadOptions ro;
    ro.snapshot = snap.rocksdb_snapshot();
    std::unique_ptr<rocksdb::Iterator> it(snap.store().db().NewIterator(ro, cf));
    it->SeekToLast();
    if (!it->status().ok()) return std::unexpected(Error::io(it->status().ToString()));
    return it->Valid() ? it->value().ToString() : std::string();
  });
}

Result<std::string> first_checkpoint_covering(const Snapshot& snap, std::uint64_t size) {
  return reading([&]() -> Result<std::string> {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap.rocksdb_snapshot();
    std::unique_ptr<rocksdb::Iterator> it(
        snap.store().db().NewIterator(ro, snap.store().cf(Cf::kCheckpoints)));
    it->Seek(be64(size));
    if (!it->status().ok()) return std::unexpected(Error::io(it->status().ToString()));
    return it->Valid() ? it->value().ToString() : std::string();
  });
}

Result<crypto::Digest> tree_root(const Snapshot& snap, std::uint64_t size) {
  if (size > snap.head().seq) {
    return fail(ErrorCode::kInvalidArgument, "beyond the log's head", "treeSize");
  }
  return reading([&]() -> Result<crypto::Digest> {
    return crypto::range_root(0, size, stored_subtrees(snap));
  });
}

Result<InclusionProof> prove_inclusion(const Snapshot& snap, std::uint64_t seq,
                                       std::uint64_t tree_size) {
  auto size = resolve_size(snap, tree_size, "treeSize");
  if (!size) return std::unexpected(size.error());
  if (seq == 0 || seq > *size) {
    if (tree_size == 0 && seq != 0 && seq <= snap.head().seq) {
      return fail(ErrorCode::kNotFound,
                  "record " + std::to_string(seq) + " is not covered by a signed checkpoint yet",
                  "treeSize");
    }
    return fail(ErrorCode::kInvalidArgument,
                "a seq from 1 to " + std::to_string(*size) + " (the tree's size)", "seq");
  }
  InclusionProof out;
  out.seq = seq;
  out.tree_size = *size;
  auto note = checkpoint_note(snap, *size);
  if (!note) return std::unexpected(note.error());
  out.checkpoint = std::move(*note);
  auto root = checked_root(snap, *size, out.checkpoint);
  if (!root) return std::unexpected(root.error());
  out.root = *root;
  return reading([&]() -> Result<InclusionProof> {
    const auto subtree = stored_subtrees(snap);
    out.leaf = subtree(0, seq - 1);
    out.path = crypto::inclusion_path(seq - 1, *size, subtree);
    // A stored node rewritten behind the ledger's back gives a path that does not lead to
    // the root: report the damage rather than hand out a proof that fails.
    if (!crypto::verify_inclusion(seq - 1, *size, out.leaf, out.path, out.root)) {
      return std::unexpected(damaged());
    }
    return std::move(out);
  });
}

Result<ConsistencyProof> prove_consistency(const Snapshot& snap, std::uint64_t from_size,
                                           std::uint64_t to_size) {
  auto to = resolve_size(snap, to_size, "to");
  if (!to) return std::unexpected(to.error());
  if (from_size > *to) {
    return fail(ErrorCode::kInvalidArgument,
                "the older tree must not be larger than the newer (" + std::to_string(*to) + ")",
                "from");
  }
  ConsistencyProof out;
  out.from_size = from_size;
  out.to_size = *to;
  for (auto [size, note, root] : {std::tuple{from_size, &out.from_checkpoint, &out.from_root},
                                  std::tuple{*to, &out.to_checkpoint, &out.to_root}}) {
    if (size == 0) {  // the empty tree: nothing to sign
      *root = crypto::empty_tree_root();
      continue;
    }
    auto n = checkpoint_note(snap, size);
    if (!n) return std::unexpected(n.error());
    *note = std::move(*n);
    auto r = checked_root(snap, size, *note);
    if (!r) return std::unexpected(r.error());
    *root = *r;
  }
  return reading([&]() -> Result<ConsistencyProof> {
    out.path = crypto::consistency_path(from_size, *to, stored_subtrees(snap));
    if (!crypto::verify_consistency(from_size, *to, out.from_root, out.to_root, out.path)) {
      return std::unexpected(damaged());
    }
    return std::move(out);
  });
}

}  // namespace custody::ledger
