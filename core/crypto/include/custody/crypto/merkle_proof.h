// Merkle inclusion and consistency proofs in the form of RFC 9162 section 2.1 (the same
// trees as RFC 6962): building them from a tree's subtree hashes, and checking them with
// nothing but SHA-256. The checks are what an auditor's verifier runs; they take no storage
// and no custody type beyond a digest.
//
//   leaf index  the 0-based position of a leaf; custody's record seq N is leaf N - 1
//   tree size   the number of leaves the tree head covers
//   path        sibling hashes from the leaf (or the older tree) up to the root
//
// All functions are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "custody/crypto/sha256.h"

namespace custody::crypto {

// The root of the perfect subtree of 2^level leaves starting at leaf index << level. It may
// throw; the builders below pass the exception on.
using SubtreeFn = std::function<Digest(unsigned level, std::uint64_t index)>;

// MTH(D[begin:end]) for a range that starts on a multiple of the smallest power of two not
// below its length (every range RFC 9162's recursion visits does); the empty tree's root when
// begin == end.
[[nodiscard]] Digest range_root(std::uint64_t begin, std::uint64_t end, const SubtreeFn& subtree);

// PATH(index, D[0:size]); requires index < size.
[[nodiscard]] std::vector<Digest> inclusion_path(std::uint64_t index, std::uint64_t size,
                                                 const SubtreeFn& subtree);

// PROOF(size1, D[0:size2]); requires size1 <= size2. Empty when size1 is 0 or size2.
[[nodiscard]] std::vector<Digest> consistency_path(std::uint64_t size1, std::uint64_t size2,
                                                   const SubtreeFn& subtree);

// RFC 9162 2.1.3.2: does `path` prove that `leaf` is the leaf at `index` of the tree of
// `size` leaves whose root is `root`?
[[nodiscard]] bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Digest& leaf,
                                    std::span<const Digest> path, const Digest& root);

// RFC 9162 2.1.4.2: does `path` prove that the tree of size1 leaves with root1 is a prefix of
// the tree of size2 leaves with root2? Equal sizes need an empty path and equal roots; the
// empty tree (size1 0, root1 SHA-256("")) is a prefix of every tree.
[[nodiscard]] bool verify_consistency(std::uint64_t size1, std::uint64_t size2, const Digest& root1,
                                      const Digest& root2, std::span<const Digest> path);

}  // namespace custody::crypto
