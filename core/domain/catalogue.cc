#include "catalogue.h"

#include <capnp/dynamic.h>

#include <boost/unordered/unordered_flat_map.hpp>
#include <stdexcept>

namespace custody::domain {
namespace {

struct Index {
  std::vector<const Area*> areas;
  boost::unordered_flat_map<std::string_view, const CommandSpec*> commands;
  boost::unordered_flat_map<std::string_view, const EventSpec*> events;
};

// Built once, from the areas' declarations; a type declared twice is a bug caught at start.
const Index& index() {
  static const Index all = [] {
    Index i;
    i.areas = {&notes_area(),         &master_data_area(),  &lots_area(),       &work_orders_area(),
               &scheduling_area(),    &quality_area(),      &exceptions_area(), &corrections_area(),
               &access_area(),        &identity_area(),     &signatures_area(), &retention_area(),
               &configuration_area(), &late_entries_area(), &partners_area(),   &receipts_area(),
               &expiry_area(),        &training_area(),     &equipment_area(),  &defects_area(),
               &line_control_area(),  &deviations_area(),   &piecework_area()};
    for (const Area* a : i.areas) {
      for (const auto& c : a->commands) {
        if (!i.commands.emplace(c.type, &c).second) {
          throw std::logic_error("command type declared twice: " + std::string(c.type));
        }
      }
      for (const auto& e : a->events) {
        if (!i.events.emplace(e.type, &e).second) {
          throw std::logic_error("event type declared twice: " + std::string(e.type));
        }
      }
    }
    return i;
  }();
  return all;
}

}  // namespace

namespace detail {
std::vector<capnp::StructSchema::Field> resolve(capnp::StructSchema data, const StreamSpec& s) {
  std::vector<capnp::StructSchema::Field> out;
  for (const auto& rule : s.rules) {
    KJ_IF_MAYBE (f, data.findFieldByName(kj::StringPtr(rule.field.data(), rule.field.size()))) {
      out.push_back(*f);
    } else {
      throw std::logic_error("stream field " + std::string(rule.field) + " is not a field of " +
                             data.getShortDisplayName().cStr());
    }
  }
  return out;
}
}  // namespace detail

std::span<const Area* const> areas() {
  return index().areas;
}

const CommandSpec* find_command_spec(std::string_view type) {
  const auto& c = index().commands;
  auto it = c.find(type);
  return it == c.end() ? nullptr : it->second;
}

const EventSpec* find_event_spec(std::string_view type) {
  const auto& e = index().events;
  auto it = e.find(type);
  return it == e.end() ? nullptr : it->second;
}

std::string own_stream(const CommandSpec& spec, std::string_view data_bytes) {
  codec::MessageView v(data_bytes);
  auto data = v.reader().getRoot<capnp::DynamicStruct>(spec.data);
  for (std::size_t i = 0; i < spec.stream_fields.size(); ++i) {
    auto id = data.get(spec.stream_fields[i]).as<capnp::Text>();
    if (id.size() > 0) return keys::stream(spec.stream.rules[i].kind, sv(id));
  }
  return {};
}

std::string Decide::stream() const {
  auto s = own_stream(spec, cmd.data);
  if (s.empty()) throw std::logic_error(std::string(spec.type) + " has no stream of its own");
  return s;
}

}  // namespace custody::domain
