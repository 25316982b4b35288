#include "custody/plugin/plugin_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <vector>

#include "custody/codec/json_parse.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/config.h"
#include "custody/ledger/store.h"
#include "custody/plugin/library.h"

namespace custody::plugin {
namespace {

namespace json = boost::json;

std::unexpected<Error> bad(std::string field, std::string message) {
  return std::unexpected(Error::invalid_argument(std::move(field), std::move(message)));
}

constexpr std::string_view kKeys[] = {"id",      "path",    "grants",        "isolation",
                                      "trusted", "enabled", "hangTimeoutMs", "restartBackoffMs",
                                      "config",  "sha256"};

Result<json::object> read_config(const std::filesystem::path& dir) {
  auto text = read_file(dir / "config.json");
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return json::object();
    return std::unexpected(text.error());
  }
  auto root = codec::parse_json(*text, "config");
  if (!root) return std::unexpected(root.error());
  if (!root->is_object()) return bad("config", "config.json is not a JSON object");
  return std::move(root->as_object());
}

Result<std::chrono::milliseconds> millis(const json::object& o, std::string_view key,
                                         const std::string& path, std::chrono::milliseconds def) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return def;
  const std::string field = path + "." + std::string(key);
  std::int64_t ms = -1;
  if (v->is_int64()) ms = v->as_int64();
  if (v->is_uint64() && v->as_uint64() < (1ull << 40))
    ms = static_cast<std::int64_t>(v->as_uint64());
  if (ms < 1 || ms > 3'600'000) return bad(field, "must be a whole number of ms, 1 to 3600000");
  return std::chrono::milliseconds(ms);
}

Result<PluginConfig> parse_entry(const json::value& v, const std::filesystem::path& dir,
                                 const std::string& path) {
  if (!v.is_object()) return bad(path, "must be an object");
  const auto& o = v.as_object();
  for (const auto& member : o) {
    if (std::find(std::begin(kKeys), std::end(kKeys), member.key()) == std::end(kKeys)) {
      return bad(path + "." + std::string(member.key()), "is not a plugin setting (unknown field)");
    }
  }
  PluginConfig c;
  const auto* id = o.if_contains("id");
  if (id == nullptr || !id->is_string()) return bad(path + ".id", "is required (a string)");
  c.id = std::string(id->as_string());
  if (!valid_plugin_id(c.id)) return bad(path + ".id", "must be [a-z0-9][a-z0-9._-]{0,63}");
  const auto* p = o.if_contains("path");
  if (p == nullptr || !p->is_string() || p->as_string().empty()) {
    return bad(path + ".path", "is required (the plugin library's file)");
  }
  c.path = std::filesystem::path(std::string(p->as_string()));
  if (c.path.is_relative()) c.path = dir / c.path;
  if (const auto* g = o.if_contains("grants")) {
    if (!g->is_array()) return bad(path + ".grants", "must be an array of capabilities");
    for (std::size_t i = 0; i < g->as_array().size(); ++i) {
      const auto& x = g->as_array()[i];
      if (!x.is_string()) {
        return bad(path + ".grants[" + std::to_string(i) + "]", "must be a string");
      }
      c.grants.emplace_back(x.as_string());
    }
  }
  auto granted = Capabilities::parse(c.grants, path + ".grants");
  if (!granted) return std::unexpected(granted.error());
  c.granted = std::move(*granted);
  if (const auto* iso = o.if_contains("isolation")) {
    if (iso->is_string() && iso->as_string() == "process") {
      c.isolation = Isolation::kProcess;
    } else if (iso->is_string() && iso->as_string() == "inProcess") {
      c.isolation = Isolation::kInProcess;
    } else {
      return bad(path + ".isolation", "must be \"process\" or \"inProcess\"");
    }
  }
  if (const auto* t = o.if_contains("trusted")) {
    if (!t->is_bool()) return bad(path + ".trusted", "must be true or false");
    c.trusted = t->as_bool();
  }
  if (c.isolation == Isolation::kInProcess && !c.trusted && !is_bundled(c.path)) {
    return bad(path + ".isolation",
               "a plugin in custody's own process can do anything custody can; mark it "
               "\"trusted\": true if you vouch for it, or run it in a process");
  }
  if (const auto* en = o.if_contains("enabled")) {
    if (!en->is_bool()) return bad(path + ".enabled", "must be true or false");
    c.enabled = en->as_bool();
  }
  auto hang = millis(o, "hangTimeoutMs", path, c.hang_timeout);
  if (!hang) return std::unexpected(hang.error());
  c.hang_timeout = *hang;
  auto backoff = millis(o, "restartBackoffMs", path, c.restart_backoff);
  if (!backoff) return std::unexpected(backoff.error());
  c.restart_backoff = *backoff;
  if (const auto* sha = o.if_contains("sha256")) {
    const bool hex = sha->is_string() && sha->as_string().size() == 64 &&
                     std::all_of(sha->as_string().begin(), sha->as_string().end(), [](char ch) {
                       return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
                     });
    if (!hex) return bad(path + ".sha256", "must be 64 lowercase hex digits");
    c.sha256 = std::string(sha->as_string());
  }
  if (const auto* cfg = o.if_contains("config")) {
    if (!cfg->is_object()) return bad(path + ".config", "must be an object");
    c.config_json = json::serialize(*cfg);
  }
  return c;
}

}  // namespace

Result<std::vector<PluginConfig>> load_plugin_configs(const std::filesystem::path& ledger_dir) {
  if (auto v = ledger::read_format_version(ledger_dir); !v) return std::unexpected(v.error());
  auto config = ledger::load_config(ledger_dir);
  if (!config) return std::unexpected(config.error());
  auto list = codec::parse_json(config->plugins_json, "config.plugins");
  if (!list) return std::unexpected(list.error());
  std::vector<PluginConfig> out;
  for (std::size_t i = 0; i < list->as_array().size(); ++i) {
    const std::string path = "config.plugins[" + std::to_string(i) + "]";
    auto entry = parse_entry(list->as_array()[i], ledger_dir, path);
    if (!entry) return std::unexpected(entry.error());
    for (const auto& earlier : out) {
      if (earlier.id == entry->id)
        return bad(path + ".id", "plugin " + entry->id + " is listed twice");
    }
    out.push_back(std::move(*entry));
  }
  return out;
}

Result<std::string> library_sha256(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(
        Error{ErrorCode::kNotFound, "plugin library " + path.string() + " cannot be read", "path"});
  }
  crypto::Sha256 h;
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    h.update(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) return std::unexpected(Error::io("cannot read " + path.string()));
  return to_hex(h.finish());
}

Result<void> check_pinned(const PluginConfig& c) {
  if (c.sha256.empty()) return {};
  auto now = library_sha256(c.path);
  if (!now) return std::unexpected(now.error());
  if (*now == c.sha256) return {};
  return std::unexpected(Error{ErrorCode::kPermissionDenied,
                               c.path.string() + " is not the library that was granted (SHA-256 " +
                                   *now + ", granted " + c.sha256 +
                                   "); it is not loaded. If the change is wanted, check the new "
                                   "library and grant it again with custody plugins add",
                               "sha256"});
}

Result<void> save_plugin_config(const std::filesystem::path& ledger_dir, const PluginConfig& c) {
  if (auto v = ledger::read_format_version(ledger_dir); !v) return std::unexpected(v.error());
  auto root = read_config(ledger_dir);
  if (!root) return std::unexpected(root.error());
  json::object entry;
  entry["id"] = c.id;
  entry["path"] = c.path.string();
  json::array grants;
  for (const auto& g : c.grants) grants.emplace_back(g);
  entry["grants"] = std::move(grants);
  if (c.isolation != Isolation::kDefault) {
    entry["isolation"] = c.isolation == Isolation::kProcess ? "process" : "inProcess";
  }
  if (c.trusted) entry["trusted"] = true;
  if (!c.enabled) entry["enabled"] = false;
  if (c.hang_timeout != PluginConfig{}.hang_timeout)
    entry["hangTimeoutMs"] = c.hang_timeout.count();
  if (c.restart_backoff != PluginConfig{}.restart_backoff) {
    entry["restartBackoffMs"] = c.restart_backoff.count();
  }
  if (!c.sha256.empty()) entry["sha256"] = c.sha256;
  boost::system::error_code ec;
  json::value cfg = json::parse(c.config_json, ec);
  if (ec || !cfg.is_object()) return bad("config", "must be a JSON object");
  entry["config"] = std::move(cfg);
  // Check the entry as load_plugin_configs will read it.
  if (auto parsed = parse_entry(entry, ledger_dir, "plugin"); !parsed) {
    return std::unexpected(parsed.error());
  }

  json::value& list = (*root)["plugins"];
  if (!list.is_array()) list = json::array();
  auto& arr = list.as_array();
  auto same = std::find_if(arr.begin(), arr.end(), [&](const json::value& v) {
    return v.is_object() && v.as_object().if_contains("id") && v.as_object().at("id").is_string() &&
           v.as_object().at("id").as_string() == c.id;
  });
  if (same != arr.end()) {
    *same = std::move(entry);
  } else {
    arr.emplace_back(std::move(entry));
  }
  return replace_file(ledger_dir / "config.json", json::serialize(*root) + "\n", 0644);
}

}  // namespace custody::plugin
