#include "mqtt_config.h"

#include <boost/json.hpp>
#include <charconv>
#include <set>
#include <utility>

namespace custody::mqtt {
namespace {

namespace json = boost::json;

// equipment + param: the longest reading command id, "mqtt:<equipment>:<param>:<19-digit ns>",
// within the ledger's 128 bytes with the plugin's prefix.
constexpr std::size_t kMaxIdsBytes = 90;

constexpr const char* kOwner = "the mqtt driver";

using sdk::Form;
using sdk::Need;
using sdk::SettingsReader;

// "" when `broker` is tcp://HOST:PORT or ssl://HOST:PORT (HOST a name, an IPv4 address or a
// bracketed IPv6 one), else why not.
std::string broker_problem(const std::string& broker, bool& secure) {
  std::string_view rest(broker);
  if (rest.starts_with("tcp://")) {
    secure = false;
  } else if (rest.starts_with("ssl://")) {
    secure = true;
  } else {
    return "must start with tcp:// or ssl://";
  }
  rest.remove_prefix(6);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return "must be tcp://HOST:PORT or ssl://HOST:PORT";
  const std::string_view host = rest.substr(0, colon);
  const std::string_view port = rest.substr(colon + 1);
  for (unsigned char c : host) {
    if (c <= 0x20 || c == 0x7f || c == '/' || c == '@' || c == '?' || c == '#') {
      return "has a host that is not a name or an address";
    }
  }
  int n = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (ec != std::errc() || end != port.data() + port.size() || n < 1 || n > 65535) {
    return "must end with a port from 1 to 65535";
  }
  return {};
}

bool client_id_ok(const std::string& id) {
  if (id.empty() || id.size() > 23) return false;
  for (unsigned char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// "" when `pointer` is a JSON Pointer (RFC 6901), else why not.
std::string pointer_problem(const std::string& pointer) {
  if (pointer.empty() || pointer.front() != '/') return "must be a JSON Pointer such as \"/value\"";
  for (std::size_t i = 0; i < pointer.size(); ++i) {
    if (pointer[i] == '~' &&
        (i + 1 == pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))) {
      return "has a ~ that is not ~0 or ~1";
    }
  }
  return {};
}

std::expected<TopicMap, ConfigError> parse_topic(const json::value& value,
                                                 const std::string& path) {
  const json::object* object = value.if_object();
  if (object == nullptr) return std::unexpected(ConfigError{path, "must be an object"});
  SettingsReader r(*object, path + ".", kOwner);
  r.only({"topic", "equipment", "param", "path", "timePath", "scale", "offset", "unit"});
  TopicMap m;
  m.topic = r.text("topic", Need::kRequired, Form::kText);
  m.equipment = r.text("equipment", Need::kRequired, Form::kIdentifier);
  m.param = r.text("param", Need::kRequired, Form::kIdentifier);
  m.unit = r.text("unit", Need::kOptional, Form::kText);
  m.path = r.text("path", Need::kOptional, Form::kText);
  m.time_path = r.text("timePath", Need::kOptional, Form::kText);
  m.scale = r.number("scale", Need::kOptional, 1);
  m.offset = r.number("offset", Need::kOptional, 0);
  if (!r.error()) {
    if (m.topic.empty() || m.topic.size() > 1024) {
      r.fail("topic", "must be 1 to 1024 bytes");
    } else if (m.topic.find_first_of("+#") != std::string::npos) {
      r.fail("topic",
             "must be an exact topic: the wildcards + and # are not taken (\"" + m.topic + "\")");
    } else if (m.topic.find('\0') != std::string::npos) {
      r.fail("topic", "must not contain a NUL character");
    }
  }
  if (object->contains("path")) {
    if (auto p = pointer_problem(m.path); !p.empty()) r.fail("path", p);
  }
  if (object->contains("timePath")) {
    if (auto p = pointer_problem(m.time_path); !p.empty()) r.fail("timePath", p);
  }
  if (!m.time_path.empty() && m.path.empty()) {
    r.fail("timePath", "needs a path: a plain-number payload holds no time");
  }
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
  r.only({"broker", "clientId", "cleanSession", "username", "passwordFile", "tls",
          "keepAliveSeconds", "timeoutMs", "faultAfterMs", "topics"});
  DriverConfig c;
  c.broker = r.text("broker", Need::kRequired, Form::kText);
  if (!r.error()) {
    if (auto p = broker_problem(c.broker, c.secure); !p.empty()) {
      r.fail("broker", p + ", not \"" + c.broker + "\"");
    }
  }
  c.client_id = r.text("clientId", Need::kRequired, Form::kText);
  if (!r.error() && !client_id_ok(c.client_id)) {
    r.fail("clientId", "must be 1 to 23 letters, digits, - or _ (what every broker takes)");
  }
  if (const json::value* v = object->if_contains("cleanSession")) {
    if (!v->is_bool()) {
      r.fail("cleanSession", "must be true or false");
    } else {
      c.clean_session = v->as_bool();
    }
  }
  c.username = r.text("username", Need::kOptional, Form::kText);
  c.password_file = r.text("passwordFile", Need::kOptional, Form::kText);
  if (!r.error() && !c.password_file.empty() && c.username.empty()) {
    r.fail("passwordFile", "needs a username");
  }
  if (const json::value* v = object->if_contains("tls"); v != nullptr && !r.error()) {
    if (!c.secure) {
      r.fail("tls", "is for an ssl:// broker only");
    } else if (!v->is_object()) {
      r.fail("tls", "must be an object");
    } else {
      SettingsReader t(v->as_object(), "tls.", kOwner);
      t.only({"caFile", "certFile", "keyFile"});
      c.tls.ca_file = t.text("caFile", Need::kRequired, Form::kText);
      c.tls.cert_file = t.text("certFile", Need::kOptional, Form::kText);
      c.tls.key_file = t.text("keyFile", Need::kOptional, Form::kText);
      if (!t.error() && c.tls.cert_file.empty() != c.tls.key_file.empty()) {
        t.fail(
            c.tls.cert_file.empty() ? "certFile" : "keyFile",
            "must be given with " + std::string(c.tls.cert_file.empty() ? "keyFile" : "certFile"));
      }
      if (t.error()) return std::unexpected(*t.error());
    }
  } else if (!r.error() && c.secure && v == nullptr) {
    r.fail("tls", "is required for an ssl:// broker (at least its caFile)");
  }
  c.keep_alive = std::chrono::seconds(r.integer("keepAliveSeconds", 5, 3600, 30));
  c.timeout = std::chrono::milliseconds(r.integer("timeoutMs", 100, 5000, 2000));
  c.fault_after = std::chrono::milliseconds(r.integer("faultAfterMs", 0, 3'600'000, 10'000));
  const json::array* topics = r.array("topics", Need::kRequired);
  if (r.error()) return std::unexpected(*r.error());
  if (topics->empty() || topics->size() > 1000) {
    return std::unexpected(ConfigError{"topics", "must list 1 to 1000 topics"});
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < topics->size(); ++i) {
    const std::string path = "topics[" + std::to_string(i) + "]";
    auto m = parse_topic((*topics)[i], path);
    if (!m) return std::unexpected(m.error());
    if (!seen.emplace(m->equipment, m->param).second) {
      return std::unexpected(
          ConfigError{path + ".param", "maps " + m->equipment + "/" + m->param + " a second time"});
    }
    c.topics.push_back(std::move(*m));
  }
  return c;
}

}  // namespace custody::mqtt
