#include "custody/ledger/store.h"

#include <fcntl.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "custody/common/encoding.h"

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
  static std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(256 << 20);
  return cache;
}

rocksdb::ColumnFamilyOptions cf_options(const std::string& name) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = (name == "log") ? (64 << 20) : (32 << 20);
  o.max_write_buffer_number = 4;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = shared_cache();
  t.block_size = 16 << 10;
  // Point lookups (idempotency, stream versions, projections) mostly miss or hit once; a
  // bloom filter keeps a miss off the disk. The log is read by range only.
  if (name != "log" && name != "merkle" && name != "checkpoints") {
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.whole_key_filtering = true;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = rocksdb::kZSTD;
  return o;
}

rocksdb::DBOptions db_options() {
  rocksdb::DBOptions o;
  o.max_background_jobs = 2;
  o.bytes_per_sync = 1 << 20;
  o.keep_log_file_num = 4;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.max_manifest_file_size = 64 << 20;
  // The sequencer is the only writer, so concurrent memtable writes buy nothing; turning
  // them off enables the per-stream insert hints and the hash memtable of `idem`.
  o.allow_concurrent_memtable_write = false;
  return o;
}

Error io_error(const rocksdb::Status& s, std::string_view what) {
  return Error::io(std::string(what) + ": " + s.ToString());
}

std::string get_meta(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  std::string v;
  if (!db.Get(rocksdb::ReadOptions(), cf, key, &v).ok()) v.clear();
  return v;
}

}  // namespace

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
}  // namespace keys

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
  rocksdb::DBOptions dbo = db_options();
  dbo.create_if_missing = true;
  dbo.error_if_exists = true;
  dbo.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options("default"));
  for (const auto& n : builtin_names()) descs.emplace_back(n, cf_options(n));
  for (const auto& n : extra_cfs) descs.emplace_back(n, cf_options(n));
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
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db->Write(wo, &b);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  if (!s.ok()) return std::unexpected(io_error(s, "cannot write ledger meta"));
  s = db->Close();
  if (!s.ok()) return std::unexpected(io_error(s, "cannot close database"));
  return {};
}

Result<std::unique_ptr<Store>> Store::open(const fs::path& dir, OpenMode mode,
                                           const std::vector<std::string>& extra_cfs) {
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
  store->lock_fd_ = ::open((dir / "FORMAT").c_str(), O_RDONLY | O_CLOEXEC);
  if (store->lock_fd_ < 0) {
    return fail(ErrorCode::kIoError,
                "cannot open " + (dir / "FORMAT").string() + ": " + std::strerror(errno));
  }
  const int how = (mode == OpenMode::kReadWrite ? LOCK_EX : LOCK_SH) | LOCK_NB;
  if (::flock(store->lock_fd_, how) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(ErrorCode::kLedgerLocked,
                  dir.string() + " is open in another process" +
                      (mode == OpenMode::kReadWrite ? "" : " for writing") +
                      "; stop it (or use its API) and retry");
    }
    return fail(ErrorCode::kIoError, "cannot lock " + dir.string() + ": " + std::strerror(errno));
  }

  const std::string db_path = (dir / "db").string();
  std::vector<std::string> existing;
  auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_path, &existing);
  if (!s.ok()) return std::unexpected(io_error(s, "cannot read database in " + dir.string()));

  std::vector<std::string> wanted = existing;
  for (const auto& n : builtin_names()) {
    if (std::find(existing.begin(), existing.end(), n) == existing.end()) {
      return fail(ErrorCode::kCorruption, dir.string() + " lacks column family " + n);
    }
  }
  if (mode == OpenMode::kReadWrite) {
    for (const auto& n : extra_cfs) {
      if (std::find(wanted.begin(), wanted.end(), n) == wanted.end()) wanted.push_back(n);
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : wanted) descs.emplace_back(n, cf_options(n));

  rocksdb::DB* raw = nullptr;
  rocksdb::DBOptions dbo = db_options();
  if (mode == OpenMode::kReadWrite) {
    dbo.create_missing_column_families = true;
    s = rocksdb::DB::Open(dbo, db_path, descs, &store->handles_, &raw);
  } else {
    s = rocksdb::DB::OpenForReadOnly(dbo, db_path, descs, &store->handles_, &raw);
  }
  if (!s.ok()) return std::unexpected(io_error(s, "cannot open database in " + dir.string()));
  store->db_.reset(raw);
  store->names_ = wanted;
  if (mode == OpenMode::kReadWrite) {
    // Spill files of a process that died mid-spill; their entries are rebuilt from the log.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".tmp" &&
          entry.path().filename().string().starts_with("spill-")) {
        fs::remove(entry.path(), ec);
      }
    }
  }
  for (std::size_t i = 0; i < builtin_names().size(); ++i) {
    store->builtin_[i] = store->cf(std::string_view(builtin_names()[i]));
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
  return store;
}

Store::~Store() {
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
    db_.reset();
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

rocksdb::ColumnFamilyHandle* Store::cf(Cf which) const {
  return builtin_[static_cast<std::size_t>(which)];
}

rocksdb::ColumnFamilyHandle* Store::cf(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return handles_[i];
  }
  return nullptr;
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
  if (entries.empty()) return {};
  static std::atomic<std::uint64_t> counter{0};
  const fs::path file = dir_ / ("spill-" + std::to_string(::getpid()) + "-" +
                                std::to_string(counter.fetch_add(1)) + ".sst.tmp");
  const std::string name = handle->GetName();
  rocksdb::Options options(db_options(), cf_options(name));
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
    s = db_->IngestExternalFile(handle, {file.string()}, ingest);
  }
  std::error_code ec;
  fs::remove(file, ec);  // moved on success; a leftover on failure
  if (!s.ok()) return std::unexpected(io_error(s, "cannot ingest into " + name));
  return {};
}

Result<void> Store::reset_column_families(const std::vector<std::string>& names) {
  if (mode_ != OpenMode::kReadWrite) return fail(ErrorCode::kInternal, "store is read-only");
  for (const auto& name : names) {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] != name) continue;
      auto s = db_->DropColumnFamily(handles_[i]);
      if (!s.ok()) return std::unexpected(io_error(s, "cannot drop " + name));
      db_->DestroyColumnFamilyHandle(handles_[i]);
      rocksdb::ColumnFamilyHandle* fresh = nullptr;
      s = db_->CreateColumnFamily(cf_options(name), name, &fresh);
      if (!s.ok()) return std::unexpected(io_error(s, "cannot create " + name));
      handles_[i] = fresh;
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

}  // namespace custody::ledger
