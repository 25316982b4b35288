// Internal to core/ledger: RocksDB settings shared by the store and the scratch database of a
// projection check.
#pragma once

#include <rocksdb/options.h>

#include <string>
#include <string_view>

namespace custody::ledger {

// Options for a column family named `name` (or its generation, "<name>@<n>"); a `reader`'s (a
// secondary instance's) keep index and filter blocks in the block cache.
[[nodiscard]] rocksdb::ColumnFamilyOptions column_family_options(const std::string& name,
                                                                 bool reader = false);

// The entity prefix of a key: its bytes up to and including the first 0x00 ("lot-7\0lot-9"
// has "lot-7\0"). The genealogy's edge families are walked entity by entity; their table
// filters hold each key's entity prefix beside the whole key, so a seek for an entity with no
// keys in a file is answered by that file's filter (walked_by_prefix, below).
[[nodiscard]] inline bool is_entity_prefix(std::string_view prefix) {
  return !prefix.empty() && prefix.find('\0') == prefix.size() - 1;
}

// The families whose table filters hold entity prefixes.
[[nodiscard]] inline bool walked_by_prefix(std::string_view family) {
  return family == "genealogy_fwd" || family == "genealogy_bwd";
}

// Read options of a Snapshot's view, and of every other read that is not a walk by entity:
// in total order, whatever prefix the family's filters hold.
[[nodiscard]] inline rocksdb::ReadOptions read_options(const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.total_order_seek = true;
  return ro;
}

}  // namespace custody::ledger
