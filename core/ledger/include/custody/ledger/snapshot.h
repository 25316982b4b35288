// A consistent, read-only view of the ledger at one instant (a RocksDB snapshot). Readers
// never block the sequencer, and the sequencer never changes what a snapshot shows.
//
// Thread-safe: any number of threads may read one snapshot concurrently.
#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/error.h"
#include "custody/ledger/store.h"

namespace custody::ledger {

class Snapshot {
 public:
  explicit Snapshot(Store& store);
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  [[nodiscard]] const Head& head() const { return head_; }
  [[nodiscard]] Store& store() const { return store_; }
  [[nodiscard]] rocksdb::ReadOptions read_options() const;

  // Calls fn(seq, canonical record bytes) for records from `from` on, at most `limit`
  // (0: no limit), in seq order; stops early when fn returns false.
  using RecordFn = std::function<bool(std::uint64_t seq, std::string_view bytes)>;
  [[nodiscard]] Result<void> records(std::uint64_t from, std::uint64_t limit,
                                     const RecordFn& fn) const;

  // The same for the records of one stream, from stream version `from_version` on.
  [[nodiscard]] Result<void> stream_records(std::string_view stream, std::uint64_t from_version,
                                            std::uint64_t limit, const RecordFn& fn) const;

  // One record's bytes; kNotFound beyond the head.
  [[nodiscard]] Result<std::string> record(std::uint64_t seq) const;

  // A point read in any column family.
  [[nodiscard]] Result<std::optional<std::string>> get(rocksdb::ColumnFamilyHandle* cf,
                                                       std::string_view key) const;

 private:
  Store& store_;
  const rocksdb::Snapshot* snapshot_;
  Head head_;
};

}  // namespace custody::ledger
