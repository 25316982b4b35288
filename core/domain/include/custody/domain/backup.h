// Backup and restore of a whole ledger directory.
//
// A backup is a ledger directory of its own, plus a manifest (BACKUP.json) that states what
// the copy holds: its head, Merkle root and projection digest, and the size and SHA-256 of
// every file. It is taken hot: the database is read through a read-only (secondary) open,
// which sees one moment of it, so a writer or `custody serve` goes on appending meanwhile.
// The copy is verified (hash chain, tree, checkpoints, projections) before the manifest is
// written, and is built beside its destination and renamed into place, so a backup folder
// that exists is whole.
//
// A restore checks every file against the manifest first (a damaged or altered backup is
// refused, naming the file, and nothing is written), copies the files, verifies the
// restored ledger, and accepts it only when its head, root and projection digest are the
// ones the backup recorded. It too is built beside its destination and renamed into place.
//
// The backup holds the node's signing key and the credentials file (both mode 0600), so a
// restored ledger can sign again: keep backups where the ledger itself may be kept.
// docs/backup.md has the format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/head.h"

namespace custody::domain {

inline constexpr std::string_view kBackupFormat = "custody-backup/1";
inline constexpr std::string_view kBackupManifest = "BACKUP.json";

struct BackupSummary {
  std::string ledger_id;
  ledger::Head head;
  crypto::Digest root{};          // the Merkle root over records 1..head.seq
  crypto::Digest projections{};   // the projections' state digest
  std::uint64_t checkpoints = 0;  // signed checkpoints checked
  std::uint64_t files = 0;        // files in the backup (BACKUP.json aside)
  std::uint64_t bytes = 0;        // their total size
  TimeNs taken_at = 0;            // when the backup was taken
};

// Backs up the ledger at `ledger` into `to`, which must not exist (kInvalidArgument, field
// "to"). kNotALedger and the other open errors for `ledger`; kCorruption when the ledger is
// damaged or its copy does not verify (nothing is left at `to`); kIoError.
[[nodiscard]] Result<BackupSummary> backup_ledger(const std::filesystem::path& ledger,
                                                  const std::filesystem::path& to, TimeNs now);

// Restores the backup at `backup` into `to`, which must not exist (kInvalidArgument, field
// "to"). kInvalidArgument (field "backup") when it is not a backup; kCorruption when a file
// is missing, added or differs from the manifest, or the restored ledger does not verify to
// the recorded head, root and projection digest (nothing is left at `to`); kIoError.
[[nodiscard]] Result<BackupSummary> restore_ledger(const std::filesystem::path& backup,
                                                   const std::filesystem::path& to);

}  // namespace custody::domain
