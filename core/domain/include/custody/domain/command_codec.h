// Commands as JSON (the NDJSON of `custody append`, the HTTP API):
//
//   {"type": "note.add", "commandId": "c-17", "actor": "user:alice",
//    "expectedVersion": 3, "occurredAt": "2026-11-21T08:00:00Z",
//    "data": { ...fields of the type's struct... }}
//
// type, commandId, actor and data are required; expectedVersion and occurredAt optional.
// Records back to JSON for `custody log`.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "custody/codec/json_writer.h"
#include "custody/common/error.h"
#include "custody/ledger/command.h"
#include "custody/ledger/record.h"

namespace custody::domain {

// The largest command custody reads (the JSON text of one command).
inline constexpr std::size_t kMaxCommandBytes = 1 << 20;

// The actor custody writes automatic consequences as; clients may not claim it.
inline constexpr std::string_view kSystemActor = "system";

// Actors of the form "plugin:<id>" are reserved for plugins running in custody's host.
inline constexpr std::string_view kPluginActorPrefix = "plugin:";

// Command id prefixes custody uses for the commands it writes itself (escalations, access
// records, a plugin's namespaced ids, automatic exceptions, the events of an EPCIS import):
// a client's commandId may not start with one (kReserved), so nobody can take an id custody
// will need.
inline constexpr std::string_view kReservedCommandIdPrefixes[] = {
    "escalate:", "access:", "auto:", "plugin:", "system:", "epcis:"};
// The reserved prefix `command_id` starts with, or "".
[[nodiscard]] std::string_view reserved_prefix(std::string_view command_id);

// Decodes one JSON command and checks its shape (not its effect on state). Errors are
// kInvalidArgument with the field path (malformed JSON and repeated keys included), or
// kOutOfRange for a command larger than kMaxCommandBytes. `command_id` receives the commandId
// whenever the line had a string one, even if something else was wrong, so errors can name it.
//
// With `host_actor` empty (clients), "actor" is required and may be neither "system" nor
// "plugin:...", and "commandId" may not start with a reserved prefix (kReserved). With `host_actor`
// set (the plugin host), the command is recorded as that actor: "actor" may be left out, and if
// given must equal it (kPermissionDenied otherwise).
//
// `authorize`, when given, is asked about the type as soon as it is known, before anything
// else is checked, so a caller who may not submit a type learns nothing more (the server's
// role check); its error is returned as it is.
using AuthorizeType = std::function<Result<void>(std::string_view type)>;
[[nodiscard]] Result<ledger::Command> decode_command(std::string_view json,
                                                     std::string* command_id = nullptr,
                                                     std::string_view host_actor = {},
                                                     const AuthorizeType& authorize = {});

// Writes a record as one JSON object: seq, hash, prevHash, commandId, actor, stream,
// streamVersion, type, recordedAt, occurredAt (when given), payloadDigest and the payload
// decoded by its event type ("payload"), or "payloadBase64" for an unknown type, or
// "redacted": true when the payload was erased.
void write_record_json(const ledger::RecordFields& record, const crypto::Digest& leaf,
                       codec::JsonWriter& out);

// Decodes stored record bytes and appends their JSON (as write_record_json) to `out`.
// kCorruption when the bytes are not a record.
[[nodiscard]] Result<void> append_record_json(std::string_view bytes, std::string& out);

// The member `"error": {"code", "message", "field"}` every refusal is written with (field null
// when the error is not about one field), into an object `w` has open.
void write_error_json(const Error& e, codec::JsonWriter& w);

// JSON for a command outcome, as `custody append` prints it.
[[nodiscard]] std::string result_json(std::string_view command_id,
                                      const Result<ledger::CommandResult>& result);

}  // namespace custody::domain
