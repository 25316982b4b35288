#include "custody/ledger/store.h"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "custody/common/encoding.h"
#include "custody/ledger/config.h"
#include "custody/ledger/node_key.h"
#include "custody/ledger/record.h"
#include "rocksdb_options.h"

namespace custody::ledger {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kFormatMagic = "custody-ledger ";

const std::vector<std::string>& builtin_names() {
  static const std::vector<std::string> names = {"log",     "meta",   "idem",
                                                 "streams", "merkle", "checkpoints"};
  return names;
}

std::shared_ptr<rocksdb::Cache> shared_cache() {
  static std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(kDefaultBlockCacheMb << 20);
  return cache;
}

// The prefix extractor of the families walked by entity (rocksdb_options.h): a key's bytes up
// to and including its first 0x00. Keys without one are outside its domain.
class EntityPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "custody.EntityPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const auto* nul = static_cast<const char*>(std::memchr(key.data(), 0, key.size()));
    return {key.data(), static_cast<std::size_t>(nul - key.data()) + 1};
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), 0, key.size()) != nullptr;
  }
};

// The insert hints of the families whose next key lands where the last one of its prefix
// did: `log` (by seq: after the last record), `merkle` (by index within a level, the prefix
// byte) and `streams` (a stream's new version goes just before its last one; the prefix is
// the whole stream id). The memtable keeps the place of each prefix's last insert and starts
// the next insert there, instead of searching its skip list from the top: a search that
// costs a few cache misses per level in a memtable of 200,000 entries. A hint costs about
// 250 bytes of the memtable per prefix, so `streams` fills its memtable sooner where most
// streams get one record between flushes.
class InsertInOrder final : public rocksdb::SliceTransform {
 public:
  explicit InsertInOrder(std::size_t prefix_bytes) : prefix_bytes_(prefix_bytes) {}
  const char* Name() const override { return "custody.InsertInOrder"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), std::min(prefix_bytes_, key.size())};
  }
  bool InDomain(const rocksdb::Slice&) const override { return true; }

 private:
  std::size_t prefix_bytes_;
};

rocksdb::ColumnFamilyOptions cf_options(const std::string& name, bool reader = false) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = (name == "log") ? (64 << 20) : (32 << 20);
  o.max_write_buffer_number = 4;
  if (name == "log" || name == "merkle" || name == "streams") {
    static const auto log = std::make_shared<const InsertInOrder>(0);
    static const auto merkle = std::make_shared<const InsertInOrder>(1);
    static const auto streams = std::make_shared<const InsertInOrder>(SIZE_MAX);
    o.memtable_insert_with_hint_prefix_extractor =
        name == "log" ? log : (name == "merkle" ? merkle : streams);
  }
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = shared_cache();
  t.block_size = 16 << 10;
  // Point lookups (idempotency, stream versions, projections) mostly miss or hit once; a
  // bloom filter keeps a miss off the disk. The log is read by range only.
  if (name != "log" && name != "merkle" && name != "checkpoints") {
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.whole_key_filtering = true;
  }
  if (walked_by_prefix(name)) {
    // The filters hold each key's entity too: a walk's seek for a lot without edges (most of
    // a backward walk's last level, the shipment units of a forward one) reads no block.
    // Files written before hold no prefixes; RocksDB reads them without (its table properties
    // name the extractor), until a compaction or `custody rebuild` rewrites them.
    static const std::shared_ptr<const rocksdb::SliceTransform> prefix =
        std::make_shared<EntityPrefix>();
    o.prefix_extractor = prefix;
    // Every seek now asks a file's filter, and a full filter is one block of about 10 MB for
    // a 2M-lot site: larger than a shard of the block cache (1/64 of it), so a reader, whose
    // filters live in the cache, would read it again for each seek. Partitioned, a seek reads
    // one 4 KB partition of the filter and of the index; the top levels stay pinned.
    t.partition_filters = true;
    t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    t.metadata_block_size = 4096;
    t.pin_top_level_index_and_filter = true;
  }
  if (reader) {
    // A reader opens every table file at once (max_open_files -1, below). Their index and
    // filter blocks go into the shared cache as they are needed, rather than each held in
    // memory from the open: an enterprise node reads ten sites' copies, 20-40 MB of them a
    // site.
    t.cache_index_and_filter_blocks = true;
    t.cache_index_and_filter_blocks_with_high_priority = true;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = rocksdb::kZSTD;
  return o;
}

// RocksDB's info log, written by custody rather than by RocksDB's own logger: that one
// aborts the process (an assertion in its file writer) when a write to the log failed
// before, which is exactly what a full disk does. Lines that cannot be written are dropped.
class InfoLog final : public rocksdb::Logger {
 public:
  explicit InfoLog(const fs::path& path)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL),
        fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {}
  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[1024];
    const int n = std::vsnprintf(line, sizeof line - 1, format, ap);
    if (n <= 0) return;
    std::size_t len = std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 2);
    line[len++] = '\n';
    std::lock_guard lock(mu_);
    (void)!::write(fd_, line, len);
  }

 private:
  int fd_;
  std::mutex mu_;
};

rocksdb::DBOptions db_options() {
  rocksdb::DBOptions o;
  o.max_background_jobs = 2;
  o.bytes_per_sync = 1 << 20;
  o.keep_log_file_num = 4;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.max_manifest_file_size = 64 << 20;
  // The sequencer is the only writer, so concurrent memtable writes buy nothing; turning
  // them off enables the insert hints of `log`, `merkle` and `streams` (cf_options).
  o.allow_concurrent_memtable_write = false;
  // A torn record at the very end of the write-ahead log is a group that was never
  // acknowledged (custody acknowledges after fsync). Damage anywhere else must stop the
  // open: the default, point-in-time recovery, would silently drop every record after it.
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  o.paranoid_checks = true;
  o.max_total_wal_size = Store::kMaxWalBytes;
  return o;
}

rocksdb::DBOptions db_options(const std::shared_ptr<rocksdb::Logger>& log) {
  rocksdb::DBOptions o = db_options();
  o.info_log = log;
  return o;
}

Error io_error(const rocksdb::Status& s, std::string_view what) {
  return storage_error(s, what);
}

constexpr std::string_view kGenerationMark = "@";

// "entities@3" -> ("entities", 3); "entities" -> ("entities", 0).
std::pair<std::string, std::uint64_t> split_generation(const std::string& physical) {
  const auto at = physical.rfind(kGenerationMark);
  if (at == std::string::npos) return {physical, 0};
  std::uint64_t gen = 0;
  const std::string_view num = std::string_view(physical).substr(at + 1);
  if (num.empty() ||
      std::from_chars(num.data(), num.data() + num.size(), gen).ptr != num.data() + num.size()) {
    return {physical, 0};
  }
  return {physical.substr(0, at), gen};
}

bool is_builtin(const std::string& name) {
  return name == rocksdb::kDefaultColumnFamilyName || name == kLocalColumnFamily ||
         std::find(builtin_names().begin(), builtin_names().end(), name) != builtin_names().end();
}

std::string get_meta(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  std::string v;
  if (!db.Get(rocksdb::ReadOptions(), cf, key, &v).ok()) v.clear();
  return v;
}

}  // namespace

std::string Store::current_public_key() {
  std::string v = get_meta(*db_, cf(Cf::kMeta), kCurrentKeyMeta);
  return v.empty() ? meta_.node_public_key : v;
}

Error storage_error(const rocksdb::Status& s, std::string_view what) {
  const std::string message = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Error::corruption(message);
  return Error::io(message);
}

const std::vector<std::string>& builtin_column_families() {
  return builtin_names();
}

namespace keys {
std::string log(std::uint64_t seq) {
  return be64(seq);
}

std::string merkle(unsigned level, std::uint64_t index) {
  std::string k(1, static_cast<char>(level));
  k += be64(index);
  return k;
}

std::string head_value(const Head& h) {
  std::string v = be64(h.seq);
  v.append(reinterpret_cast<const char*>(h.leaf.data()), h.leaf.size());
  v += be64(static_cast<std::uint64_t>(h.recorded_at));
  return v;
}

std::optional<Head> parse_head(std::string_view v) {
  if (v.size() != 48) return std::nullopt;
  Head h;
  h.seq = get_be64(v.data());
  std::memcpy(h.leaf.data(), v.data() + 8, 32);
  h.recorded_at = static_cast<TimeNs>(get_be64(v.data() + 40));
  return h;
}

std::string redaction(std::uint64_t seq) {
  return "redacted/" + be64(seq);
}
}  // namespace keys

Result<std::optional<std::uint64_t>> redacted_by(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* meta,
                                                 std::uint64_t seq,
                                                 const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string v;
  auto s = db.Get(ro, meta, keys::redaction(seq), &v);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return std::unexpected(storage_error(s, "cannot read the redaction index"));
  if (v.size() != 8)
    return std::unexpected(Error::corruption("redaction index entry is malformed"));
  return get_be64(v.data());
}

Result<int> read_format_version(const fs::path& dir) {
  std::ifstream in(dir / "FORMAT");
  if (!in) {
    return fail(ErrorCode::kNotALedger,
                dir.string() +
                    " is not a custody ledger (no FORMAT file; create one with "
                    "`custody init`)");
  }
  std::string line;
  std::getline(in, line);
  if (line.substr(0, kFormatMagic.size()) != kFormatMagic) {
    return fail(ErrorCode::kNotALedger, dir.string() + "/FORMAT is not a custody ledger marker");
  }
  int version = 0;
  const std::string_view num = std::string_view(line).substr(kFormatMagic.size());
  if (std::from_chars(num.data(), num.data() + num.size(), version).ptr !=
          num.data() + num.size() ||
      version <= 0) {
    return fail(ErrorCode::kNotALedger, dir.string() + "/FORMAT has no valid version");
  }
  return version;
}

Result<void> Store::create(const fs::path& dir, const InitInfo& info,
                           const std::vector<std::string>& extra_cfs) {
  std::error_code ec;
  fs::create_directories(dir / "db", ec);
  auto log = std::make_shared<InfoLog>(dir / "db" / "LOG");
  rocksdb::DBOptions dbo = db_options(log);
  dbo.create_if_missing = true;
  dbo.error_if_exists = true;
  dbo.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options("default"));
  for (const auto& n : builtin_names()) descs.emplace_back(n, cf_options(n));
  for (const auto& n : extra_cfs) descs.emplace_back(n, cf_options(n));
  descs.emplace_back(std::string(kLocalColumnFamily), cf_options(std::string(kLocalColumnFamily)));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(dbo, (dir / "db").string(), descs, &handles, &raw);
  if (!s.ok()) return std::unexpected(io_error(s, "cannot create database"));
  std::unique_ptr<rocksdb::DB> db(raw);

  rocksdb::WriteBatch b;
  rocksdb::ColumnFamilyHandle* meta = handles[1 + static_cast<int>(Cf::kMeta)];
  b.Put(meta, "ledger_id", info.ledger_id);
  b.Put(meta, "schema_version", std::to_string(kSchemaVersion));
  b.Put(meta, "origin", info.origin);
  b.Put(meta, "node_public_key", info.node_public_key);
  b.Put(meta, "created_at", be64(static_cast<std::uint64_t>(info.created_at)));
  b.Put(meta, "head", keys::head_value(Head{}));
  b.Put(meta, "projections", "0 " + std::to_string(info.projection_version));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db->Write(wo, &b);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  if (!s.ok()) return std::unexpected(io_error(s, "cannot write ledger meta"));
  s = db->Close();
  if (!s.ok()) return std::unexpected(io_error(s, "cannot close database"));
  return HeadFile::create(dir, Head{});
}

Result<std::unique_ptr<Store>> Store::open(const fs::path& dir, OpenOptions options,
                                           const std::vector<std::string>& extra_cfs) {
  const OpenMode mode = options.mode;
  auto version = read_format_version(dir);
  if (!version) return std::unexpected(version.error());
  if (*version > kSchemaVersion) {
    return fail(ErrorCode::kUnsupportedVersion,
                dir.string() + " was written by a newer custody (schema version " +
                    std::to_string(*version) + "; this build reads up to " +
                    std::to_string(kSchemaVersion) + ")");
  }

  std::unique_ptr<Store> store(new Store());
  store->dir_ = dir;
  store->mode_ = mode;
  store->flush_at_close_bytes_ = options.flush_at_close_bytes;
  store->on_damage_ = options.on_damage;
  if (mode == OpenMode::kReadWrite) {
    store->lock_fd_ = ::open((dir / "FORMAT").c_str(), O_RDONLY | O_CLOEXEC);
    if (store->lock_fd_ < 0) {
      return fail(ErrorCode::kIoError,
                  "cannot open " + (dir / "FORMAT").string() + ": " + std::strerror(errno));
    }
    if (::flock(store->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return fail(ErrorCode::kLedgerLocked,
                    dir.string() +
                        " is open for writing in another process; stop it (or use its API) "
                        "and retry");
      }
      return fail(ErrorCode::kIoError, "cannot lock " + dir.string() + ": " + std::strerror(errno));
    }
  }

  // The acknowledged head is read before the database: a writer updates it only after its
  // records are durable, so whatever the database shows from here on covers it.
  auto acknowledged = HeadFile::read(dir);
  if (!acknowledged) {
    if (options.on_damage == OnDamage::kRefuse || mode == OpenMode::kReadWrite) {
      return std::unexpected(acknowledged.error());
    }
    store->damage_ = Damage{acknowledged.error().message, std::nullopt};
  } else {
    store->acknowledged_ = *acknowledged;
  }

  const std::string db_path = (dir / "db").string();
  std::vector<std::string> existing;
  auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_path, &existing);
  if (!s.ok()) return std::unexpected(io_error(s, "cannot read database in " + dir.string()));
  for (const auto& n : builtin_names()) {
    if (std::find(existing.begin(), existing.end(), n) == existing.end()) {
      return fail(ErrorCode::kCorruption, dir.string() + " lacks column family " + n);
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : existing) {
    descs.emplace_back(n, column_family_options(n, mode == OpenMode::kReadOnly));
  }

  rocksdb::DB* raw = nullptr;
  if (mode == OpenMode::kReadWrite) {
    store->info_log_ = std::make_shared<InfoLog>(dir / "db" / "LOG");
    rocksdb::DBOptions dbo = db_options(store->info_log_);
    dbo.max_total_wal_size = options.max_wal_bytes;
    s = rocksdb::DB::Open(dbo, db_path, descs, &store->handles_, &raw);
  } else {
    // A secondary instance reads the writer's files without its lock and never writes to
    // them; it keeps its own info log in a private temporary directory.
    std::string tmpl = (fs::temp_directory_path() / "custody-reader-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return fail(ErrorCode::kIoError, "cannot create a reader directory in " +
                                           fs::temp_directory_path().string() + ": " +
                                           std::strerror(errno));
    }
    store->secondary_dir_ = tmpl;
    store->info_log_ = std::make_shared<InfoLog>(store->secondary_dir_ / "LOG");
    rocksdb::DBOptions dbo = db_options(store->info_log_);
    dbo.max_open_files = -1;  // required: files the writer deletes stay readable
    s = rocksdb::DB::OpenAsSecondary(dbo, db_path, store->secondary_dir_.string(), descs,
                                     &store->handles_, &raw);
    if (!s.ok() && s.IsCorruption() && options.on_damage == OnDamage::kReport) {
      // Damage the writer would refuse: show what can still be read, and say so.
      store->damage_ =
          Damage{"the database cannot be opened as it is: " + s.ToString(), std::nullopt};
      store->handles_.clear();
      dbo.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
      s = rocksdb::DB::OpenForReadOnly(dbo, db_path, descs, &store->handles_, &raw);
    }
  }
  if (!s.ok()) return std::unexpected(io_error(s, "cannot open database in " + dir.string()));
  store->db_.reset(raw);
  store->names_ = existing;
  for (std::size_t i = 0; i < builtin_names().size(); ++i) {
    store->builtin_[i] = store->handle(builtin_names()[i]);
  }

  rocksdb::ColumnFamilyHandle* meta = store->cf(Cf::kMeta);
  LedgerMeta& m = store->meta_;
  m.ledger_id = get_meta(*store->db_, meta, "ledger_id");
  const std::string sv = get_meta(*store->db_, meta, "schema_version");
  std::from_chars(sv.data(), sv.data() + sv.size(), m.schema_version);
  m.origin = get_meta(*store->db_, meta, "origin");
  m.node_public_key = get_meta(*store->db_, meta, "node_public_key");
  const std::string created = get_meta(*store->db_, meta, "created_at");
  if (created.size() == 8) m.created_at = static_cast<TimeNs>(get_be64(created.data()));
  if (m.ledger_id.empty()) {
    return fail(ErrorCode::kNotALedger, dir.string() + " has no ledger id in its database");
  }
  if (m.schema_version > kSchemaVersion) {
    return fail(ErrorCode::kUnsupportedVersion,
                dir.string() + " holds schema version " + std::to_string(m.schema_version) +
                    "; this build reads up to " + std::to_string(kSchemaVersion));
  }
  if (const std::string p = get_meta(*store->db_, meta, "projections"); !p.empty()) {
    std::istringstream in(p);
    std::uint64_t gen = 0;
    std::uint32_t ver = 0;
    if (!(in >> gen >> ver)) {
      return fail(ErrorCode::kCorruption, dir.string() + ": meta projections is malformed");
    }
    store->generation_ = gen;
    store->projection_version_ = ver;
  }

  store->local_ = store->handle(kLocalColumnFamily);
  if (mode == OpenMode::kReadWrite && store->local_ == nullptr) {
    // Ledgers made before local state existed get it on their first writable open.
    rocksdb::ColumnFamilyHandle* fresh = nullptr;
    s = store->db_->CreateColumnFamily(cf_options(std::string(kLocalColumnFamily)),
                                       std::string(kLocalColumnFamily), &fresh);
    if (!s.ok()) return std::unexpected(io_error(s, "cannot create the local state"));
    store->handles_.push_back(fresh);
    store->names_.emplace_back(kLocalColumnFamily);
    store->local_ = fresh;
  }
  if (mode == OpenMode::kReadWrite) {
    if (auto r = store->drop_stale_projections(extra_cfs); !r) return std::unexpected(r.error());
    for (const auto& n : extra_cfs) {
      const std::string physical = store->physical_name(n, store->generation_);
      if (store->handle(physical) != nullptr) continue;
      rocksdb::ColumnFamilyHandle* fresh = nullptr;
      s = store->db_->CreateColumnFamily(cf_options(n), physical, &fresh);
      if (!s.ok()) return std::unexpected(io_error(s, "cannot create " + physical));
      store->handles_.push_back(fresh);
      store->names_.push_back(physical);
    }
    // Spill files of a process that died mid-spill; their entries are rebuilt from the log.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".tmp" &&
          entry.path().filename().string().starts_with("spill-")) {
        fs::remove(entry.path(), ec);
      }
    }
  }

  if (auto r = store->check_acknowledged_head(); !r) return std::unexpected(r.error());
  if (mode == OpenMode::kReadWrite && options.check_files) {
    // Block checksums are otherwise checked only when a block is read, and the writer
    // never reads old records: without this, appends would go on on top of a damaged log.
    rocksdb::ReadOptions ro;
    ro.readahead_size = 4 << 20;
    ro.fill_cache = false;  // a scan of everything would only push useful blocks out
    if (auto st = store->db_->VerifyChecksum(ro); !st.ok()) {
      return std::unexpected(io_error(st, "the database in " + dir.string() +
                                              " is damaged; nothing will be written. Run "
                                              "`custody verify` for what is known"));
    }
  }
  if (mode == OpenMode::kReadWrite) {
    auto head = store->read_head();
    if (!head) return std::unexpected(head.error());
    auto file = HeadFile::open(dir, *head);
    if (!file) return std::unexpected(file.error());
    store->head_file_.emplace(std::move(*file));
  }
  return store;
}

Result<void> Store::check_acknowledged_head() {
  if (!acknowledged_) return {};
  auto head = read_head();
  if (!head) return std::unexpected(head.error());
  std::optional<Damage> found;
  const Head& ack = *acknowledged_;
  if (head->seq < ack.seq) {
    found = Damage{"records " + std::to_string(head->seq + 1) + ".." + std::to_string(ack.seq) +
                       " were acknowledged (DIR/HEAD says the log reached seq " +
                       std::to_string(ack.seq) + ") but the database ends at seq " +
                       std::to_string(head->seq) + ": its write-ahead log was damaged or truncated",
                   head->seq + 1};
  } else if (ack.seq > 0) {
    std::string bytes;
    auto st = db_->Get(rocksdb::ReadOptions(), cf(Cf::kLog), keys::log(ack.seq), &bytes);
    if (!st.ok() && !st.IsNotFound() && !st.IsCorruption()) {
      return std::unexpected(io_error(st, "cannot read the log"));
    }
    std::optional<crypto::Digest> leaf;
    if (st.ok()) {
      auto r = record_leaf(bytes);  // a record that does not even parse is a mismatch too
      if (r) leaf = *r;
    }
    if (!leaf || *leaf != ack.leaf) {
      found = Damage{"record " + std::to_string(ack.seq) +
                         " is not the record that was acknowledged (DIR/HEAD holds its hash)",
                     ack.seq};
    }
  }
  if (!found) return {};
  if (damage_) found->reason = damage_->reason + "; " + found->reason;
  damage_ = found;
  if (mode_ == OpenMode::kReadWrite || on_damage_ == OnDamage::kRefuse) {
    return fail(ErrorCode::kCorruption,
                dir_.string() + ": " + found->reason + "; nothing will be written or signed");
  }
  return {};
}

Result<void> Store::drop_stale_projections(const std::vector<std::string>& projections) {
  for (std::size_t i = 0; i < names_.size();) {
    const auto [logical, gen] = split_generation(names_[i]);
    const bool projection =
        !is_builtin(names_[i]) && (gen != 0 || std::find(projections.begin(), projections.end(),
                                                         logical) != projections.end());
    if (!projection || gen == generation_) {
      ++i;
      continue;
    }
    auto s = db_->DropColumnFamily(handles_[i]);
    if (!s.ok()) return std::unexpected(io_error(s, "cannot drop " + names_[i]));
    db_->DestroyColumnFamilyHandle(handles_[i]);
    handles_.erase(handles_.begin() + static_cast<std::ptrdiff_t>(i));
    names_.erase(names_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return {};
}

void Store::reserve_block_cache(std::size_t bytes) {
  static std::mutex mu;  // two opens at once must not shrink what the other set
  std::lock_guard lock(mu);
  auto cache = shared_cache();
  if (bytes > cache->GetCapacity()) cache->SetCapacity(bytes);
}

std::size_t Store::block_cache_capacity() {
  return shared_cache()->GetCapacity();
}

Store::~Store() {
  head_file_.reset();
  if (db_ && mode_ == OpenMode::kReadWrite) flush_if_log_is_long();
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
    db_.reset();
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  if (!secondary_dir_.empty()) {
    info_log_.reset();
    std::error_code ec;
    fs::remove_all(secondary_dir_, ec);
  }
}

void Store::flush_if_log_is_long() {
  rocksdb::VectorLogPtr files;
  if (!db_->GetSortedWalFiles(files).ok()) return;
  std::uint64_t bytes = 0;
  for (const auto& f : files) {
    if (f->Type() == rocksdb::kAliveLogFile) bytes += f->SizeFileBytes();
  }
  if (bytes <= flush_at_close_bytes_) return;
  rocksdb::FlushOptions fo;
  fo.wait = true;
  // Best effort: what is not flushed is still in the log, replayed by the next open.
  (void)db_->Flush(fo, handles_);
}

std::string Store::physical_name(std::string_view name, std::uint64_t generation) const {
  std::string out(name);
  if (generation != 0) {
    out += kGenerationMark;
    out += std::to_string(generation);
  }
  return out;
}

rocksdb::ColumnFamilyHandle* Store::handle(std::string_view physical) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == physical) return handles_[i];
  }
  return nullptr;
}

rocksdb::ColumnFamilyHandle* Store::cf(Cf which) const {
  return builtin_[static_cast<std::size_t>(which)];
}

rocksdb::ColumnFamilyHandle* Store::cf(std::string_view name) const {
  if (building_ &&
      std::find(building_names_.begin(), building_names_.end(), name) != building_names_.end()) {
    return handle(physical_name(name, *building_));
  }
  return handle(physical_name(name, generation_));
}

Result<Head> Store::read_head(const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string v;
  auto s = db_->Get(ro, cf(Cf::kMeta), "head", &v);
  if (!s.ok()) return std::unexpected(io_error(s, "cannot read head"));
  auto h = keys::parse_head(v);
  if (!h) return std::unexpected(Error::corruption("meta head is malformed"));
  return *h;
}

Result<MerkleFrontier> Store::load_frontier(std::uint64_t size) const {
  std::vector<Digest> roots;
  for (const auto& pos : frontier_positions(size)) {
    if (pos.level >= kStoredMinLevel) {
      std::string v;
      auto st =
          db_->Get(rocksdb::ReadOptions(), cf(Cf::kMerkle), keys::merkle(pos.level, pos.index), &v);
      if (!st.ok() || v.size() != 32) {
        return fail(
            ErrorCode::kCorruption,
            "missing Merkle node at level " + std::to_string(pos.level) + "; run `custody verify`");
      }
      Digest d;
      std::memcpy(d.data(), v.data(), 32);
      roots.push_back(d);
      continue;
    }
    MerkleFrontier sub;
    const std::uint64_t first = (pos.index << pos.level) + 1;
    const std::uint64_t count = std::uint64_t{1} << pos.level;
    for (std::uint64_t seq = first; seq < first + count; ++seq) {
      std::string v;
      auto st = db_->Get(rocksdb::ReadOptions(), cf(Cf::kLog), keys::log(seq), &v);
      if (!st.ok()) return fail(ErrorCode::kCorruption, "missing record " + std::to_string(seq));
      auto leaf = record_leaf(v);
      if (!leaf) return std::unexpected(leaf.error());
      sub.append(*leaf);
    }
    roots.push_back(sub.root());
  }
  return MerkleFrontier(size, std::move(roots));
}

Result<void> Store::catch_up() {
  if (mode_ == OpenMode::kReadWrite) return {};
  auto s = db_->TryCatchUpWithPrimary();
  if (!s.ok()) return std::unexpected(io_error(s, "cannot catch up with the writer"));
  return {};
}

Result<void> Store::purge(const std::vector<std::uint64_t>& seqs) {
  if (mode_ != OpenMode::kReadWrite) return fail(ErrorCode::kInternal, "store is read-only");
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = db_->Flush(fo, handles_);
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (std::size_t i = 0; s.ok() && i < seqs.size(); ++i) {
    const std::string key = keys::log(seqs[i]);
    const rocksdb::Slice k(key);
    s = db_->CompactRange(co, cf(Cf::kLog), &k, &k);
  }
  for (std::size_t i = 0; s.ok() && i < names_.size(); ++i) {
    if (is_builtin(names_[i]) || names_[i] == kLocalColumnFamily ||
        names_[i] == rocksdb::kDefaultColumnFamilyName) {
      continue;
    }
    s = db_->CompactRange(co, handles_[i], nullptr, nullptr);
  }
  if (!s.ok()) return std::unexpected(io_error(s, "cannot purge erased payloads"));
  return {};
}

void Store::log_warning(const std::string& message) const {
  if (info_log_) rocksdb::Warn(info_log_, "%s", message.c_str());
}

Result<Head> Store::copy_database(const fs::path& db_dir) const {
  // A secondary instance's view is fixed at open; a writer's needs a snapshot.
  const rocksdb::Snapshot* snapshot = mode_ == OpenMode::kReadWrite ? db_->GetSnapshot() : nullptr;
  struct Release {
    rocksdb::DB& db;
    const rocksdb::Snapshot* s;
    ~Release() {
      if (s != nullptr) db.ReleaseSnapshot(s);
    }
  } release{*db_, snapshot};
  auto head = read_head(snapshot);
  if (!head) return std::unexpected(head.error());

  std::error_code ec;
  if (!fs::create_directory(db_dir, ec)) {
    return fail(ErrorCode::kIoError,
                "cannot create " + db_dir.string() + ": " + (ec ? ec.message() : "it exists"));
  }
  auto log = std::make_shared<InfoLog>(db_dir / "LOG");
  rocksdb::DBOptions dbo = db_options(log);
  dbo.create_if_missing = true;
  dbo.error_if_exists = true;
  dbo.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names_) descs.emplace_back(n, column_family_options(n));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(dbo, db_dir.string(), descs, &handles, &raw);
  if (!s.ok()) return std::unexpected(io_error(s, "cannot create " + db_dir.string()));
  std::unique_ptr<rocksdb::DB> copy(raw);
  struct Handles {
    rocksdb::DB& db;
    std::vector<rocksdb::ColumnFamilyHandle*>& h;
    void release() {
      for (auto* x : h) db.DestroyColumnFamilyHandle(x);
      h.clear();
    }
    ~Handles() { release(); }
  } owned{*copy, handles};

  // Each family in sorted runs of about 64 MiB, each written as one table file and ingested.
  constexpr std::size_t kRunBytes = 64 << 20;
  rocksdb::ReadOptions ro = read_options(snapshot);
  ro.verify_checksums = true;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[i]));
    std::vector<std::pair<std::string, std::optional<std::string>>> run;
    std::size_t bytes = 0;
    auto flush = [&]() -> Result<void> {
      auto r = ingest_sorted_into(*copy, handles[i], run, db_dir.parent_path());
      run.clear();
      bytes = 0;
      return r;
    };
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      run.emplace_back(it->key().ToString(), it->value().ToString());
      bytes += it->key().size() + it->value().size();
      if (bytes >= kRunBytes) {
        if (auto r = flush(); !r) return std::unexpected(r.error());
      }
    }
    if (!it->status().ok()) {
      return std::unexpected(io_error(it->status(), "cannot read " + names_[i]));
    }
    if (auto r = flush(); !r) return std::unexpected(r.error());
  }
  owned.release();
  s = copy->Close();
  if (!s.ok()) return std::unexpected(io_error(s, "cannot close " + db_dir.string()));
  return *head;
}

Result<void> Store::ingest_sorted(Cf which,
                                  const std::vector<std::pair<std::string, std::string>>& entries) {
  std::vector<std::pair<std::string, std::optional<std::string>>> all;
  all.reserve(entries.size());
  for (const auto& [k, v] : entries) all.emplace_back(k, v);
  return ingest_sorted(cf(which), all);
}

Result<void> Store::ingest_sorted(
    rocksdb::ColumnFamilyHandle* handle,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& entries) {
  return ingest_sorted_into(*db_, handle, entries, dir_);
}

Result<void> ingest_sorted_into(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* handle,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& entries,
    const fs::path& tmp_dir) {
  if (entries.empty()) return {};
  static std::atomic<std::uint64_t> counter{0};
  const fs::path file = tmp_dir / ("spill-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(counter.fetch_add(1)) + ".sst.tmp");
  const std::string name = handle->GetName();
  rocksdb::Options options(db_options(), column_family_options(name));
  // SstFileWriter uses the bottommost compression when one is set (ingested files usually
  // land there); ZSTD made writing these files the slowest part of a rebuild. Compaction
  // recompresses them later.
  options.bottommost_compression = rocksdb::kDisableCompressionOption;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, handle);
  auto s = writer.Open(file.string());
  for (std::size_t i = 0; s.ok() && i < entries.size(); ++i) {
    s = entries[i].second ? writer.Put(entries[i].first, *entries[i].second)
                          : writer.Delete(entries[i].first);
  }
  if (s.ok()) s = writer.Finish();
  if (s.ok()) {
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    s = db.IngestExternalFile(handle, {file.string()}, ingest);
  }
  std::error_code ec;
  fs::remove(file, ec);  // moved on success; a leftover on failure
  if (!s.ok()) return std::unexpected(io_error(s, "cannot ingest into " + name));
  return {};
}

rocksdb::ColumnFamilyOptions column_family_options(const std::string& name, bool reader) {
  return cf_options(split_generation(name).first, reader);
}

Result<void> Store::begin_projections(const std::vector<std::string>& names) {
  if (mode_ != OpenMode::kReadWrite) return fail(ErrorCode::kInternal, "store is read-only");
  if (building_) return fail(ErrorCode::kInternal, "a projection rebuild is already under way");
  const std::uint64_t next = generation_ + 1;
  for (const auto& name : names) {
    const std::string physical = physical_name(name, next);
    if (auto* old = handle(physical)) {  // left by an interrupted rebuild in this process
      auto s = db_->DropColumnFamily(old);
      if (!s.ok()) return std::unexpected(io_error(s, "cannot drop " + physical));
      const auto at = std::find(handles_.begin(), handles_.end(), old) - handles_.begin();
      db_->DestroyColumnFamilyHandle(old);
      handles_.erase(handles_.begin() + at);
      names_.erase(names_.begin() + at);
    }
    rocksdb::ColumnFamilyHandle* fresh = nullptr;
    auto s = db_->CreateColumnFamily(cf_options(name), physical, &fresh);
    if (!s.ok()) return std::unexpected(io_error(s, "cannot create " + physical));
    handles_.push_back(fresh);
    names_.push_back(physical);
  }
  building_ = next;
  building_names_ = names;
  return {};
}

Result<void> Store::activate_projections(std::uint32_t version) {
  if (!building_) return fail(ErrorCode::kInternal, "no projection rebuild is under way");
  // The ingested files' manifest entries must be durable before meta points at them.
  if (auto s = db_->FlushWAL(true); !s.ok()) return std::unexpected(io_error(s, "cannot sync"));
  rocksdb::WriteBatch b;
  b.Put(cf(Cf::kMeta), "projections", std::to_string(*building_) + " " + std::to_string(version));
  if (auto w = write(b); !w) return w;
  const std::uint64_t old = generation_;
  generation_ = *building_;
  projection_version_ = version;
  building_.reset();
  const std::vector<std::string> names = std::move(building_names_);
  building_names_.clear();
  for (const auto& name : names) {
    const std::string physical = physical_name(name, old);
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] != physical) continue;
      // The new generation is live; a failed drop only leaves garbage for the next open.
      (void)db_->DropColumnFamily(handles_[i]);
      db_->DestroyColumnFamilyHandle(handles_[i]);
      handles_.erase(handles_.begin() + static_cast<std::ptrdiff_t>(i));
      names_.erase(names_.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  return {};
}

Result<void> Store::write(rocksdb::WriteBatch& batch) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return std::unexpected(io_error(s, "write failed"));
  return {};
}

Result<void> Store::acknowledge(const Head& head) {
  if (!head_file_) return fail(ErrorCode::kInternal, "store is read-only");
  return head_file_->write(head);
}

}  // namespace custody::ledger
