# Annotations that tell custody's JSON binding (core/codec/json_binding.h) how a field is
# written in JSON and what shape it must have. The binding reads them through capnp's
# reflection, so a schema alone says what a command accepts.
@0xf42feda23f0b9e86;

$import "/capnp/c++.capnp".namespace("custody::schema");

annotation required @0xb00c6337c84389a1 (field) :Void;
# The field must be present in JSON (and, for Text, non-empty).

annotation id @0xf4262fb2f4b2443c (field) :Void;
# A Text identifier: 1..128 bytes, printable, no leading or trailing space. Identifiers
# name streams and RocksDB keys, so they may not hold control characters.

annotation decimal @0xb966e790c6dfe5dc (field) :UInt8;
# An Int64 that holds a fixed-point decimal with the given number of places. JSON writes
# it as a number (12.5); the ledger stores 12500 for decimal(3). Quantities are exact.

annotation timestamp @0xb71590051bf06be4 (field) :Void;
# An Int64 holding nanoseconds since the Unix epoch, UTC. JSON writes it as RFC 3339
# ("2026-11-21T08:00:00Z", fractional seconds allowed).

annotation json @0xbc54120b05d19159 (field) :Void;
# A Text field that holds a JSON value verbatim: the binding accepts any JSON there and keeps
# its compact serialisation; the command's handler binds it later (record.correct's data is
# bound against the schema of the record it corrects, which only the ledger knows).
