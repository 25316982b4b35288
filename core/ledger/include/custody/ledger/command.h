// What producers hand the sequencer, and what they get back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/crypto/sha256.h"

namespace custody::ledger {

// A decoded command, shape-checked before it reaches the sequencer (the JSON codec or the
// plugin host did that); the sequencer checks it against state.
struct Command {
  std::string type;        // "note.add"
  std::string command_id;  // idempotency key, unique per ledger forever
  std::string actor;       // "user:alice", "plugin:scheduler"
  // When set, the command is rejected with kConflict unless its primary stream (the stream
  // of its first event) is at exactly this version (0: the stream does not exist yet).
  std::optional<std::uint64_t> expected_version;
  TimeNs occurred_at = 0;            // client or device time; 0 when not given
  std::int16_t occurred_offset = 0;  // the UTC offset (minutes) occurredAt was written with
  // Canonical Cap'n Proto bytes of the command's data struct (the domain registry names
  // it for each type). Word-aligned as std::string's heap storage is.
  std::string data;
  // The meaning of the electronic signature the command carries ("released"), or empty. Only
  // the server sets it, after the signer confirmed with their password; no JSON decoder does.
  std::string signature;
  // Why the command is entered late (its occurredAt long past, or before its stream's last
  // record): required then, and recorded with it; ignored otherwise. Empty when not given.
  std::string late_reason;
};

// What identifies a command's content for idempotency: SHA-256 over its type, actor, data,
// occurredAt, expectedVersion and, when given, signature and lateReason (each
// length-prefixed). A retry must have the same digest;
// a different command under a used commandId is an idempotency conflict.
[[nodiscard]] crypto::Digest command_digest(const Command& command);

// An accepted command.
struct CommandResult {
  std::uint64_t seq = 0;      // seq of its first record
  std::uint32_t records = 0;  // how many records it wrote, consecutive from seq
  crypto::Digest hash{};      // leaf hash of its first record
  bool duplicate = false;     // true when this was a retry of an earlier accepted command
};

// Called exactly once per submitted command, on the sequencer thread, after the outcome is
// durable. Must be quick and must not call back into the ledger's submit path.
using Completion = std::function<void(Result<CommandResult>)>;

}  // namespace custody::ledger
