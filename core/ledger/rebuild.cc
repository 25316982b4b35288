#include "custody/ledger/rebuild.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "custody/codec/capnp_util.h"
#include "custody/common/encoding.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/state.h"
#include "rocksdb_options.h"
#include "schema/record.capnp.h"

namespace custody::ledger {
namespace {

// Projection entries held in memory before they are written out as a sorted chunk.
constexpr std::size_t kChunkEntries = 4'000'000;

std::string_view view(capnp::Text::Reader t) {
  return {t.cStr(), t.size()};
}

// What apply() is handed for a stored record; views into `r`. A redacted record carries the
// seq of the record that redacted it (kCorruption when none did).
Result<RecordRef> record_ref(schema::Record::Reader r, Store& store) {
  const auto payload = r.getPayload();
  RecordRef ref{r.getSeq(),
                r.getRecordedAt(),
                r.getOccurredAt(),
                view(r.getCommandId()),
                view(r.getActor()),
                view(r.getStream()),
                r.getStreamVersion(),
                view(r.getType()),
                {reinterpret_cast<const char*>(payload.begin()), payload.size()}};
  if (r.hasPayload()) return ref;
  auto by = redacted_by(store.db(), store.cf(Cf::kMeta), ref.seq);
  if (!by) return std::unexpected(by.error());
  if (!*by) {
    return std::unexpected(Error::corruption("record " + std::to_string(ref.seq) +
                                             " has no payload and no redaction record names it"));
  }
  ref.redacted_by = **by;
  return ref;
}

void hash_field(crypto::Sha256& h, std::string_view bytes) {
  h.update(be64(bytes.size()));
  h.update(bytes);
}

}  // namespace

LogReplay::LogReplay(Store& source, ColumnFamilies& target, std::filesystem::path tmp_dir,
                     StateMachine& machine, std::size_t chunk_entries)
    : source_(source),
      target_(target),
      tmp_dir_(std::move(tmp_dir)),
      machine_(machine),
      chunk_entries_(std::max<std::size_t>(chunk_entries, 1)),
      state_(std::make_unique<State>(target.db(), source.db(), source.cf(Cf::kLog))) {
  machine_.attach(target_);
  state_->detach();
}

LogReplay::~LogReplay() = default;

Result<void> LogReplay::apply(std::string_view stored) {
  try {
    codec::MessageView msg(stored);
    auto ref = record_ref(msg.root<schema::Record>(), source_);
    if (!ref) return std::unexpected(ref.error());
    machine_.apply(*ref, *state_);
  } catch (const std::exception& e) {
    return std::unexpected(
        Error::corruption("cannot apply record " + std::to_string(records_ + 1) + ": " + e.what()));
  }
  // The overlay's size is looked at now and then: one record adds a few entries at most.
  if (++records_ % 1024 == 0 && state_->overlay_size() >= chunk_entries_) return flush();
  return {};
}

Result<void> LogReplay::finish() {
  return flush();
}

Result<void> LogReplay::flush() {
  // Column families are sorted and written in parallel; the first error wins.
  std::mutex error_mu;
  std::optional<Error> error;
  std::vector<std::future<void>> writers;
  state_->flush_sorted([&](State::Cf cf, auto&& entries) {
    writers.push_back(std::async(
        std::launch::async, [this, &error_mu, &error, cf, entries = std::move(entries)]() mutable {
          std::sort(entries.begin(), entries.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
          if (auto r = ingest_sorted_into(target_.db(), cf, entries, tmp_dir_); !r) {
            std::lock_guard lock(error_mu);
            if (!error) error = r.error();
          }
        }));
  });
  for (auto& w : writers) w.get();
  // Whatever went wrong, it went wrong writing the target, not in the log.
  if (error)
    return fail(ErrorCode::kIoError, "cannot write the replayed projections: " + error->message);
  return {};
}

Result<RebuildReport> replay_log(Store& source, ColumnFamilies& target,
                                 const std::filesystem::path& tmp_dir, StateMachine& machine,
                                 std::size_t chunk_entries, const ReplayProgress& progress) {
  const auto started = std::chrono::steady_clock::now();
  LogReplay replay(source, target, tmp_dir, machine, chunk_entries);
  // The log is read on a second thread, in batches, while this one applies.
  struct Batch {
    std::vector<std::string> records;
    bool last = false;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Batch> ready;
  std::optional<Error> read_error;
  bool stop = false;
  std::thread reader([&] {
    rocksdb::ReadOptions ro;
    ro.readahead_size = 4 << 20;
    std::unique_ptr<rocksdb::Iterator> it(source.db().NewIterator(ro, source.cf(Cf::kLog)));
    it->SeekToFirst();
    for (;;) {
      Batch b;
      while (it->Valid() && b.records.size() < 4096) {
        b.records.emplace_back(it->value().ToStringView());
        it->Next();
      }
      b.last = !it->Valid();
      std::unique_lock lock(mu);
      if (b.last && !it->status().ok()) read_error = Error::io(it->status().ToString());
      cv.wait(lock, [&] { return ready.size() < 4 || stop; });
      if (stop) return;
      const bool last = b.last;
      ready.push_back(std::move(b));
      cv.notify_all();
      if (last) return;
    }
  });

  std::optional<Error> apply_error;
  for (bool done = false; !done && !apply_error;) {
    Batch b;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return !ready.empty(); });
      b = std::move(ready.front());
      ready.pop_front();
    }
    cv.notify_all();
    done = b.last;
    for (const auto& bytes : b.records) {
      if (auto r = replay.apply(bytes); !r) {
        apply_error = r.error();
        break;
      }
    }
    if (progress) progress(replay.records());
  }
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_all();
  reader.join();
  if (apply_error) return std::unexpected(*apply_error);
  if (read_error) return std::unexpected(*read_error);
  if (auto r = replay.finish(); !r) return std::unexpected(r.error());
  RebuildReport report;
  report.records = replay.records();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

Result<RebuildReport> rebuild_projections(Store& store, StateMachine& machine,
                                          const ReplayProgress& progress) {
  // The new projections are built beside the live ones, which stay as they are until the
  // new ones are complete and activated in one synced write.
  if (auto r = store.begin_projections(machine.column_families()); !r) {
    return std::unexpected(r.error());
  }
  auto report = replay_log(store, store, store.dir(), machine, kChunkEntries, progress);
  if (!report) return report;
  if (auto r = store.activate_projections(machine.projection_version()); !r) {
    return std::unexpected(r.error());
  }
  machine.attach(store);
  return report;
}

Result<RebuildReport> rebuild_ledger(const std::filesystem::path& dir, StateMachine& machine,
                                     const ReplayProgress& progress) {
  auto store = Store::open(dir, OpenMode::kReadWrite, machine.column_families());
  if (!store) return std::unexpected(store.error());
  machine.attach(**store);
  return rebuild_projections(**store, machine, progress);
}

Result<StateDigest> state_digest(Store& store, const StateMachine& machine) {
  rocksdb::DB& db = store.db();
  const Snapshot view(store);  // released on every return
  const rocksdb::ReadOptions ro = read_options(view.rocksdb_snapshot());
  StateDigest out;
  auto head = store.read_head(ro.snapshot);
  if (!head) return std::unexpected(head.error());
  out.head_seq = head->seq;
  crypto::Sha256 h;
  for (const auto& name : machine.column_families()) {
    auto* cf = store.cf(name);
    if (cf == nullptr) return fail(ErrorCode::kCorruption, "missing column family " + name);
    hash_field(h, name);
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      hash_field(h, it->key().ToStringView());
      hash_field(h, it->value().ToStringView());
      ++out.entries;
    }
    if (!it->status().ok()) return fail(ErrorCode::kIoError, it->status().ToString());
  }
  out.digest = h.finish();
  return out;
}

Result<std::uint64_t> apply_records_after(Store& store, std::uint64_t after,
                                          StateMachine& machine) {
  auto head = store.read_head();
  if (!head) return std::unexpected(head.error());
  State scratch(store.db(), store.cf(Cf::kLog));
  scratch.detach();
  rocksdb::ReadOptions ro;
  ro.readahead_size = 4 << 20;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(store.db().NewIterator(ro, store.cf(Cf::kLog)));
  std::uint64_t last = after;
  std::size_t since_clear = 0;
  for (it->Seek(be64(after + 1)); it->Valid() && last < head->seq; it->Next()) {
    try {
      codec::MessageView msg(it->value().ToStringView());
      auto ref = record_ref(msg.root<schema::Record>(), store);
      if (!ref) return std::unexpected(ref.error());
      if (ref->seq != last + 1) {
        return std::unexpected(
            Error::corruption("record " + std::to_string(last + 1) + " is missing from the log"));
      }
      machine.apply(*ref, scratch);
      last = ref->seq;
    } catch (const std::exception& e) {
      return std::unexpected(
          Error::corruption("cannot apply record " + std::to_string(last + 1) + ": " + e.what()));
    }
    // What apply() wrote is thrown away; its reads fall through to the database.
    if (++since_clear == 4096) {
      scratch.clear();
      since_clear = 0;
    }
  }
  if (!it->status().ok()) return std::unexpected(Error::io(it->status().ToString()));
  return last;
}

}  // namespace custody::ledger
