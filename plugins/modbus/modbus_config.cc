#include "modbus_config.h"

#include <arpa/inet.h>

#include <boost/json.hpp>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <set>
#include <utility>

namespace custody::modbus {
namespace {

namespace json = boost::json;

// equipment + param: the longest reading command id, "modbus:<equipment>:<param>:<19-digit
// ns>", and the device-fault command id, "modbus:devfault-<equipment>-<ns>", must stay within
// the ledger's 128 bytes.
constexpr std::size_t kMaxIdsBytes = 90;

// Reads the members of one JSON object; the first problem found is kept and reported.
class ObjectReader {
 public:
  ObjectReader(const json::object& object, std::string prefix)
      : object_(object), prefix_(std::move(prefix)) {}

  // Refuses members not in `known`.
  void only(std::initializer_list<std::string_view> known) {
    for (const auto& member : object_) {
      bool found = false;
      for (std::string_view k : known) found = found || member.key() == k;
      if (!found) fail(member.key(), "is not a setting of the modbus driver");
    }
  }

  // A string. `id`: must also be a ledger identifier (1-128 printable bytes, no leading or
  // trailing space), since it ends up in commands.
  std::string text(std::string_view key, bool required, bool id, std::string fallback = {}) {
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
      if (out.empty() || out.size() > 128) {
        fail(key, "must be 1 to 128 bytes");
      } else if (out.front() == ' ' || out.back() == ' ') {
        fail(key, "must not start or end with a space");
      } else {
        for (unsigned char c : out) {
          if (c < 0x20 || c == 0x7f) {
            fail(key, "must not contain control characters");
            break;
          }
        }
      }
    }
    return out;
  }

  long long integer(std::string_view key, long long min, long long max, long long fallback) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return fallback;
    boost::system::error_code ec;
    const auto n = v->is_number() ? v->to_number<long long>(ec) : 0;
    if (!v->is_number() || ec || n < min || n > max) {
      fail(key,
           "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
      return fallback;
    }
    return n;
  }

  double number(std::string_view key, double fallback) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return fallback;
    if (!v->is_number() || !std::isfinite(v->to_number<double>())) {
      fail(key, "must be a finite number");
      return fallback;
    }
    return v->to_number<double>();
  }

  // The member, which must be an array (nullptr otherwise, or when absent).
  const json::array* array(std::string_view key) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) {
      fail(key, "is required");
      return nullptr;
    }
    if (!v->is_array()) fail(key, "must be an array");
    return v->if_array();
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

bool numeric_address(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::expected<RegisterMap, ConfigError> parse_register(const json::value& value,
                                                       const std::string& path) {
  const json::object* object = value.if_object();
  if (object == nullptr) return std::unexpected(ConfigError{path, "must be an object"});
  ObjectReader r(*object, path + ".");
  r.only({"equipment", "param", "address", "type", "format", "wordOrder", "scale", "offset", "unit",
          "intervalMs"});
  RegisterMap m;
  m.equipment = r.text("equipment", true, true);
  m.param = r.text("param", true, true);
  m.unit = r.text("unit", false, false);
  const std::string type = r.text("type", false, false, "holding");
  const std::string format = r.text("format", false, false, "uint16");
  const std::string order = r.text("wordOrder", false, false, "highFirst");
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
  m.scale = r.number("scale", 1);
  m.offset = r.number("offset", 0);
  m.interval = std::chrono::milliseconds(r.integer("intervalMs", 10, 86'400'000, 1000));
  if (!r.error() && m.equipment.size() + m.param.size() > kMaxIdsBytes) {
    r.fail("param", "equipment and param together must be at most " + std::to_string(kMaxIdsBytes) +
                        " bytes (they form command ids)");
  }
  if (r.error()) return std::unexpected(*r.error());
  return m;
}

}  // namespace

std::expected<DriverConfig, ConfigError> parse_driver_config(std::string_view text) {
  boost::system::error_code ec;
  const json::value root = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return std::unexpected(ConfigError{"", "is not JSON: " + ec.message()});
  const json::object* object = root.if_object();
  if (object == nullptr) return std::unexpected(ConfigError{"", "must be a JSON object"});

  ObjectReader r(*object, "");
  r.only({"host", "port", "unitId", "timeoutMs", "faultAfter", "registers"});
  DriverConfig c;
  c.host = r.text("host", true, false);
  if (!r.error() && !numeric_address(c.host)) {
    r.fail("host", "must be a numeric IPv4 or IPv6 address, not \"" + c.host +
                       "\" (resolving a name could block past timeoutMs)");
  }
  c.port = static_cast<int>(r.integer("port", 1, 65535, 502));
  c.unit_id = static_cast<int>(r.integer("unitId", 0, 255, 1));
  if (c.unit_id > 247 && c.unit_id != 255) r.fail("unitId", "must be 0 to 247, or 255");
  c.timeout = std::chrono::milliseconds(r.integer("timeoutMs", 10, 3000, 500));
  c.fault_after = static_cast<int>(r.integer("faultAfter", 1, 1000, 3));
  const json::array* registers = r.array("registers");
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
