#include "custody/domain/genealogy.h"

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "custody/codec/capnp_util.h"
#include "custody/domain/projections.h"

namespace custody::domain {

// Bytes in 4-byte units, addressed by 32-bit refs (block << kUnitBits | unit) in blocks that
// never move: lot names (length-prefixed) and adjacency chunks. Ref 0 is "none". The writer
// allocates; readers turn refs into pointers.
class GenealogyGraph::Arena {
 public:
  static constexpr unsigned kUnitBits = 20;  // 4 MiB blocks
  static constexpr std::size_t kUnits = std::size_t{1} << kUnitBits;
  static constexpr std::size_t kMaxBlocks = std::size_t{1} << (32 - kUnitBits);

  Arena() : blocks_(new std::atomic<std::uint32_t*>[kMaxBlocks]) {
    for (std::size_t i = 0; i < kMaxBlocks; ++i) blocks_[i].store(nullptr);
  }
  ~Arena() {
    for (std::size_t i = 0; i < kMaxBlocks && blocks_[i].load() != nullptr; ++i) {
      delete[] blocks_[i].load();
    }
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  std::uint32_t allocate(std::size_t bytes) {
    const std::size_t units = (bytes + 3) / 4;
    if (units > kUnits) throw std::length_error("genealogy graph: an allocation beyond 4 MiB");
    if (blocks_[block_].load(std::memory_order_relaxed) == nullptr || used_ + units > kUnits) {
      if (blocks_[block_].load(std::memory_order_relaxed) != nullptr) ++block_;
      if (block_ == kMaxBlocks) throw std::length_error("genealogy graph: arena full");
      blocks_[block_].store(new std::uint32_t[kUnits], std::memory_order_release);
      used_ = block_ == 0 ? 1 : 0;  // ref 0 stays "none"
    }
    const auto ref = static_cast<std::uint32_t>(block_ << kUnitBits | used_);
    used_ += units;
    return ref;
  }

  [[nodiscard]] std::size_t bytes() const {
    std::size_t n = kMaxBlocks * sizeof(blocks_[0]);
    for (std::size_t i = 0; i < kMaxBlocks && blocks_[i].load() != nullptr; ++i) n += kUnits * 4;
    return n;
  }

  template <typename T>
  [[nodiscard]] T* at(std::uint32_t ref) const {
    std::uint32_t* block = blocks_[ref >> kUnitBits].load(std::memory_order_acquire);
    return reinterpret_cast<T*>(block + (ref & (kUnits - 1)));
  }

 private:
  std::unique_ptr<std::atomic<std::uint32_t*>[]> blocks_;
  std::size_t block_ = 0;
  std::size_t used_ = 0;
};

struct GenealogyGraph::Node {
  std::atomic<std::uint32_t> out{0};  // first chunk of edges added after the load (0: none)
  std::atomic<std::uint32_t> in{0};
  std::uint32_t name = 0;  // arena ref: the length, then the bytes
};

// A chunk of adjacency entries of edges added after the load. Readers read `count`
// (acquire) and then the entries below it. In a list's first chunk, `last` is the chunk the
// writer appends to (writer only).
struct GenealogyGraph::Chunk {
  std::atomic<std::uint32_t> count;
  std::uint32_t capacity;
  std::atomic<std::uint32_t> next;
  std::uint32_t last;
  Entry entries[1];  // `capacity` of them
};

std::size_t GenealogyGraph::NameHash::operator()(std::string_view name) const {
  return boost::hash<std::string_view>()(name);
}

GenealogyGraph::GenealogyGraph()
    : blocks_(new std::atomic<Node*>[kMaxBlocks]),
      arena_(std::make_unique<Arena>()),
      ids_(0, NameHash{this}, NameEq{this}),
      qty_blocks_(new std::atomic<std::atomic<std::int64_t>*>[kMaxEdgeBlocks]),
      seq_blocks_(new std::atomic<std::uint64_t*>[kMaxEdgeBlocks]) {
  for (std::size_t i = 0; i < kMaxBlocks; ++i) blocks_[i].store(nullptr, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kMaxEdgeBlocks; ++i) {
    qty_blocks_[i].store(nullptr, std::memory_order_relaxed);
    seq_blocks_[i].store(nullptr, std::memory_order_relaxed);
  }
}

GenealogyGraph::~GenealogyGraph() {
  for (std::size_t i = 0; i < kMaxBlocks && blocks_[i].load() != nullptr; ++i) {
    delete[] blocks_[i].load();
  }
  for (std::size_t i = 0; i < kMaxEdgeBlocks; ++i) {
    delete[] qty_blocks_[i].load();
    delete[] seq_blocks_[i].load();
  }
}

const GenealogyGraph::Node& GenealogyGraph::node(std::uint32_t id) const {
  return blocks_[id >> kBlockBits].load(std::memory_order_acquire)[id & (kBlockSize - 1)];
}

GenealogyGraph::Node& GenealogyGraph::node(std::uint32_t id) {
  return blocks_[id >> kBlockBits].load(std::memory_order_relaxed)[id & (kBlockSize - 1)];
}

std::string_view GenealogyGraph::name(std::uint32_t id) const {
  const auto* p = arena_->at<const std::uint32_t>(node(id).name);
  return {reinterpret_cast<const char*>(p + 1), *p};
}

std::atomic<std::int64_t>& GenealogyGraph::qty(std::uint32_t edge) const {
  return qty_blocks_[edge >> kBlockBits].load(std::memory_order_acquire)[edge & (kBlockSize - 1)];
}

std::uint64_t GenealogyGraph::seq(std::uint32_t edge) const {
  if (edge < base_edges_) return base_seq_;  // loaded: at or before the load
  return seq_blocks_[edge >> kBlockBits].load(std::memory_order_acquire)[edge & (kBlockSize - 1)];
}

std::size_t GenealogyGraph::lot_count() const {
  return count_.load(std::memory_order_acquire);
}

std::size_t GenealogyGraph::memory_bytes() const {
  std::size_t n = kMaxBlocks * sizeof(blocks_[0]) + kMaxEdgeBlocks * 2 * sizeof(qty_blocks_[0]);
  for (std::size_t i = 0; i < kMaxBlocks && blocks_[i].load() != nullptr; ++i) {
    n += kBlockSize * sizeof(Node);
  }
  for (std::size_t i = 0; i < kMaxEdgeBlocks; ++i) {
    if (qty_blocks_[i].load() != nullptr) n += kBlockSize * sizeof(std::int64_t);
    if (seq_blocks_[i].load() != nullptr) n += kBlockSize * sizeof(std::uint64_t);
  }
  n += arena_->bytes();
  {
    std::shared_lock lock(names_mu_);
    n += ids_.bucket_count() * (sizeof(std::uint32_t) + 1);  // a slot and its metadata byte
  }
  n += (out_begin_.capacity() + in_begin_.capacity() + out_words_.capacity()) *
           sizeof(std::uint32_t) +
       in_.capacity() * sizeof(Entry);
  return n;
}

std::int64_t GenealogyGraph::find_id(std::string_view name) const {
  std::shared_lock lock(names_mu_);
  auto it = ids_.find(name);
  return it == ids_.end() ? -1 : static_cast<std::int64_t>(*it);
}

std::uint32_t GenealogyGraph::intern(std::string_view name) {
  {
    std::shared_lock lock(names_mu_);  // the writer is the only inserter: a shared look is enough
    if (auto it = ids_.find(name); it != ids_.end()) return *it;
  }
  const std::uint32_t id = count_.load(std::memory_order_relaxed);
  if (id > kIdMask) throw std::length_error("genealogy graph: more than 2^29 lots");
  const std::size_t block = id >> kBlockBits;
  if (blocks_[block].load(std::memory_order_relaxed) == nullptr) {
    blocks_[block].store(new Node[kBlockSize], std::memory_order_release);
  }
  const std::uint32_t ref = arena_->allocate(sizeof(std::uint32_t) + name.size());
  auto* p = arena_->at<std::uint32_t>(ref);
  *p = static_cast<std::uint32_t>(name.size());
  std::memcpy(p + 1, name.data(), name.size());
  node(id).name = ref;
  {
    std::unique_lock lock(names_mu_);
    ids_.insert(id);
  }
  count_.store(id + 1, std::memory_order_release);
  return id;
}

std::uint32_t GenealogyGraph::new_edge(std::int64_t q, std::uint64_t s) {
  const std::size_t e = edges_.load(std::memory_order_relaxed);
  if (e >= std::size_t{1} << 32) throw std::length_error("genealogy graph: more than 2^32 edges");
  const std::size_t block = e >> kBlockBits;
  if (qty_blocks_[block].load(std::memory_order_relaxed) == nullptr) {
    qty_blocks_[block].store(new std::atomic<std::int64_t>[kBlockSize], std::memory_order_release);
  }
  if (seq_blocks_[block].load(std::memory_order_relaxed) == nullptr) {
    seq_blocks_[block].store(new std::uint64_t[kBlockSize], std::memory_order_release);
  }
  qty_blocks_[block].load(std::memory_order_relaxed)[e & (kBlockSize - 1)].store(
      q, std::memory_order_relaxed);
  seq_blocks_[block].load(std::memory_order_relaxed)[e & (kBlockSize - 1)] = s;
  edges_.store(e + 1, std::memory_order_relaxed);
  return static_cast<std::uint32_t>(e);
}

void GenealogyGraph::append(std::atomic<std::uint32_t>& head, Entry entry) {
  const std::uint32_t first = head.load(std::memory_order_relaxed);
  Chunk* tail = first == 0 ? nullptr : arena_->at<Chunk>(arena_->at<Chunk>(first)->last);
  if (tail == nullptr || tail->count.load(std::memory_order_relaxed) == tail->capacity) {
    const std::uint32_t capacity =
        tail == nullptr ? 2 : std::min<std::uint32_t>(tail->capacity * 2, 256);
    const std::uint32_t ref = arena_->allocate(sizeof(Chunk) + sizeof(Entry) * (capacity - 1));
    auto* c = arena_->at<Chunk>(ref);
    new (&c->count) std::atomic<std::uint32_t>(0);
    c->capacity = capacity;
    new (&c->next) std::atomic<std::uint32_t>(0);
    c->last = ref;
    if (tail == nullptr) {
      head.store(ref, std::memory_order_release);
    } else {
      tail->next.store(ref, std::memory_order_release);
      arena_->at<Chunk>(first)->last = ref;
    }
    tail = c;
  }
  const std::uint32_t i = tail->count.load(std::memory_order_relaxed);
  tail->entries[i] = entry;
  tail->count.store(i + 1, std::memory_order_release);
}

void GenealogyGraph::add_edge(std::string_view from, std::string_view to, schema::EdgeKind kind,
                              std::int64_t q, std::uint64_t s) {
  const std::uint32_t a = intern(from);
  const std::uint32_t b = intern(to);
  // An existing edge grows (the same lot consumed again into the same lot).
  if (a < base_lots_) {
    for (std::uint32_t e = out_begin_[a]; e < out_begin_[a + 1]; ++e) {
      if ((out_words_[e] & kIdMask) != b) continue;
      qty(e).fetch_add(q, std::memory_order_relaxed);
      return;
    }
  }
  for (std::uint32_t r = node(a).out.load(std::memory_order_relaxed); r != 0;) {
    const Chunk* c = arena_->at<Chunk>(r);
    const std::uint32_t n = c->count.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < n; ++i) {
      if ((c->entries[i].word & kIdMask) != b) continue;
      qty(c->entries[i].edge).fetch_add(q, std::memory_order_relaxed);
      return;
    }
    r = c->next.load(std::memory_order_relaxed);
  }
  const std::uint32_t e = new_edge(q, s);
  const std::uint32_t k = static_cast<std::uint32_t>(kind) << kIdBits;
  append(node(a).out, {b | k, e});
  append(node(b).in, {a | k, e});
}

Trace GenealogyGraph::trace(std::span<const std::string> starts, Direction direction,
                            std::uint32_t max_depth, std::uint64_t as_of_seq) const {
  Trace out;
  // Visited marks, reused across queries on the same thread: an epoch per query instead of
  // clearing a table the size of the graph.
  thread_local std::vector<std::uint32_t> mark;
  thread_local std::uint32_t epoch = 0;
  const std::uint32_t n = count_.load(std::memory_order_acquire);
  if (mark.size() < n) mark.resize(n + n / 4 + 1024, 0);
  if (++epoch == 0) {
    std::fill(mark.begin(), mark.end(), 0);
    epoch = 1;
  }
  std::vector<std::uint32_t> frontier;
  for (const auto& s : starts) {
    const std::int64_t id = find_id(s);
    if (id < 0 || static_cast<std::uint32_t>(id) >= n) {
      out.storage.push_back(s);
      out.lots.push_back({out.storage.back(), 0});
      continue;
    }
    const auto u = static_cast<std::uint32_t>(id);
    if (mark[u] == epoch) continue;
    mark[u] = epoch;
    out.lots.push_back({name(u), 0});
    frontier.push_back(u);
  }
  const bool forward = direction == Direction::kForward;
  std::vector<std::uint32_t> next;
  std::uint32_t depth = 1;
  std::string_view here;  // the lot whose edges are being followed
  auto follow = [&](std::uint32_t word, std::uint32_t edge) {
    const std::uint32_t v = word & kIdMask;
    if (v >= n) return;
    const std::string_view there = name(v);
    out.edges.push_back({forward ? here : there, forward ? there : here,
                         static_cast<schema::EdgeKind>(word >> kIdBits),
                         qty(edge).load(std::memory_order_relaxed)});
    if (mark[v] == epoch) return;
    mark[v] = epoch;
    out.lots.push_back({there, depth});
    next.push_back(v);
  };
  for (; !frontier.empty() && (max_depth == 0 || depth <= max_depth); ++depth) {
    next.clear();
    for (const std::uint32_t u : frontier) {
      here = name(u);
      if (u < base_lots_) {
        if (forward) {
          for (std::uint32_t e = out_begin_[u]; e < out_begin_[u + 1]; ++e)
            follow(out_words_[e], e);
        } else {
          for (std::uint32_t i = in_begin_[u]; i < in_begin_[u + 1]; ++i)
            follow(in_[i].word, in_[i].edge);
        }
      }
      const Node& nu = node(u);
      for (std::uint32_t r = (forward ? nu.out : nu.in).load(std::memory_order_acquire); r != 0;) {
        const Chunk* c = arena_->at<const Chunk>(r);
        const std::uint32_t count = c->count.load(std::memory_order_acquire);
        for (std::uint32_t i = 0; i < count; ++i) {
          if (seq(c->entries[i].edge) <= as_of_seq) follow(c->entries[i].word, c->entries[i].edge);
        }
        r = c->next.load(std::memory_order_acquire);
      }
    }
    frontier.swap(next);
  }
  return out;
}

// Lays the loaded edges out: a counting sort by `from` gives the outgoing rows (and each
// edge's index), one by `to` the incoming rows.
void GenealogyGraph::build_base(const std::vector<std::uint32_t>& from,
                                const std::vector<std::uint32_t>& to_words,
                                const std::vector<std::int64_t>& qtys) {
  const std::uint32_t n = count_.load(std::memory_order_relaxed);
  const std::size_t m = from.size();
  if (m >= std::size_t{1} << 32) throw std::length_error("genealogy graph: more than 2^32 edges");
  base_lots_ = n;
  base_edges_ = static_cast<std::uint32_t>(m);
  out_begin_.assign(n + 1, 0);
  in_begin_.assign(n + 1, 0);
  for (std::size_t i = 0; i < m; ++i) {
    ++out_begin_[from[i] + 1];
    ++in_begin_[(to_words[i] & kIdMask) + 1];
  }
  for (std::uint32_t u = 0; u < n; ++u) {
    out_begin_[u + 1] += out_begin_[u];
    in_begin_[u + 1] += in_begin_[u];
  }
  out_words_.resize(m);
  in_.resize(m);
  for (std::size_t b = 0; b * kBlockSize < m; ++b) {
    qty_blocks_[b].store(new std::atomic<std::int64_t>[kBlockSize], std::memory_order_relaxed);
  }
  std::vector<std::uint32_t> out_at(out_begin_.begin(), out_begin_.end() - 1);
  std::vector<std::uint32_t> in_at(in_begin_.begin(), in_begin_.end() - 1);
  for (std::size_t i = 0; i < m; ++i) {
    const std::uint32_t e = out_at[from[i]]++;
    out_words_[e] = to_words[i];
    qty(e).store(qtys[i], std::memory_order_relaxed);
    in_[in_at[to_words[i] & kIdMask]++] = {from[i] | (to_words[i] & ~kIdMask), e};
  }
  edges_.store(m, std::memory_order_release);
}

Result<std::unique_ptr<GenealogyGraph>> GenealogyGraph::load(const ledger::Snapshot& snap) {
  return ledger::reading([&]() -> Result<std::unique_ptr<GenealogyGraph>> {
    auto graph = std::make_unique<GenealogyGraph>();
    graph->base_seq_ = snap.head().seq;
    // Keys are unique (from, to) pairs sorted by `from`: one lookup per run of a lot's
    // edges.
    std::vector<std::uint32_t> from, to_words;
    std::vector<std::int64_t> qtys;
    std::string last_from;
    std::uint32_t from_id = 0;
    bool malformed = false;
    snap.scan_all(snap.family(kGenealogyFwdCf), [&](std::string_view key, std::string_view value) {
      const auto lots = keys::parse_edge(key);
      if (!lots) {
        malformed = true;
        return false;
      }
      if (lots->first != last_from) {
        last_from.assign(lots->first);
        from_id = graph->intern(last_from);
      }
      codec::MessageView v(value);
      auto e = v.root<schema::Edge>();
      from.push_back(from_id);
      to_words.push_back(graph->intern(lots->second) | static_cast<std::uint32_t>(e.getKind())
                                                           << kIdBits);
      qtys.push_back(e.getQty());
      return true;
    });
    if (malformed) return fail(ErrorCode::kCorruption, "malformed genealogy key");
    graph->build_base(from, to_words, qtys);
    return graph;
  });
}

Result<Trace> trace_snapshot(const ledger::Snapshot& snap, std::span<const std::string> starts,
                             Direction direction, std::uint32_t max_depth) {
  return ledger::reading([&]() -> Result<Trace> {
    Trace out;
    auto edges = snap.scanner(
        snap.family(direction == Direction::kForward ? kGenealogyFwdCf : kGenealogyBwdCf));
    boost::unordered_flat_map<std::string_view, std::uint32_t> seen;
    std::vector<std::string_view> frontier, next;
    for (const auto& s : starts) {
      out.storage.push_back(s);
      if (!seen.emplace(out.storage.back(), 0).second) continue;
      out.lots.push_back({out.storage.back(), 0});
      frontier.push_back(out.storage.back());
    }
    const bool forward = direction == Direction::kForward;
    for (std::uint32_t depth = 1; !frontier.empty() && (max_depth == 0 || depth <= max_depth);
         ++depth) {
      next.clear();
      for (const std::string_view u : frontier) {
        const std::string prefix = keys::edge_prefix(u);
        edges->scan_prefix(prefix, [&](std::string_view key, std::string_view value) {
          const std::string_view other = key.substr(prefix.size());
          codec::MessageView v(value);
          auto e = v.root<schema::Edge>();
          auto found = seen.find(other);
          std::string_view name;
          if (found == seen.end()) {
            out.storage.emplace_back(other);
            name = out.storage.back();
            seen.emplace(name, depth);
            out.lots.push_back({name, depth});
            next.push_back(name);
          } else {
            name = found->first;
          }
          out.edges.push_back({forward ? u : name, forward ? name : u, e.getKind(), e.getQty()});
          return true;
        });
      }
      frontier.swap(next);
    }
    return out;
  });
}

}  // namespace custody::domain
