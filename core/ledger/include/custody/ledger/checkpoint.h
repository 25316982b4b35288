// Checkpoints: the signed tree head of the log, in the C2SP tlog-checkpoint format
// (https://c2sp.org/tlog-checkpoint) as a signed note (custody/crypto/note.h):
//
//   checkpoint = origin "\n" size "\n" base64(root) "\n" *(extension "\n")
//                "\n" signature+
//   origin     = the ledger's origin, "custody/<ledger id>" unless set at init
//   size       = decimal number of records covered (ASCII, no leading zeros)
//   root       = RFC 6962 Merkle tree head over records 1..size (32 bytes)
//
// The node key that signs is created by `custody init`, stored in DIR/node.key (0600);
// its verifier key is DIR/node.pub and meta `node_public_key`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"
#include "custody/crypto/note.h"
#include "custody/crypto/sha256.h"

namespace custody::ledger {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  crypto::Digest root{};
  std::vector<std::string> extensions;  // opaque lines after the root, kept as read

  // The note text that is signed.
  [[nodiscard]] std::string body() const;
};

[[nodiscard]] std::string sign_checkpoint(const Checkpoint& cp, const crypto::NoteSigner& signer);

// Parses a checkpoint note and checks its signature by `verifier`. Errors:
// kInvalidArgument (malformed), kPermissionDenied (no valid signature by the key).
[[nodiscard]] Result<Checkpoint> open_checkpoint(std::string_view note,
                                                 const crypto::NoteVerifier& verifier);

// Parses the body only, without checking any signature.
[[nodiscard]] Result<Checkpoint> parse_checkpoint_body(std::string_view text);

// Parses a whole signed note's body without checking its signatures (for notes this ledger
// stored itself, which `custody verify` checks).
[[nodiscard]] Result<Checkpoint> parse_checkpoint_note_unverified(std::string_view note);

}  // namespace custody::ledger
