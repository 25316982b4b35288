// The Merkle proof verifier (custody-verify, the web UI's check, witnesses): a forged proof
// must never verify. The input chooses a tree size, a leaf or an older size, and a path; the
// verifier may accept only the one true path (RFC 9162 paths are unique for a given tree).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "custody/crypto/merkle_proof.h"

namespace {

using custody::crypto::Digest;

const std::vector<Digest>& leaves() {
  static const std::vector<Digest> out = [] {
    std::vector<Digest> v;
    for (int i = 0; i < 600; ++i) {
      const std::string s = "leaf " + std::to_string(i);
      v.push_back(custody::crypto::leaf_hash(
          std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())));
    }
    return v;
  }();
  return out;
}

Digest subtree(unsigned level, std::uint64_t index) {
  const std::uint64_t begin = index << level;
  std::vector<Digest> level_hashes(leaves().begin() + static_cast<long>(begin),
                                   leaves().begin() + static_cast<long>(begin + (1ull << level)));
  while (level_hashes.size() > 1) {
    std::vector<Digest> up;
    for (std::size_t i = 0; i < level_hashes.size(); i += 2) {
      up.push_back(custody::crypto::node_hash(level_hashes[i], level_hashes[i + 1]));
    }
    level_hashes = std::move(up);
  }
  return level_hashes[0];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const bool consistency = data[0] & 1;
  const std::uint64_t a = (std::uint64_t{data[1]} << 8 | data[2]) % 600;
  const std::uint64_t b = (std::uint64_t{data[3]} << 8 | data[4]) % 600 + 1;
  std::vector<Digest> path;
  for (std::size_t at = 5; at + 32 <= size && path.size() < 70; at += 32) {
    Digest d;
    std::memcpy(d.data(), data + at, 32);
    path.push_back(d);
  }
  // Paths often name real subtrees: a byte after the digests swaps one in.
  if (!path.empty() && size % 32 != 5) {
    const std::uint8_t pick = data[size - 1];
    const unsigned level = pick % 4;
    const std::uint64_t index = (a >> level) ^ 1;
    if (((index + 1) << level) <= leaves().size()) path[pick % path.size()] = subtree(level, index);
  }
  const std::uint64_t size2 = b;
  const Digest root2 = custody::crypto::range_root(0, size2, subtree);
  if (!consistency) {
    const std::uint64_t index = a % size2;
    const Digest leaf = leaves()[index];
    if (custody::crypto::verify_inclusion(index, size2, leaf, path, root2) &&
        path != custody::crypto::inclusion_path(index, size2, subtree)) {
      std::abort();
    }
  } else {
    const std::uint64_t size1 = a % (size2 + 1);
    const Digest root1 = custody::crypto::range_root(0, size1, subtree);
    if (custody::crypto::verify_consistency(size1, size2, root1, root2, path) &&
        path != custody::crypto::consistency_path(size1, size2, subtree)) {
      std::abort();
    }
  }
  return 0;
}
