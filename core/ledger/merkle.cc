#include "custody/ledger/merkle.h"

#include <bit>
#include <stdexcept>

namespace custody::ledger {

MerkleFrontier::MerkleFrontier(std::uint64_t size, std::vector<Digest> roots) : size_(size) {
  auto positions = frontier_positions(size);
  if (positions.size() != roots.size()) {
    throw std::invalid_argument("frontier roots do not match the tree size");
  }
  for (std::size_t i = 0; i < roots.size(); ++i) positions[i].hash = roots[i];
  nodes_ = std::move(positions);
}

Digest MerkleFrontier::root() const {
  if (nodes_.empty()) return crypto::empty_tree_root();
  Digest acc = nodes_.back().hash;
  for (auto it = nodes_.rbegin() + 1; it != nodes_.rend(); ++it) {
    acc = crypto::node_hash(it->hash, acc);
  }
  return acc;
}

std::vector<MerkleFrontier::Node> frontier_positions(std::uint64_t size) {
  std::vector<MerkleFrontier::Node> out;
  std::uint64_t covered = 0;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t width = std::uint64_t{1} << level;
    if (size & width) {
      out.push_back({static_cast<unsigned>(level), covered >> level, {}});
      covered += width;
    }
  }
  return out;
}

}  // namespace custody::ledger
