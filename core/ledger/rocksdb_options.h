// Internal to core/ledger: RocksDB settings shared by the store and the scratch database of a
// projection check.
#pragma once

#include <rocksdb/options.h>

#include <string>

namespace custody::ledger {

// Options for a column family named `name` (or its generation, "<name>@<n>"); a `reader`'s (a
// secondary instance's) keep index and filter blocks in the block cache.
[[nodiscard]] rocksdb::ColumnFamilyOptions column_family_options(const std::string& name,
                                                                 bool reader = false);

// Read options of a Snapshot's view.
[[nodiscard]] inline rocksdb::ReadOptions read_options(const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  return ro;
}

}  // namespace custody::ledger
