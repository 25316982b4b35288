// Inclusion and consistency proofs: built from subtree hashes, checked against a tree
// computed the slow, obvious way (RFC 9162 2.1.1), and refused when any part is wrong.
#include "custody/crypto/merkle_proof.h"

#include <gtest/gtest.h>

#include <string>

namespace custody::crypto {
namespace {

std::vector<Digest> make_leaves(std::size_t n) {
  std::vector<Digest> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string data = "record " + std::to_string(i);
    out.push_back(
        leaf_hash(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())));
  }
  return out;
}

// MTH(D[begin:end]), recursively.
Digest naive_root(const std::vector<Digest>& leaves, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  if (n == 0) return empty_tree_root();
  if (n == 1) return leaves[begin];
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return node_hash(naive_root(leaves, begin, begin + k), naive_root(leaves, begin + k, end));
}

SubtreeFn subtrees_of(const std::vector<Digest>& leaves) {
  return [&leaves](unsigned level, std::uint64_t index) {
    const std::size_t begin = index << level;
    const std::size_t end = begin + (std::size_t{1} << level);
    if (end > leaves.size()) throw std::out_of_range("subtree beyond the leaves");
    return naive_root(leaves, begin, end);
  };
}

TEST(MerkleProof, RangeRootIsTheTreeHead) {
  const auto leaves = make_leaves(70);
  for (std::size_t n = 0; n <= leaves.size(); ++n) {
    EXPECT_EQ(range_root(0, n, subtrees_of(leaves)), naive_root(leaves, 0, n)) << n;
  }
  EXPECT_THROW((void)range_root(3, 5, subtrees_of(leaves)), std::invalid_argument);
}

TEST(MerkleProof, EveryInclusionProofVerifiesAndOnlyForItsLeaf) {
  const auto leaves = make_leaves(70);
  const auto subtree = subtrees_of(leaves);
  for (std::uint64_t size = 1; size <= leaves.size(); ++size) {
    const Digest root = naive_root(leaves, 0, size);
    for (std::uint64_t i = 0; i < size; ++i) {
      const auto path = inclusion_path(i, size, subtree);
      ASSERT_TRUE(verify_inclusion(i, size, leaves[i], path, root)) << i << " of " << size;
      if (size == 1) continue;
      // Another leaf, another index or another root does not verify.
      const std::uint64_t j = (i + 1) % size;
      EXPECT_FALSE(verify_inclusion(i, size, leaves[j], path, root));
      EXPECT_FALSE(verify_inclusion(j, size, leaves[i], path, root));
      EXPECT_FALSE(verify_inclusion(i, size, leaves[i], path, naive_root(leaves, 0, size - 1)));
    }
  }
}

TEST(MerkleProof, AFlippedBitInAnyProofByteFails) {
  const auto leaves = make_leaves(45);
  const auto subtree = subtrees_of(leaves);
  const Digest root = naive_root(leaves, 0, 45);
  auto path = inclusion_path(21, 45, subtree);
  ASSERT_TRUE(verify_inclusion(21, 45, leaves[21], path, root));
  for (std::size_t n = 0; n < path.size(); ++n) {
    for (std::size_t byte = 0; byte < 32; ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        path[n][byte] ^= static_cast<std::uint8_t>(1u << bit);
        EXPECT_FALSE(verify_inclusion(21, 45, leaves[21], path, root));
        path[n][byte] ^= static_cast<std::uint8_t>(1u << bit);
      }
    }
  }
  auto cpath = consistency_path(13, 45, subtree);
  const Digest old_root = naive_root(leaves, 0, 13);
  ASSERT_TRUE(verify_consistency(13, 45, old_root, root, cpath));
  for (std::size_t n = 0; n < cpath.size(); ++n) {
    for (std::size_t byte = 0; byte < 32; ++byte) {
      cpath[n][byte] ^= 0x10;
      EXPECT_FALSE(verify_consistency(13, 45, old_root, root, cpath));
      cpath[n][byte] ^= 0x10;
    }
  }
}

TEST(MerkleProof, ShortenedLengthenedOrReorderedPathsFail) {
  const auto leaves = make_leaves(33);
  const auto subtree = subtrees_of(leaves);
  const Digest root = naive_root(leaves, 0, 33);
  auto path = inclusion_path(5, 33, subtree);
  ASSERT_GE(path.size(), 3u);
  auto shorter = path;
  shorter.pop_back();
  EXPECT_FALSE(verify_inclusion(5, 33, leaves[5], shorter, root));
  auto longer = path;
  longer.push_back(root);
  EXPECT_FALSE(verify_inclusion(5, 33, leaves[5], longer, root));
  auto swapped = path;
  std::swap(swapped[0], swapped[1]);
  EXPECT_FALSE(verify_inclusion(5, 33, leaves[5], swapped, root));
  // A leaf outside the tree cannot be proven, whatever the path.
  EXPECT_FALSE(verify_inclusion(33, 33, leaves[5], path, root));
  EXPECT_THROW((void)inclusion_path(33, 33, subtree), std::invalid_argument);
}

TEST(MerkleProof, EveryConsistencyProofVerifiesAndOnlyForItsTrees) {
  const auto leaves = make_leaves(40);
  const auto subtree = subtrees_of(leaves);
  for (std::uint64_t size2 = 1; size2 <= leaves.size(); ++size2) {
    const Digest root2 = naive_root(leaves, 0, size2);
    for (std::uint64_t size1 = 0; size1 <= size2; ++size1) {
      const Digest root1 = naive_root(leaves, 0, size1);
      const auto path = consistency_path(size1, size2, subtree);
      ASSERT_TRUE(verify_consistency(size1, size2, root1, root2, path)) << size1 << " -> " << size2;
      if (size1 == 0 || size1 == size2) continue;
      // A different older tree (another history) is not proven a prefix.
      auto other = leaves;
      other[size1 - 1][0] ^= 1;
      EXPECT_FALSE(verify_consistency(size1, size2, naive_root(other, 0, size1), root2, path));
      // Nor is the newer tree with a changed leaf after the older one.
      other = leaves;
      other[size2 - 1][0] ^= 1;
      EXPECT_FALSE(verify_consistency(size1, size2, root1, naive_root(other, 0, size2), path));
      // Nor a smaller older tree with the same proof. (The sizes themselves are bound by the
      // signed checkpoints that carry each root, not by the proof.)
      if (size1 > 1) {
        EXPECT_FALSE(
            verify_consistency(size1 - 1, size2, naive_root(leaves, 0, size1 - 1), root2, path));
      }
    }
  }
  EXPECT_FALSE(verify_consistency(5, 4, naive_root(leaves, 0, 5), naive_root(leaves, 0, 4), {}));
  EXPECT_FALSE(verify_consistency(3, 5, naive_root(leaves, 0, 3), naive_root(leaves, 0, 5), {}));
  EXPECT_FALSE(verify_consistency(0, 5, naive_root(leaves, 0, 1), naive_root(leaves, 0, 5), {}));
}

}  // namespace
}  // namespace custody::crypto
