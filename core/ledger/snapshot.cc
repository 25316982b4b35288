#include "custody/ledger/snapshot.h"

#include <rocksdb/db.h>

#include <memory>

#include "custody/common/encoding.h"
#include "custody/ledger/record.h"
#include "rocksdb_options.h"

namespace custody::ledger {

// A reader's store is a secondary instance that never catches up after it opened, so its
// view cannot change and needs no RocksDB snapshot (secondaries do not support them).
Snapshot::Snapshot(Store& store)
    : store_(store),
      snapshot_(store.mode() == OpenMode::kReadWrite ? store.db().GetSnapshot() : nullptr) {
  auto head = store_.read_head(snapshot_);
  if (head) head_ = *head;
}

Snapshot::~Snapshot() {
  if (snapshot_ != nullptr) store_.db().ReleaseSnapshot(snapshot_);
}

namespace {

// One iterator, reused for every scan: creating one costs more than a seek.
class IteratorScanner final : public Reader::Scanner {
 public:
  enum class Seek { kTotalOrder, kEntityPrefix };
  IteratorScanner(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                  const rocksdb::Snapshot* snapshot, Seek seek = Seek::kTotalOrder)
      : by_prefix_(seek == Seek::kEntityPrefix), it_(db.NewIterator(options(snapshot), cf)) {}

  void scan_prefix(std::string_view prefix, const Reader::Visit& fn,
                   std::string_view from) override {
    if (by_prefix_ && !is_entity_prefix(prefix)) {
      throw StorageError(Error{ErrorCode::kInternal,
                               "a prefix scanner was given a prefix that is no entity's", ""});
    }
    const std::string_view start = from > prefix ? from : prefix;
    for (it_->Seek(rocksdb::Slice(start.data(), start.size()));
         it_->Valid() && it_->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size()));
         it_->Next()) {
      if (!fn(it_->key().ToStringView(), it_->value().ToStringView())) return;
    }
    if (!it_->status().ok()) throw StorageError(storage_error(it_->status(), "scan failed"));
  }

 private:
  [[nodiscard]] rocksdb::ReadOptions options(const rocksdb::Snapshot* snapshot) const {
    rocksdb::ReadOptions ro = read_options(snapshot);
    if (by_prefix_) {
      // Each seek stays within its entity: the table filters may answer it.
      ro.total_order_seek = false;
      ro.prefix_same_as_start = true;
    }
    return ro;
  }

  bool by_prefix_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace

Reader::Cf Snapshot::family(std::string_view name) const {
  auto* cf = store_.cf(name);
  if (cf == nullptr) {
    throw StorageError(Error::corruption("missing column family " + std::string(name)));
  }
  return cf;
}

std::optional<std::string> Snapshot::get(Cf cf, std::string_view key) const {
  std::string v;
  auto s = store_.db().Get(read_options(snapshot_), cf, rocksdb::Slice(key.data(), key.size()), &v);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) throw StorageError(storage_error(s, "read failed"));
  return v;
}

std::vector<std::optional<std::string>> Snapshot::multi_get(
    Cf cf, std::span<const std::string> keys) const {
  const std::size_t n = keys.size();
  std::vector<std::optional<std::string>> out(n);
  if (n == 0) return out;
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  store_.db().MultiGet(read_options(snapshot_), cf, n, slices.data(), values.data(),
                       statuses.data());
  for (std::size_t i = 0; i < n; ++i) {
    if (statuses[i].ok()) {
      out[i] = values[i].ToString();
    } else if (!statuses[i].IsNotFound()) {
      throw StorageError(storage_error(statuses[i], "read failed"));
    }
  }
  return out;
}

void Snapshot::scan_prefix(Cf cf, std::string_view prefix, const Visit& fn,
                           std::string_view from) const {
  IteratorScanner(store_.db(), cf, snapshot_).scan_prefix(prefix, fn, from);
}

std::unique_ptr<Reader::Scanner> Snapshot::scanner(Cf cf) const {
  return std::make_unique<IteratorScanner>(store_.db(), cf, snapshot_);
}

std::unique_ptr<Reader::Scanner> Snapshot::prefix_scanner(Cf cf) const {
  return std::make_unique<IteratorScanner>(store_.db(), cf, snapshot_,
                                           IteratorScanner::Seek::kEntityPrefix);
}

void Snapshot::scan_all(Cf cf, const Visit& fn, std::string_view prefix) const {
  rocksdb::ReadOptions ro = read_options(snapshot_);
  ro.fill_cache = false;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(store_.db().NewIterator(ro, cf));
  const rocksdb::Slice start(prefix.empty() ? "" : prefix.data(), prefix.size());
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) return;
  }
  if (!it->status().ok()) throw StorageError(storage_error(it->status(), "scan failed"));
}

Result<void> Snapshot::records(std::uint64_t from, std::uint64_t limit, const RecordFn& fn) const {
  rocksdb::ReadOptions ro = read_options(snapshot_);
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(store_.db().NewIterator(ro, store_.cf(ledger::Cf::kLog)));
  std::uint64_t n = 0;
  for (it->Seek(keys::log(std::max<std::uint64_t>(from, 1))); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return fail(ErrorCode::kCorruption, "malformed log key");
    const std::uint64_t seq = get_be64(it->key().data());
    if (seq > head_.seq) break;
    if (!fn(seq, it->value().ToStringView())) break;
    if (limit != 0 && ++n >= limit) break;
  }
  if (!it->status().ok()) return fail(ErrorCode::kIoError, it->status().ToString());
  return {};
}

Result<void> Snapshot::stream_records(std::string_view stream, std::uint64_t from_version,
                                      std::uint64_t limit, const RecordFn& fn) const {
  auto head = reading([&]() -> Result<std::optional<std::string>> {
    return get(store_.cf(ledger::Cf::kStreams), stream);
  });
  if (!head) return std::unexpected(head.error());
  if (!*head) return {};
  if ((*head)->size() != 16) return fail(ErrorCode::kCorruption, "malformed stream head");
  from_version = std::max<std::uint64_t>(from_version, 1);

  // Walk the stream's links back to from_version, then hand the records out oldest first.
  std::vector<std::pair<std::uint64_t, std::string>> found;
  std::uint64_t seq = get_be64((*head)->data() + 8);
  while (seq != 0) {
    auto bytes = record(seq);
    if (!bytes) return std::unexpected(bytes.error());
    auto rec = decode_record(*bytes);
    if (!rec) return std::unexpected(rec.error());
    if (rec->stream != stream || rec->stream_prev_seq >= seq) {
      return fail(ErrorCode::kCorruption, "record " + std::to_string(seq) +
                                              " breaks the links of stream " + std::string(stream));
    }
    if (rec->stream_version < from_version) break;
    const std::uint64_t prev = rec->stream_prev_seq;
    found.emplace_back(seq, std::move(*bytes));
    seq = prev;
  }
  std::uint64_t n = 0;
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    if (!fn(it->first, it->second)) break;
    if (limit != 0 && ++n >= limit) break;
  }
  return {};
}

Result<std::uint64_t> Snapshot::stream_version(std::string_view stream) const {
  auto head = reading([&]() -> Result<std::optional<std::string>> {
    return get(store_.cf(ledger::Cf::kStreams), stream);
  });
  if (!head) return std::unexpected(head.error());
  if (!*head) return 0;
  if ((*head)->size() != 16) return fail(ErrorCode::kCorruption, "malformed stream head");
  return get_be64((*head)->data());
}

Result<std::string> Snapshot::record(std::uint64_t seq) const {
  std::string v;
  auto s =
      store_.db().Get(read_options(snapshot_), store_.cf(ledger::Cf::kLog), keys::log(seq), &v);
  if (s.IsNotFound()) return fail(ErrorCode::kNotFound, "no record " + std::to_string(seq));
  if (!s.ok())
    return std::unexpected(storage_error(s, "cannot read record " + std::to_string(seq)));
  return v;
}

}  // namespace custody::ledger
