// Reading a plugin's settings: the "config" object of its entry in the ledger's config.json,
// which Host::config() hands over as JSON text. The plugins shipped with custody read theirs
// with this; it needs Boost.JSON (custody_plugin_settings(TARGET) in CMake links it).
//
//   const auto root = custody::sdk::parse_settings(host().config());
//   if (!root) custody::sdk::refuse_config(*root.error);
//   custody::sdk::SettingsReader r(root.object, "", "the simulated device");
//   r.only({"seed", "subject"});
//   const std::uint64_t seed = r.whole("seed", 0, UINT64_MAX, 1);
//   const std::string subject = r.text("subject", Need::kOptional, Form::kIdentifier, "shift");
//   if (r.error()) custody::sdk::refuse_config(*r.error());
//
// Every reader returns its fallback on a problem and keeps the first problem found, as the
// setting's path ("registers[1].format") and a sentence; refuse_config() turns it into the
// refusal the host reports to the operator (invalid_argument, field "config.<path>"), and
// `custody plugins check --config` shows before anything runs.
#ifndef CUSTODY_SETTINGS_HPP_
#define CUSTODY_SETTINGS_HPP_

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "custody/plugin.hpp"

namespace custody {
namespace sdk {

// Why a configuration was refused: the offending setting as a path within the config object
// ("" when the whole object is at fault) and a sentence.
struct ConfigError {
  std::string field;
  std::string message;

  // "registers[1].format: must be one of ...", or the message alone when no field is at fault.
  std::string text() const { return field.empty() ? message : field + ": " + message; }
};

// The config text parsed: `object` when it is a JSON object, `error` otherwise.
struct ParsedSettings {
  boost::json::object object;
  std::optional<ConfigError> error;
  explicit operator bool() const { return !error; }
};

inline ParsedSettings parse_settings(std::string_view text) {
  ParsedSettings out;
  boost::system::error_code ec;
  boost::json::value root =
      boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
  if (ec) {
    out.error = ConfigError{"", "is not JSON: " + ec.message()};
  } else if (!root.is_object()) {
    out.error = ConfigError{"", "must be a JSON object"};
  } else {
    out.object = std::move(root.as_object());
  }
  return out;
}

// Refuses the plugin's start (from its constructor or start()) as the operator's mistake: the
// host reports invalid_argument with "invalid configuration: <field>: <message>" and the field
// "config.<field>".
[[noreturn]] inline void refuse_config(const ConfigError& error) {
  throw Refusal(CUSTODY_ERR_INVALID_ARGUMENT, "invalid configuration: " + error.text(),
                error.field.empty() ? "config" : "config." + error.field);
}

enum class Need { kOptional, kRequired };
// kIdentifier: the text must also be a ledger identifier's basic shape (1-128 bytes, no
// control characters, no leading or trailing space), for text that ends up in commands.
enum class Form { kText, kIdentifier };

// Reads the members of one JSON object.
class SettingsReader {
 public:
  // `prefix`: the object's path with its trailing dot ("devices[0]."; "" at the top);
  // `owner`: who the settings belong to, for unknown keys ("the modbus driver").
  SettingsReader(const boost::json::object& object, std::string prefix, std::string owner)
      : object_(object), prefix_(std::move(prefix)), owner_(std::move(owner)) {}

  // Refuses members not in `known`, so a misspelt setting is an error rather than a default.
  void only(std::initializer_list<std::string_view> known) {
    for (const auto& member : object_) {
      bool found = false;
      for (std::string_view k : known) found = found || member.key() == k;
      if (!found) fail(member.key(), "is not a setting of " + owner_);
    }
  }

  std::string text(std::string_view key, Need need, Form form, std::string fallback = {}) {
    const boost::json::value* v = present(key, need);
    if (v == nullptr) return fallback;
    const boost::json::string* s = v->if_string();
    if (s == nullptr) {
      fail(key, "must be a string");
      return fallback;
    }
    std::string out(s->data(), s->size());
    if (form == Form::kIdentifier) {
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

  // A whole number in [min, max] (absent: fallback).
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max,
                       std::int64_t fallback) {
    return whole_number(key, min, max, fallback);
  }
  std::uint64_t whole(std::string_view key, std::uint64_t min, std::uint64_t max,
                      std::uint64_t fallback) {
    return whole_number(key, min, max, fallback);
  }

  // A finite number.
  double number(std::string_view key, Need need, double fallback) {
    const boost::json::value* v = present(key, need);
    if (v == nullptr) return fallback;
    if (!v->is_number() || !std::isfinite(v->to_number<double>())) {
      fail(key, "must be a finite number");
      return fallback;
    }
    return v->to_number<double>();
  }

  // The member, which must be an array (nullptr when absent or not one).
  const boost::json::array* array(std::string_view key, Need need) {
    const boost::json::value* v = present(key, need);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) fail(key, "must be an array");
    return v->if_array();
  }

  // Refuses settings `a_key` and `b_key` longer than `max_bytes` together (blamed on b_key):
  // for settings joined into a command id, which the ledger limits to 128 bytes with the
  // plugin's prefix.
  void joined_budget(std::string_view a_key, const std::string& a, std::string_view b_key,
                     const std::string& b, std::size_t max_bytes) {
    if (!error_ && a.size() + b.size() > max_bytes) {
      fail(b_key, std::string(a_key) + " and " + std::string(b_key) + " together must be at most " +
                      std::to_string(max_bytes) + " bytes (they form command ids)");
    }
  }

  void fail(std::string_view key, std::string message) {
    if (!error_) error_ = ConfigError{prefix_ + std::string(key), std::move(message)};
  }
  const std::optional<ConfigError>& error() const { return error_; }

 private:
  const boost::json::value* present(std::string_view key, Need need) {
    const boost::json::value* v = object_.if_contains(key);
    if (v == nullptr && need == Need::kRequired) fail(key, "is required");
    return v;
  }

  template <typename T>
  T whole_number(std::string_view key, T min, T max, T fallback) {
    const boost::json::value* v = object_.if_contains(key);
    if (v == nullptr) return fallback;
    boost::system::error_code ec;
    const T n = v->is_number() ? v->to_number<T>(ec) : T{};
    if (!v->is_number() || ec || n < min || n > max) {
      fail(key,
           "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
      return fallback;
    }
    return n;
  }

  const boost::json::object& object_;
  std::string prefix_;
  std::string owner_;
  std::optional<ConfigError> error_;
};

}  // namespace sdk
}  // namespace custody

#endif  // CUSTODY_SETTINGS_HPP_
