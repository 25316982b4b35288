#include "sim_config.h"

#include <boost/json.hpp>
#include <set>
#include <utility>

namespace custody::sim {
namespace {

namespace json = boost::json;

// "sim:<equipment>:<param>:<n>" must stay within the ledger's 128-byte command ids.
constexpr std::size_t kMaxIdsBytes = 90;

constexpr const char* kOwner = "the simulated device";

using sdk::Form;
using sdk::Need;
using sdk::SettingsReader;

std::expected<SimDevice, ConfigError> parse_device(const json::value& value,
                                                   const std::string& path, std::uint64_t count) {
  const json::object* object = value.if_object();
  if (object == nullptr) return std::unexpected(ConfigError{path, "must be an object"});
  SettingsReader r(*object, path + ".", kOwner);
  r.only({"equipment", "param", "unit", "base", "noise", "driftPerHour", "excursionEvery",
          "excursionSize", "intervalMs", "count"});
  SimDevice d;
  d.equipment = r.text("equipment", Need::kRequired, Form::kIdentifier);
  d.param = r.text("param", Need::kRequired, Form::kIdentifier);
  d.unit = r.text("unit", Need::kOptional, Form::kText);
  d.base = r.number("base", Need::kRequired, 0);
  d.noise = r.number("noise", Need::kOptional, 0);
  if (d.noise < 0) r.fail("noise", "must not be negative");
  d.drift_per_hour = r.number("driftPerHour", Need::kOptional, 0);
  d.excursion_every = r.whole("excursionEvery", 0, 1'000'000'000, 0);
  d.excursion_size = r.number("excursionSize", Need::kOptional, 0);
  d.interval = std::chrono::milliseconds(r.whole("intervalMs", 1, 86'400'000, 1000));
  d.count = r.whole("count", 0, 1'000'000'000'000, count);
  r.joined_budget("equipment", d.equipment, "param", d.param, kMaxIdsBytes);
  if (r.error()) return std::unexpected(*r.error());
  return d;
}

}  // namespace

std::expected<SimConfig, ConfigError> parse_sim_config(std::string_view text) {
  auto root = sdk::parse_settings(text);
  if (!root) return std::unexpected(*root.error);
  const json::object* object = &root.object;

  SettingsReader r(*object, "", kOwner);
  r.only({"seed", "count", "devices"});
  SimConfig c;
  c.seed = r.whole("seed", 0, UINT64_MAX, 1);
  const std::uint64_t count = r.whole("count", 0, 1'000'000'000'000, 0);
  const json::value* devices = object->if_contains("devices");
  if (devices == nullptr) r.fail("devices", "is required");
  if (r.error()) return std::unexpected(*r.error());
  const json::array* list = devices->if_array();
  if (list == nullptr || list->empty() || list->size() > 1000) {
    return std::unexpected(ConfigError{"devices", "must be an array of 1 to 1000 devices"});
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = "devices[" + std::to_string(i) + "]";
    auto d = parse_device((*list)[i], path, count);
    if (!d) return std::unexpected(d.error());
    if (!seen.emplace(d->equipment, d->param).second) {
      return std::unexpected(ConfigError{
          path + ".param", "simulates " + d->equipment + "/" + d->param + " a second time"});
    }
    c.devices.push_back(std::move(*d));
  }
  return c;
}

}  // namespace custody::sim
