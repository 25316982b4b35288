// A consistent, read-only view of the ledger at one instant (a RocksDB snapshot). Readers
// never block the sequencer, and the sequencer never changes what a snapshot shows.
//
// Thread-safe: any number of threads may read one snapshot concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/error.h"
#include "custody/ledger/reader.h"
#include "custody/ledger/store.h"

namespace custody::ledger {

class Snapshot final : public Reader {
 public:
  explicit Snapshot(Store& store);
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  [[nodiscard]] const Head& head() const { return head_; }
  [[nodiscard]] Store& store() const { return store_; }
  // The RocksDB snapshot underneath (nullptr for a reader's store, whose view is fixed).
  [[nodiscard]] const rocksdb::Snapshot* rocksdb_snapshot() const { return snapshot_; }

  // A projection family of the store (ColumnFamilies::cf); StorageError when absent.
  [[nodiscard]] Cf family(std::string_view name) const;

  // Calls fn(seq, canonical record bytes) for records from `from` on, at most `limit`
  // (0: no limit), in seq order; stops early when fn returns false.
  using RecordFn = std::function<bool(std::uint64_t seq, std::string_view bytes)>;
  [[nodiscard]] Result<void> records(std::uint64_t from, std::uint64_t limit,
                                     const RecordFn& fn) const;

  // The same for the records of one stream, from stream version `from_version` on.
  [[nodiscard]] Result<void> stream_records(std::string_view stream, std::uint64_t from_version,
                                            std::uint64_t limit, const RecordFn& fn) const;

  // A stream's version as of the snapshot: how many records it has (0: none yet).
  [[nodiscard]] Result<std::uint64_t> stream_version(std::string_view stream) const;

  // One record's bytes; kNotFound beyond the head.
  [[nodiscard]] Result<std::string> record(std::uint64_t seq) const;

  // Reader: point reads, batched reads and scans in any column family, as of the snapshot.
  [[nodiscard]] std::optional<std::string> get(Cf cf, std::string_view key) const override;
  [[nodiscard]] std::vector<std::optional<std::string>> multi_get(
      Cf cf, std::span<const std::string> keys) const override;
  void scan_prefix(Cf cf, std::string_view prefix, const Visit& fn,
                   std::string_view from = {}) const override;
  [[nodiscard]] std::unique_ptr<Scanner> scanner(Cf cf) const override;
  [[nodiscard]] std::unique_ptr<Scanner> prefix_scanner(Cf cf) const override;
  // A whole family in key order (or its keys that start with `prefix`), read once and not kept
  // in the block cache (a bulk load, which would otherwise push out what queries use).
  void scan_all(Cf cf, const Visit& fn, std::string_view prefix = {}) const;

 private:
  Store& store_;
  const rocksdb::Snapshot* snapshot_;
  Head head_;
};

}  // namespace custody::ledger
