#include "custody/domain/registry.h"

#include <vector>

#include "catalogue.h"

namespace custody::domain {
namespace {

std::string stream_text(const StreamSpec& s) {
  if (s.rules.empty()) return std::string(s.described);
  std::string out;
  for (const StreamRule& r : s.rules) {
    if (!out.empty()) out += " or ";
    out += std::string(r.kind) + ":<" + std::string(r.field) + ">";
  }
  return out;
}

struct Lists {
  std::vector<CommandType> commands;
  std::vector<EventType> events;
};

// The public view of the catalogue, built once from the areas' declarations (which live as
// long as the process, so the spans into them stay valid).
const Lists& lists() {
  static const Lists all = [] {
    Lists l;
    for (const Area* a : areas()) {
      for (const auto& c : a->commands) {
        l.commands.push_back({c.type, c.data, a->name, c.emits, stream_text(c.stream)});
      }
      for (const auto& e : a->events) {
        l.events.push_back({e.type, e.payload, a->name, e.correction.fields});
      }
    }
    return l;
  }();
  return all;
}

// "schema/commands.capnp:NoteAdd"
std::string_view display_name(capnp::StructSchema schema) {
  const auto name = schema.getProto().getDisplayName();
  return {name.cStr(), name.size()};
}

}  // namespace

std::span<const CommandType> command_types() {
  return lists().commands;
}

std::span<const EventType> event_types() {
  return lists().events;
}

const CommandType* find_command(std::string_view name) {
  for (const auto& c : lists().commands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const EventType* find_event(std::string_view name) {
  for (const auto& e : lists().events) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string_view struct_name(capnp::StructSchema schema) {
  const std::string_view d = display_name(schema);
  return d.substr(schema.getProto().getDisplayNamePrefixLength());
}

std::string_view schema_file(capnp::StructSchema schema) {
  std::string_view d = display_name(schema);
  d = d.substr(0, d.find(':'));
  const auto slash = d.rfind('/');
  return slash == std::string_view::npos ? d : d.substr(slash + 1);
}

}  // namespace custody::domain
