// The ledger directory and its RocksDB database.
//
// Directory:
//
//   DIR/FORMAT       "custody-ledger <schema version>\n"; written last by init, so a
//                    directory without it is not a ledger. Also the lock file: a writer
//                    holds flock(LOCK_EX). Readers take no lock: they open the database as a
//                    RocksDB secondary instance, which never blocks or is blocked by the writer.
//   DIR/HEAD         the last acknowledged head, outside RocksDB (head_file.h)
//   DIR/node.key     the node's Ed25519 signer key (signed-note skey), mode 0600
//   DIR/node.pub     its verifier key (vkey), for auditors
//   DIR/config.json  operator settings (group commit, checkpoint interval, plugins)
//   DIR/db/          the RocksDB database
//
// Column families (keys and values are bytes; be64 = 8-byte big-endian unsigned):
//
//   log          be64(seq)                      -> Record, canonical capnp (record.h)
//   meta         "ledger_id"                    -> UUID text
//                "schema_version"               -> decimal text
//                "origin"                       -> checkpoint origin text
//                "node_public_key"              -> vkey text
//                "created_at"                   -> be64(ns)
//                "head"                         -> be64(seq) || leaf(32) || be64(recordedAt)
//                "idem_through"                 -> be64(seq): `idem` covers every command
//                                                  whose records are <= seq
//                "projections"                  -> "<generation> <version>" (below)
//                "digests/" be64(first seq)     -> (be64(seq) || digest(32))*: the command
//                                                  digests of one commit group, until `idem`
//                                                  covers them (see sequencer.h)
//                "redacted/" be64(seq)          -> be64(seq of the record that redacted it):
//                                                  written with the redaction, in its batch
//   idem         commandId                      -> be64(first seq) || be32(records)
//                                                  [|| command digest(32)]
//                (written in sorted spills, not per group: see sequencer.h)
//   streams      stream id                      -> be64(version) || be64(last seq)
//   merkle       u8(level) || be64(index)       -> node hash(32), levels >= kStoredMinLevel
//   checkpoints  be64(tree size)                -> signed checkpoint note text
//   local        owner-defined keys             -> values (local_state.h): not records, not
//                                                  hashed, verified or rebuilt
//   <projection> as the domain documents them (core/domain)
//
// Projection column families come in generations. Generation 0 uses the projection's own
// name ("entities"); generation N > 0 uses "<name>@<N>". meta "projections" names the
// active generation and the version of the projection code that built it (absent: 0 and
// version 1). `custody rebuild` builds generation N+1 beside the live one and activates it
// with one synced write, so an interrupted rebuild leaves the live projections untouched;
// the next writer drops the abandoned generation.
//
// A stream's records are found from its `streams` entry (last seq) by following each
// record's streamPrevSeq link back. Every change of one commit group is one WriteBatch written with
// sync=true.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/column_families.h"
#include "custody/ledger/head.h"
#include "custody/ledger/head_file.h"
#include "custody/ledger/merkle.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Logger;
class Snapshot;
class Status;
class WriteBatch;
}  // namespace rocksdb

namespace custody::ledger {

inline constexpr int kSchemaVersion = 1;

// kReadWrite takes the directory's exclusive lock (one writer); kReadOnly opens a RocksDB
// secondary instance, takes no lock and sees the database as of the moment it was opened.
enum class OpenMode { kReadWrite, kReadOnly };

// What opening does when the database lost acknowledged records or holds damaged files.
// kRefuse fails with kCorruption; kReport opens anyway (read-only only) and describes the
// damage in Store::damage(), for `custody verify` to report.
enum class OnDamage { kRefuse, kReport };

// The built-in column families.
enum class Cf { kLog, kMeta, kIdem, kStreams, kMerkle, kCheckpoints };

// Data kept beside the log and outside the hash chain (custody/ledger/local_state.h). A
// writable open creates it when missing; read-only opens of older ledgers may lack it.
inline constexpr std::string_view kLocalColumnFamily = "local";

struct LedgerMeta {
  std::string ledger_id;
  int schema_version = 0;
  std::string origin;
  std::string node_public_key;  // vkey
  TimeNs created_at = 0;
};

// Key and value codecs for the grammar above.
namespace keys {
[[nodiscard]] std::string log(std::uint64_t seq);
[[nodiscard]] std::string merkle(unsigned level, std::uint64_t index);
[[nodiscard]] std::string head_value(const Head& h);
[[nodiscard]] std::optional<Head> parse_head(std::string_view v);
[[nodiscard]] std::string redaction(std::uint64_t seq);  // meta "redacted/" be64(seq)
}  // namespace keys

// The seq of the record that redacted record `seq` (meta "redacted/"), or nullopt when none
// did. kIoError when it cannot be read.
[[nodiscard]] Result<std::optional<std::uint64_t>> redacted_by(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* meta, std::uint64_t seq,
    const rocksdb::Snapshot* snapshot = nullptr);

// Owns the open RocksDB database, its column family handles and the directory lock.
// Thread-safe as RocksDB is: reads from any thread; writes only from the sequencer.
class Store final : public ColumnFamilies {
 public:
  struct InitInfo {
    std::string ledger_id;
    std::string origin;
    std::string node_public_key;
    TimeNs created_at = 0;
    std::uint32_t projection_version = 1;
  };

  // Creates the RocksDB database under `dir`/db with the built-in and `extra_cfs` column
  // families, writes meta and DIR/HEAD. Does not write FORMAT (the caller does, last).
  [[nodiscard]] static Result<void> create(const std::filesystem::path& dir, const InitInfo& info,
                                           const std::vector<std::string>& extra_cfs);

  static constexpr std::uint64_t kMaxWalBytes = 256ULL << 20;
  static constexpr std::uint64_t kFlushAtCloseBytes = 32ULL << 20;

  struct OpenOptions {
    OpenMode mode = OpenMode::kReadOnly;
    OnDamage on_damage = OnDamage::kRefuse;
    // Read-write: verify every stored file's block checksums before the first write, so
    // nothing is appended on top of a damaged log. On by default; tests of other things
    // may skip it.
    bool check_files = true;
    // Read-write: the write-ahead log is kept near this size by flushing the column families
    // that still hold its oldest file. Unbounded, one written once (meta, checkpoints) would
    // keep every log file since, gigabytes that each open, a reader's too, replays.
    std::uint64_t max_wal_bytes = kMaxWalBytes;
    // Read-write: when the store closes with more write-ahead log than this, its memtables
    // are flushed first, so the next open (the server's restart, a reader's) does not replay
    // it. A short command's few kilobytes stay in the log.
    std::uint64_t flush_at_close_bytes = kFlushAtCloseBytes;
  };

  // Opens an existing ledger. Errors: kNotALedger, kUnsupportedVersion, kLedgerLocked,
  // kIoError, kCorruption (damaged files, or acknowledged records missing: see
  // head_file.h). Projection column families in `extra_cfs` are created when missing
  // (read-write mode only).
  [[nodiscard]] static Result<std::unique_ptr<Store>> open(
      const std::filesystem::path& dir, OpenOptions options,
      const std::vector<std::string>& extra_cfs);
  [[nodiscard]] static Result<std::unique_ptr<Store>> open(
      const std::filesystem::path& dir, OpenMode mode, const std::vector<std::string>& extra_cfs) {
    return open(dir, OpenOptions{mode}, extra_cfs);
  }

  // Every store a process opens shares one RocksDB block cache (256 MiB to begin with):
  // this grows it to at least `bytes`, never shrinks it. block_cache_capacity() says its size.
  static void reserve_block_cache(std::size_t bytes);
  [[nodiscard]] static std::size_t block_cache_capacity();

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  [[nodiscard]] rocksdb::DB& db() override { return *db_; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* cf(Cf which) const;
  // A projection column family of the active generation (or of the generation being
  // built, between begin_projections() and activate_projections()); nullptr when not open.
  [[nodiscard]] rocksdb::ColumnFamilyHandle* cf(std::string_view name) const override;
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] OpenMode mode() const { return mode_; }
  // The active projection generation (a rebuild makes a new one).
  [[nodiscard]] std::uint64_t generation() const { return generation_; }
  [[nodiscard]] const LedgerMeta& meta() const { return meta_; }
  // The verifier key that signs checkpoints now: the last rotation's (node_key.h), else the
  // key the ledger was created with. Read from the database (a rotation changes it).
  [[nodiscard]] std::string current_public_key();

  // The version of the projection code that built the active projections.
  [[nodiscard]] std::uint32_t projection_version() const { return projection_version_; }

  // OnDamage::kReport only: what is wrong, with the first seq that is missing or
  // different when known. Unset when the store opened cleanly.
  struct Damage {
    std::string reason;
    std::optional<std::uint64_t> first_bad_seq;
  };
  [[nodiscard]] const std::optional<Damage>& damage() const { return damage_; }
  // The head recorded in DIR/HEAD when the store was opened (nullopt for a ledger made
  // before the head file existed).
  [[nodiscard]] const std::optional<Head>& acknowledged_head() const { return acknowledged_; }

  // The head as of `snapshot` (nullptr: latest).
  [[nodiscard]] Result<Head> read_head(const rocksdb::Snapshot* snapshot = nullptr) const;
  // The Merkle frontier of the first `size` records: the stored nodes of the high levels,
  // the records' own leaves below them. kCorruption when a node or record is missing.
  [[nodiscard]] Result<MerkleFrontier> load_frontier(std::uint64_t size) const;

  // Read-only: sees what the writer has written since the open or the last catch_up (the
  // secondary instance replays the writer's new log). Read-write: nothing to do.
  [[nodiscard]] Result<void> catch_up();

  // Copies every column family, as this open sees it, into a new RocksDB database at
  // `db_dir` (which must not exist) and returns the head the copy holds. A read-only open
  // sees one moment of the database, so the copy is consistent while a writer goes on
  // appending (`custody backup`). Every block read is checked against its checksum.
  [[nodiscard]] Result<Head> copy_database(const std::filesystem::path& db_dir) const;

  // After a redaction is durable: flushes every column family (so that no live write-ahead
  // log holds an erased payload) and compacts the log around `seqs` and every projection
  // family to their last level, so that no table file keeps an older version of what was
  // erased. Read-write mode. Blocks for the compactions.
  [[nodiscard]] Result<void> purge(const std::vector<std::uint64_t>& seqs);
  // A line in the database's info log (DIR/db/LOG).
  void log_warning(const std::string& message) const;

  // Writes `batch` durably (sync=true).
  [[nodiscard]] Result<void> write(rocksdb::WriteBatch& batch);

  // Writes `entries` (sorted by key, keys unique) into column family `which` as one SST
  // file and ingests it. All or nothing. Any thread; used for bulk index spills.
  [[nodiscard]] Result<void> ingest_sorted(
      Cf which, const std::vector<std::pair<std::string, std::string>>& entries);
  // The same for any column family, where an unset value writes a deletion.
  [[nodiscard]] Result<void> ingest_sorted(
      rocksdb::ColumnFamilyHandle* cf,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& entries);

  // Rebuilding projections beside the live ones. begin_projections() creates the named
  // column families, empty, as the next generation; until activate_projections() or the
  // Store is closed, cf(name) returns those. activate_projections() makes them the live
  // projections in one synced write (with `version`), then drops the previous generation.
  // A crash before the activating write leaves the previous generation live. Read-write
  // mode only; no other thread may use projection handles meanwhile.
  [[nodiscard]] Result<void> begin_projections(const std::vector<std::string>& names);
  [[nodiscard]] Result<void> activate_projections(std::uint32_t version);

  // Records `head` in DIR/HEAD once the group that made it is durable (head_file.h).
  // Read-write mode; one thread (the sequencer's head keeper).
  [[nodiscard]] Result<void> acknowledge(const Head& head);

  // The local state's column family; nullptr only for a read-only open of a ledger that has
  // never been opened for writing since local state existed.
  [[nodiscard]] rocksdb::ColumnFamilyHandle* local() const { return local_; }

 private:
  Store() = default;
  void flush_if_log_is_long();
  [[nodiscard]] std::string physical_name(std::string_view name, std::uint64_t generation) const;
  [[nodiscard]] rocksdb::ColumnFamilyHandle* handle(std::string_view physical) const;
  [[nodiscard]] Result<void> check_acknowledged_head();
  [[nodiscard]] Result<void> drop_stale_projections(const std::vector<std::string>& projections);

  std::filesystem::path dir_;
  OpenMode mode_ = OpenMode::kReadOnly;
  std::uint64_t flush_at_close_bytes_ = kFlushAtCloseBytes;
  OnDamage on_damage_ = OnDamage::kRefuse;
  int lock_fd_ = -1;
  LedgerMeta meta_;
  std::uint64_t generation_ = 0;           // active projection generation
  std::uint32_t projection_version_ = 1;   // its version
  std::optional<std::uint64_t> building_;  // generation under construction
  std::vector<std::string> building_names_;
  std::optional<Head> acknowledged_;
  std::optional<HeadFile> head_file_;  // read-write mode
  std::optional<Damage> damage_;
  std::filesystem::path secondary_dir_;  // read-only: the secondary instance's own files
  std::shared_ptr<rocksdb::Logger> info_log_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; closed in the destructor
  std::vector<std::string> names_;
  std::array<rocksdb::ColumnFamilyHandle*, 6> builtin_{};  // by Cf, borrowed from handles_
  rocksdb::ColumnFamilyHandle* local_ = nullptr;           // borrowed from handles_
  std::unique_ptr<rocksdb::DB> db_;
};

// Writes `entries` (sorted by key, keys unique; an unset value is a deletion) into `cf` of
// `db` as one SST file, made under `tmp_dir`, and ingests it. All or nothing.
[[nodiscard]] Result<void> ingest_sorted_into(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& entries,
    const std::filesystem::path& tmp_dir);

// Maps a RocksDB status that is not ok to custody's error: kCorruption for damaged data,
// kIoError otherwise, with `what` in front of RocksDB's message.
[[nodiscard]] Error storage_error(const rocksdb::Status& status, std::string_view what);

[[nodiscard]] const std::vector<std::string>& builtin_column_families();

// "custody-ledger <n>\n" of DIR/FORMAT; kNotALedger when absent or unreadable.
[[nodiscard]] Result<int> read_format_version(const std::filesystem::path& dir);

}  // namespace custody::ledger
