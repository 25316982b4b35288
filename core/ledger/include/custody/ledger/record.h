// Encoding and checking of log records (schema/record.capnp).
//
// Stored form: one bare Cap'n Proto segment in canonical form (no segment table), exactly
// the bytes capnp::canonicalize() returns for the Record struct. Leaf input: the canonical
// form of the same Record with `payload` unset (payloadDigest still set). See record.capnp
// for the hashing grammar.
//
// All functions are thread-safe (they keep per-thread scratch buffers).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/crypto/sha256.h"

namespace custody::ledger {

using crypto::Digest;

struct RecordFields {
  std::uint64_t seq = 0;
  TimeNs recorded_at = 0;
  TimeNs occurred_at = 0;
  std::int16_t occurred_offset = 0;  // minutes east of UTC the client wrote occurredAt in
  std::string command_id;
  std::string actor;
  std::string stream;
  std::uint64_t stream_version = 0;
  std::uint64_t stream_prev_seq = 0;  // previous record of the same stream, 0 if none
  std::string type;
  Digest payload_digest{};
  std::string payload;
  bool payload_present = true;  // false once a payload has been redacted
  Digest prev_hash{};
};

struct EncodedRecord {
  std::string bytes;  // canonical, as stored in the `log` column family
  Digest leaf;        // its leaf hash
};

// Computes payload_digest from payload, then encodes. `r.payload_digest` is updated.
[[nodiscard]] EncodedRecord encode_record(RecordFields& r);
// The same, reusing `out`'s buffer (the sequencer encodes every record through one).
void encode_record(RecordFields& r, EncodedRecord& out);

// The canonical bytes of `r` (with or without its payload), as encode_record() writes them,
// and the same computed by building a capnp message and canonicalising it. They must agree;
// the second exists for tests.
// The stored form carries the payload; the leaf form (what is hashed) carries only its digest.
enum class RecordForm { kStored, kLeaf };
[[nodiscard]] std::string canonical_record(const RecordFields& r, RecordForm form);
[[nodiscard]] std::string canonical_record_via_capnp(const RecordFields& r, RecordForm form);

// Parses stored bytes. Fails with kCorruption when they are not a canonical Record.
[[nodiscard]] Result<RecordFields> decode_record(std::string_view bytes);

// What the verifier needs of one stored record, computed without keeping it.
struct RecordCheck {
  std::uint64_t seq = 0;
  std::string command_id;
  Digest prev_hash{};
  Digest leaf{};
  bool redacted = false;      // payload absent; its digest cannot be rechecked
  bool key_rotation = false;  // a ledger.key_rotated record (node_key.h)
};

// Checks that `bytes` are a canonical Record whose payload matches its digest, and computes
// its leaf hash. Fails with kCorruption saying what is wrong.
[[nodiscard]] Result<RecordCheck> check_record(std::string_view bytes);

// The leaf hash of stored bytes known to be valid (no checks beyond parsing).
[[nodiscard]] Result<Digest> record_leaf(std::string_view bytes);

}  // namespace custody::ledger
