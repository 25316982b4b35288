# The record envelope: one entry of the ledger's log.
#
# Stored in the `log` column family in Cap'n Proto canonical form (single segment, preorder,
# no padding; see capnp's encoding spec). Hashing (RFC 6962 / 9162 Merkle tree):
#
#   payloadDigest = SHA-256(payload)
#   leaf          = SHA-256(0x00 || canonical(Record with payload unset))
#   node          = SHA-256(0x01 || left || right)
#   prevHash(1)   = 32 zero bytes;  prevHash(n) = leaf(n-1)
#
# The leaf commits to the payload through its digest only, so a payload can be redacted
# (legal erasure) while the chain, the tree and every checkpoint still verify.
@0xf0c956ab8966d93b;

$import "/capnp/c++.capnp".namespace("custody::schema");

struct Record {
  seq @0 :UInt64;            # position in the log, from 1, contiguous
  recordedAt @1 :Int64;      # ledger clock, ns since Unix epoch; never decreases
  occurredAt @2 :Int64;      # client or device clock, ns; 0 when the command gave none
  commandId @3 :Text;        # idempotency key of the command that produced this record
  actor @4 :Text;            # who: "user:alice", "plugin:scheduler", "system"
  stream @5 :Text;           # the entity this record belongs to: "note:line-1", "lot:L7"
  streamVersion @6 :UInt64;  # the stream's version after this record (1 for its first)
  type @7 :Text;             # event type, e.g. "note.added"; names the payload's struct
  payloadDigest @8 :Data;    # SHA-256 of payload (32 bytes)
  payload @9 :Data;          # canonical Cap'n Proto of the event struct named by `type`
  prevHash @10 :Data;        # leaf hash of the record before (32 bytes)
  streamPrevSeq @11 :UInt64; # seq of the previous record of the same stream; 0 for its first
  occurredOffset @12 :Int16; # the UTC offset, in minutes, the client wrote occurredAt in
                             # ("+01:00" -> 60); 0 for "Z" or none. Records written before
                             # this field existed have it 0 and the same bytes as then.
}

# ledger.key_rotated (stream "ledger:key", actor "system"): the node key that signs checkpoints
# changes. `note` is a signed note by the old key whose text is
# "custody key rotation\n<origin>\n<key>\n". The old key signed a last checkpoint just before
# this record; every checkpoint that covers it is signed by `key` (custody/ledger/node_key.h).
struct KeyRotated {
  key @0 :Text;   # the new verifier key
  note @1 :Text;
}
