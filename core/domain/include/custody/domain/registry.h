// The catalogue of command and event types: each name with the Cap'n Proto struct its JSON
// `data` (commands) or record payload (events) binds to. The JSON codec, `custody log`,
// the docs and the plugin host all read types from here, so a type exists in one place.
#pragma once

#include <capnp/schema.h>

#include <span>
#include <string_view>

namespace custody::domain {

struct CommandType {
  std::string_view name;     // "note.add"
  capnp::StructSchema data;  // what `data` binds to
};

struct EventType {
  std::string_view name;        // "note.added"
  capnp::StructSchema payload;  // what the record payload holds
};

[[nodiscard]] std::span<const CommandType> command_types();
[[nodiscard]] std::span<const EventType> event_types();
// nullptr when unknown.
[[nodiscard]] const CommandType* find_command(std::string_view name);
[[nodiscard]] const EventType* find_event(std::string_view name);

// The payload fields of an event type that record.correct may change; empty when records
// of that type cannot be corrected.
[[nodiscard]] std::span<const std::string_view> correctable_fields(std::string_view event_type);

}  // namespace custody::domain
