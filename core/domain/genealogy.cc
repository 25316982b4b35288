#include "custody/domain/genealogy.h"

#include <cstring>
#include <mutex>

#include "custody/codec/capnp_util.h"
#include "custody/domain/projections.h"

namespace custody::domain {

struct GenealogyGraph::Slot {
  std::uint32_t other;
  std::uint8_t kind;
  std::atomic<std::int64_t> qty;
  std::uint64_t seq;
};

// A chunk of adjacency slots. Readers read `count` (acquire) and then slots below it.
struct GenealogyGraph::Chunk {
  std::atomic<std::uint32_t> count;
  std::uint32_t capacity;
  std::atomic<Chunk*> next;
  Slot slots[1];  // `capacity` of them
};

struct GenealogyGraph::Node {
  std::string_view name;
  std::atomic<Chunk*> out{nullptr};
  std::atomic<Chunk*> in{nullptr};
  Chunk* out_tail = nullptr;  // writer only
  Chunk* in_tail = nullptr;
};

GenealogyGraph::GenealogyGraph() : blocks_(new std::atomic<Node*>[kMaxBlocks]) {
  for (std::size_t i = 0; i < kMaxBlocks; ++i) blocks_[i].store(nullptr, std::memory_order_relaxed);
}

GenealogyGraph::~GenealogyGraph() {
  for (std::size_t i = 0; i < kMaxBlocks; ++i) {
    Node* block = blocks_[i].load(std::memory_order_relaxed);
    if (block == nullptr) break;
    for (std::size_t j = 0; j < kBlockSize; ++j) block[j].~Node();
    ::operator delete(block);
  }
}

void* GenealogyGraph::allocate(std::size_t bytes) {
  bytes = (bytes + 7) & ~std::size_t{7};
  if (bytes > arena_left_) {
    const std::size_t size = std::max<std::size_t>(bytes, 4 << 20);
    arena_.emplace_back(new char[size]);
    arena_next_ = arena_.back().get();
    arena_left_ = size;
  }
  void* p = arena_next_;
  arena_next_ += bytes;
  arena_left_ -= bytes;
  return p;
}

const GenealogyGraph::Node& GenealogyGraph::node(std::uint32_t id) const {
  return blocks_[id >> kBlockBits].load(std::memory_order_acquire)[id & (kBlockSize - 1)];
}

GenealogyGraph::Node& GenealogyGraph::node(std::uint32_t id) {
  return blocks_[id >> kBlockBits].load(std::memory_order_relaxed)[id & (kBlockSize - 1)];
}

std::size_t GenealogyGraph::lot_count() const {
  return count_.load(std::memory_order_acquire);
}

std::int64_t GenealogyGraph::find_id(std::string_view name) const {
  std::shared_lock lock(names_mu_);
  auto it = ids_.find(name);
  return it == ids_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

std::uint32_t GenealogyGraph::intern(std::string_view name) {
  {
    std::shared_lock lock(names_mu_);  // the writer is the only inserter: a shared look is enough
    if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  }
  const std::uint32_t id = count_.load(std::memory_order_relaxed);
  const std::size_t block = id >> kBlockBits;
  if (blocks_[block].load(std::memory_order_relaxed) == nullptr) {
    auto* fresh = static_cast<Node*>(::operator new(sizeof(Node) * kBlockSize));
    for (std::size_t j = 0; j < kBlockSize; ++j) new (&fresh[j]) Node();
    blocks_[block].store(fresh, std::memory_order_release);
  }
  char* copy = static_cast<char*>(allocate(name.size()));
  std::memcpy(copy, name.data(), name.size());
  Node& n = node(id);
  n.name = std::string_view(copy, name.size());
  {
    std::unique_lock lock(names_mu_);
    ids_.emplace(n.name, id);
  }
  count_.store(id + 1, std::memory_order_release);
  return id;
}

void GenealogyGraph::append(Node& n, Side side, std::uint32_t other, schema::EdgeKind kind,
                            std::int64_t qty, std::uint64_t seq) {
  const bool outgoing = side == Side::kOutgoing;
  std::atomic<Chunk*>& head = outgoing ? n.out : n.in;
  Chunk*& tail = outgoing ? n.out_tail : n.in_tail;
  if (tail == nullptr || tail->count.load(std::memory_order_relaxed) == tail->capacity) {
    const std::uint32_t capacity =
        tail == nullptr ? 2 : std::min<std::uint32_t>(tail->capacity * 2, 256);
    auto* c = static_cast<Chunk*>(allocate(sizeof(Chunk) + sizeof(Slot) * (capacity - 1)));
    new (&c->count) std::atomic<std::uint32_t>(0);
    c->capacity = capacity;
    new (&c->next) std::atomic<Chunk*>(nullptr);
    if (tail == nullptr) {
      head.store(c, std::memory_order_release);
    } else {
      tail->next.store(c, std::memory_order_release);
    }
    tail = c;
  }
  const std::uint32_t i = tail->count.load(std::memory_order_relaxed);
  Slot& s = tail->slots[i];
  s.other = other;
  s.kind = static_cast<std::uint8_t>(kind);
  new (&s.qty) std::atomic<std::int64_t>(qty);
  s.seq = seq;
  tail->count.store(i + 1, std::memory_order_release);
}

void GenealogyGraph::add_edge(std::string_view from, std::string_view to, schema::EdgeKind kind,
                              std::int64_t qty, std::uint64_t seq) {
  const std::uint32_t a = intern(from);
  const std::uint32_t b = intern(to);
  Node& na = node(a);
  // An existing edge grows (the same lot consumed again into the same lot).
  for (Chunk* c = na.out.load(std::memory_order_relaxed); c;
       c = c->next.load(std::memory_order_relaxed)) {
    const std::uint32_t n = c->count.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (c->slots[i].other != b) continue;
      c->slots[i].qty.fetch_add(qty, std::memory_order_relaxed);
      Node& nb = node(b);
      for (Chunk* d = nb.in.load(std::memory_order_relaxed); d;
           d = d->next.load(std::memory_order_relaxed)) {
        const std::uint32_t m = d->count.load(std::memory_order_relaxed);
        for (std::uint32_t j = 0; j < m; ++j) {
          if (d->slots[j].other == a) d->slots[j].qty.fetch_add(qty, std::memory_order_relaxed);
        }
      }
      return;
    }
  }
  add_new_edge(a, b, kind, qty, seq);
}

void GenealogyGraph::add_new_edge(std::uint32_t a, std::uint32_t b, schema::EdgeKind kind,
                                  std::int64_t qty, std::uint64_t seq) {
  append(node(a), Side::kOutgoing, b, kind, qty, seq);
  append(node(b), Side::kIncoming, a, kind, qty, seq);
  edges_.fetch_add(1, std::memory_order_relaxed);
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
    out.lots.push_back({node(u).name, 0});
    frontier.push_back(u);
  }
  const bool forward = direction == Direction::kForward;
  std::vector<std::uint32_t> next;
  for (std::uint32_t depth = 1; !frontier.empty() && (max_depth == 0 || depth <= max_depth);
       ++depth) {
    next.clear();
    for (const std::uint32_t u : frontier) {
      const Node& nu = node(u);
      for (const Chunk* c = (forward ? nu.out : nu.in).load(std::memory_order_acquire); c;
           c = c->next.load(std::memory_order_acquire)) {
        const std::uint32_t count = c->count.load(std::memory_order_acquire);
        for (std::uint32_t i = 0; i < count; ++i) {
          const Slot& s = c->slots[i];
          if (s.seq > as_of_seq || s.other >= n) continue;
          const Node& nv = node(s.other);
          const auto qty = s.qty.load(std::memory_order_relaxed);
          out.edges.push_back({forward ? nu.name : nv.name, forward ? nv.name : nu.name,
                               static_cast<schema::EdgeKind>(s.kind), qty});
          if (mark[s.other] == epoch) continue;
          mark[s.other] = epoch;
          out.lots.push_back({nv.name, depth});
          next.push_back(s.other);
        }
      }
    }
    frontier.swap(next);
  }
  return out;
}

Result<std::unique_ptr<GenealogyGraph>> GenealogyGraph::load(const ledger::Snapshot& snap) {
  return ledger::reading([&]() -> Result<std::unique_ptr<GenealogyGraph>> {
    auto graph = std::make_unique<GenealogyGraph>();
    // Keys are unique (from, to) pairs sorted by `from`: one lookup per run of a lot's
    // edges, and no check for an existing edge.
    std::string last_from;
    std::uint32_t from_id = 0;
    bool malformed = false;
    snap.scan_prefix(snap.family(kGenealogyFwdCf), "",
                     [&](std::string_view key, std::string_view value) {
                       const auto lots = keys::parse_edge(key);
                       if (!lots) {
                         malformed = true;
                         return false;
                       }
                       if (lots->first != last_from) {
                         last_from.assign(lots->first);
                         from_id = graph->intern(last_from);
                       }
                       const std::uint32_t to_id = graph->intern(lots->second);
                       codec::MessageView v(value);
                       auto e = v.root<schema::Edge>();
                       graph->add_new_edge(from_id, to_id, e.getKind(), e.getQty(), e.getSeq());
                       return true;
                     });
    if (malformed) return fail(ErrorCode::kCorruption, "malformed genealogy key");
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
