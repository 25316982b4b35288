// An RFC 6962 / RFC 9162 Merkle tree over the log, kept as its frontier: the roots of the
// perfect subtrees that tile leaves [0, size), largest first (one per set bit of size).
// Appending a leaf merges equal-height subtrees; each merge completes one interior node,
// which the sequencer persists (levels >= kStoredMinLevel) for O(log n) proofs and for
// rebuilding the frontier at open. Memory is O(log n).
//
// Not thread-safe: owned by the sequencer thread or a verifier.
#pragma once

#include <cstdint>
#include <vector>

#include "custody/crypto/sha256.h"

namespace custody::ledger {

using crypto::Digest;

// Interior nodes at this level and above are stored in the `merkle` column family; the
// ones below are recomputed from at most 2^kStoredMinLevel - 1 records when needed.
inline constexpr unsigned kStoredMinLevel = 4;

class MerkleFrontier {
 public:
  struct Node {
    unsigned level;       // 0 = leaf; a node at level L covers 2^L leaves
    std::uint64_t index;  // position among the nodes of its level, from 0
    Digest hash;
  };

  MerkleFrontier() = default;
  // Rebuilds a frontier from the roots of its subtrees, largest first; `roots` must hold one
  // digest per set bit of `size`.
  MerkleFrontier(std::uint64_t size, std::vector<Digest> roots);

  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] const std::vector<Node>& nodes() const { return nodes_; }

  // Appends a leaf hash; calls on_complete(const Node&) for every node this completes, the
  // leaf itself (level 0) first, then each merged parent bottom-up.
  template <typename OnComplete>
  void append(const Digest& leaf, OnComplete&& on_complete) {
    nodes_.push_back(Node{0, size_, leaf});
    on_complete(nodes_.back());
    while (nodes_.size() >= 2 && nodes_[nodes_.size() - 2].level == nodes_.back().level) {
      const Node right = nodes_.back();
      nodes_.pop_back();
      Node& left = nodes_.back();
      left.hash = crypto::node_hash(left.hash, right.hash);
      left.level += 1;
      left.index >>= 1;
      on_complete(left);
    }
    ++size_;
  }
  void append(const Digest& leaf) {
    append(leaf, [](const Node&) {});
  }

  // The tree head of the current size (SHA-256("") when empty).
  [[nodiscard]] Digest root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Node> nodes_;
};

// For a tree of `size` leaves, the (level, index) of each frontier subtree, largest first.
[[nodiscard]] std::vector<MerkleFrontier::Node> frontier_positions(std::uint64_t size);

}  // namespace custody::ledger
