#include "sim_config.h"

#include <boost/json.hpp>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <set>
#include <utility>

namespace custody::sim {
namespace {

namespace json = boost::json;

// "sim:<equipment>:<param>:<n>" must stay within the ledger's 128-byte command ids.
constexpr std::size_t kMaxIdsBytes = 90;

// Reads the members of one JSON object; the first problem found is kept and reported.
class ObjectReader {
 public:
  ObjectReader(const json::object& object, std::string prefix)
      : object_(object), prefix_(std::move(prefix)) {}

  void only(std::initializer_list<std::string_view> known) {
    for (const auto& member : object_) {
      bool found = false;
      for (std::string_view k : known) found = found || member.key() == k;
      if (!found) fail(member.key(), "is not a setting of the simulated device");
    }
  }

  // A string; `id`: also a ledger identifier (1-128 printable bytes, no edge spaces).
  std::string text(std::string_view key, bool required, bool id) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) {
      if (required) fail(key, "is required");
      return {};
    }
    const json::string* s = v->if_string();
    if (s == nullptr) {
      fail(key, "must be a string");
      return {};
    }
    std::string out(s->data(), s->size());
    if (id) {
      bool control = false;
      for (unsigned char c : out) control = control || c < 0x20 || c == 0x7f;
      if (out.empty() || out.size() > 128) {
        fail(key, "must be 1 to 128 bytes");
      } else if (out.front() == ' ' || out.back() == ' ') {
        fail(key, "must not start or end with a space");
      } else if (control) {
        fail(key, "must not contain control characters");
      }
    }
    return out;
  }

  std::uint64_t whole(std::string_view key, std::uint64_t min, std::uint64_t max,
                      std::uint64_t fallback) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return fallback;
    boost::system::error_code ec;
    const std::uint64_t n = v->is_number() ? v->to_number<std::uint64_t>(ec) : 0;
    if (!v->is_number() || ec || n < min || n > max) {
      fail(key,
           "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
      return fallback;
    }
    return n;
  }

  double number(std::string_view key, bool required, double fallback) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) {
      if (required) fail(key, "is required");
      return fallback;
    }
    if (!v->is_number() || !std::isfinite(v->to_number<double>())) {
      fail(key, "must be a finite number");
      return fallback;
    }
    return v->to_number<double>();
  }

  void fail(std::string_view key, std::string message) {
    if (!error_) error_ = ConfigError{prefix_ + std::string(key), std::move(message)};
  }
  [[nodiscard]] const std::optional<ConfigError>& error() const { return error_; }

 private:
  const json::object& object_;
  std::string prefix_;
  std::optional<ConfigError> error_;
};

std::expected<SimDevice, ConfigError> parse_device(const json::value& value,
                                                   const std::string& path, std::uint64_t count) {
  const json::object* object = value.if_object();
  if (object == nullptr) return std::unexpected(ConfigError{path, "must be an object"});
  ObjectReader r(*object, path + ".");
  r.only({"equipment", "param", "unit", "base", "noise", "driftPerHour", "excursionEvery",
          "excursionSize", "intervalMs", "count"});
  SimDevice d;
  d.equipment = r.text("equipment", true, true);
  d.param = r.text("param", true, true);
  d.unit = r.text("unit", false, false);
  d.base = r.number("base", true, 0);
  d.noise = r.number("noise", false, 0);
  if (d.noise < 0) r.fail("noise", "must not be negative");
  d.drift_per_hour = r.number("driftPerHour", false, 0);
  d.excursion_every = r.whole("excursionEvery", 0, 1'000'000'000, 0);
  d.excursion_size = r.number("excursionSize", false, 0);
  d.interval = std::chrono::milliseconds(r.whole("intervalMs", 1, 86'400'000, 1000));
  d.count = r.whole("count", 0, 1'000'000'000'000, count);
  if (!r.error() && d.equipment.size() + d.param.size() > kMaxIdsBytes) {
    r.fail("param", "equipment and param together must be at most " + std::to_string(kMaxIdsBytes) +
                        " bytes (they form command ids)");
  }
  if (r.error()) return std::unexpected(*r.error());
  return d;
}

}  // namespace

std::expected<SimConfig, ConfigError> parse_sim_config(std::string_view text) {
  boost::system::error_code ec;
  const json::value root = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return std::unexpected(ConfigError{"", "is not JSON: " + ec.message()});
  const json::object* object = root.if_object();
  if (object == nullptr) return std::unexpected(ConfigError{"", "must be a JSON object"});

  ObjectReader r(*object, "");
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
