#include "custody/domain/genealogy.h"

#include <unistd.h>

#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <stdexcept>
#include <type_traits>

#include "custody/codec/capnp_util.h"
#include "custody/common/files.h"
#include "custody/crypto/sha256.h"
#include "custody/domain/projections.h"
#include "custody/ledger/store.h"

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
    if (units >= kUnits) throw std::length_error("genealogy graph: an allocation of 4 MiB");
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
      names_(0, NameHash{this}, NameEq{this}),
      qty_blocks_(new std::atomic<std::atomic<std::int64_t>*>[kMaxEdgeBlocks]),
      seq_blocks_(new std::atomic<std::uint64_t*>[kMaxEdgeBlocks]),
      lots_(std::make_unique<LotTable>()) {
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

// A name in the arena: its length, its lot's id, its bytes.
std::string_view GenealogyGraph::name_at(std::uint32_t ref) const {
  const auto* p = arena_->at<const std::uint32_t>(ref);
  return {reinterpret_cast<const char*>(p + 2), p[0]};
}

std::uint32_t GenealogyGraph::id_at(std::uint32_t ref) const {
  return arena_->at<const std::uint32_t>(ref)[1];
}

std::string_view GenealogyGraph::name(std::uint32_t id) const {
  return name_at(node(id).name);
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
  n += arena_->bytes() + lots_->memory_bytes();
  {
    std::shared_lock lock(names_mu_);
    n += names_.bucket_count() * (sizeof(std::uint32_t) + 1);  // a slot and its metadata byte
  }
  n += (out_begin_.capacity() + in_begin_.capacity() + out_words_.capacity()) *
           sizeof(std::uint32_t) +
       in_.capacity() * sizeof(Entry);
  return n;
}

std::int64_t GenealogyGraph::find_id(std::string_view name) const {
  std::shared_lock lock(names_mu_);
  auto it = names_.find(name);
  return it == names_.end() ? -1 : static_cast<std::int64_t>(id_at(*it));
}

std::uint32_t GenealogyGraph::intern(std::string_view name) {
  {
    std::shared_lock lock(names_mu_);  // the writer is the only inserter: a shared look is enough
    if (auto it = names_.find(name); it != names_.end()) return id_at(*it);
  }
  const std::uint32_t id = count_.load(std::memory_order_relaxed);
  if (id > kIdMask) throw std::length_error("genealogy graph: more than 2^29 lots");
  const std::size_t block = id >> kBlockBits;
  if (blocks_[block].load(std::memory_order_relaxed) == nullptr) {
    blocks_[block].store(new Node[kBlockSize], std::memory_order_release);
  }
  const std::uint32_t ref = arena_->allocate(2 * sizeof(std::uint32_t) + name.size());
  auto* p = arena_->at<std::uint32_t>(ref);
  p[0] = static_cast<std::uint32_t>(name.size());
  p[1] = id;
  std::memcpy(p + 2, name.data(), name.size());
  node(id).name = ref;
  {
    std::unique_lock lock(names_mu_);
    names_.insert(ref);
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

// A lot's edges one way, the loaded row then the chunks added since, until fn returns false.
// Acquire loads make it safe on any thread; the writer pays nothing for them on x86.
template <typename F>
bool GenealogyGraph::each_edge(std::uint32_t u, Direction direction, F&& fn) const {
  const bool forward = direction == Direction::kForward;
  if (u < base_lots_) {
    if (forward) {
      for (std::uint32_t e = out_begin_[u]; e < out_begin_[u + 1]; ++e) {
        if (!fn(out_words_[e], e)) return false;
      }
    } else {
      for (std::uint32_t i = in_begin_[u]; i < in_begin_[u + 1]; ++i) {
        if (!fn(in_[i].word, in_[i].edge)) return false;
      }
    }
  }
  const Node& nu = node(u);
  for (std::uint32_t r = (forward ? nu.out : nu.in).load(std::memory_order_acquire); r != 0;) {
    const Chunk* c = arena_->at<const Chunk>(r);
    const std::uint32_t count = c->count.load(std::memory_order_acquire);
    for (std::uint32_t i = 0; i < count; ++i) {
      if (!fn(c->entries[i].word, c->entries[i].edge)) return false;
    }
    r = c->next.load(std::memory_order_acquire);
  }
  return true;
}

void GenealogyGraph::add_edge(std::string_view from, std::string_view to, schema::EdgeKind kind,
                              std::int64_t q, std::uint64_t s) {
  last_seq_ = std::max(last_seq_, s);
  const std::uint32_t a = intern(from);
  const std::uint32_t b = intern(to);
  // An existing edge grows (the same lot consumed again into the same lot).
  const bool is_new = each_edge(a, Direction::kForward, [&](std::uint32_t word, std::uint32_t e) {
    if ((word & kIdMask) != b) return true;
    keep_for_mark(e);
    qty(e).fetch_add(q);  // after keep_for_mark's bit (both sequentially consistent)
    return false;
  });
  if (!is_new) return;
  const std::uint32_t e = new_edge(q, s);
  const std::uint32_t k = static_cast<std::uint32_t>(kind) << kIdBits;
  append(node(a).out, {b | k, e});
  append(node(b).in, {a | k, e});
}

void GenealogyGraph::set_lot(std::string_view lot, const LotFacts& facts, std::uint64_t s) {
  if (!keeps_lots_) return;
  last_seq_ = std::max(last_seq_, s);
  const std::uint32_t id = intern(lot);
  if (!in_tail_) {
    lots_->set(id, facts, s);
    return;
  }
  lots_->forget(id);
  tail_lots_.push_back(id);
}

void GenealogyGraph::begin_tail() {
  in_tail_ = true;
  tail_lots_.clear();
}

Result<void> GenealogyGraph::end_tail(const ledger::Snapshot& snap) {
  in_tail_ = false;
  std::sort(tail_lots_.begin(), tail_lots_.end());
  tail_lots_.erase(std::unique(tail_lots_.begin(), tail_lots_.end()), tail_lots_.end());
  std::vector<std::string> lot_keys;
  for (const std::uint32_t id : tail_lots_) lot_keys.push_back(keys::entity("lot", name(id)));
  auto read = ledger::reading([&]() -> Result<void> {
    const auto values = snap.multi_get(snap.family(kEntitiesCf), lot_keys);
    for (std::size_t i = 0; i < tail_lots_.size(); ++i) {
      if (!values[i]) continue;  // not there at the tail's end: left without facts
      codec::MessageView view(*values[i]);
      // As of the snapshot: what it holds may be later than the last record that wrote it.
      lots_->set(tail_lots_[i], lot_facts(view.root<schema::Lot>()), snap.head().seq);
    }
    return {};
  });
  tail_lots_.clear();
  return read;
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
    out.lots.push_back({name(u), 0, u});
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
    out.lots.push_back({there, depth, v});
    next.push_back(v);
  };
  for (; !frontier.empty() && (max_depth == 0 || depth <= max_depth); ++depth) {
    next.clear();
    for (const std::uint32_t u : frontier) {
      here = name(u);
      each_edge(u, direction, [&](std::uint32_t word, std::uint32_t edge) {
        if (seq(edge) <= as_of_seq) follow(word, edge);  // loaded edges: always
        return true;
      });
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

Result<std::unique_ptr<GenealogyGraph>> GenealogyGraph::load(const ledger::Snapshot& snap,
                                                             bool lots) {
  return ledger::reading([&]() -> Result<std::unique_ptr<GenealogyGraph>> {
    auto graph = std::make_unique<GenealogyGraph>();
    graph->keeps_lots_ = lots;
    graph->base_seq_ = snap.head().seq;
    // Keys are unique (from, to) pairs sorted by `from`: one lookup per run of a lot's
    // edges.
    std::vector<std::uint32_t> from, to_words;
    std::vector<std::int64_t> qtys;
    std::string last_from;
    std::uint32_t from_id = 0;
    bool malformed = false;
    snap.scan_all(snap.family(kGenealogyFwdCf), [&](std::string_view key, std::string_view value) {
      const auto ends = keys::parse_edge(key);
      if (!ends) {
        malformed = true;
        return false;
      }
      if (ends->first != last_from) {
        last_from.assign(ends->first);
        from_id = graph->intern(last_from);
      }
      codec::MessageView v(value);
      auto e = v.root<schema::Edge>();
      from.push_back(from_id);
      to_words.push_back(graph->intern(ends->second) | static_cast<std::uint32_t>(e.getKind())
                                                           << kIdBits);
      qtys.push_back(e.getQty());
      return true;
    });
    if (malformed) return fail(ErrorCode::kCorruption, "malformed genealogy key");
    graph->build_base(from, to_words, qtys);
    if (!lots) return graph;
    // Every lot's facts, as of the snapshot (lots without an edge are interned after the
    // loaded ones).
    const std::string prefix = keys::entity("lot", "");
    snap.scan_all(
        snap.family(kEntitiesCf),
        [&](std::string_view key, std::string_view value) {
          codec::MessageView v(value);
          graph->lots_->set(graph->intern(key.substr(prefix.size())),
                            lot_facts(v.root<schema::Lot>()), graph->base_seq_);
          return true;
        },
        prefix);
    return graph;
  });
}

// ---------------------------------------------------------------- the saved graph
//
// A file of four parts, native byte order (it is read back on the machine that wrote it):
//   header: SavedHeader, below;
//   names:  for each lot in id order, its length (u32) and its bytes;
//   edges:  `edges` u32 from-ids, then `edges` u32 words (to-id | kind << 29), then `edges`
//           i64 quantities;
//   lots:   the lot table (LotTable::save), `lots_bytes` long.
// The header's SHA-256 covers the header (with the digest zeroed), the names, the edges and
// the lots. A file of another version (magic) is stale, like one saved at another head.

namespace {

constexpr char kSavedMagic[16] = "custody-graph-2";
constexpr std::string_view kSavedMagicStem = "custody-graph-";

struct SavedHeader {
  char magic[16];
  std::uint64_t seq;
  std::uint8_t leaf[32];
  std::uint64_t projections;
  std::uint64_t lots;
  std::uint64_t edges;
  std::uint64_t names_bytes;
  std::uint64_t lots_bytes;
  std::uint8_t body_sha256[32];
};
static_assert(std::is_trivially_copyable_v<SavedHeader> && sizeof(SavedHeader) == 128);

enum class Magic { kThis, kOtherVersion, kNone };
Magic magic_of(const SavedHeader& h) {
  if (std::memcmp(h.magic, kSavedMagic, sizeof h.magic) == 0) return Magic::kThis;
  if (std::memcmp(h.magic, kSavedMagicStem.data(), kSavedMagicStem.size()) == 0) {
    return Magic::kOtherVersion;
  }
  return Magic::kNone;
}

// Writes through a buffer, hashing what it writes.
class HashedWriter {
 public:
  explicit HashedWriter(std::FILE* f) : f_(f) { buffer_.reserve(1 << 20); }
  void put(const void* p, std::size_t n) {
    const auto* b = static_cast<const char*>(p);
    buffer_.insert(buffer_.end(), b, b + n);
    if (buffer_.size() >= (1 << 20)) flush();
  }
  template <typename T>
  void put(const T& v) {
    put(&v, sizeof v);
  }
  bool flush() {
    hash_.update(std::string_view(buffer_.data(), buffer_.size()));
    ok_ = ok_ && std::fwrite(buffer_.data(), 1, buffer_.size(), f_) == buffer_.size();
    buffer_.clear();
    return ok_;
  }
  crypto::Digest finish() { return hash_.finish(); }

 private:
  std::FILE* f_;
  std::vector<char> buffer_;
  crypto::Sha256 hash_;
  bool ok_ = true;
};

Error damaged(const std::filesystem::path& file, const std::string& why) {
  return Error{ErrorCode::kCorruption, file.string() + ": " + why, {}};
}

}  // namespace

// The graph at a mark: the lots and edges there were then, the lot table's strings, and the
// quantity each edge had then, for the edges the writer has grown since.
class GenealogyGraph::Mark {
 public:
  Mark(const ledger::Head& at, std::uint32_t lot_count, std::size_t edge_count,
       LotTable::Mark lot_table)
      : head(at),
        lots(lot_count),
        edges(edge_count),
        table(std::move(lot_table)),
        grown((edge_count + 63) / 64) {}

  // Saving: edge e's quantity at the mark, given `now`, read before this call.
  [[nodiscard]] std::int64_t qty_then(std::uint32_t e, std::int64_t now) const {
    if ((grown[e / 64].load() & (std::uint64_t{1} << (e % 64))) == 0) return now;
    std::lock_guard lock(mu);
    return kept.at(e);
  }
  // Writer: before edge e grows from `then` (the first time since the mark).
  void keep(std::uint32_t e, std::int64_t then) {
    const std::uint64_t bit = std::uint64_t{1} << (e % 64);
    if ((grown[e / 64].load(std::memory_order_relaxed) & bit) != 0) return;
    {
      std::lock_guard lock(mu);
      kept.emplace(e, then);
    }
    // Set before the quantity changes (both sequentially consistent): a save that reads the
    // new quantity then sees the bit, and takes the kept one.
    grown[e / 64].fetch_or(bit);
  }

  const ledger::Head head;
  const std::uint32_t lots;
  const std::size_t edges;
  const LotTable::Mark table;
  mutable std::atomic<bool> done{false};  // the save has read everything it will

 private:
  std::vector<std::atomic<std::uint64_t>> grown;  // a bit per edge: grown since the mark
  mutable std::mutex mu;
  boost::unordered_flat_map<std::uint32_t, std::int64_t> kept;
};

std::shared_ptr<const GenealogyGraph::Mark> GenealogyGraph::mark(const ledger::Head& head) {
  mark_ = std::make_shared<Mark>(head, count_.load(std::memory_order_relaxed),
                                 edges_.load(std::memory_order_relaxed),
                                 keeps_lots_ ? lots_->mark(head.seq) : LotTable::Mark{});
  return mark_;
}

void GenealogyGraph::keep_for_mark(std::uint32_t edge) {
  if (mark_ == nullptr) return;
  if (mark_->done.load(std::memory_order_acquire)) {
    mark_.reset();
    return;
  }
  if (edge < mark_->edges) mark_->keep(edge, qty(edge).load(std::memory_order_relaxed));
}

template <typename F>
void GenealogyGraph::for_each_edge(std::uint32_t lots, std::size_t edges, F&& fn) const {
  for (std::uint32_t u = 0; u < lots; ++u) {
    each_edge(u, Direction::kForward, [&](std::uint32_t word, std::uint32_t edge) {
      if (edge < edges) fn(u, word, edge);
      return true;
    });
  }
}

Result<void> GenealogyGraph::save(const std::filesystem::path& file, const ledger::Head& head,
                                  std::uint64_t projections) {
  auto at = mark(head);
  auto saved = save_marked(*at, file, projections);
  mark_.reset();
  return saved;
}

Result<void> GenealogyGraph::save_marked(const Mark& at, const std::filesystem::path& file,
                                         std::uint64_t projections, std::stop_token stop) const {
  // Whatever happens, the writer stops keeping quantities for this mark.
  struct Done {
    const Mark& at;
    ~Done() { at.done.store(true, std::memory_order_release); }
  } done{at};
  if (stop.stop_requested()) return fail(ErrorCode::kUnavailable, "the save was stopped");
  const std::filesystem::path tmp = file.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return fail(ErrorCode::kIoError, "cannot write " + tmp.string());
  SavedHeader h{};
  std::memcpy(h.magic, kSavedMagic, sizeof h.magic);
  h.seq = at.head.seq;
  std::memcpy(h.leaf, at.head.leaf.data(), sizeof h.leaf);
  h.projections = projections;
  h.lots = at.lots;
  h.edges = at.edges;
  for (std::uint32_t u = 0; u < at.lots; ++u) {
    h.names_bytes += sizeof(std::uint32_t) + name(u).size();
  }
  h.lots_bytes = keeps_lots_ ? LotTable::saved_bytes(at.lots, at.table) : 0;
  HashedWriter w(f);
  w.put(h);  // its digest still zero
  for (std::uint32_t u = 0; u < at.lots; ++u) {
    const std::string_view name = this->name(u);
    w.put(static_cast<std::uint32_t>(name.size()));
    w.put(name.data(), name.size());
  }
  // Every edge below the mark's count joins two lots below its count (both were interned
  // before the edge was made), so each is met once, at its from-lot.
  std::size_t edges = 0;
  for_each_edge(at.lots, at.edges, [&](std::uint32_t from, std::uint32_t, std::uint32_t) {
    w.put(from);
    ++edges;
  });
  bool ok = edges == at.edges && !stop.stop_requested();
  if (ok) {
    for_each_edge(at.lots, at.edges,
                  [&](std::uint32_t, std::uint32_t word, std::uint32_t) { w.put(word); });
    for_each_edge(at.lots, at.edges, [&](std::uint32_t, std::uint32_t, std::uint32_t edge) {
      w.put(at.qty_then(edge, qty(edge).load()));
    });
    if (keeps_lots_) {
      lots_->save(at.lots, at.table, [&](const void* p, std::size_t n) { w.put(p, n); });
    }
    ok = w.flush() && !stop.stop_requested();
  }
  const crypto::Digest digest = w.finish();
  std::memcpy(h.body_sha256, digest.data(), sizeof h.body_sha256);
  ok = ok && std::fseek(f, 0, SEEK_SET) == 0 && std::fwrite(&h, sizeof h, 1, f) == 1 &&
       std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  ok = std::fclose(f) == 0 && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, file, ec);
  if (!ok || ec) {
    std::filesystem::remove(tmp, ec);
    if (stop.stop_requested()) return fail(ErrorCode::kUnavailable, "the save was stopped");
    if (edges != at.edges) {
      return fail(ErrorCode::kInternal, "genealogy graph: the mark's edges do not add up");
    }
    return fail(ErrorCode::kIoError, "cannot write " + file.string());
  }
  return sync_dir(file.parent_path());
}

Result<std::optional<ledger::Head>> GenealogyGraph::saved_head(const std::filesystem::path& file,
                                                               std::uint64_t projections) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) return std::nullopt;
  SavedHeader h{};
  if (std::fread(&h, sizeof h, 1, f.get()) != 1) return std::unexpected(damaged(file, "no header"));
  if (magic_of(h) == Magic::kNone) {
    return std::unexpected(damaged(file, "not a saved genealogy graph"));
  }
  if (magic_of(h) == Magic::kOtherVersion || h.projections != projections) return std::nullopt;
  ledger::Head head;
  head.seq = h.seq;
  std::memcpy(head.leaf.data(), h.leaf, sizeof h.leaf);
  return head;
}

Result<std::unique_ptr<GenealogyGraph>> GenealogyGraph::load_saved(
    const std::filesystem::path& file, const ledger::Head& head, std::uint64_t projections,
    bool lots) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) return std::unique_ptr<GenealogyGraph>();
  SavedHeader h{};
  if (std::fread(&h, sizeof h, 1, f.get()) != 1) return std::unexpected(damaged(file, "no header"));
  if (magic_of(h) == Magic::kNone) {
    return std::unexpected(damaged(file, "not a saved genealogy graph"));
  }
  if (magic_of(h) == Magic::kOtherVersion || (lots && h.lots_bytes == 0) || h.seq != head.seq ||
      std::memcmp(h.leaf, head.leaf.data(), sizeof h.leaf) != 0 || h.projections != projections) {
    return std::unique_ptr<GenealogyGraph>();  // saved at another head or from other projections
  }
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  // Every size is checked against the file before anything is allocated by it; each name
  // takes at least its 4-byte length.
  if (ec || h.lots > kIdMask + std::uint64_t{1} || h.edges >= std::uint64_t{1} << 32 ||
      h.names_bytes > size || h.lots > h.names_bytes / sizeof(std::uint32_t) ||
      h.lots_bytes > size || size != sizeof h + h.names_bytes + h.edges * 16 + h.lots_bytes) {
    return std::unexpected(damaged(file, "its sizes do not add up"));
  }
  crypto::Sha256 hash;
  {
    SavedHeader zeroed = h;
    std::memset(zeroed.body_sha256, 0, sizeof zeroed.body_sha256);
    hash.update(std::string_view(reinterpret_cast<const char*>(&zeroed), sizeof zeroed));
  }
  auto read = [&](void* p, std::size_t n) {
    if (std::fread(p, 1, n, f.get()) != n) return false;
    hash.update(std::string_view(static_cast<const char*>(p), n));
    return true;
  };
  std::string names(h.names_bytes, '\0');
  std::vector<std::uint32_t> from(h.edges), to_words(h.edges);
  std::vector<std::int64_t> qtys(h.edges);
  std::string table(h.lots_bytes, '\0');
  if (!read(names.data(), names.size()) || !read(from.data(), from.size() * 4) ||
      !read(to_words.data(), to_words.size() * 4) || !read(qtys.data(), qtys.size() * 8) ||
      !read(table.data(), table.size())) {
    return std::unexpected(damaged(file, "cannot read it whole"));
  }
  if (std::memcmp(hash.finish().data(), h.body_sha256, sizeof h.body_sha256) != 0) {
    return std::unexpected(damaged(file, "its checksum does not match"));
  }
  auto graph = std::make_unique<GenealogyGraph>();
  graph->base_seq_ = head.seq;
  graph->keeps_lots_ = lots;
  graph->names_.reserve(h.lots);
  std::size_t at = 0;
  for (std::uint64_t id = 0; id < h.lots; ++id) {
    std::uint32_t len = 0;
    if (names.size() - at < sizeof len) return std::unexpected(damaged(file, "a name is cut"));
    std::memcpy(&len, names.data() + at, sizeof len);
    at += sizeof len;
    if (names.size() - at < len) return std::unexpected(damaged(file, "a name is cut"));
    if (graph->intern(std::string_view(names.data() + at, len)) != id) {
      return std::unexpected(damaged(file, "a lot is named twice"));
    }
    at += len;
  }
  if (at != names.size()) return std::unexpected(damaged(file, "its names do not add up"));
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (from[i] >= h.lots || (to_words[i] & kIdMask) >= h.lots ||
        (to_words[i] >> kIdBits) > static_cast<std::uint32_t>(schema::EdgeKind::MERGE)) {
      return std::unexpected(damaged(file, "an edge names no lot"));
    }
  }
  graph->build_base(from, to_words, qtys);
  if (lots) {
    auto loaded = LotTable::load(table, static_cast<std::uint32_t>(h.lots));
    if (!loaded) return std::unexpected(damaged(file, loaded.error().message));
    graph->lots_ = std::move(*loaded);
  }
  graph->from_saved_ = true;
  return graph;
}

namespace {

// One edge a walk found: the lot it was read from, and the other end's name (a copy: the
// scan's key is gone once its iterator moves, the batch's value once the level is read).
struct Found {
  std::uint32_t from;  // index into the frontier
  std::string other;
  schema::EdgeKind kind;
  std::int64_t qty;
};

// The edges of frontier[begin, end) in key order, through `scanner` of genealogy_fwd or
// genealogy_bwd: one seek a lot.
void scan_edges(ledger::Reader::Scanner& scanner, const std::vector<std::string_view>& frontier,
                std::size_t begin, std::size_t end, std::vector<Found>& found) {
  for (std::size_t i = begin; i < end; ++i) {
    const std::string prefix = keys::edge_prefix(frontier[i]);
    scanner.scan_prefix(prefix, [&](std::string_view key, std::string_view value) {
      codec::MessageView v(value);
      auto e = v.root<schema::Edge>();
      found.push_back({static_cast<std::uint32_t>(i), std::string(key.substr(prefix.size())),
                       e.getKind(), e.getQty()});
      return true;
    });
  }
}

// The same from the lots' adjacency values (genealogy_out or genealogy_in), read in one batch;
// a lot with too many edges for its value is scanned through `scanner`.
void read_edges(const ledger::Snapshot& snap, ledger::Reader::Cf adjacent,
                ledger::Reader::Scanner& scanner, const std::vector<std::string_view>& frontier,
                std::size_t begin, std::size_t end, std::vector<Found>& found) {
  const std::vector<std::string> lots(frontier.begin() + static_cast<std::ptrdiff_t>(begin),
                                      frontier.begin() + static_cast<std::ptrdiff_t>(end));
  const auto values = snap.multi_get(adjacent, lots);
  for (std::size_t i = begin; i < end; ++i) {
    const auto& value = values[i - begin];
    if (!value) continue;  // no edges
    if (keys::adjacency::too_many(*value)) {
      scan_edges(scanner, frontier, i, i + 1, found);
      continue;
    }
    const auto entries = keys::adjacency::decode(*value);
    if (!entries) {
      throw ledger::StorageError(Error::corruption("the genealogy adjacency of " +
                                                   std::string(frontier[i]) + " is malformed"));
    }
    for (const auto& e : *entries) {
      found.push_back({static_cast<std::uint32_t>(i), std::string(e.other),
                       static_cast<schema::EdgeKind>(e.kind), e.qty});
    }
  }
}

// A breadth-first level this large is read by two threads, each over its half of the sorted
// lots. Splitting a narrower one costs more (a thread, a second read) than it saves.
constexpr std::size_t kSplitLevelAt = 512;

}  // namespace

Result<Trace> trace_snapshot(const ledger::Snapshot& snap, std::span<const std::string> starts,
                             Direction direction, std::uint32_t max_depth) {
  return ledger::reading([&]() -> Result<Trace> {
    Trace out;
    const bool forward = direction == Direction::kForward;
    const auto family = snap.family(forward ? kGenealogyFwdCf : kGenealogyBwdCf);
    // Each level's lots are read from their adjacency values in one batch. A ledger whose
    // projections predate those families (version 1, opened to be read) is walked by seeks:
    // a narrow level's lots lie far apart in the edge family, and each scan is one lot's
    // edges (keys::edge_prefix), which the family's filters answer for a lot that has none;
    // a wide level's lie close together, and RocksDB reseeks within the block it is in,
    // which saves more than the filters and which a prefix seek gives up.
    ledger::Reader::Cf adjacent = snap.store().cf(forward ? kGenealogyOutCf : kGenealogyInCf);
    auto narrow = snap.prefix_scanner(family);
    std::unique_ptr<ledger::Reader::Scanner> first, second;  // a wide level's, once needed
    // A wide level's two scanners: for its lots with too many edges for their value, or for
    // the whole level in key order.
    auto wide_scanner = [&] {
      return adjacent != nullptr ? snap.prefix_scanner(family) : snap.scanner(family);
    };
    std::vector<std::string_view> frontier, next;
    auto edges_of = [&](ledger::Reader::Scanner& scanner, std::size_t begin, std::size_t end) {
      std::vector<Found> found;
      if (adjacent != nullptr) {
        read_edges(snap, adjacent, scanner, frontier, begin, end, found);
      } else {
        scan_edges(scanner, frontier, begin, end, found);
      }
      return found;
    };
    boost::unordered_flat_map<std::string_view, std::uint32_t> seen;
    for (const auto& s : starts) {
      out.storage.push_back(s);
      if (!seen.emplace(out.storage.back(), 0).second) continue;
      out.lots.push_back({out.storage.back(), 0});
      frontier.push_back(out.storage.back());
    }
    for (std::uint32_t depth = 1; !frontier.empty() && (max_depth == 0 || depth <= max_depth);
         ++depth) {
      next.clear();
      // In key order: a batch's reads, and each seek, move forward through the family.
      std::sort(frontier.begin(), frontier.end());
      std::vector<Found> found;
      if (frontier.size() < kSplitLevelAt) {
        found = edges_of(*narrow, 0, frontier.size());
      } else {
        if (!first) first = wide_scanner();
        if (!second) second = wide_scanner();
        const std::size_t half = frontier.size() / 2;
        auto later = std::async(std::launch::async,
                                [&] { return edges_of(*second, half, frontier.size()); });
        found = edges_of(*first, 0, half);
        auto rest = later.get();  // rethrows what the other thread's read threw
        found.insert(found.end(), std::make_move_iterator(rest.begin()),
                     std::make_move_iterator(rest.end()));
      }
      // In the order one thread would have found them: the answer does not depend on the split.
      for (Found& f : found) {
        const std::string_view u = frontier[f.from];
        auto at = seen.find(std::string_view(f.other));
        std::string_view name;
        if (at == seen.end()) {
          out.storage.push_back(std::move(f.other));
          name = out.storage.back();
          seen.emplace(name, depth);
          out.lots.push_back({name, depth});
          next.push_back(name);
        } else {
          name = at->first;
        }
        out.edges.push_back({forward ? u : name, forward ? name : u, f.kind, f.qty});
      }
      frontier.swap(next);
    }
    return out;
  });
}

}  // namespace custody::domain
