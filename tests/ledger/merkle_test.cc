// The Merkle frontier against RFC 6962 reference roots and a naive recursive tree.
#include "custody/ledger/merkle.h"

#include <gtest/gtest.h>

#include <random>

#include "custody/common/encoding.h"

namespace custody::ledger {
namespace {

using crypto::Digest;

std::vector<Digest> reference_leaves() {
  const std::vector<std::string> hex = {"",
                                        "00",
                                        "10",
                                        "2021",
                                        "3031",
                                        "40414243",
                                        "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f"};
  std::vector<Digest> out;
  for (const auto& h : hex) out.push_back(crypto::leaf_hash(as_bytes(*from_hex(h))));
  return out;
}

// MTH from RFC 6962 section 2.1, written the slow, obvious way.
Digest naive_root(const std::vector<Digest>& leaves, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  if (n == 0) return crypto::empty_tree_root();
  if (n == 1) return leaves[begin];
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return crypto::node_hash(naive_root(leaves, begin, begin + k),
                           naive_root(leaves, begin + k, end));
}

TEST(MerkleFrontier, MatchesRfc6962ReferenceRoots) {
  const std::vector<std::string> roots = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  MerkleFrontier f;
  EXPECT_EQ(to_hex(f.root()), roots[0]);
  const auto leaves = reference_leaves();
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    f.append(leaves[i]);
    EXPECT_EQ(to_hex(f.root()), roots[i + 1]) << "size " << i + 1;
  }
}

TEST(MerkleFrontier, EqualsNaiveTreeAndReportsEveryCompletedNode) {
  std::mt19937 rng(7);
  std::vector<Digest> leaves;
  MerkleFrontier f;
  for (int i = 0; i < 300; ++i) {
    Digest d{};
    for (auto& b : d) b = static_cast<std::uint8_t>(rng());
    leaves.push_back(d);
    f.append(d, [&](const MerkleFrontier::Node& node) {
      // A completed node at (level, index) is the root of leaves [index<<level, +2^level).
      const std::size_t first = node.index << node.level;
      const std::size_t width = std::size_t{1} << node.level;
      ASSERT_LE(first + width, leaves.size());
      EXPECT_EQ(node.hash, naive_root(leaves, first, first + width));
    });
    ASSERT_EQ(f.root(), naive_root(leaves, 0, leaves.size())) << "size " << leaves.size();
  }
}

TEST(MerkleFrontier, RebuildsFromSubtreeRoots) {
  std::mt19937 rng(11);
  for (std::uint64_t size : {1u, 2u, 5u, 16u, 17u, 100u, 255u, 256u, 1000u}) {
    std::vector<Digest> leaves(size);
    MerkleFrontier f;
    for (auto& d : leaves) {
      for (auto& b : d) b = static_cast<std::uint8_t>(rng());
      f.append(d);
    }
    std::vector<Digest> roots;
    for (const auto& pos : frontier_positions(size)) {
      roots.push_back(naive_root(leaves, pos.index << pos.level, (pos.index + 1) << pos.level));
    }
    MerkleFrontier rebuilt(size, roots);
    EXPECT_EQ(rebuilt.root(), f.root());
    Digest next{};
    next[0] = 42;
    f.append(next);
    rebuilt.append(next);
    EXPECT_EQ(rebuilt.root(), f.root()) << "size " << size;
  }
}

}  // namespace
}  // namespace custody::ledger
