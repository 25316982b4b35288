// Genealogy traversal: which lots a lot went into (forward), and what it came from
// (backward), with the path length and every edge's kind and quantity.
//
// Two implementations answer the same question:
//
//  * GenealogyGraph keeps the whole graph in memory (lots interned to 32-bit ids, per-lot
//    adjacency in append-only chunks). The sequencer thread adds edges as it applies
//    records; readers on any thread traverse without locks and see only edges whose seq is
//    at most their snapshot's head, so a recall reads a consistent state and never blocks
//    appends. Edge quantities are read as of now (a later consumption into the same lot or
//    a correction may have grown them); which lots are reached is exact for the snapshot.
//  * trace_snapshot() walks the genealogy column families of a RocksDB snapshot, one seek
//    per lot: no memory, no load time; what one-shot CLI commands use.
//
// Cycles (a returned lot re-received and reused) are fine: every lot is visited once, at its
// shortest distance.
#pragma once

#include <atomic>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"
#include "custody/ledger/snapshot.h"
#include "schema/projections.capnp.h"

namespace custody::domain {

enum class Direction { kForward, kBackward };

// What a traversal reached. Views point into the graph's names or into `storage`.
struct Trace {
  struct Lot {
    std::string_view lot;
    std::uint32_t depth = 0;  // shortest path length from a start lot (starts: 0)
  };
  struct Edge {
    std::string_view from;  // upstream lot
    std::string_view to;    // downstream lot
    schema::EdgeKind kind = schema::EdgeKind::CONSUMED_INTO;
    std::int64_t qty = 0;  // from's quantity in to, milli-units
  };
  std::vector<Lot> lots;    // breadth-first: the starts, then depth 1, ...
  std::vector<Edge> edges;  // every edge followed, in the direction of travel
  std::deque<std::string> storage;
};

class GenealogyGraph {
 public:
  GenealogyGraph();
  ~GenealogyGraph();
  GenealogyGraph(const GenealogyGraph&) = delete;
  GenealogyGraph& operator=(const GenealogyGraph&) = delete;

  // Builds the graph from a snapshot's genealogy_fwd column family.
  [[nodiscard]] static Result<std::unique_ptr<GenealogyGraph>> load(const ledger::Snapshot& snap);

  // Writer (one thread at a time: the sequencer). Adds the edge, or grows its quantity when
  // it exists; `seq` is the record that made it.
  void add_edge(std::string_view from, std::string_view to, schema::EdgeKind kind, std::int64_t qty,
                std::uint64_t seq);

  // Readers (any thread). Lots not in the graph are still reported, at depth 0, if they are
  // starts. max_depth 0 means unlimited.
  [[nodiscard]] Trace trace(std::span<const std::string> starts, Direction direction,
                            std::uint32_t max_depth, std::uint64_t as_of_seq) const;

  [[nodiscard]] std::size_t lot_count() const;
  [[nodiscard]] std::size_t edge_count() const { return edges_.load(std::memory_order_relaxed); }

 private:
  struct Slot;
  struct Chunk;
  struct Node;
  static constexpr std::size_t kBlockBits = 16;
  static constexpr std::size_t kBlockSize = std::size_t{1} << kBlockBits;
  static constexpr std::size_t kMaxBlocks = 65536;  // 2^32 lots

  std::uint32_t intern(std::string_view name);
  // Loading: no reader can see the graph yet and every (from, to) is new.
  void add_new_edge(std::uint32_t a, std::uint32_t b, schema::EdgeKind kind, std::int64_t qty,
                    std::uint64_t seq);
  [[nodiscard]] std::int64_t find_id(std::string_view name) const;
  [[nodiscard]] const Node& node(std::uint32_t id) const;
  Node& node(std::uint32_t id);
  enum class Side { kOutgoing, kIncoming };
  void append(Node& n, Side side, std::uint32_t other, schema::EdgeKind kind, std::int64_t qty,
              std::uint64_t seq);
  void* allocate(std::size_t bytes);

  // Lots: blocks of nodes that never move; the block table is fixed-size.
  std::unique_ptr<std::atomic<Node*>[]> blocks_;
  std::atomic<std::uint32_t> count_{0};
  std::atomic<std::size_t> edges_{0};
  // Names to ids: readers look starts up under a shared lock, the writer inserts under an
  // exclusive one (microseconds either way).
  mutable std::shared_mutex names_mu_;
  boost::unordered_flat_map<std::string_view, std::uint32_t> ids_;
  // Writer-only arena for chunks and names.
  std::vector<std::unique_ptr<char[]>> arena_;
  std::size_t arena_left_ = 0;
  char* arena_next_ = nullptr;
};

// The same traversal over a snapshot's column families.
[[nodiscard]] Result<Trace> trace_snapshot(const ledger::Snapshot& snap,
                                           std::span<const std::string> starts, Direction direction,
                                           std::uint32_t max_depth);

}  // namespace custody::domain
