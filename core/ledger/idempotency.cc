#include "idempotency.h"

#include <pthread.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>

#include "custody/common/encoding.h"
#include "custody/ledger/record.h"

namespace custody::ledger {
namespace {

// be64(first seq) || be32(records) || digest(32). The first record's hash is not stored: a
// retry reads it back from the log (retries are rare; the entry is written per command).
std::string idem_value(const CommandResult& r, const crypto::Digest& digest) {
  std::string v = be64(r.seq);
  const std::uint32_t n = r.records;
  const char count[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                         static_cast<char>(n >> 8), static_cast<char>(n)};
  v.append(count, 4);
  v += crypto::as_view(digest);
  return v;
}

struct IdemEntry {
  CommandResult result;
  std::optional<crypto::Digest> digest;  // none in entries written before digests were kept
};

std::optional<IdemEntry> parse_idem(std::string_view v) {
  if (v.size() != 12 && v.size() != 44) return std::nullopt;
  IdemEntry e;
  CommandResult& r = e.result;
  r.seq = get_be64(v.data());
  const auto* p = reinterpret_cast<const unsigned char*>(v.data() + 8);
  r.records =
      (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  r.duplicate = true;
  if (v.size() == 44) {
    crypto::Digest d;
    std::memcpy(d.data(), v.data() + 12, 32);
    e.digest = d;
  }
  return e;
}

constexpr std::string_view kDigestsPrefix = "digests/";
std::string digests_key(std::uint64_t seq) {
  return std::string(kDigestsPrefix) + be64(seq);
}

Error conflict_error(std::string_view command_id, std::uint64_t seq) {
  return Error{ErrorCode::kIdempotencyConflict,
               "commandId " + std::string(command_id) +
                   " was already used by a different command (its records start at seq " +
                   std::to_string(seq) +
                   "); a retry must repeat the command exactly, and a new command needs a new id",
               "commandId"};
}

}  // namespace

// A background spill of recent ids into `idem`.
struct IdempotencyIndex::Spill {
  std::uint64_t through = 0;     // covers every command whose records are <= through
  std::vector<std::string> ids;  // what it spills; dropped from recent_ once ingested
  std::future<Result<void>> done;
};

IdempotencyIndex::IdempotencyIndex(Store& store, std::size_t spill_at)
    : store_(store), spill_at_(spill_at) {}

IdempotencyIndex::~IdempotencyIndex() {
  if (spill_) (void)spill_->done.get();
}

Result<void> IdempotencyIndex::load() {
  rocksdb::DB& db = store_.db();
  std::uint64_t through = 0;
  {
    std::string v;
    auto st = db.Get(rocksdb::ReadOptions(), store_.cf(Cf::kMeta), "idem_through", &v);
    if (st.ok() && v.size() == 8) through = get_be64(v.data());
  }
  boost::unordered_flat_map<std::uint64_t, crypto::Digest> digests;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db.NewIterator(rocksdb::ReadOptions(), store_.cf(Cf::kMeta)));
    for (it->Seek(kDigestsPrefix); it->Valid() && it->key().starts_with(kDigestsPrefix);
         it->Next()) {
      const std::string_view v = it->value().ToStringView();
      if (v.size() % 40 != 0) return fail(ErrorCode::kCorruption, "meta digests are malformed");
      for (std::size_t at = 0; at < v.size(); at += 40) {
        crypto::Digest d;
        std::memcpy(d.data(), v.data() + at + 8, 32);
        digests.emplace(get_be64(v.data() + at), d);
      }
    }
    if (!it->status().ok()) return std::unexpected(storage_error(it->status(), "meta"));
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db.NewIterator(rocksdb::ReadOptions(), store_.cf(Cf::kLog)));
  Recent* last = nullptr;
  std::string_view last_id;
  for (it->Seek(keys::log(through + 1)); it->Valid(); it->Next()) {
    auto check = check_record(it->value().ToStringView());
    if (!check) return std::unexpected(check.error());
    if (last != nullptr && check->command_id == last_id) {
      ++last->result.records;  // the next record of the same command
      continue;
    }
    CommandResult r;
    r.seq = check->seq;
    r.records = 1;
    r.hash = check->leaf;
    Recent recent{r, 0, {}, false};
    if (auto d = digests.find(r.seq); d != digests.end()) {
      recent.digest = d->second;
      recent.has_digest = true;
    }
    auto [pos, inserted] = recent_.emplace(check->command_id, recent);
    last = &pos->second;
    last_id = pos->first;
  }
  if (!it->status().ok()) return std::unexpected(storage_error(it->status(), "log"));
  return {};
}

Result<CommandResult> IdempotencyIndex::retry(std::string_view id, const Recent& recent,
                                              const crypto::Digest& digest) const {
  if (recent.has_digest && recent.digest != digest) {
    return std::unexpected(conflict_error(id, recent.result.seq));
  }
  CommandResult r = recent.result;
  r.duplicate = true;
  return r;
}

Result<CommandResult> IdempotencyIndex::stored(std::string_view id, std::string_view value,
                                               const crypto::Digest& digest) const {
  auto entry = parse_idem(value);
  if (!entry) {
    return fail(ErrorCode::kCorruption,
                "idempotency entry for " + std::string(id) + " is malformed");
  }
  if (entry->digest && *entry->digest != digest) {
    return std::unexpected(conflict_error(id, entry->result.seq));
  }
  CommandResult& r = entry->result;
  std::string bytes;
  auto st = store_.db().Get(rocksdb::ReadOptions(), store_.cf(Cf::kLog), keys::log(r.seq), &bytes);
  if (!st.ok()) {
    return fail(ErrorCode::kCorruption, "record " + std::to_string(r.seq) + " of command " +
                                            std::string(id) + " is missing");
  }
  auto leaf = record_leaf(bytes);
  if (!leaf) return std::unexpected(leaf.error());
  r.hash = *leaf;
  return r;
}

std::vector<std::optional<Result<CommandResult>>> IdempotencyIndex::look_up(
    std::span<const std::string_view> ids, std::span<const crypto::Digest> digests) {
  std::vector<std::optional<Result<CommandResult>>> out(ids.size());
  std::vector<rocksdb::Slice> keys;
  std::vector<std::size_t> owner;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (auto it = recent_.find(ids[i]); it != recent_.end()) {
      out[i] = retry(ids[i], it->second, digests[i]);
    } else {
      keys.emplace_back(ids[i].data(), ids[i].size());
      owner.push_back(i);
    }
  }
  if (keys.empty()) return out;
  std::vector<rocksdb::PinnableSlice> found(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  store_.db().MultiGet(rocksdb::ReadOptions(), store_.cf(Cf::kIdem), keys.size(), keys.data(),
                       found.data(), statuses.data());
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const std::size_t i = owner[k];
    if (statuses[k].ok()) {
      out[i] = stored(ids[i], found[k].ToStringView(), digests[i]);
    } else if (!statuses[k].IsNotFound()) {
      out[i] = std::unexpected(storage_error(statuses[k], "idempotency lookup failed"));
    }
  }
  return out;
}

std::optional<Result<CommandResult>> IdempotencyIndex::recent(std::string_view id,
                                                              const crypto::Digest& digest) const {
  if (auto it = recent_.find(id); it != recent_.end()) return retry(id, it->second, digest);
  return std::nullopt;
}

void IdempotencyIndex::accepted(std::string_view id, const CommandResult& result,
                                std::uint64_t group, const crypto::Digest& digest) {
  recent_.emplace(std::string(id), Recent{result, group, digest, true});
  group_digests_ += be64(result.seq);
  group_digests_ += crypto::as_view(digest);
}

void IdempotencyIndex::write_group(rocksdb::WriteBatch& batch, std::uint64_t first_seq) {
  if (!group_digests_.empty()) {
    batch.Put(store_.cf(Cf::kMeta), digests_key(first_seq), group_digests_);
    group_digests_.clear();
  }
  if (idem_through_) {
    batch.Put(store_.cf(Cf::kMeta), "idem_through", be64(*idem_through_));
    batch.DeleteRange(store_.cf(Cf::kMeta), digests_key(0), digests_key(*idem_through_ + 1));
    idem_through_.reset();
  }
}

void IdempotencyIndex::durable(std::uint64_t group, std::uint64_t seq) {
  if (spill_ && spill_->done.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    if (spill_->done.get()) {
      for (const auto& id : spill_->ids) recent_.erase(id);
      idem_through_ = spill_->through;
      ++spills_;
    } else {
      ++spill_failures_;  // the ids stay in memory; a later spill retries them
    }
    spill_.reset();
  }
  if (spill_ || recent_.size() < spill_at_) return;

  // Spill every id of a durable group: those are exactly the commands with records up to
  // `seq`, so `idem_through` can move there once the file is in.
  auto spill = std::make_unique<Spill>();
  spill->through = seq;
  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve(recent_.size());
  for (const auto& [id, r] : recent_) {
    if (r.group > group) continue;
    entries.emplace_back(id, idem_value(r.result, r.digest));
    spill->ids.push_back(id);
  }
  if (entries.size() < spill_at_ / 2) return;  // mostly in flight; later
  spill->done = std::async(std::launch::async, [this, entries = std::move(entries)]() mutable {
    pthread_setname_np(pthread_self(), "custody-spill");
    std::sort(entries.begin(), entries.end());
    return store_.ingest_sorted(Cf::kIdem, entries);
  });
  spill_ = std::move(spill);
}

void IdempotencyIndex::close(std::uint64_t head_seq) {
  if (spill_) {
    (void)spill_->done.get();  // whatever it did, what remains is written below
    spill_.reset();
  }
  if (recent_.empty()) return;
  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve(recent_.size());
  for (const auto& [id, r] : recent_) entries.emplace_back(id, idem_value(r.result, r.digest));
  std::sort(entries.begin(), entries.end());
  rocksdb::WriteBatch b;
  if (entries.size() >= 4096) {
    if (!store_.ingest_sorted(Cf::kIdem, entries)) return;
  } else {
    for (const auto& [k, v] : entries) b.Put(store_.cf(Cf::kIdem), k, v);
  }
  b.Put(store_.cf(Cf::kMeta), "idem_through", be64(head_seq));
  b.DeleteRange(store_.cf(Cf::kMeta), digests_key(0), digests_key(head_seq + 1));
  (void)store_.write(b);
}

}  // namespace custody::ledger
