// The ledger directory and its RocksDB database.
//
// Directory:
//
//   DIR/FORMAT       "custody-ledger <schema version>\n"; written last by init, so a
//                    directory without it is not a ledger. Also the lock file: a writer
//                    holds flock(LOCK_EX), readers flock(LOCK_SH), never blocking.
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
//   idem         commandId                      -> be64(first seq) || be32(records)
//                (written in sorted spills, not per group: see sequencer.h)
//   streams      stream id                      -> be64(version) || be64(last seq)
//   merkle       u8(level) || be64(index)       -> node hash(32), levels >= kStoredMinLevel
//   checkpoints  be64(tree size)                -> signed checkpoint note text
//   <projection> as the domain documents them (core/domain)
//
// A stream's records are found from its `streams` entry (last seq) by following each
// record's streamPrevSeq link back. Every change of one commit group is one WriteBatch written with
// sync=true.
#pragma once

#include <rocksdb/db.h>

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

namespace custody::ledger {

inline constexpr int kSchemaVersion = 1;

enum class OpenMode { kReadWrite, kReadOnly };

// The built-in column families.
enum class Cf { kLog, kMeta, kIdem, kStreams, kMerkle, kCheckpoints };

struct Head {
  std::uint64_t seq = 0;
  crypto::Digest leaf{};  // leaf hash of record `seq`; zeros when the log is empty
  TimeNs recorded_at = 0;
};

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
}  // namespace keys

// Owns the open RocksDB database, its column family handles and the directory lock.
// Thread-safe as RocksDB is: reads from any thread; writes only from the sequencer.
class Store {
 public:
  struct InitInfo {
    std::string ledger_id;
    std::string origin;
    std::string node_public_key;
    TimeNs created_at = 0;
  };

  // Creates the RocksDB database under `dir`/db with the built-in and `extra_cfs` column
  // families and writes meta. Does not write FORMAT (the caller does, last).
  [[nodiscard]] static Result<void> create(const std::filesystem::path& dir, const InitInfo& info,
                                           const std::vector<std::string>& extra_cfs);

  // Opens an existing ledger. Errors: kNotALedger, kUnsupportedVersion, kLedgerLocked,
  // kIoError. Projection column families in `extra_cfs` are created when missing
  // (read-write mode only).
  [[nodiscard]] static Result<std::unique_ptr<Store>> open(
      const std::filesystem::path& dir, OpenMode mode, const std::vector<std::string>& extra_cfs);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  [[nodiscard]] rocksdb::DB& db() { return *db_; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* cf(Cf which) const;
  // A projection column family by name; nullptr when not open.
  [[nodiscard]] rocksdb::ColumnFamilyHandle* cf(std::string_view name) const;
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] OpenMode mode() const { return mode_; }
  [[nodiscard]] const LedgerMeta& meta() const { return meta_; }

  // The head as of `snapshot` (nullptr: latest).
  [[nodiscard]] Result<Head> read_head(const rocksdb::Snapshot* snapshot = nullptr) const;

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

  // Drops the named column families and creates them again, empty. Read-write mode only;
  // no other thread may be using them. Handles from cf(name) change.
  [[nodiscard]] Result<void> reset_column_families(const std::vector<std::string>& names);

 private:
  Store() = default;
  std::filesystem::path dir_;
  OpenMode mode_ = OpenMode::kReadOnly;
  int lock_fd_ = -1;
  LedgerMeta meta_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; closed in the destructor
  std::vector<std::string> names_;
  std::array<rocksdb::ColumnFamilyHandle*, 6> builtin_{};  // by Cf, borrowed from handles_
  std::unique_ptr<rocksdb::DB> db_;
};

[[nodiscard]] const std::vector<std::string>& builtin_column_families();

// "custody-ledger <n>\n" of DIR/FORMAT; kNotALedger when absent or unreadable.
[[nodiscard]] Result<int> read_format_version(const std::filesystem::path& dir);

}  // namespace custody::ledger
