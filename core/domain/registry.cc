#include "custody/domain/registry.h"

#include <vector>

#include "catalogue.h"

namespace custody::domain {
namespace {

struct Lists {
  std::vector<CommandType> commands;
  std::vector<EventType> events;
};

// The public view of the catalogue, built once from the areas' declarations.
const Lists& lists() {
  static const Lists all = [] {
    Lists l;
    for (const Area* a : areas()) {
      for (const auto& c : a->commands) l.commands.push_back({c.type, c.data});
      for (const auto& e : a->events) l.events.push_back({e.type, e.payload});
    }
    return l;
  }();
  return all;
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

std::span<const std::string_view> correctable_fields(std::string_view event_type) {
  const EventSpec* spec = find_event_spec(event_type);
  return spec ? std::span<const std::string_view>(spec->correction.fields)
              : std::span<const std::string_view>{};
}

}  // namespace custody::domain
