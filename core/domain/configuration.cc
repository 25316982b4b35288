// config.record: the ledger's config.json on the record (custody/domain/configuration.h).
#include "custody/domain/configuration.h"

#include <boost/json.hpp>

#include "catalogue.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/crypto/sha256.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/projections.h"
#include "custody/ledger/config.h"
#include "schema/record.capnp.h"

namespace custody::domain {
namespace {

namespace json = boost::json;

constexpr std::string_view kConfigKind = "config";
constexpr std::string_view kConfigId = "ledger";

Result<void> decide_config(Decide& d, s::ConfigRecord::Reader c) {
  if (d.cmd.actor != kSystemActor) {
    return bad_state("actor", "config.record is written by custody itself, at open");
  }
  if (auto last =
          load<s::ConfigRecord>(d.state, d.cf.entities, keys::entity(kConfigKind, kConfigId))) {
    if (sv(last->get().getSha256()) == sv(c.getSha256())) {
      return bad_state("data.sha256", "this configuration is already on the record");
    }
  }
  capnp::MallocMessageBuilder msg(256);
  msg.setRoot(c);
  d.emit_struct("config:ledger", "config.recorded", msg.getRoot<s::ConfigRecord>());
  return {};
}

void apply_config(Apply& a, s::ConfigRecord::Reader c) {
  capnp::MallocMessageBuilder msg(256);
  msg.setRoot(c);
  put_struct(a.state, a.cf.entities, keys::entity(kConfigKind, kConfigId),
             msg.getRoot<s::ConfigRecord>());
}

// "a.b=value" for each scalar setting, in the file's order; objects are walked.
void flatten(const json::object& o, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& [k, v] : o) {
    const std::string name = prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
    if (name == "plugins") continue;
    if (v.is_object()) {
      flatten(v.as_object(), name, out);
    } else if (v.is_string()) {
      out.push_back(name + "=" + std::string(v.as_string()));
    } else {
      out.push_back(name + "=" + json::serialize(v));
    }
  }
}

std::vector<std::string> plugin_lines(const json::object& o) {
  std::vector<std::string> out;
  const auto* plugins = o.if_contains("plugins");
  if (plugins == nullptr || !plugins->is_array()) return out;
  for (const auto& p : plugins->as_array()) {
    if (!p.is_object()) continue;
    const auto& e = p.as_object();
    auto text = [&](std::string_view key) {
      const auto* v = e.if_contains(key);
      return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    std::string grants;
    if (const auto* g = e.if_contains("grants"); g != nullptr && g->is_array()) {
      for (const auto& x : g->as_array()) {
        if (!grants.empty()) grants += ',';
        grants += x.is_string() ? std::string(x.as_string()) : json::serialize(x);
      }
    }
    std::string line = text("id") + " path=" + text("path") + " grants=" + grants;
    if (const auto* en = e.if_contains("enabled");
        en != nullptr && en->is_bool() && !en->as_bool()) {
      line += " enabled=false";
    }
    if (const auto* t = e.if_contains("trusted"); t != nullptr && t->is_bool() && t->as_bool()) {
      line += " trusted";
    }
    if (!text("isolation").empty()) line += " isolation=" + text("isolation");
    line += " sha256=" + (text("sha256").empty() ? std::string("unpinned") : text("sha256"));
    if (const auto* c = e.if_contains("config")) {
      line += " config=" + to_hex(crypto::sha256(json::serialize(*c)));
    }
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace

// Nothing is projected: the key history is the log itself, which verify follows.
void apply_key_rotated(Apply&, s::KeyRotated::Reader) {}

const Area& configuration_area() {
  static const Area area{
      "configuration",
      {command<s::ConfigRecord, decide_config>("config.record", {"config.recorded"},
                                               stream_described("config:ledger"))},
      {event<s::ConfigRecord, apply_config>("config.recorded"),
       // Written by the sequencer itself (custody key rotate); declared so readers decode it.
       event<s::KeyRotated, apply_key_rotated>("ledger.key_rotated")}};
  return area;
}

Result<std::optional<ledger::CommandResult>> record_configuration(
    ledger::Ledger& ledger, const std::filesystem::path& dir) {
  std::string text;
  if (auto t = read_file(dir / "config.json", 4 << 20)) {
    text = std::move(*t);
  } else if (t.error().code != ErrorCode::kNotFound) {
    return std::unexpected(t.error());
  }
  const std::string digest = to_hex(crypto::sha256(text));
  std::string previous;
  {
    auto snap = ledger.snapshot();
    auto last = snap->get(snap->family(kEntitiesCf), keys::entity(kConfigKind, kConfigId));
    if (last) {
      codec::MessageView v(*last);
      previous = str(v.root<s::ConfigRecord>().getSha256());
      if (previous == digest) return std::nullopt;
    } else if (text == ledger::kDefaultConfig) {
      return std::nullopt;  // as `custody init` wrote it: nothing to say yet
    }
  }
  capnp::MallocMessageBuilder msg(512);
  auto c = msg.initRoot<s::ConfigRecord>();
  c.setSha256(digest);
  c.setPrevious(previous);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  std::vector<std::string> settings, plugins;
  if (!ec && v.is_object()) {
    flatten(v.as_object(), "", settings);
    plugins = plugin_lines(v.as_object());
  }
  auto sl = c.initSettings(static_cast<unsigned>(settings.size()));
  for (unsigned i = 0; i < settings.size(); ++i) sl.set(i, settings[i]);
  auto pl = c.initPlugins(static_cast<unsigned>(plugins.size()));
  for (unsigned i = 0; i < plugins.size(); ++i) pl.set(i, plugins[i]);
  ledger::Command cmd;
  cmd.type = "config.record";
  // Reserved prefix; the head makes it unique when a configuration comes back later.
  cmd.command_id =
      "system:config-" + std::to_string(ledger.head().seq) + "-" + digest.substr(0, 16);
  cmd.actor = std::string(kSystemActor);
  cmd.data = codec::canonical_bytes(c.asReader());
  auto r = ledger.submit(std::move(cmd)).get();
  if (!r) return std::unexpected(r.error());
  return *r;
}

}  // namespace custody::domain
