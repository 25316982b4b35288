#include "custody/ledger/rebuild.h"

#include <chrono>
#include <memory>

#include "custody/codec/capnp_util.h"
#include "custody/common/encoding.h"
#include "custody/ledger/state.h"
#include "schema/record.capnp.h"

namespace custody::ledger {
namespace {

// Projection entries held in memory before they are written out as a sorted chunk.
constexpr std::size_t kChunkEntries = 4'000'000;

std::string_view view(capnp::Text::Reader t) {
  return {t.cStr(), t.size()};
}

void hash_field(crypto::Sha256& h, std::string_view bytes) {
  h.update(be64(bytes.size()));
  h.update(bytes);
}

}  // namespace

Result<RebuildReport> rebuild_projections(Store& store, StateMachine& machine) {
  const auto started = std::chrono::steady_clock::now();
  const auto families = machine.column_families();
  if (auto r = store.reset_column_families(families); !r) return std::unexpected(r.error());
  machine.attach(store);

  State state(store.db(), store.cf(Cf::kLog));
  state.detach();
  Result<void> flushed;
  auto flush = [&] {
    state.flush_sorted([&](State::Cf cf, const auto& entries) {
      if (flushed) flushed = store.ingest_sorted(cf, entries);
    });
  };

  RebuildReport report;
  rocksdb::ReadOptions ro;
  ro.readahead_size = 4 << 20;
  std::unique_ptr<rocksdb::Iterator> it(store.db().NewIterator(ro, store.cf(Cf::kLog)));
  for (it->SeekToFirst(); it->Valid() && flushed; it->Next()) {
    try {
      codec::MessageView msg(it->value().ToStringView());
      auto r = msg.root<schema::Record>();
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
      machine.apply(ref, state);
    } catch (const std::exception& e) {
      return fail(ErrorCode::kCorruption,
                  "cannot apply record " + std::to_string(report.records + 1) + ": " + e.what());
    }
    ++report.records;
    if (state.overlay_size() >= kChunkEntries) flush();
  }
  if (!it->status().ok()) return fail(ErrorCode::kIoError, it->status().ToString());
  if (flushed) flush();
  if (!flushed) return std::unexpected(flushed.error());
  // Make the ingested files' manifest durable, like a synced write would.
  if (auto s = store.db().FlushWAL(true); !s.ok()) return fail(ErrorCode::kIoError, s.ToString());
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

Result<RebuildReport> rebuild_ledger(const std::filesystem::path& dir, StateMachine& machine) {
  auto store = Store::open(dir, OpenMode::kReadWrite, machine.column_families());
  if (!store) return std::unexpected(store.error());
  machine.attach(**store);
  return rebuild_projections(**store, machine);
}

Result<StateDigest> state_digest(Store& store, const StateMachine& machine) {
  rocksdb::DB& db = store.db();
  const rocksdb::Snapshot* snap = db.GetSnapshot();
  struct Release {
    rocksdb::DB& db;
    const rocksdb::Snapshot* s;
    ~Release() { db.ReleaseSnapshot(s); }
  } release{db, snap};
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  StateDigest out;
  auto head = store.read_head(snap);
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

}  // namespace custody::ledger
