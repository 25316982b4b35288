#include "custody/ledger/snapshot.h"

#include <memory>

#include "custody/common/encoding.h"
#include "custody/ledger/record.h"

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

rocksdb::ReadOptions Snapshot::read_options() const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_;
  return ro;
}

Result<void> Snapshot::records(std::uint64_t from, std::uint64_t limit, const RecordFn& fn) const {
  rocksdb::ReadOptions ro = read_options();
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(store_.db().NewIterator(ro, store_.cf(Cf::kLog)));
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
  auto head = get(store_.cf(Cf::kStreams), stream);
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

Result<std::string> Snapshot::record(std::uint64_t seq) const {
  std::string v;
  auto s = store_.db().Get(read_options(), store_.cf(Cf::kLog), keys::log(seq), &v);
  if (s.IsNotFound()) return fail(ErrorCode::kNotFound, "no record " + std::to_string(seq));
  if (!s.ok()) return fail(ErrorCode::kIoError, s.ToString());
  return v;
}

Result<std::optional<std::string>> Snapshot::get(rocksdb::ColumnFamilyHandle* cf,
                                                 std::string_view key) const {
  std::string v;
  auto s = store_.db().Get(read_options(), cf, key, &v);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return fail(ErrorCode::kIoError, s.ToString());
  return std::optional<std::string>(std::move(v));
}

}  // namespace custody::ledger
