// State: what the domain reads and writes while the sequencer handles commit groups.
//
// Reads of the database are cached: the sequencer is the only writer, so a value read stays
// true until State itself writes the key, which drops it from the cache (the overlay then
// answers until the write is durable). The cache is bounded and simply emptied when full.
//
// Reads see the committed database plus every write of groups that are prepared but not yet
// durable, including earlier commands of the group in progress (so a command is checked
// against the effects of every command accepted before it). Writes go into an in-memory
// overlay tagged with the group; finish_group() puts the group's final values into its
// WriteBatch, sorted by key and once per key: sorted inserts are what RocksDB's memtable
// does cheaply (a random insert costs a walk of cache misses from the top of the skiplist),
// and an entity updated by many commands of a group is written once. Once the group is
// durable, retire() drops its overlay entries (unless a later group rewrote them).
// Rebuild uses the same class with unsynced batches.
//
// Not thread-safe: the sequencer thread (or the rebuild loop) owns it.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "custody/ledger/reader.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace custody::ledger {

class State final : public Reader {
 public:
  // `log` is the log column family, for record(); reads of other families come from `db`.
  State(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) : db_(db), log_db_(db), log_(log) {}
  // Projections in `db`, the log in another database (a replay into a scratch database).
  State(rocksdb::DB& db, rocksdb::DB& log_db, rocksdb::ColumnFamilyHandle* log)
      : db_(db), log_db_(log_db), log_(log) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  [[nodiscard]] std::optional<std::string> get(Cf cf, std::string_view key) const override;
  void put(Cf cf, std::string_view key, std::string_view value);
  void del(Cf cf, std::string_view key);

  // Every live key starting with `prefix` (from `from` on), in key order, merging the
  // overlay over the database.
  void scan_prefix(Cf cf, std::string_view prefix, const Visit& fn,
                   std::string_view from = {}) const override;

  // The canonical bytes of record `seq`, including records of groups not yet durable;
  // nullopt beyond the head.
  [[nodiscard]] std::optional<std::string> record(std::uint64_t seq) const;
  // The sequencer tells State about each record it adds to the current group.
  void add_record(std::uint64_t seq, std::string_view bytes);

  // Starts group `group` (increasing): writes from now on go into `batch`.
  void begin(std::uint64_t group, rocksdb::WriteBatch& batch);
  // Puts the group's writes into its batch (sorted, deduplicated). Call once, last.
  void finish_group();
  // The batch of the current group (the sequencer adds the log records to it too).
  [[nodiscard]] rocksdb::WriteBatch& batch() { return *batch_; }
  // Group `group` is durable: its writes are in the database, so the overlay may forget them.
  void retire(std::uint64_t group);
  // Forgets everything (all groups durable, or the batches discarded).
  void clear();

  // Rebuild mode: writes go to the overlay only (no batch), and flush_sorted() hands each
  // column family's overlay to `sink` and then forgets it. Reads still see
  // the overlay first, then the database (which holds what earlier flushes wrote).
  void detach() { detached_ = true; }
  // The sink takes the entries (unsorted; the sink sorts them, possibly on another thread).
  using Sink =
      std::function<void(Cf, std::vector<std::pair<std::string, std::optional<std::string>>>&&)>;
  void flush_sorted(const Sink& sink);
  [[nodiscard]] std::size_t overlay_size() const;

 private:
  struct Entry {
    std::optional<std::string> value;  // nullopt: deleted
    std::uint64_t group = 0;           // the group that wrote it last
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Hashed: every command reads and writes it several times; order is needed only by
  // scan_prefix and flush_sorted, which sort what they take.
  using Layer = boost::unordered_flat_map<std::string, Entry, StringHash, std::equal_to<>>;
  void write(Cf cf, std::string_view key, std::optional<std::string_view> value);

  rocksdb::DB& db_;
  rocksdb::DB& log_db_;
  rocksdb::ColumnFamilyHandle* log_;
  rocksdb::WriteBatch* batch_ = nullptr;
  bool detached_ = false;
  // Records of groups not yet retired: (group, seq, bytes), in seq order.
  std::deque<std::tuple<std::uint64_t, std::uint64_t, std::string>> records_;
  std::uint64_t group_ = 0;
  std::unordered_map<Cf, Layer> overlay_;
  mutable std::unordered_map<Cf, Layer> cache_;  // database reads; Entry::group unused
  mutable std::size_t cached_ = 0;
  // Keys each not-yet-retired group wrote, oldest group first.
  std::vector<std::pair<std::uint64_t, std::vector<std::pair<Cf, std::string>>>> written_;
};

}  // namespace custody::ledger
