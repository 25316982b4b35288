// Audit packages: a folder an inspector can check alone, with `custody-verify` and nothing
// else (docs/audit-package.md has the format as a grammar). It holds the selected records
// as their hashed bytes and as readable NDJSON, an inclusion proof of each in the tree of
// the newest signed checkpoint, the oldest checkpoint that already covered them with a
// consistency proof to the newest, the node's public key, a manifest of every file's
// SHA-256 signed by the node, and an HTML index that says what is inside and how to check it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/crypto/note.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

inline constexpr std::string_view kAuditPackageFormat = "custody-audit-package/1";

struct PackageSelection {
  enum class Kind {
    kAll,        // every record the newest checkpoint covers
    kLot,        // the records of stream lot:<id>, and the signatures over them
    kWorkOrder,  // the records of stream wo:<id>, and the signatures over them
    kTimeRange,  // records recorded (recordedAt) in [from, to)
  };
  Kind kind = Kind::kAll;
  std::string id;
  TimeNs from = 0;
  TimeNs to = 0;
};

struct PackageSummary {
  std::uint64_t records = 0;
  std::uint64_t redacted = 0;          // records whose payload bytes are gone (record.redact)
  std::uint64_t tree_size = 0;         // the newest checkpoint: every inclusion proof is in it
  std::uint64_t first_tree_size = 0;   // the oldest checkpoint covering every selected record
  std::uint64_t after_checkpoint = 0;  // selected records after the newest checkpoint, left out
};

// Writes the package of `selection` as it stands in `snap` to `out`, which must not exist
// (it is built beside it and renamed into place). `signer` is the node's key: it signs the
// manifest, and must be the key the checkpoints are signed with. Errors: kInvalidArgument
// (field "out": exists; "from"/"to": an empty range), kNotFound (field "lot" or "workOrder":
// no such stream; "records": nothing selected is covered by a checkpoint yet), kIoError.
[[nodiscard]] Result<PackageSummary> write_audit_package(const ledger::Snapshot& snap,
                                                         const PackageSelection& selection,
                                                         const crypto::NoteSigner& signer,
                                                         const std::filesystem::path& out,
                                                         TimeNs now);

}  // namespace custody::domain
