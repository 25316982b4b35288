#include "custody/ledger/replica.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <map>

#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/config.h"
#include "custody/ledger/node_key.h"
#include "custody/ledger/record.h"
#include "custody/ledger/state.h"
#include "custody/ledger/state_machine.h"
#include "custody/ledger/store.h"

namespace custody::ledger {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "custody-batch 1\n";
constexpr const char* kReplicaFile = "REPLICA";
constexpr std::string_view kPositionKey = "replica/position";
constexpr std::string_view kRedactedPrefix = "redacted/";

void put_be32(std::uint32_t v, char* out) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

std::uint32_t get_be32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

void put_str(std::string& out, std::string_view s) {
  char len[4];
  put_be32(static_cast<std::uint32_t>(s.size()), len);
  out.append(len, 4);
  out.append(s);
}

// Reads a batch front to back; every read checks that the bytes are there.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : rest_(bytes) {}
  bool take(std::size_t n, std::string_view& out) {
    if (rest_.size() < n) return false;
    out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  bool u64(std::uint64_t& v) {
    std::string_view b;
    if (!take(8, b)) return false;
    v = get_be64(b.data());
    return true;
  }
  bool u32(std::uint32_t& v) {
    std::string_view b;
    if (!take(4, b)) return false;
    v = get_be32(b.data());
    return true;
  }
  bool str(std::string& out) {
    std::uint32_t n = 0;
    std::string_view b;
    if (!u32(n) || !take(n, b)) return false;
    out.assign(b);
    return true;
  }
  [[nodiscard]] std::size_t left() const { return rest_.size(); }

 private:
  std::string_view rest_;
};

Error bad_batch(std::string message) {
  return Error{ErrorCode::kInvalidArgument, "batch: " + std::move(message), "batch"};
}

Error forged(std::string message) {
  return Error{ErrorCode::kCorruption, std::move(message), "batch"};
}

std::string replica_json(const ReplicaInfo& info) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("format").string("custody-replica/1");
  w.key("site").string(info.site);
  w.key("ledgerId").string(info.ledger_id);
  w.key("origin").string(info.origin);
  w.end_object();
  out += '\n';
  return out;
}

}  // namespace

std::string encode_batch(const Batch& batch) {
  std::size_t size = kMagic.size() + 48 + 16 + batch.ledger_id.size() + batch.origin.size() +
                     batch.checkpoint.size();
  for (const auto& r : batch.records) size += 4 + r.size();
  std::string out;
  out.reserve(size);
  out.append(kMagic);
  out.append(be64(batch.first));
  out.append(be64(batch.records.size()));
  out.append(crypto::as_view(batch.prev_leaf));
  put_str(out, batch.ledger_id);
  put_str(out, batch.origin);
  put_str(out, batch.checkpoint);
  for (const auto& r : batch.records) put_str(out, r);
  return out;
}

Result<Batch> decode_batch(std::string_view bytes) {
  if (!bytes.starts_with(kMagic)) return std::unexpected(bad_batch("not a custody batch"));
  Cursor c(bytes.substr(kMagic.size()));
  Batch b;
  std::uint64_t count = 0;
  std::string_view leaf;
  if (!c.u64(b.first) || !c.u64(count) || !c.take(32, leaf) || !c.str(b.ledger_id) ||
      !c.str(b.origin) || !c.str(b.checkpoint)) {
    return std::unexpected(bad_batch("cut short in its header"));
  }
  std::memcpy(b.prev_leaf.data(), leaf.data(), 32);
  if (b.first == 0 || count == 0) return std::unexpected(bad_batch("it carries no records"));
  // Each record takes at least its 4-byte length: a count beyond that is a lie.
  if (count > c.left() / 4) return std::unexpected(bad_batch("its record count exceeds its size"));
  b.records.resize(count);
  for (auto& r : b.records) {
    if (!c.str(r)) return std::unexpected(bad_batch("cut short in its records"));
  }
  if (c.left() != 0) return std::unexpected(bad_batch("bytes after its last record"));
  return b;
}

Result<std::vector<Batch>> read_batches(Store& store, std::uint64_t after, std::size_t max_bytes,
                                        std::size_t max_batches) {
  rocksdb::DB& db = store.db();
  // One view of the checkpoints, the redactions and the log (a writer goes on meanwhile; a
  // reader's open is one view already, until it catches up).
  struct Pinned {
    rocksdb::DB& db;
    const rocksdb::Snapshot* snap;
    ~Pinned() {
      if (snap != nullptr) db.ReleaseSnapshot(snap);
    }
  } pinned{db, store.mode() == OpenMode::kReadWrite ? db.GetSnapshot() : nullptr};
  rocksdb::ReadOptions ro;
  ro.snapshot = pinned.snap;
  std::vector<Batch> out;
  std::uint64_t size = 0;
  std::string note;
  {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, store.cf(Cf::kCheckpoints)));
    it->Seek(be64(after + 1));
    if (!it->status().ok()) return std::unexpected(storage_error(it->status(), "checkpoints"));
    if (!it->Valid()) return out;
    if (it->key().size() != 8) return fail(ErrorCode::kCorruption, "a checkpoint key is malformed");
    size = get_be64(it->key().data());
    note = it->value().ToString();
  }
  std::vector<Redaction> redactions;
  {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, store.cf(Cf::kMeta)));
    for (it->Seek(kRedactedPrefix); it->Valid() && it->key().starts_with(kRedactedPrefix);
         it->Next()) {
      if (it->key().size() != kRedactedPrefix.size() + 8 || it->value().size() != 8) continue;
      redactions.push_back(Redaction{get_be64(it->key().data() + kRedactedPrefix.size()),
                                     get_be64(it->value().data())});
    }
    if (!it->status().ok()) return std::unexpected(storage_error(it->status(), "redactions"));
  }
  // A record that is sent without its payload is applied as what its redacting record left
  // of it: the range goes on to a checkpoint that covers that record too.
  for (;;) {
    std::uint64_t need = size;
    for (const auto& r : redactions) {
      if (r.seq <= size && r.by > need) need = r.by;
    }
    if (need == size) break;
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, store.cf(Cf::kCheckpoints)));
    it->Seek(be64(need));
    if (!it->status().ok()) return std::unexpected(storage_error(it->status(), "checkpoints"));
    if (!it->Valid()) return out;  // not checkpointed yet
    if (it->key().size() != 8) return fail(ErrorCode::kCorruption, "a checkpoint key is malformed");
    size = get_be64(it->key().data());
    note = it->value().ToString();
  }

  auto after_leaf = leaf_of(store, after);
  if (!after_leaf) return std::unexpected(after_leaf.error());
  crypto::Digest prev = *after_leaf;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, store.cf(Cf::kLog)));
  it->Seek(keys::log(after + 1));
  std::uint64_t seq = after + 1;
  while (seq <= size && out.size() < max_batches) {
    Batch b;
    b.ledger_id = store.meta().ledger_id;
    b.origin = store.meta().origin;
    b.first = seq;
    b.prev_leaf = prev;
    std::size_t bytes = 0;
    for (; seq <= size && it->Valid(); it->Next(), ++seq) {
      if (it->key() != keys::log(seq)) {
        return fail(ErrorCode::kCorruption, "record " + std::to_string(seq) + " is missing");
      }
      if (!b.records.empty() && bytes + it->value().size() > max_bytes) break;
      bytes += it->value().size();
      b.records.push_back(it->value().ToString());
    }
    if (!it->status().ok()) return std::unexpected(storage_error(it->status(), "log"));
    if (b.records.empty()) {
      return fail(ErrorCode::kCorruption, "record " + std::to_string(seq) + " is missing");
    }
    auto leaf = record_leaf(b.records.back());
    if (!leaf) return std::unexpected(leaf.error());
    prev = *leaf;
    if (b.last() == size) b.checkpoint = note;
    out.push_back(std::move(b));
  }
  return out;
}

Result<crypto::Digest> leaf_of(Store& store, std::uint64_t seq) {
  if (seq == 0) return crypto::Digest{};
  std::string v;
  auto st = store.db().Get(rocksdb::ReadOptions(), store.cf(Cf::kLog), keys::log(seq), &v);
  if (st.IsNotFound()) {
    return fail(ErrorCode::kCorruption, "record " + std::to_string(seq) + " is missing");
  }
  if (!st.ok()) return std::unexpected(storage_error(st, "record " + std::to_string(seq)));
  return record_leaf(v);
}

Result<bool> batch_is_from(Store& store, const Batch& batch) {
  if (batch.ledger_id != store.meta().ledger_id || batch.origin != store.meta().origin) {
    return false;
  }
  auto head = store.read_head();
  if (!head) return std::unexpected(head.error());
  if (batch.records.empty() || batch.first == 0 || batch.last() > head->seq) return false;
  if (batch.prev_leaf != leaf_of(store, batch.first - 1).value_or(crypto::Digest{1})) return false;
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    auto theirs = record_leaf(batch.records[i]);
    auto ours = leaf_of(store, batch.first + i);
    if (!ours) return std::unexpected(ours.error());
    if (!theirs || *theirs != *ours) return false;
  }
  if (batch.checkpoint.empty()) return true;
  std::string note;
  auto st =
      store.db().Get(rocksdb::ReadOptions(), store.cf(Cf::kCheckpoints), be64(batch.last()), &note);
  if (st.IsNotFound()) return false;
  if (!st.ok()) return std::unexpected(storage_error(st, "checkpoints"));
  return note == batch.checkpoint;
}

Result<std::optional<ReplicaInfo>> read_replica_info(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / kReplicaFile, ec)) return std::optional<ReplicaInfo>{};
  auto text = read_file(dir / kReplicaFile);
  if (!text) return std::unexpected(text.error());
  boost::system::error_code jec;
  auto v = boost::json::parse(*text, jec);
  const auto* o = jec ? nullptr : v.if_object();
  const auto str = [&](const char* k) -> const boost::json::string* {
    const auto* f = o ? o->if_contains(k) : nullptr;
    return f ? f->if_string() : nullptr;
  };
  if (!str("site") || !str("ledgerId") || !str("origin")) {
    return fail(ErrorCode::kCorruption, (dir / kReplicaFile).string() + " is malformed");
  }
  return ReplicaInfo{std::string(*str("site")), std::string(*str("ledgerId")),
                     std::string(*str("origin"))};
}

Result<std::unique_ptr<Replica>> Replica::open(const fs::path& dir, std::string site,
                                               std::string_view site_key,
                                               std::unique_ptr<StateMachine> machine) {
  auto key = crypto::NoteVerifier::parse(site_key);
  if (!key) {
    return fail(ErrorCode::kInvalidArgument, "the site's key is not a verifier key", "key");
  }
  std::unique_ptr<Replica> r(new Replica());
  r->dir_ = dir;
  r->site_ = std::move(site);
  r->site_key_ = key->vkey();
  r->key_ = *key;
  r->tip_key_ = *key;
  r->machine_ = std::move(machine);
  std::error_code ec;
  if (!fs::exists(dir, ec)) return r;

  auto info = read_replica_info(dir);
  if (!info) return std::unexpected(info.error());
  if (!*info) {
    return fail(ErrorCode::kNotALedger, dir.string() + " is not a follower's copy", "dir");
  }
  if ((*info)->site != r->site_) {
    return fail(ErrorCode::kConflict,
                dir.string() + " is a copy of site " + (*info)->site + ", not " + r->site_, "site");
  }
  auto pub = read_file(dir / "node.pub");
  if (!pub) return std::unexpected(pub.error());
  if (trimmed(*pub) != r->site_key_) {
    return fail(ErrorCode::kConflict, dir.string() + " was made for another key of the site",
                "key");
  }
  r->ledger_id_ = (*info)->ledger_id;
  r->origin_ = (*info)->origin;
  if (auto loaded = r->load(); !loaded) return std::unexpected(loaded.error());
  return r;
}

Replica::~Replica() {
  if (store_ && machine_) machine_->closing(*store_);
}

Result<void> Replica::load() {
  auto store = Store::open(dir_, OpenMode::kReadWrite, machine_->column_families());
  if (!store) return std::unexpected(store.error());
  store_ = std::move(*store);
  if (store_->projection_version() != machine_->projection_version()) {
    return fail(ErrorCode::kProjectionsStale,
                dir_.string() +
                    ": its projections were built by another version; run `custody "
                    "rebuild " +
                    dir_.string() + "`");
  }
  machine_->attach(*store_);
  try {
    machine_->opened(*store_);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kIoError, e.what());
  }
  state_ = std::make_unique<State>(store_->db(), store_->cf(Cf::kLog));
  auto head = store_->read_head();
  if (!head) return std::unexpected(head.error());
  head_ = *head;
  auto frontier = store_->load_frontier(head_.seq);
  if (!frontier) return std::unexpected(frontier.error());
  frontier_ = std::move(*frontier);
  tip_ = frontier_;
  auto key = crypto::NoteVerifier::parse(store_->current_public_key());
  if (!key) return fail(ErrorCode::kCorruption, "the copy's current key is malformed");
  key_ = *key;
  tip_key_ = *key;
  rocksdb::DB& db = store_->db();
  std::string v;
  if (store_->local() != nullptr &&
      db.Get(rocksdb::ReadOptions(), store_->local(), kPositionKey, &v).ok()) {
    position_ = v;
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db.NewIterator(rocksdb::ReadOptions(), store_->cf(Cf::kCheckpoints)));
  it->SeekToLast();
  if (it->Valid()) checkpoint_ = it->value().ToString();
  return {};
}

Result<void> Replica::create() {
  const fs::path partial = dir_.string() + ".partial";
  std::error_code ec;
  fs::remove_all(partial, ec);
  if (!fs::create_directories(partial, ec) || ec) {
    return fail(ErrorCode::kIoError, "cannot create " + partial.string() + ": " + ec.message(),
                "dir");
  }
  const ReplicaInfo info{site_, ledger_id_, origin_};
  const std::pair<const char*, std::string> files[] = {
      {"node.pub", site_key_ + "\n"},
      {"config.json", std::string(kDefaultConfig)},
      {kReplicaFile, replica_json(info)},
  };
  for (const auto& [name, text] : files) {
    if (auto w = write_new_file(partial / name, text, 0644); !w) return w;
  }
  Store::InitInfo init{ledger_id_, origin_, site_key_, SystemClock().now(),
                       machine_->projection_version()};
  if (auto c = Store::create(partial, init, machine_->column_families()); !c) return c;
  if (auto w = write_new_file(partial / "FORMAT",
                              "custody-ledger " + std::to_string(kSchemaVersion) + "\n", 0644);
      !w) {
    return w;
  }
  if (auto s = sync_dir(partial); !s) return s;
  fs::rename(partial, dir_, ec);
  if (ec) return fail(ErrorCode::kIoError, "cannot create " + dir_.string() + ": " + ec.message());
  if (auto s = sync_dir(dir_.parent_path().empty() ? fs::path(".") : dir_.parent_path()); !s) {
    return s;
  }
  return load();
}

Result<crypto::Digest> Replica::leaf_at(std::uint64_t seq) const {
  if (seq == 0) return crypto::Digest{};
  if (seq > head_.seq) return held_[seq - head_.seq - 1].leaf;
  if (seq == head_.seq) return head_.leaf;
  return leaf_of(*store_, seq);
}

Result<Replica::Offered> Replica::offer(const Batch& batch, std::string_view position) {
  if (batch.records.empty() || batch.first == 0) return std::unexpected(forged("an empty batch"));
  const std::string& ledger_id = ledger_id_.empty() ? batch.ledger_id : ledger_id_;
  const std::string& origin = origin_.empty() ? batch.origin : origin_;
  if (batch.ledger_id != ledger_id || batch.origin != origin) {
    return std::unexpected(forged("a batch of ledger " + batch.ledger_id + " (" + batch.origin +
                                  "), not of " + ledger_id + " (" + origin + ")"));
  }
  if (origin != key_->name()) {
    return std::unexpected(
        forged("the batch's origin " + origin + " is not the name of the site's key"));
  }
  const std::uint64_t top = head_.seq + held_.size();
  if (batch.first > top + 1) {
    return fail(ErrorCode::kInvalidState,
                "a gap: the next record is " + std::to_string(top + 1) +
                    " and the batch starts at " + std::to_string(batch.first),
                "first");
  }
  // What the copy already has must come again unchanged.
  std::size_t i = 0;
  for (std::uint64_t seq = batch.first; seq <= top && i < batch.records.size(); ++seq, ++i) {
    auto theirs = record_leaf(batch.records[i]);
    if (!theirs)
      return std::unexpected(
          forged("record " + std::to_string(seq) + ": " + theirs.error().message));
    auto ours = leaf_at(seq);
    if (!ours) return std::unexpected(ours.error());
    if (*theirs != *ours) {
      return fail(ErrorCode::kConflict,
                  "record " + std::to_string(seq) +
                      " differs from the one the copy holds; a rewrite of history is refused",
                  "batch");
    }
  }
  const bool completes_held = batch.last() == top && !held_.empty() && !batch.checkpoint.empty();
  if (i == batch.records.size() && !completes_held) return Offered{Outcome::kDuplicate, 0};

  // The new records: canonical, consecutive, chained.
  auto prev = leaf_at(batch.first + i - 1);
  if (!prev) return std::unexpected(prev.error());
  if (i == 0 && batch.prev_leaf != *prev) {
    return std::unexpected(forged("the batch's chain link is not the leaf of record " +
                                  std::to_string(batch.first - 1)));
  }
  MerkleFrontier tip = tip_;
  crypto::NoteVerifier key = *tip_key_;
  std::vector<HeldRecord> fresh;
  fresh.reserve(batch.records.size() - i);
  for (; i < batch.records.size(); ++i) {
    const std::uint64_t seq = batch.first + i;
    const std::string& bytes = batch.records[i];
    auto check = check_record(bytes);
    if (!check) {
      return std::unexpected(
          forged("record " + std::to_string(seq) + ": " + check.error().message));
    }
    if (check->seq != seq) {
      return std::unexpected(
          forged("record " + std::to_string(seq) + " carries seq " + std::to_string(check->seq)));
    }
    if (check->prev_hash != *prev) {
      return std::unexpected(
          forged("record " + std::to_string(seq) + ": its prevHash is not the leaf before it"));
    }
    if (check->key_rotation) {
      auto next = rotated_key(bytes, origin, key);
      if (!next) {
        return std::unexpected(
            forged("record " + std::to_string(seq) + ": " + next.error().message));
      }
      key = *next;
    }
    tip.append(check->leaf);
    fresh.push_back(HeldRecord{bytes, check->leaf});
    *prev = check->leaf;
  }

  if (batch.checkpoint.empty()) {
    if (ledger_id_.empty()) {
      ledger_id_ = batch.ledger_id;
      origin_ = batch.origin;
    }
    for (auto& r : fresh) held_.push_back(std::move(r));
    tip_ = std::move(tip);
    tip_key_ = key;
    return Offered{Outcome::kHeld, 0};
  }

  auto cp = open_checkpoint(batch.checkpoint, key);
  if (!cp) {
    return std::unexpected(forged("the checkpoint of records up to " +
                                  std::to_string(batch.last()) +
                                  " is not signed by the site's key: " + cp.error().message));
  }
  if (cp->origin != origin || cp->size != batch.last()) {
    return std::unexpected(forged("the checkpoint covers " + std::to_string(cp->size) +
                                  " records of " + cp->origin + ", the batch ends at " +
                                  std::to_string(batch.last())));
  }
  if (cp->root != tip.root()) {
    return std::unexpected(forged("the checkpoint's root is not the root of the records up to " +
                                  std::to_string(cp->size)));
  }

  if (ledger_id_.empty()) {
    ledger_id_ = batch.ledger_id;
    origin_ = batch.origin;
  }
  std::vector<HeldRecord> records = std::move(held_);
  held_.clear();
  for (auto& r : fresh) records.push_back(std::move(r));
  const std::uint64_t count = records.size();
  auto written = write(records, tip, key, batch.checkpoint, position);
  if (!written) {
    // Nothing was written: hold the records again, as before this batch.
    records.resize(records.size() - fresh.size());
    held_ = std::move(records);
    return std::unexpected(written.error());
  }
  return Offered{Outcome::kWritten, count};
}

// The redactions among `records` (first..): each record.redacted names the record it erased,
// and each record that comes without its payload must be erased by one of them. Nothing of
// the batch's own is trusted: a redaction is what a checked record says.
Result<std::vector<Redaction>> Replica::redactions(const std::vector<RecordFields>& fields,
                                                   std::uint64_t first) const {
  std::vector<Redaction> out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const RecordFields& f = fields[i];
    if (!f.payload_present) continue;
    const std::uint64_t seq = first + i;
    const std::uint64_t erased =
        machine_->erased_by(RecordRef{seq, f.recorded_at, f.occurred_at, f.command_id, f.actor,
                                      f.stream, f.stream_version, f.type, f.payload});
    if (erased != 0 && erased < seq) out.push_back(Redaction{erased, seq});
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::uint64_t seq = first + i;
    if (fields[i].payload_present) continue;
    if (std::none_of(out.begin(), out.end(), [&](const Redaction& r) { return r.seq == seq; })) {
      return std::unexpected(forged("record " + std::to_string(seq) +
                                    " comes without its payload, and no record up to the "
                                    "checkpoint erased it"));
    }
  }
  return out;
}

Result<void> Replica::write(std::vector<HeldRecord>& records, const MerkleFrontier& tip,
                            const crypto::NoteVerifier& key, std::string_view checkpoint,
                            std::string_view position) {
  const std::uint64_t first = head_.seq + 1;
  const std::uint64_t last = head_.seq + records.size();
  std::vector<RecordFields> fields;
  fields.reserve(records.size());
  for (const auto& rec : records) {
    auto f = decode_record(rec.bytes);
    if (!f) return std::unexpected(f.error());
    fields.push_back(std::move(*f));
  }
  auto erasures = redactions(fields, first);
  if (!erasures) return std::unexpected(erasures.error());
  if (!store_) {
    if (auto c = create(); !c) return c;
  }
  rocksdb::WriteBatch wb;
  rocksdb::ColumnFamilyHandle* log = store_->cf(Cf::kLog);

  // Payloads erased by a record written now: gone from the copy too. The stored bytes keep
  // their leaf hash (only the payload goes; its digest stays), which is checked.
  for (const auto& r : *erasures) {
    wb.Put(store_->cf(Cf::kMeta), keys::redaction(r.seq), be64(r.by));
    std::string held;
    if (r.seq >= first) {
      held = records[r.seq - first].bytes;
    } else {
      auto st = store_->db().Get(rocksdb::ReadOptions(), log, keys::log(r.seq), &held);
      if (!st.ok()) return std::unexpected(storage_error(st, "record " + std::to_string(r.seq)));
    }
    auto f = decode_record(held);
    if (!f) return std::unexpected(f.error());
    if (!f->payload_present) continue;
    f->payload.clear();
    f->payload_present = false;
    std::string erased =
        canonical_record(*f, RecordForm::kLeaf);  // how a redacted record is stored
    auto before = record_leaf(held);
    auto after = record_leaf(erased);
    if (!before || !after || *before != *after) {
      return fail(ErrorCode::kInternal,
                  "erasing record " + std::to_string(r.seq) + " would change its leaf");
    }
    if (r.seq >= first) {
      records[r.seq - first].bytes = std::move(erased);
      fields[r.seq - first].payload.clear();
      fields[r.seq - first].payload_present = false;
    } else {
      wb.Put(log, keys::log(r.seq), erased);
    }
  }

  const std::uint64_t group = ++group_;
  state_->begin(group, wb);
  MerkleFrontier frontier = frontier_;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>, std::less<>> streams;
  // Every record is in State before any is applied: a record that comes already redacted is
  // applied as what its redacting record (in the same write: read_batches sees to it) left.
  for (std::uint64_t seq = first; seq <= last; ++seq) {
    const HeldRecord& rec = records[seq - first];
    wb.Put(log, keys::log(seq), rec.bytes);
    state_->add_record(seq, rec.bytes);
    frontier.append(rec.leaf, [&](const MerkleFrontier::Node& node) {
      if (node.level >= kStoredMinLevel) {
        wb.Put(store_->cf(Cf::kMerkle), keys::merkle(node.level, node.index),
               crypto::as_view(node.hash));
      }
    });
    const RecordFields& f = fields[seq - first];
    streams[f.stream] = {f.stream_version, seq};
  }
  try {
    for (std::uint64_t seq = first; seq <= last; ++seq) {
      const RecordFields& f = fields[seq - first];
      std::uint64_t redacted_by = 0;
      if (!f.payload_present) {
        for (const auto& r : *erasures) {
          if (r.seq == seq) redacted_by = r.by;
        }
      }
      machine_->apply(
          RecordRef{seq, f.recorded_at, f.occurred_at, f.command_id, f.actor, f.stream,
                    f.stream_version, f.type,
                    f.payload_present ? std::string_view(f.payload) : std::string_view(),
                    redacted_by},
          *state_);
    }
    state_->finish_group();
  } catch (const std::exception& e) {
    state_->clear();
    return fail(ErrorCode::kCorruption,
                std::string("the projections could not take the batch's records: ") + e.what(),
                "batch");
  }
  if (frontier.root() != tip.root()) {
    state_->clear();
    return fail(ErrorCode::kInternal, "the copy's tree differs from the one checked");
  }
  const Head head{last, records.back().leaf, fields.back().recorded_at};
  for (const auto& [name, sh] : streams) {
    wb.Put(store_->cf(Cf::kStreams), name, be64(sh.first) + be64(sh.second));
  }
  wb.Put(store_->cf(Cf::kMeta), "head", keys::head_value(head));
  wb.Put(store_->cf(Cf::kCheckpoints), be64(last), checkpoint);
  if (key.vkey() != key_->vkey()) wb.Put(store_->cf(Cf::kMeta), kCurrentKeyMeta, key.vkey());
  if (store_->local() != nullptr) wb.Put(store_->local(), kPositionKey, position);
  if (auto w = store_->write(wb); !w) {
    state_->clear();
    return w;
  }
  state_->retire(group);
  head_ = head;
  frontier_ = std::move(frontier);
  tip_ = frontier_;
  key_ = key;
  tip_key_ = key;
  position_ = std::string(position);
  checkpoint_ = std::string(checkpoint);
  // The write is durable; DIR/HEAD only lags it (head_file.h), and the next write or open
  // brings it up to date.
  if (auto a = store_->acknowledge(head_); !a) {
    store_->log_warning("replica: cannot record the head in HEAD: " + a.error().message);
  }
  return {};
}

}  // namespace custody::ledger
