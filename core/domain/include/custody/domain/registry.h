// The catalogue of command and event types: each name with the Cap'n Proto struct its JSON
// `data` (commands) or record payload (events) binds to, the events a command emits, the
// stream its records go to and what record.correct may change. The JSON codec, `custody log`,
// `custody types`, the docs' type map and the plugin SDK's types.h all read types from here,
// and here is built from each area's declarations (core/domain/catalogue.h), so a type
// exists in one place.
#pragma once

#include <capnp/schema.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace custody::domain {

struct CommandType {
  std::string_view name;                    // "note.add"
  capnp::StructSchema data;                 // what `data` binds to
  std::string_view area;                    // "notes"
  std::span<const std::string_view> emits;  // event types, the command's own first
  std::string stream;                       // "note:<subject>", or a sentence
};

struct EventType {
  std::string_view name;                          // "note.added"
  capnp::StructSchema payload;                    // what the record payload holds
  std::string_view area;                          // "notes"
  std::span<const std::string_view> correctable;  // fields record.correct may change
};

[[nodiscard]] std::span<const CommandType> command_types();
[[nodiscard]] std::span<const EventType> event_types();
// nullptr when unknown.
[[nodiscard]] const CommandType* find_command(std::string_view name);
[[nodiscard]] const EventType* find_event(std::string_view name);

// The struct's name in its schema file ("NoteAdd"), and its file ("commands.capnp").
[[nodiscard]] std::string_view struct_name(capnp::StructSchema schema);
[[nodiscard]] std::string_view schema_file(capnp::StructSchema schema);

}  // namespace custody::domain
