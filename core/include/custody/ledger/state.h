// State: what the domain reads and writes while the sequencer handles commit groups.
//
// Reads see the committed database plus every write of groups that are prepared but not yet
// durable, including earlier commands of the group in progress (so a command is checked
// against the effects of every command accepted before it). Writes go into the current
// group's WriteBatch and into an in-memory overlay tagged with the group; once that group
// is durable, retire() drops its overlay entries (unless a later group rewrote them).
// Rebuild uses the same class with unsynced batches.
//
// Not thread-safe: the sequencer thread (or the rebuild loop) owns it.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace custody::ledger {

class State {
 public:
  using Cf = rocksdb::ColumnFamilyHandle*;

  explicit State(rocksdb::DB& db) : db_(db) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  [[nodiscard]] std::optional<std::string> get(Cf cf, std::string_view key) const;
  void put(Cf cf, std::string_view key, std::string_view value);
  void del(Cf cf, std::string_view key);

  // Calls fn(key, value) for every live key starting with `prefix`, in key order, merging
  // the overlay over the database; stops when fn returns false.
  void scan_prefix(Cf cf, std::string_view prefix,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const;

  // Starts group `group` (increasing): writes from now on go into `batch`.
  void begin(std::uint64_t group, rocksdb::WriteBatch& batch);
  // The batch of the current group (the sequencer adds the log records to it too).
  [[nodiscard]] rocksdb::WriteBatch& batch() { return *batch_; }
  // Group `group` is durable: its writes are in the database, so the overlay may forget them.
  void retire(std::uint64_t group);
  // Forgets everything (all groups durable, or the batches discarded).
  void clear();

 private:
  struct Entry {
    std::optional<std::string> value;  // nullopt: deleted
    std::uint64_t group = 0;           // the group that wrote it last
  };
  using Layer = std::map<std::string, Entry, std::less<>>;
  void write(Cf cf, std::string_view key, std::optional<std::string_view> value);

  rocksdb::DB& db_;
  rocksdb::WriteBatch* batch_ = nullptr;
  std::uint64_t group_ = 0;
  std::unordered_map<Cf, Layer> overlay_;
  // Keys each not-yet-retired group wrote, oldest group first.
  std::vector<std::pair<std::uint64_t, std::vector<std::pair<Cf, std::string>>>> written_;
};

}  // namespace custody::ledger
