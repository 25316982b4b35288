#include "settings.h"

#include <cmath>
#include <utility>

#include "custody/plugin.hpp"

namespace custody::bundled {

namespace json = boost::json;

std::expected<json::value, ConfigError> parse_settings(std::string_view text) {
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return std::unexpected(ConfigError{"", "is not JSON: " + ec.message()});
  if (!root.is_object()) return std::unexpected(ConfigError{"", "must be a JSON object"});
  return root;
}

void refuse_config(const ConfigError& error) {
  throw sdk::Refusal(CUSTODY_ERR_INVALID_ARGUMENT, "invalid configuration: " + error.text(),
                     error.field.empty() ? "config" : "config." + error.field);
}

SettingsReader::SettingsReader(const json::object& object, std::string prefix, std::string owner)
    : object_(object), prefix_(std::move(prefix)), owner_(std::move(owner)) {}

void SettingsReader::only(std::initializer_list<std::string_view> known) {
  for (const auto& member : object_) {
    bool found = false;
    for (std::string_view k : known) found = found || member.key() == k;
    if (!found) fail(member.key(), "is not a setting of " + owner_);
  }
}

std::string SettingsReader::text(std::string_view key, bool required, bool id,
                                 std::string fallback) {
  const json::value* v = object_.if_contains(key);
  if (v == nullptr) {
    if (required) fail(key, "is required");
    return fallback;
  }
  const json::string* s = v->if_string();
  if (s == nullptr) {
    fail(key, "must be a string");
    return fallback;
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

namespace {

// A whole-number member in [min, max] of type T; `fallback` when absent or at fault.
template <typename T>
T whole_number(const json::object& object, std::string_view key, T min, T max, T fallback,
               SettingsReader& reader) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr) return fallback;
  boost::system::error_code ec;
  const T n = v->is_number() ? v->to_number<T>(ec) : T{};
  if (!v->is_number() || ec || n < min || n > max) {
    reader.fail(
        key, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return fallback;
  }
  return n;
}

}  // namespace

std::int64_t SettingsReader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                                     std::int64_t fallback) {
  return whole_number(object_, key, min, max, fallback, *this);
}

std::uint64_t SettingsReader::whole(std::string_view key, std::uint64_t min, std::uint64_t max,
                                    std::uint64_t fallback) {
  return whole_number(object_, key, min, max, fallback, *this);
}

double SettingsReader::number(std::string_view key, bool required, double fallback) {
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

const json::array* SettingsReader::array(std::string_view key, bool required) {
  const json::value* v = object_.if_contains(key);
  if (v == nullptr) {
    if (required) fail(key, "is required");
    return nullptr;
  }
  if (!v->is_array()) fail(key, "must be an array");
  return v->if_array();
}

void SettingsReader::id_budget(const std::string& equipment, const std::string& param,
                               std::size_t max_bytes) {
  if (!error_ && equipment.size() + param.size() > max_bytes) {
    fail("param", "equipment and param together must be at most " + std::to_string(max_bytes) +
                      " bytes (they form command ids)");
  }
}

void SettingsReader::fail(std::string_view key, std::string message) {
  if (!error_) error_ = ConfigError{prefix_ + std::string(key), std::move(message)};
}

}  // namespace custody::bundled
