// Where a state machine's projection column families are: the live ones of a ledger's store,
// the next generation while `custody rebuild` builds it, or a scratch database that
// `custody verify` replays the log into.
#pragma once

#include <string_view>

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace custody::ledger {

class ColumnFamilies {
 public:
  virtual ~ColumnFamilies() = default;
  // The database the families belong to.
  [[nodiscard]] virtual rocksdb::DB& db() = 0;
  // A projection column family by name; nullptr when absent.
  [[nodiscard]] virtual rocksdb::ColumnFamilyHandle* cf(std::string_view name) const = 0;
};

}  // namespace custody::ledger
