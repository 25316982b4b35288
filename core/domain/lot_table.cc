#include "custody/domain/lot_table.h"

#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace custody::domain {

namespace s = schema;

LotFacts lot_facts(s::Lot::Reader l) {
  auto view = [](capnp::Text::Reader t) {
    return std::string_view(t.cStr(), t.size());
  };
  LotFacts f;
  f.material = view(l.getMaterial());
  f.uom = view(l.getUom());
  f.location = view(l.getLocation());
  f.supplier = view(l.getSupplier());
  f.supplier_lot = view(l.getSupplierLot());
  f.wo = view(l.getWo());
  f.status = l.getStatus();
  f.origin = l.getOrigin();
  f.consumed = l.getConsumed() > 0;
  f.shipped = l.getShipped() > 0;
  f.on_hand = l.getOnHand();
  return f;
}

// Bytes addressed by 32-bit refs (block << kOffsetBits | offset) in 4 MiB blocks that never
// move; entries 4-byte aligned. Ref 0 is "none". A string is its length (u32), then its bytes.
class LotTable::Strings {
 public:
  static constexpr unsigned kOffsetBits = 22;
  static constexpr std::size_t kBlockBytes = std::size_t{1} << kOffsetBits;
  static constexpr std::size_t kMaxBlocks = std::size_t{1} << (32 - kOffsetBits);

  Strings() : blocks_(new std::atomic<char*>[kMaxBlocks]) {
    for (std::size_t i = 0; i < kMaxBlocks; ++i) blocks_[i].store(nullptr);
  }
  ~Strings() {
    for (std::size_t i = 0; i < kMaxBlocks; ++i) delete[] blocks_[i].load();
  }
  Strings(const Strings&) = delete;
  Strings& operator=(const Strings&) = delete;

  // Writer.
  std::uint32_t add(const void* bytes, std::size_t n) {
    const std::size_t size = (n + 3) & ~std::size_t{3};
    if (size > kBlockBytes - 4) throw std::length_error("lot table: a value of 4 MiB");
    if (used_.empty() || used_.back() + size > kBlockBytes) {
      if (used_.size() == kMaxBlocks) throw std::length_error("lot table: strings full");
      blocks_[used_.size()].store(new char[kBlockBytes], std::memory_order_release);
      used_.push_back(used_.empty() ? 4 : 0);  // ref 0 stays "none"
      count_.store(used_.size(), std::memory_order_relaxed);
    }
    const std::size_t block = used_.size() - 1;
    const auto ref = static_cast<std::uint32_t>(block << kOffsetBits | used_.back());
    std::memcpy(blocks_[block].load(std::memory_order_relaxed) + used_.back(), bytes, n);
    used_.back() += size;
    return ref;
  }
  std::uint32_t add_string(std::string_view s) {
    std::string entry(sizeof(std::uint32_t), '\0');
    const auto n = static_cast<std::uint32_t>(s.size());
    std::memcpy(entry.data(), &n, sizeof n);
    entry += s;
    return add(entry.data(), entry.size());
  }

  // Readers: refs the writer published (a row's, after its version check).
  template <typename T>
  [[nodiscard]] const T* at(std::uint32_t ref) const {
    const char* block = blocks_[ref >> kOffsetBits].load(std::memory_order_acquire);
    return reinterpret_cast<const T*>(block + (ref & (kBlockBytes - 1)));
  }
  [[nodiscard]] std::string_view string(std::uint32_t ref) const {
    if (ref == 0) return {};
    const auto* p = at<std::uint32_t>(ref);
    return {reinterpret_cast<const char*>(p + 1), p[0]};
  }

  // Whether `ref` names `size` bytes that were written (a loaded file's refs).
  [[nodiscard]] bool holds(std::uint32_t ref, std::size_t size) const {
    const std::size_t block = ref >> kOffsetBits, offset = ref & (kBlockBytes - 1);
    return ref != 0 && block < used_.size() && offset % 4 == 0 && offset <= used_[block] &&
           size <= used_[block] - offset;
  }
  [[nodiscard]] bool holds_string(std::uint32_t ref) const {
    if (ref == 0) return true;
    if (!holds(ref, sizeof(std::uint32_t))) return false;
    return holds(ref, sizeof(std::uint32_t) + std::size_t{*at<std::uint32_t>(ref)});
  }

  [[nodiscard]] const std::vector<std::uint32_t>& used() const { return used_; }
  [[nodiscard]] const char* block(std::size_t i) const { return blocks_[i].load(); }
  // Any thread.
  [[nodiscard]] std::size_t bytes() const {
    return count_.load(std::memory_order_relaxed) * kBlockBytes + kMaxBlocks * sizeof(char*);
  }

  // Loading: a block of `n` bytes, whose contents the caller writes.
  char* add_block(std::uint32_t n) {
    if (used_.size() == kMaxBlocks || n > kBlockBytes) return nullptr;
    char* b = new char[kBlockBytes];
    blocks_[used_.size()].store(b, std::memory_order_release);
    used_.push_back(n);
    count_.store(used_.size(), std::memory_order_relaxed);
    return b;
  }

 private:
  std::unique_ptr<std::atomic<char*>[]> blocks_;
  std::vector<std::uint32_t> used_;    // bytes used in each block. Writer only.
  std::atomic<std::size_t> count_{0};  // blocks, for bytes()
};

// A lot's facts. `version` is odd while the writer rewrites the row; `profile` 0: no facts.
struct LotTable::Row {
  std::atomic<std::uint32_t> version{0};
  std::atomic<std::uint32_t> profile{0};
  std::atomic<std::uint32_t> wo{0};
  std::atomic<std::uint32_t> supplier_lot{0};
  std::atomic<std::uint64_t> seq{0};
  std::atomic<std::int64_t> on_hand{0};
};

// A row as the file holds it (native byte order, like the rest of the graph's file).
struct LotTable::SavedRow {
  std::uint32_t profile, wo, supplier_lot, unused;
  std::uint64_t seq;
  std::int64_t on_hand;
};

// The repeated part of a lot's facts, in the strings' blocks.
struct LotTable::Profile {
  std::uint8_t status, origin, marks, unused;  // marks: 1 consumed, 2 shipped
  std::uint32_t material, uom, location, supplier;
};

namespace {
constexpr std::uint8_t kConsumed = 1, kShipped = 2;
}  // namespace

std::size_t LotTable::KeyHash::operator()(std::string_view key) const {
  return boost::hash<std::string_view>()(key);
}

LotTable::LotTable()
    : blocks_(new std::atomic<Row*>[kMaxBlocks]), strings_(std::make_unique<Strings>()) {
  for (std::size_t i = 0; i < kMaxBlocks; ++i) blocks_[i].store(nullptr);
}

LotTable::~LotTable() {
  for (std::size_t i = 0; i < kMaxBlocks; ++i) delete[] blocks_[i].load();
}

const LotTable::Row* LotTable::row(std::uint32_t id) const {
  if ((id >> kBlockBits) >= kMaxBlocks) return nullptr;
  const Row* block = blocks_[id >> kBlockBits].load(std::memory_order_acquire);
  return block == nullptr ? nullptr : block + (id & (kBlockSize - 1));
}

LotTable::Row& LotTable::row_for_write(std::uint32_t id) {
  if ((id >> kBlockBits) >= kMaxBlocks) throw std::length_error("lot table: more than 2^29 lots");
  auto& slot = blocks_[id >> kBlockBits];
  if (slot.load(std::memory_order_relaxed) == nullptr) {
    slot.store(new Row[kBlockSize], std::memory_order_release);
  }
  return slot.load(std::memory_order_relaxed)[id & (kBlockSize - 1)];
}

std::uint32_t LotTable::keep(std::uint32_t ref, std::string_view s) {
  if (s.empty()) return 0;
  if (ref != 0 && strings_->string(ref) == s) return ref;
  return strings_->add_string(s);
}

namespace {

// A profile's fields as one string, to intern it by.
void profile_key(const LotFacts& f, std::string& key) {
  key.clear();
  key.push_back(static_cast<char>(f.status));
  key.push_back(static_cast<char>(f.origin));
  key.push_back(static_cast<char>((f.consumed ? kConsumed : 0) | (f.shipped ? kShipped : 0)));
  for (const std::string_view part : {f.material, f.uom, f.location, f.supplier}) {
    const auto n = static_cast<std::uint32_t>(part.size());
    key.append(reinterpret_cast<const char*>(&n), sizeof n);
    key += part;
  }
}

}  // namespace

std::uint32_t LotTable::profile(const LotFacts& f) {
  std::string& key = key_;  // reused: most lookups find the profile
  profile_key(f, key);
  if (auto it = profiles_.find(std::string_view(key)); it != profiles_.end()) return it->second;
  Profile p{};
  p.status = static_cast<std::uint8_t>(key[0]);
  p.origin = static_cast<std::uint8_t>(key[1]);
  p.marks = static_cast<std::uint8_t>(key[2]);
  p.material = keep(0, f.material);
  p.uom = keep(0, f.uom);
  p.location = keep(0, f.location);
  p.supplier = keep(0, f.supplier);
  const std::uint32_t ref = strings_->add(&p, sizeof p);
  note_profile(key);
  profiles_.emplace(key, ref);
  return ref;
}

void LotTable::set(std::uint32_t id, const LotFacts& f, std::uint64_t seq) {
  Row& r = row_for_write(id);
  const std::uint32_t p = profile(f);
  const std::uint32_t wo = keep(r.wo.load(std::memory_order_relaxed), f.wo);
  const std::uint32_t supplier_lot =
      keep(r.supplier_lot.load(std::memory_order_relaxed), f.supplier_lot);
  if (r.profile.load(std::memory_order_relaxed) == 0) held_.fetch_add(1, std::memory_order_relaxed);
  const std::uint32_t v = r.version.load(std::memory_order_relaxed);
  r.version.store(v + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  r.profile.store(p, std::memory_order_relaxed);
  r.wo.store(wo, std::memory_order_relaxed);
  r.supplier_lot.store(supplier_lot, std::memory_order_relaxed);
  r.seq.store(seq, std::memory_order_relaxed);
  r.on_hand.store(f.on_hand, std::memory_order_relaxed);
  r.version.store(v + 2, std::memory_order_release);
}

void LotTable::forget(std::uint32_t id) {
  const Row* held = row(id);
  if (held == nullptr || held->profile.load(std::memory_order_relaxed) == 0) return;
  Row& r = row_for_write(id);
  const std::uint32_t v = r.version.load(std::memory_order_relaxed);
  r.version.store(v + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  r.profile.store(0, std::memory_order_relaxed);
  r.version.store(v + 2, std::memory_order_release);
  held_.fetch_sub(1, std::memory_order_relaxed);
}

std::optional<LotFacts> LotTable::get(std::uint32_t id, std::uint64_t as_of_seq) const {
  const Row* r = row(id);
  if (r == nullptr) return std::nullopt;
  const std::uint32_t v = r->version.load(std::memory_order_acquire);
  if ((v & 1) != 0) return std::nullopt;
  const std::uint32_t p = r->profile.load(std::memory_order_relaxed);
  const std::uint32_t wo = r->wo.load(std::memory_order_relaxed);
  const std::uint32_t supplier_lot = r->supplier_lot.load(std::memory_order_relaxed);
  const std::uint64_t seq = r->seq.load(std::memory_order_relaxed);
  LotFacts f;
  f.on_hand = r->on_hand.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (r->version.load(std::memory_order_relaxed) != v) return std::nullopt;
  if (p == 0 || seq > as_of_seq) return std::nullopt;
  // The refs are of version v, whose strings were written before it was published.
  const auto* profile = strings_->at<Profile>(p);
  f.status = static_cast<s::LotStatus>(profile->status);
  f.origin = static_cast<s::LotOrigin>(profile->origin);
  f.consumed = (profile->marks & kConsumed) != 0;
  f.shipped = (profile->marks & kShipped) != 0;
  f.material = strings_->string(profile->material);
  f.uom = strings_->string(profile->uom);
  f.location = strings_->string(profile->location);
  f.supplier = strings_->string(profile->supplier);
  f.wo = strings_->string(wo);
  f.supplier_lot = strings_->string(supplier_lot);
  return f;
}

std::size_t LotTable::memory_bytes() const {
  std::size_t n = kMaxBlocks * sizeof(blocks_[0]) + strings_->bytes();
  for (std::size_t i = 0; i < kMaxBlocks; ++i) {
    if (blocks_[i].load(std::memory_order_relaxed) != nullptr) n += kBlockSize * sizeof(Row);
  }
  return n + profile_bytes_.load(std::memory_order_relaxed);
}

// ---------------------------------------------------------------- the saved form
//
//   blocks: u32 count, then each block's used size (u32), then each block's bytes;
//   rows:   `lots` SavedRows, in id order (a lot without facts: all zero).

LotTable::Mark LotTable::mark(std::uint64_t seq) const {
  return {strings_->used(), seq};
}

std::size_t LotTable::saved_bytes(std::uint32_t lots, const Mark& mark) {
  std::size_t n = sizeof(std::uint32_t) * (1 + mark.used.size());
  for (const std::uint32_t used : mark.used) n += used;
  return n + std::size_t{lots} * sizeof(SavedRow);
}

void LotTable::save(std::uint32_t lots, const Mark& mark,
                    const std::function<void(const void*, std::size_t)>& put) const {
  static_assert(std::is_trivially_copyable_v<SavedRow> && sizeof(SavedRow) == 32);
  const auto& used = mark.used;
  const auto count = static_cast<std::uint32_t>(used.size());
  put(&count, sizeof count);
  if (!used.empty()) put(used.data(), used.size() * sizeof(std::uint32_t));
  // The bytes up to a block's marked size were written before the mark; the writer only
  // appends after them.
  for (std::size_t b = 0; b < used.size(); ++b) put(strings_->block(b), used[b]);
  for (std::uint32_t id = 0; id < lots; ++id) {
    SavedRow s{};
    if (const Row* r = row(id)) {
      const std::uint32_t v = r->version.load(std::memory_order_acquire);
      s.profile = r->profile.load(std::memory_order_relaxed);
      s.wo = r->wo.load(std::memory_order_relaxed);
      s.supplier_lot = r->supplier_lot.load(std::memory_order_relaxed);
      s.seq = r->seq.load(std::memory_order_relaxed);
      s.on_hand = r->on_hand.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      // Rewritten after the mark, or now: its refs may name strings the mark does not hold.
      if ((v & 1) != 0 || r->version.load(std::memory_order_relaxed) != v || s.seq > mark.seq ||
          s.profile == 0) {
        s = SavedRow{};
      }
    }
    put(&s, sizeof s);
  }
}

Result<std::unique_ptr<LotTable>> LotTable::load(std::string_view bytes, std::uint32_t lots) {
  auto damaged = [](const std::string& why) {
    return std::unexpected(Error{ErrorCode::kCorruption, "lot table: " + why, {}});
  };
  auto table = std::make_unique<LotTable>();
  std::uint32_t count = 0;
  if (bytes.size() < sizeof count) return damaged("cut");
  std::memcpy(&count, bytes.data(), sizeof count);
  bytes.remove_prefix(sizeof count);
  if (count > Strings::kMaxBlocks || bytes.size() < std::size_t{count} * sizeof(std::uint32_t)) {
    return damaged("its block count does not add up");
  }
  std::vector<std::uint32_t> used(count);
  if (count > 0) std::memcpy(used.data(), bytes.data(), used.size() * sizeof(std::uint32_t));
  bytes.remove_prefix(used.size() * sizeof(std::uint32_t));
  for (const std::uint32_t n : used) {
    char* block = bytes.size() >= n ? table->strings_->add_block(n) : nullptr;
    if (block == nullptr) return damaged("a block is cut or too large");
    std::memcpy(block, bytes.data(), n);
    bytes.remove_prefix(n);
  }
  if (bytes.size() != std::size_t{lots} * sizeof(SavedRow)) return damaged("its rows are cut");
  // Every ref is checked before a reader can follow it; each profile once.
  boost::unordered_flat_set<std::uint32_t> profiles;
  for (std::uint32_t id = 0; id < lots; ++id) {
    SavedRow s;
    std::memcpy(&s, bytes.data() + std::size_t{id} * sizeof s, sizeof s);
    if (s.profile == 0) continue;
    const Strings& strings = *table->strings_;
    if (!profiles.contains(s.profile)) {
      if (!strings.holds(s.profile, sizeof(Profile))) return damaged("a row names no profile");
      const auto* p = strings.at<Profile>(s.profile);
      if (!strings.holds_string(p->material) || !strings.holds_string(p->uom) ||
          !strings.holds_string(p->location) || !strings.holds_string(p->supplier) ||
          p->status > static_cast<std::uint8_t>(s::LotStatus::REJECTED) ||
          p->origin > static_cast<std::uint8_t>(s::LotOrigin::TRANSFORMED)) {
        return damaged("a profile does not add up");
      }
      profiles.insert(s.profile);
      LotFacts f;
      f.material = strings.string(p->material);
      f.uom = strings.string(p->uom);
      f.location = strings.string(p->location);
      f.supplier = strings.string(p->supplier);
      f.status = static_cast<s::LotStatus>(p->status);
      f.origin = static_cast<s::LotOrigin>(p->origin);
      f.consumed = (p->marks & kConsumed) != 0;
      f.shipped = (p->marks & kShipped) != 0;
      std::string key;
      profile_key(f, key);
      table->note_profile(key);
      if (!table->profiles_.emplace(std::move(key), s.profile).second) {
        return damaged("a profile is there twice");
      }
    }
    if (!strings.holds_string(s.wo) || !strings.holds_string(s.supplier_lot)) {
      return damaged("a row names no string");
    }
    Row& r = table->row_for_write(id);
    r.profile.store(s.profile, std::memory_order_relaxed);
    r.wo.store(s.wo, std::memory_order_relaxed);
    r.supplier_lot.store(s.supplier_lot, std::memory_order_relaxed);
    r.seq.store(s.seq, std::memory_order_relaxed);
    r.on_hand.store(s.on_hand, std::memory_order_relaxed);
    table->held_.fetch_add(1, std::memory_order_relaxed);
  }
  return table;
}

}  // namespace custody::domain
