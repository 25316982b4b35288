// custody config set DIR [--site-name S] [--site-address A] [--site-gln G] [--site-phone P]
// [--site-contact C] [--time-zone ZONE] [--expiry-horizon-days N]: changes the site's
// identity and time zone in DIR/config.json and puts the change on the record at once
// (config.recorded, as every writer's open does for a changed config.json).
#include <boost/json.hpp>
#include <iostream>
#include <optional>

#include "cli/cli_common.h"
#include "custody/codec/json_writer.h"
#include "custody/common/files.h"
#include "custody/ledger/config.h"

namespace custody::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct ConfigArgs {
  std::string dir;
  std::optional<std::string> name, address, gln, phone, contact, time_zone;
  std::optional<std::uint32_t> expiry_horizon_days;
};

constexpr std::size_t kMaxConfig = 1 << 20;

int config_set(const ConfigArgs& a) {
  const fs::path file = fs::path(a.dir) / "config.json";
  // Taken first: a ledger held by a server or another writer is refused before anything is
  // written (the server reads config.json only when it opens the ledger).
  std::uint64_t head_before = 0;
  {
    auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadWrite);
    if (!ledger) return report(ledger.error());
    head_before = (*ledger)->head().seq;
  }
  auto before = read_file(file, kMaxConfig);
  const bool existed = before.has_value();
  if (!before && before.error().code != ErrorCode::kNotFound) return report(before.error());
  boost::system::error_code ec;
  json::value root = existed ? json::parse(*before, ec) : json::value(json::object());
  if (ec || !root.is_object()) {
    return report(Error::invalid_argument("config", "config.json is not a JSON object"));
  }
  json::value& site = root.as_object()["site"];
  if (site.is_null()) site = json::object();
  if (!site.is_object()) return report(Error::invalid_argument("config.site", "must be an object"));
  auto& s = site.as_object();
  const std::pair<const char*, const std::optional<std::string>*> texts[] = {
      {"name", &a.name},   {"address", &a.address}, {"gln", &a.gln},
      {"phone", &a.phone}, {"contact", &a.contact}, {"timeZone", &a.time_zone}};
  for (const auto& [key, value] : texts) {
    if (*value) s[key] = **value;
  }
  if (a.expiry_horizon_days) s["expiryHorizonDays"] = *a.expiry_horizon_days;
  if (auto w = replace_file(file, json::serialize(root) + "\n", 0644); !w) {
    return report(w.error());
  }
  // The writer's open checks every setting and records the change; a setting it refuses puts
  // the file back as it was, and nothing is recorded.
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadWrite);
  if (!ledger) {
    if (existed) {
      if (auto r = replace_file(file, *before, 0644); !r) return report(r.error());
    } else {
      std::error_code gone;
      fs::remove(file, gone);
    }
    return report(ledger.error());
  }
  auto loaded = ledger::load_config(a.dir);
  if (!loaded) return report(loaded.error());
  const ledger::Site& config = loaded->site;
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true);
  w.key("site").begin_object();
  w.key("name").string(config.name).key("address").string(config.address);
  w.key("gln").string(config.gln).key("phone").string(config.phone);
  w.key("contact").string(config.contact).key("timeZone").string(config.time_zone);
  w.key("expiryHorizonDays").uint64(config.expiry_horizon_days).end_object();
  // config.recorded, when the file differs from what was last recorded.
  w.key("recorded").boolean((*ledger)->head().seq > head_before);
  w.key("headSeq").uint64((*ledger)->head().seq).end_object();
  std::cout << out << '\n';
  return kExitOk;
}

}  // namespace

void add_config(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("config", "Change the site's settings in DIR/config.json");
  cmd->require_subcommand(1);
  auto a = std::make_shared<ConfigArgs>();
  auto* set = cmd->add_subcommand(
      "set", "Change the site's identity or time zone, and record the change at once");
  set->add_option("DIR", a->dir, "The ledger")->required();
  set->add_option("--site-name", a->name, "The site's name (exports, the batch record)");
  set->add_option("--site-address", a->address, "The site's address");
  set->add_option("--site-gln", a->gln, "The site's GS1 Global Location Number");
  set->add_option("--site-phone", a->phone, "The site's phone number (FSMA 204)");
  set->add_option("--site-contact", a->contact,
                  "Who answers for the traceability plan and records");
  set->add_option("--time-zone", a->time_zone, "IANA time zone people read the site's times in");
  set->add_option("--expiry-horizon-days", a->expiry_horizon_days,
                  "How far ahead the expiry board looks");
  set->callback([&run, a] {
    if (!a->name && !a->address && !a->gln && !a->phone && !a->contact && !a->time_zone &&
        !a->expiry_horizon_days) {
      throw CLI::ValidationError("config set", "give at least one setting to change");
    }
    run = [a] {
      return config_set(*a);
    };
  });
}

}  // namespace custody::cli
