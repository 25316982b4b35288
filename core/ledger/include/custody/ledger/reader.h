// Reading projection state, the one way domain code reads it, whether it is the sequencer's
// live state (State: committed data plus what in-flight groups wrote) or a consistent view
// (Snapshot). No RocksDB type leaves the ledger layer: families are named by opaque handles
// (ColumnFamilies::cf), keys and values are bytes.
//
// Storage failures (I/O, damaged blocks) end a query: readers throw StorageError, and the
// domain's query entry points turn it back into an Error. Absence is nullopt.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"

namespace rocksdb {
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace custody::ledger {

class StorageError : public std::runtime_error {
 public:
  explicit StorageError(Error error)
      : std::runtime_error(error.message), error_(std::move(error)) {}
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
};

// Runs `fn` (returning Result<T>), turning a StorageError into its Error.
template <typename F>
auto reading(F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const StorageError& e) {
    return std::unexpected(e.error());
  }
}

class Reader {
 public:
  using Cf = rocksdb::ColumnFamilyHandle*;
  // Called with each key and value in key order; return false to stop.
  using Visit = std::function<bool(std::string_view key, std::string_view value)>;

  virtual ~Reader() = default;

  [[nodiscard]] virtual std::optional<std::string> get(Cf cf, std::string_view key) const = 0;
  // The values of `keys`, in their order, read in one batch where the store can.
  [[nodiscard]] virtual std::vector<std::optional<std::string>> multi_get(
      Cf cf, std::span<const std::string> keys) const;
  // Every key starting with `prefix`, from `from` on (empty: from the prefix itself).
  virtual void scan_prefix(Cf cf, std::string_view prefix, const Visit& fn,
                           std::string_view from = {}) const = 0;

  // For many scans of one family (a walk of the genealogy): keeps what one scan sets up for
  // the next. Not thread-safe; one per thread.
  class Scanner {
   public:
    virtual ~Scanner() = default;
    virtual void scan_prefix(std::string_view prefix, const Visit& fn,
                             std::string_view from = {}) = 0;
  };
  [[nodiscard]] virtual std::unique_ptr<Scanner> scanner(Cf cf) const;
  // The same for scans whose every prefix is a whole entity prefix: an entity and the 0x00
  // after it, as the genealogy's edge keys have (rocksdb_options.h, "entity prefix"). On a
  // family whose table filters hold those prefixes, a scan for an entity with no keys is
  // answered by the filters, without a block read. A prefix without its 0x00 is a
  // programming error (StorageError, kInternal).
  [[nodiscard]] virtual std::unique_ptr<Scanner> prefix_scanner(Cf cf) const { return scanner(cf); }
};

}  // namespace custody::ledger
