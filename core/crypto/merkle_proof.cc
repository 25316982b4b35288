#include "custody/crypto/merkle_proof.h"

#include <bit>
#include <stdexcept>

namespace custody::crypto {
namespace {

// The largest power of two below n (n >= 2).
std::uint64_t split_point(std::uint64_t n) {
  return std::bit_floor(n - 1);
}

void path_of(std::uint64_t index, std::uint64_t begin, std::uint64_t end, const SubtreeFn& subtree,
             std::vector<Digest>& out) {
  const std::uint64_t n = end - begin;
  if (n <= 1) return;
  const std::uint64_t k = split_point(n);
  if (index < k) {
    path_of(index, begin, begin + k, subtree, out);
    out.push_back(range_root(begin + k, end, subtree));
  } else {
    path_of(index - k, begin + k, end, subtree, out);
    out.push_back(range_root(begin, begin + k, subtree));
  }
}

// SUBPROOF(m, D[begin:end], whole): m leaves of the older tree lie in this range.
void subproof_of(std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool whole,
                 const SubtreeFn& subtree, std::vector<Digest>& out) {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(range_root(begin, end, subtree));
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    subproof_of(m, begin, begin + k, whole, subtree, out);
    out.push_back(range_root(begin + k, end, subtree));
  } else {
    subproof_of(m - k, begin + k, end, false, subtree, out);
    out.push_back(range_root(begin, begin + k, subtree));
  }
}

// Right-shifts fn and sn together until fn's lowest bit is set or fn is 0.
void shift_to_set_bit(std::uint64_t& fn, std::uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Digest range_root(std::uint64_t begin, std::uint64_t end, const SubtreeFn& subtree) {
  if (end < begin) throw std::invalid_argument("range_root: end before begin");
  if (begin == end) return empty_tree_root();
  if (begin % std::bit_ceil(end - begin) != 0) {
    throw std::invalid_argument("range_root: range not aligned as in the tree");
  }
  // The perfect subtrees tiling the range, largest first, folded from the right.
  std::vector<Digest> parts;
  std::uint64_t at = begin;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t width = std::uint64_t{1} << level;
    if ((end - begin) & width) {
      parts.push_back(subtree(static_cast<unsigned>(level), at >> level));
      at += width;
    }
  }
  Digest acc = parts.back();
  for (auto it = parts.rbegin() + 1; it != parts.rend(); ++it) acc = node_hash(*it, acc);
  return acc;
}

std::vector<Digest> inclusion_path(std::uint64_t index, std::uint64_t size,
                                   const SubtreeFn& subtree) {
  if (index >= size) throw std::invalid_argument("inclusion_path: leaf index beyond the tree");
  std::vector<Digest> out;
  path_of(index, 0, size, subtree, out);
  return out;
}

std::vector<Digest> consistency_path(std::uint64_t size1, std::uint64_t size2,
                                     const SubtreeFn& subtree) {
  if (size1 > size2) throw std::invalid_argument("consistency_path: older tree is larger");
  std::vector<Digest> out;
  if (size1 == 0 || size1 == size2) return out;
  subproof_of(size1, 0, size2, true, subtree, out);
  return out;
}

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Digest& leaf,
                      std::span<const Digest> path, const Digest& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Digest r = leaf;
  for (const Digest& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      shift_to_set_bit(fn, sn);
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verify_consistency(std::uint64_t size1, std::uint64_t size2, const Digest& root1,
                        const Digest& root2, std::span<const Digest> path) {
  if (size1 > size2) return false;
  if (size1 == size2) return path.empty() && root1 == root2;
  if (size1 == 0) return path.empty() && root1 == empty_tree_root();
  if (path.empty()) return false;
  // When the older tree is a perfect subtree, its root is the proof's implied first node.
  std::vector<Digest> nodes;
  nodes.reserve(path.size() + 1);
  if (std::has_single_bit(size1)) nodes.push_back(root1);
  nodes.insert(nodes.end(), path.begin(), path.end());

  std::uint64_t fn = size1 - 1;
  std::uint64_t sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = nodes[0];
  Digest sr = nodes[0];
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    const Digest& c = nodes[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      shift_to_set_bit(fn, sn);
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == root1 && sr == root2;
}

}  // namespace custody::crypto
