// Electronic signatures (21 CFR 11.50, 11.70, 11.200): which command types need one (the
// signature policy, kept as records), the signature.signed record that binds a signer, their
// printed name, a meaning and the server's time to the records of one command, and the check
// `custody verify` runs over every signature.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/command.h"
#include "custody/ledger/record.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

// "performed", "verified", "reviewed", "approved", "released".
[[nodiscard]] const std::vector<std::string>& signature_meanings();

struct SignaturePolicyView {
  std::string command_type;
  bool required = false;
  std::vector<std::string> meanings;  // empty: any meaning
  bool critical_only = false;         // exception.close: only of a critical exception
  TimeNs set_at = 0;
  std::string set_by;
};

[[nodiscard]] Result<std::optional<SignaturePolicyView>> find_signature_policy(
    const ledger::Snapshot& snap, std::string_view command_type);
[[nodiscard]] Result<std::vector<SignaturePolicyView>> list_signature_policies(
    const ledger::Snapshot& snap);

// The signature.set_policy commands (JSON lines, without commandId) a ledger gets when
// `custody serve` first finds it without any policy: lot.release (released), lot.reject,
// wo.close and record.correct (approved), op.verify (verified), exception.close of a critical
// exception (approved).
[[nodiscard]] const std::vector<std::string>& default_signature_policies();

// The stream a command writes its first record to, as its declaration names it ("lot:L-1"),
// or "" when it has none of its own; the server pins its version between a signature's
// challenge and confirmation.
[[nodiscard]] std::string command_stream(const ledger::Command& command);

// A signature as recorded.
struct SignatureView {
  std::uint64_t seq = 0;  // of the signature.signed record
  std::string signer;
  std::string name;
  std::string meaning;
  TimeNs signed_at = 0;
  std::uint32_t records = 0;         // the records before it, of its command, that it signs
  std::vector<std::uint64_t> signs;  // or: the earlier records it signs (signature.sign)
  crypto::Digest hash{};
};
[[nodiscard]] Result<SignatureView> signature_view(const ledger::RecordFields& record);

// The signatures given for record `seq`, oldest first: with its command, and any given
// later (signature.sign).
[[nodiscard]] Result<std::vector<SignatureView>> signatures_of(const ledger::Snapshot& snap,
                                                               std::uint64_t seq);
// Its manifestation, as every reader shows it: {"signer","name","meaning","signedAt","seq"}.
void write_signature_json(const SignatureView& s, codec::JsonWriter& w);

// What a signature's hash covers: the signer's identity and meaning, and the command id, type,
// stream and payload digest of each signed record, each length-prefixed (docs/security.md).
struct SignedRecord {
  std::string_view command_id;
  std::string_view type;
  std::string_view stream;
  crypto::Digest payload_digest;
};
[[nodiscard]] crypto::Digest signature_hash(std::string_view signer, std::string_view name,
                                            std::string_view meaning, TimeNs signed_at,
                                            const std::vector<SignedRecord>& signed_records);

// What a signature of earlier records (signature.sign) covers: the signer's identity and
// meaning, and each record's seq and leaf hash.
struct SignedLeaf {
  std::uint64_t seq = 0;
  crypto::Digest leaf{};
};
[[nodiscard]] crypto::Digest record_signature_hash(std::string_view signer, std::string_view name,
                                                   std::string_view meaning, TimeNs signed_at,
                                                   const std::vector<SignedLeaf>& leaves);

// Every signature.signed record of the ledger, checked against the records it signs.
struct SignatureCheck {
  bool ok = true;
  std::uint64_t checked = 0;
  std::optional<std::uint64_t> first_bad_seq;
  std::string reason;
};
[[nodiscard]] Result<SignatureCheck> check_signatures(const ledger::Snapshot& snap);

}  // namespace custody::domain
