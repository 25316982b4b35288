// Genealogy traversal: which lots a lot went into (forward), and what it came from
// (backward), with the path length and every edge's kind and quantity. The graph also keeps
// every lot's recall facts (lot_table.h), so that a recall report reads no lot projection.
//
// Two implementations answer the same question:
//
//  * GenealogyGraph keeps the whole graph in memory: lots interned to 29-bit ids, the edges
//    of its load in compressed-sparse-row arrays, and edges added later in per-lot
//    append-only chunks; about 20 bytes per edge and 40 per lot besides its name. The
//    sequencer thread adds edges as it applies records; readers on any thread traverse
//    without locks and see only edges whose seq is at most their snapshot's head, so a recall
//    reads a consistent state and never blocks appends. Edge quantities are read as of now (a
//    later consumption into the same lot or a correction may have grown them); which lots
//    are reached is exact for the snapshot.
//  * trace_snapshot() walks the genealogy column families of a RocksDB snapshot, one batched
//    point read of the lots' adjacency values per level (genealogy_out, genealogy_in): no
//    memory, no load time; what one-shot CLI commands use.
//
// Cycles (a returned lot re-received and reused) are fine: every lot is visited once, at its
// shortest distance.
#pragma once

#include <atomic>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"
#include "custody/domain/lot_table.h"
#include "custody/ledger/snapshot.h"
#include "schema/projections.capnp.h"

namespace custody::domain {

enum class Direction { kForward, kBackward };

// What a traversal reached. Views point into the graph's names or into `storage`.
struct Trace {
  static constexpr std::uint32_t kNoId = UINT32_MAX;
  struct Lot {
    std::string_view lot;
    std::uint32_t depth = 0;   // shortest path length from a start lot (starts: 0)
    std::uint32_t id = kNoId;  // the graph's id for it (kNoId: not from a graph)
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

  // Builds the graph from a snapshot's genealogy_fwd column family, and, with `lots`, its lot
  // table from the lot projections (else the table stays empty and set_lot does nothing).
  [[nodiscard]] static Result<std::unique_ptr<GenealogyGraph>> load(const ledger::Snapshot& snap,
                                                                    bool lots = true);

  // What a saved graph was built from besides the log: the projection code's version and
  // the projection generation (a rebuild makes a new one). Any change makes the file stale.
  [[nodiscard]] static std::uint64_t projections_stamp(std::uint32_t version,
                                                       std::uint64_t generation) {
    return std::uint64_t{version} << 40 | (generation & ((std::uint64_t{1} << 40) - 1));
  }
  // The graph as `save` wrote it, when it was saved at `head` from the same `projections`;
  // nullptr when there is no such file or it was saved at another head or from other
  // projections, or without the lot table that `lots` asks for (it is stale). kCorruption
  // when the file is damaged (its checksum, its sizes, its ids).
  [[nodiscard]] static Result<std::unique_ptr<GenealogyGraph>> load_saved(
      const std::filesystem::path& file, const ledger::Head& head, std::uint64_t projections,
      bool lots = true);
  // The head `file` was saved at, when it holds a graph of the same `projections`; nullopt
  // when there is no file or it holds other projections. A host whose log holds that record
  // (the same leaf at that seq) loads it with load_saved and then applies the records after it.
  // kCorruption when its header is damaged.
  [[nodiscard]] static Result<std::optional<ledger::Head>> saved_head(
      const std::filesystem::path& file, std::uint64_t projections);
  // Writes the whole graph to `file`, stamped with `head` and `projections`: a temporary file
  // beside it, fsynced, renamed over it. Writer only, with no edge added after `head` (see
  // last_seq()).
  [[nodiscard]] Result<void> save(const std::filesystem::path& file, const ledger::Head& head,
                                  std::uint64_t projections);

  // A save beside the writer (a host's save at checkpoints; plant.h). The writer marks the
  // graph when it holds exactly the records up to `head`; save_marked() then writes the graph
  // as it was at the mark, on any thread, while the writer goes on adding lots and edges.
  // Lots and edges added after the mark are left out by their ids; an edge that grows after
  // the mark is saved at its quantity then (the writer keeps that quantity the first time it
  // grows one); lot facts rewritten after it are left out (LotTable::save). One save per mark,
  // and one at a time: mark again only after the last save_marked has returned.
  class Mark;
  [[nodiscard]] std::shared_ptr<const Mark> mark(const ledger::Head& head);
  // Writer: ends the last mark without a save (its save could not start).
  void unmark() { mark_.reset(); }
  // kUnavailable, with the file left as it was, when `stop` is requested before it is
  // written; kIoError when it cannot be written.
  [[nodiscard]] Result<void> save_marked(const Mark& mark, const std::filesystem::path& file,
                                         std::uint64_t projections,
                                         std::stop_token stop = {}) const;
  // Whether the graph was read from a saved file and nothing was added since (saving it
  // again would write the same file).
  [[nodiscard]] bool unchanged_since_saved() const { return from_saved_ && last_seq_ == 0; }
  // Whether the graph was read from a saved file (else from the genealogy family).
  [[nodiscard]] bool from_saved() const { return from_saved_; }

  // Writer (one thread at a time: the sequencer). Adds the edge, or grows its quantity when
  // it exists; `seq` is the record that made it.
  void add_edge(std::string_view from, std::string_view to, schema::EdgeKind kind, std::int64_t qty,
                std::uint64_t seq);
  // Writer. Lot `lot`'s projection as record `seq` wrote it.
  void set_lot(std::string_view lot, const LotFacts& facts, std::uint64_t seq);
  // Writer. Between these two, the records applied are a tail replayed against projections
  // later than each of them (ledger/rebuild.h apply_records_after), so what they write of a
  // lot is not what it was after the record: the lots they touch are forgotten as they are
  // touched, and end_tail() reads them again from `snap`, the projections at the tail's end.
  void begin_tail();
  [[nodiscard]] Result<void> end_tail(const ledger::Snapshot& snap);

  // Readers (any thread). Lots not in the graph are still reported, at depth 0, if they are
  // starts. max_depth 0 means unlimited. The graph keeps no seq for the edges it loaded, so
  // it answers only as of its load or later: `as_of_seq` must be at least base_seq() (every
  // snapshot taken after the load is).
  [[nodiscard]] Trace trace(std::span<const std::string> starts, Direction direction,
                            std::uint32_t max_depth, std::uint64_t as_of_seq) const;

  // The head seq of the snapshot the graph was loaded from.
  [[nodiscard]] std::uint64_t base_seq() const { return base_seq_; }
  // The highest seq add_edge was given since the load (0: none). Writer only.
  [[nodiscard]] std::uint64_t last_seq() const { return last_seq_; }
  [[nodiscard]] std::size_t lot_count() const;
  // The lots' recall facts, by the ids a Trace gives (Trace::Lot::id); empty without them.
  [[nodiscard]] const LotTable& lots() const { return *lots_; }
  [[nodiscard]] bool keeps_lots() const { return keeps_lots_; }
  [[nodiscard]] std::size_t edge_count() const { return edges_.load(std::memory_order_relaxed); }
  // What the graph holds in memory (the writer's view; approximate while it grows).
  [[nodiscard]] std::size_t memory_bytes() const;

 private:
  // Lot ids take the low 29 bits of an adjacency word, the edge kind the top 3.
  static constexpr unsigned kIdBits = 29;
  static constexpr std::uint32_t kIdMask = (std::uint32_t{1} << kIdBits) - 1;
  static constexpr std::size_t kBlockBits = 16;
  static constexpr std::size_t kBlockSize = std::size_t{1} << kBlockBits;
  static constexpr std::size_t kMaxBlocks = std::size_t{1} << (kIdBits - kBlockBits);
  static constexpr std::size_t kMaxEdgeBlocks = std::size_t{1} << (32 - kBlockBits);

  struct Node;
  struct Entry {
    std::uint32_t word;  // the other lot | kind << kIdBits
    std::uint32_t edge;  // its index in the edge table
  };
  struct Chunk;
  class Arena;
  // The name table holds 4-byte refs to names in the arena, each stored with its lot's id.
  struct NameHash {
    using is_transparent = void;
    const GenealogyGraph* graph;
    std::size_t operator()(std::string_view name) const;
    std::size_t operator()(std::uint32_t ref) const { return (*this)(graph->name_at(ref)); }
  };
  struct NameEq {
    using is_transparent = void;
    const GenealogyGraph* graph;
    bool operator()(std::uint32_t a, std::uint32_t b) const { return a == b; }
    bool operator()(std::string_view a, std::uint32_t b) const { return a == graph->name_at(b); }
    bool operator()(std::uint32_t a, std::string_view b) const { return graph->name_at(a) == b; }
  };

  std::uint32_t intern(std::string_view name);
  [[nodiscard]] std::int64_t find_id(std::string_view name) const;
  [[nodiscard]] std::string_view name(std::uint32_t id) const;
  [[nodiscard]] std::string_view name_at(std::uint32_t ref) const;
  [[nodiscard]] std::uint32_t id_at(std::uint32_t ref) const;
  [[nodiscard]] const Node& node(std::uint32_t id) const;
  Node& node(std::uint32_t id);
  [[nodiscard]] std::atomic<std::int64_t>& qty(std::uint32_t edge) const;
  [[nodiscard]] std::uint64_t seq(std::uint32_t edge) const;
  std::uint32_t new_edge(std::int64_t qty, std::uint64_t seq);
  void append(std::atomic<std::uint32_t>& head, Entry entry);
  // Calls fn(word, edge) for lot u's edges one way, loaded or added later, while it returns
  // true; false when fn stopped it.
  template <typename F>
  bool each_edge(std::uint32_t u, Direction direction, F&& fn) const;
  // Calls fn(from, word, edge) for every edge of lots [0, lots) below edge `edges`, loaded or
  // added later (the graph at a mark).
  template <typename F>
  void for_each_edge(std::uint32_t lots, std::size_t edges, F&& fn) const;
  // Writer: before edge `edge` grows, keeps its quantity for a save at the mark.
  void keep_for_mark(std::uint32_t edge);
  void build_base(const std::vector<std::uint32_t>& from,
                  const std::vector<std::uint32_t>& to_words,
                  const std::vector<std::int64_t>& qtys);

  // Lots: blocks of nodes that never move; the block table is fixed-size.
  std::unique_ptr<std::atomic<Node*>[]> blocks_;
  std::atomic<std::uint32_t> count_{0};
  std::unique_ptr<Arena> arena_;  // names and the adjacency chunks of edges added later
  // Names to ids: readers look starts up under a shared lock, the writer inserts under an
  // exclusive one (microseconds either way).
  mutable std::shared_mutex names_mu_;
  boost::unordered_flat_set<std::uint32_t, NameHash, NameEq> names_;

  // The edges the load found, in compressed-sparse-row form: lot u's outgoing edges are
  // out_words_[out_begin_[u] .. out_begin_[u + 1]) and their index in the edge table is
  // their position there; its incoming ones are in_[in_begin_[u] .. in_begin_[u + 1]).
  // Immutable after the load.
  std::uint64_t base_seq_ = 0;
  std::uint64_t last_seq_ = 0;
  bool from_saved_ = false;
  std::uint32_t base_lots_ = 0;
  std::uint32_t base_edges_ = 0;
  std::vector<std::uint32_t> out_begin_, in_begin_;
  std::vector<std::uint32_t> out_words_;
  std::vector<Entry> in_;

  // The edge table, in blocks that never move: every edge's quantity (grown in place), and
  // the seq of each edge added after the load.
  std::unique_ptr<std::atomic<std::atomic<std::int64_t>*>[]> qty_blocks_;
  std::unique_ptr<std::atomic<std::uint64_t*>[]> seq_blocks_;
  std::atomic<std::size_t> edges_{0};

  std::unique_ptr<LotTable> lots_;
  bool keeps_lots_ = true;
  // The mark of the last save beside the writer, while that save may still read (save_marked).
  // Writer only.
  std::shared_ptr<Mark> mark_;
  // While a tail is replayed: the lots it touched. Writer only.
  bool in_tail_ = false;
  std::vector<std::uint32_t> tail_lots_;
};

// The same traversal over a snapshot's column families.
[[nodiscard]] Result<Trace> trace_snapshot(const ledger::Snapshot& snap,
                                           std::span<const std::string> starts, Direction direction,
                                           std::uint32_t max_depth);

}  // namespace custody::domain
