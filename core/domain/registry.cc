#include "custody/domain/registry.h"

#include <algorithm>
#include <vector>

#include "schema/commands.capnp.h"

namespace custody::domain {
namespace {

namespace s = custody::schema;

template <typename T>
capnp::StructSchema schema_of() {
  return capnp::Schema::from<T>();
}

const std::vector<CommandType>& commands() {
  static const std::vector<CommandType> all = {
      {"note.add", schema_of<s::NoteAdd>()},
  };
  return all;
}

const std::vector<EventType>& events() {
  static const std::vector<EventType> all = {
      {"note.added", schema_of<s::NoteAdd>()},
  };
  return all;
}

}  // namespace

std::span<const CommandType> command_types() {
  return commands();
}
std::span<const EventType> event_types() {
  return events();
}

const CommandType* find_command(std::string_view name) {
  const auto& all = commands();
  auto it = std::find_if(all.begin(), all.end(), [&](const auto& c) { return c.name == name; });
  return it == all.end() ? nullptr : &*it;
}

const EventType* find_event(std::string_view name) {
  const auto& all = events();
  auto it = std::find_if(all.begin(), all.end(), [&](const auto& e) { return e.name == name; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace custody::domain
