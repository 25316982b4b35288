// What the plugins that ship with custody share for their "config" object (the entry's
// "config" in the ledger's config.json): one way to read settings and one way to refuse them.
// Each plugin says what its settings are; this reads them, keeps the first problem as the
// setting's path and a sentence for the operator, and refuses the start with it.
//
//   auto root = parse_settings(host().config());            // a JSON object, or why not
//   if (!root) refuse_config(root.error());
//   SettingsReader r(root->as_object(), "", "the simulated device");
//   r.only({"seed", "devices"});
//   const std::uint64_t seed = r.whole("seed", 0, UINT64_MAX, 1);
//   if (r.error()) refuse_config(*r.error());
//
// Built against the SDK only, like the plugins themselves; linked into each as a static
// library (custody_plugin_settings).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <expected>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace custody::bundled {

// Why a configuration was refused: the offending setting as a path within the config object
// ("registers[1].format"; "" when the whole object is at fault) and a sentence.
struct ConfigError {
  std::string field;
  std::string message;

  // "registers[1].format: must be one of ...", or the message alone when no field is at fault.
  [[nodiscard]] std::string text() const {
    return field.empty() ? message : field + ": " + message;
  }
};

// `text` parsed as JSON, which must be an object.
[[nodiscard]] std::expected<boost::json::value, ConfigError> parse_settings(std::string_view text);

// Refuses the plugin's start as the operator's mistake: the host reports invalid_argument with
// "invalid configuration: <field>: <message>" and the field "config.<field>".
[[noreturn]] void refuse_config(const ConfigError& error);

// Reads the members of one JSON object. Every reader returns `fallback` on a problem and keeps
// the first problem found; the caller checks error() once it has read everything.
class SettingsReader {
 public:
  // `prefix`: the object's path with its trailing dot ("devices[0]."; "" at the top);
  // `owner`: who the settings belong to, for unknown keys ("the modbus driver").
  SettingsReader(const boost::json::object& object, std::string prefix, std::string owner);

  // Refuses members not in `known`, so a misspelt setting is an error rather than a default.
  void only(std::initializer_list<std::string_view> known);

  // A string. `id`: it must also be a ledger identifier (1-128 bytes, no control characters,
  // no leading or trailing space), since it ends up in commands.
  std::string text(std::string_view key, bool required, bool id, std::string fallback = {});

  // A whole number in [min, max].
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max,
                       std::int64_t fallback);
  std::uint64_t whole(std::string_view key, std::uint64_t min, std::uint64_t max,
                      std::uint64_t fallback);

  // A finite number.
  double number(std::string_view key, bool required, double fallback);

  // The member, which must be an array (nullptr when absent or not one).
  const boost::json::array* array(std::string_view key, bool required);

  // Refuses `equipment` + `param` longer than `max_bytes` together: they form command ids,
  // which the ledger limits to 128 bytes.
  void id_budget(const std::string& equipment, const std::string& param, std::size_t max_bytes);

  void fail(std::string_view key, std::string message);
  [[nodiscard]] const std::optional<ConfigError>& error() const { return error_; }

 private:
  const boost::json::object& object_;
  std::string prefix_;
  std::string owner_;
  std::optional<ConfigError> error_;
};

}  // namespace custody::bundled
