#include "modbus_config.h"

#include <arpa/inet.h>

#include <boost/json.hpp>
#include <set>
#include <utility>

namespace custody::modbus {
namespace {

namespace json = boost::json;

// equipment + param: the longest reading command id, "modbus:<equipment>:<param>:<19-digit
// ns>", and the device-fault command id, "modbus:devfault-<equipment>-<ns>", must stay within
// the ledger's 128 bytes.
constexpr std::size_t kMaxIdsBytes = 90;

constexpr const char* kOwner = "the modbus driver";

using sdk::Form;
using sdk::Need;
using sdk::SettingsReader;

bool numeric_address(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::expected<RegisterMap, ConfigError> parse_register(const json::value& value,
                                                       const std::string& path) {
  const json::object* object = value.if_object();
  if (object == nullptr) return std::unexpected(ConfigError{path, "must be an object"});
  SettingsReader r(*object, path + ".", kOwner);
  r.only({"equipment", "param", "address", "type", "format", "wordOrder", "scale", "offset", "unit",
          "intervalMs"});
  RegisterMap m;
  m.equipment = r.text("equipment", Need::kRequired, Form::kIdentifier);
  m.param = r.text("param", Need::kRequired, Form::kIdentifier);
  m.unit = r.text("unit", Need::kOptional, Form::kText);
  const std::string type = r.text("type", Need::kOptional, Form::kText, "holding");
  const std::string format = r.text("format", Need::kOptional, Form::kText, "uint16");
  const std::string order = r.text("wordOrder", Need::kOptional, Form::kText, "highFirst");
  if (auto t = parse_register_type(type)) {
    m.type = *t;
  } else {
    r.fail("type", "must be \"holding\" or \"input\", not \"" + type + "\"");
  }
  if (auto f = parse_register_format(format)) {
    m.format = *f;
  } else {
    r.fail("format",
           "must be one of uint16, int16, uint32, int32, float32, not \"" + format + "\"");
  }
  if (auto o = parse_word_order(order)) {
    m.word_order = *o;
  } else {
    r.fail("wordOrder", "must be \"highFirst\" or \"lowFirst\", not \"" + order + "\"");
  }
  m.address = static_cast<int>(r.integer("address", 0, 65536 - register_count(m.format), -1));
  if (!object->contains("address")) r.fail("address", "is required");
  m.scale = r.number("scale", Need::kOptional, 1);
  m.offset = r.number("offset", Need::kOptional, 0);
  m.interval = std::chrono::milliseconds(r.integer("intervalMs", 10, 86'400'000, 1000));
  r.joined_budget("equipment", m.equipment, "param", m.param, kMaxIdsBytes);
  if (r.error()) return std::unexpected(*r.error());
  return m;
}

}  // namespace

std::expected<DriverConfig, ConfigError> parse_driver_config(std::string_view text) {
  auto root = sdk::parse_settings(text);
  if (!root) return std::unexpected(*root.error);
  const json::object* object = &root.object;

  SettingsReader r(*object, "", kOwner);
  r.only({"host", "port", "unitId", "timeoutMs", "faultAfter", "registers"});
  DriverConfig c;
  c.host = r.text("host", Need::kRequired, Form::kText);
  if (!r.error() && !numeric_address(c.host)) {
    r.fail("host", "must be a numeric IPv4 or IPv6 address, not \"" + c.host +
                       "\" (resolving a name could block past timeoutMs)");
  }
  c.port = static_cast<int>(r.integer("port", 1, 65535, 502));
  c.unit_id = static_cast<int>(r.integer("unitId", 0, 255, 1));
  if (c.unit_id > 247 && c.unit_id != 255) r.fail("unitId", "must be 0 to 247, or 255");
  c.timeout = std::chrono::milliseconds(r.integer("timeoutMs", 10, 3000, 500));
  c.fault_after = static_cast<int>(r.integer("faultAfter", 1, 1000, 3));
  const json::array* registers = r.array("registers", Need::kRequired);
  if (r.error()) return std::unexpected(*r.error());
  if (registers->empty() || registers->size() > 1000) {
    return std::unexpected(ConfigError{"registers", "must list 1 to 1000 registers"});
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < registers->size(); ++i) {
    const std::string path = "registers[" + std::to_string(i) + "]";
    auto m = parse_register((*registers)[i], path);
    if (!m) return std::unexpected(m.error());
    if (!seen.emplace(m->equipment, m->param).second) {
      return std::unexpected(
          ConfigError{path + ".param", "maps " + m->equipment + "/" + m->param + " a second time"});
    }
    c.registers.push_back(std::move(*m));
  }
  return c;
}

}  // namespace custody::modbus
