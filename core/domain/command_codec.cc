#include "custody/domain/command_codec.h"

#include <algorithm>
#include <boost/json.hpp>

#include "custody/codec/capnp_util.h"
#include "custody/codec/json_binding.h"
#include "custody/codec/json_parse.h"
#include "custody/common/encoding.h"
#include "custody/domain/registry.h"
#include "schema/commands.capnp.h"

namespace custody::domain {
namespace {

std::unexpected<Error> bad(std::string field, std::string message) {
  return std::unexpected(Error::invalid_argument(std::move(field), std::move(message)));
}

constexpr std::string_view kEnvelopeFields[] = {
    "type", "commandId", "actor", "expectedVersion", "occurredAt", "lateReason", "data"};

constexpr std::size_t kMaxLateReason = 1000;

Result<std::string> required_id(const boost::json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr || v->is_null()) return bad(std::string(key), "is required");
  if (!v->is_string()) return bad(std::string(key), "must be a string");
  const std::string_view s = v->as_string();
  if (std::string m = codec::check_identifier(s); !m.empty()) return bad(std::string(key), m);
  return std::string(s);
}

}  // namespace

std::string_view reserved_prefix(std::string_view command_id) {
  for (std::string_view p : kReservedCommandIdPrefixes) {
    if (command_id.starts_with(p)) return p;
  }
  return {};
}

Result<ledger::Command> decode_command(std::string_view json, std::string* command_id,
                                       std::string_view host_actor,
                                       const AuthorizeType& authorize) {
  // The parsed text lives only as long as this call: its nodes come from a buffer on the
  // stack (then the heap, for a large command) and go all at once, not one by one.
  unsigned char scratch[4096];
  boost::json::monotonic_resource arena(scratch, sizeof scratch);
  auto parsed = codec::parse_json(json, "", kMaxCommandBytes, &arena);
  if (!parsed) return std::unexpected(parsed.error());
  const boost::json::value& root = *parsed;
  if (!root.is_object()) return bad("", "a command must be a JSON object");
  const auto& obj = root.as_object();

  if (const auto* id = obj.if_contains("commandId"); id && id->is_string() && command_id) {
    *command_id = std::string(id->as_string());
  }
  for (const auto& member : obj) {
    if (std::find(std::begin(kEnvelopeFields), std::end(kEnvelopeFields), member.key()) ==
        std::end(kEnvelopeFields)) {
      return bad(std::string(member.key()), "is not a command field (unknown field)");
    }
  }

  ledger::Command cmd;
  auto type = required_id(obj, "type");
  if (!type) return std::unexpected(type.error());
  const CommandType* spec = find_command(*type);
  if (spec == nullptr) return bad("type", "unknown command type '" + *type + "'");
  if (authorize) {
    if (auto ok = authorize(*type); !ok) return std::unexpected(ok.error());
  }
  cmd.type = std::move(*type);

  auto id = required_id(obj, "commandId");
  if (!id) return std::unexpected(id.error());
  cmd.command_id = std::move(*id);

  if (!host_actor.empty()) {
    const auto* given = obj.if_contains("actor");
    if (given != nullptr && !given->is_null() &&
        !(given->is_string() && given->as_string() == host_actor)) {
      return std::unexpected(Error{ErrorCode::kPermissionDenied,
                                   "a plugin's commands are recorded as " +
                                       std::string(host_actor) + "; it cannot claim another actor",
                                   "actor"});
    }
    cmd.actor = std::string(host_actor);
  } else {
    auto actor = required_id(obj, "actor");
    if (!actor) return std::unexpected(actor.error());
    if (*actor == kSystemActor) {
      return bad("actor", "'system' is reserved for records custody writes itself");
    }
    if (actor->starts_with(kPluginActorPrefix)) {
      return bad("actor", "'plugin:...' actors are reserved for plugins custody hosts");
    }
    cmd.actor = std::move(*actor);
    if (const auto p = reserved_prefix(cmd.command_id); !p.empty()) {
      return std::unexpected(Error{ErrorCode::kReserved,
                                   "command ids starting with '" + std::string(p) +
                                       "' are reserved for commands custody writes itself",
                                   "commandId"});
    }
  }

  if (const auto* v = obj.if_contains("expectedVersion"); v && !v->is_null()) {
    if (v->is_uint64()) {
      cmd.expected_version = v->as_uint64();
    } else if (v->is_int64() && v->as_int64() >= 0) {
      cmd.expected_version = static_cast<std::uint64_t>(v->as_int64());
    } else {
      return bad("expectedVersion", "must be a non-negative integer");
    }
  }
  if (const auto* v = obj.if_contains("occurredAt"); v && !v->is_null()) {
    if (!v->is_string()) return bad("occurredAt", "must be an RFC 3339 timestamp string");
    auto t = parse_rfc3339(v->as_string());
    if (!t) return fail(t.error().code, t.error().message, "occurredAt");
    cmd.occurred_at = *t;
    // The offset the sender wrote it in is kept with it (shown back as they wrote it).
    cmd.occurred_offset = static_cast<std::int16_t>(rfc3339_offset_minutes(v->as_string()));
  }
  if (const auto* v = obj.if_contains("lateReason"); v && !v->is_null()) {
    if (!v->is_string()) return bad("lateReason", "must be a string");
    const std::string_view reason = v->as_string();
    if (reason.find_first_not_of(' ') == std::string_view::npos) {
      return bad("lateReason", "must say why the entry is late");
    }
    if (reason.size() > kMaxLateReason) {
      return bad("lateReason", "is longer than " + std::to_string(kMaxLateReason) + " bytes");
    }
    if (std::any_of(reason.begin(), reason.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return bad("lateReason", "must not hold control characters");
    }
    cmd.late_reason = std::string(reason);
  }

  const auto* data = obj.if_contains("data");
  if (data == nullptr || data->is_null()) return bad("data", "is required");
  auto bytes = codec::bind_canonical(*data, spec->data, "data");
  if (!bytes) return std::unexpected(bytes.error());
  cmd.data = std::move(*bytes);
  return cmd;
}

namespace {

// A payload of type `type`, held inside another record, as JSON; nullopt when it does not decode.
std::optional<std::string> inner_payload_json(std::string_view type, capnp::Data::Reader p) {
  const EventType* inner = find_event(type);
  if (inner == nullptr) return std::nullopt;
  std::string payload;
  codec::JsonWriter pw(payload);
  if (!codec::write_canonical(std::string_view(reinterpret_cast<const char*>(p.begin()), p.size()),
                              inner->payload, pw)) {
    return std::nullopt;
  }
  return payload;
}

// A record.corrected or record.redacted payload with the payload it puts in force decoded by
// its type, so readers see values rather than base64: {"seq", "reason", "type", "changed",
// "payload": {...}} or {"seq", "reason", "type", "fields", "remainder": {...}}. False
// (nothing written) when it does not decode.
template <typename Payload>
bool write_nested(std::string_view bytes, codec::JsonWriter& out) {
  try {
    codec::MessageView view(bytes);
    auto c = view.root<Payload>();
    constexpr bool corrected = std::is_same_v<Payload, schema::RecordCorrected>;
    std::optional<std::string> inner;
    if constexpr (corrected) {
      inner = inner_payload_json(codec::view(c.getType()), c.getPayload());
    } else {
      inner = inner_payload_json(codec::view(c.getType()), c.getRemainder());
    }
    if (!inner) return false;
    out.key("payload").begin_object();
    out.key("seq").uint64(c.getSeq());
    out.key("reason").string(codec::view(c.getReason()));
    out.key("type").string(codec::view(c.getType()));
    out.key(corrected ? "changed" : "fields").begin_array();
    if constexpr (corrected) {
      for (auto f : c.getChanged()) out.string(codec::view(f));
    } else {
      for (auto f : c.getFields()) out.string(codec::view(f));
    }
    out.end_array();
    out.key(corrected ? "payload" : "remainder").raw(*inner);
    out.end_object();
    return true;
  } catch (const kj::Exception&) {
    return false;
  }
}

}  // namespace

void write_record_json(const ledger::RecordFields& r, const crypto::Digest& leaf,
                       codec::JsonWriter& out) {
  out.begin_object();
  out.key("seq").uint64(r.seq);
  out.key("hash").string(to_hex(leaf));
  out.key("prevHash").string(to_hex(r.prev_hash));
  out.key("commandId").string(r.command_id);
  out.key("actor").string(r.actor);
  out.key("stream").string(r.stream);
  out.key("streamVersion").uint64(r.stream_version);
  if (r.stream_prev_seq != 0) out.key("streamPrevSeq").uint64(r.stream_prev_seq);
  out.key("type").string(r.type);
  out.key("recordedAt").string(format_rfc3339(r.recorded_at));
  if (r.occurred_at != 0) {
    out.key("occurredAt").string(format_rfc3339(r.occurred_at, r.occurred_offset));
  }
  out.key("payloadDigest").string(to_hex(r.payload_digest));
  if (!r.payload_present) {
    out.key("redacted").boolean(true);
  } else if (r.type == "record.corrected" &&
             write_nested<schema::RecordCorrected>(r.payload, out)) {
    // written: the corrected payload decoded by its own type
  } else if (r.type == "record.redacted" && write_nested<schema::RecordRedacted>(r.payload, out)) {
    // written: the remainder decoded by its own type
  } else if (const EventType* ev = find_event(r.type)) {
    std::string payload;
    codec::JsonWriter pw(payload);
    if (codec::write_canonical(r.payload, ev->payload, pw)) {
      out.key("payload").raw(payload);
    } else {
      out.key("payloadBase64").string(to_base64(as_bytes(r.payload)));
    }
  } else {
    out.key("payloadBase64").string(to_base64(as_bytes(r.payload)));
  }
  out.end_object();
}

Result<void> append_record_json(std::string_view bytes, std::string& out) {
  auto rec = ledger::decode_record(bytes);
  if (!rec) return std::unexpected(rec.error());
  auto leaf = ledger::record_leaf(bytes);
  if (!leaf) return std::unexpected(leaf.error());
  codec::JsonWriter w(out);
  write_record_json(*rec, *leaf, w);
  return {};
}

std::string result_json(std::string_view command_id, const Result<ledger::CommandResult>& result) {
  std::string line;
  codec::JsonWriter w(line);
  w.begin_object();
  if (result) {
    w.key("ok").boolean(true);
    w.key("seq").uint64(result->seq);
    if (result->records > 1) w.key("records").uint64(result->records);
    w.key("hash").string(to_hex(result->hash));
    w.key("commandId").string(command_id);
    if (result->duplicate) w.key("duplicate").boolean(true);
  } else {
    const Error& e = result.error();
    w.key("ok").boolean(false);
    if (command_id.empty()) {
      w.key("commandId").null();
    } else {
      w.key("commandId").string(command_id);
    }
    write_error_json(e, w);
  }
  w.end_object();
  return line;
}

void write_error_json(const Error& e, codec::JsonWriter& w) {
  w.key("error").begin_object();
  w.key("code").string(code_name(e.code));
  w.key("message").string(e.message);
  if (e.field.empty()) {
    w.key("field").null();
  } else {
    w.key("field").string(e.field);
  }
  w.end_object();
}

}  // namespace custody::domain
