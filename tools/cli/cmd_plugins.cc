// Plugins from the command line:
//   custody plugins check PATH [--config FILE]
//                                       the manifest and ABI compatibility, without init; and
//                                       what the plugin says of a configuration
//   custody plugins add DIR PATH ...    configure a plugin for a ledger
//   custody plugins list DIR            the configured plugins
//   custody run DIR [--for SECONDS]     host the configured plugins until stopped
//   custody report DIR NAME [...]       render a report with a report plugin
#include <signal.h>

#include <fstream>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/output.h"
#include "custody/codec/json_parse.h"
#include "custody/codec/json_writer.h"
#include "custody/common/files.h"
#include "custody/plugin/host.h"
#include "custody/plugin/library.h"
#include "custody/plugin/plugin_config.h"

namespace custody::cli {
namespace {

using plugin::PluginConfig;

// A plugin's settings as the CLI takes them: a JSON object (field: the option).
Result<std::string> settings_object(const std::string& text, std::string_view option) {
  auto root = codec::parse_json(text, option);
  if (!root) return std::unexpected(root.error());
  if (!root->is_object()) {
    return std::unexpected(Error::invalid_argument(std::string(option), "must be a JSON object"));
  }
  return text;
}

void write_config_check(const plugin::ConfigCheck& c, codec::JsonWriter& w) {
  w.begin_object();
  w.key("checked").boolean(c.verdict != plugin::ConfigVerdict::kNotChecked);
  if (c.verdict == plugin::ConfigVerdict::kNotChecked) {
    w.key("reason").string(c.why.message);
  } else {
    w.key("ok").boolean(c.verdict == plugin::ConfigVerdict::kAccepted);
  }
  if (c.verdict == plugin::ConfigVerdict::kRefused) {
    w.key("error").begin_object();
    w.key("code").string(code_name(c.why.code));
    w.key("message").string(c.why.message);
    w.key("field").string(c.why.field);
    w.end_object();
  }
  w.end_object();
}

// Exit codes of `plugins check`: 0 compatible (and the config, if given, accepted or not
// checkable), 1 loaded but not compatible or the config refused, 2 not loadable or the config
// file unreadable. The library is read in a throwaway sandboxed runner: checking a plugin
// must not run its code (constructors included) in this process.
int check(const std::string& path, const std::string& config_file) {
  std::optional<std::string> config;
  if (!config_file.empty()) {
    auto text = read_file(config_file, 1 << 20);
    if (!text) return report(text.error());
    auto object = settings_object(*text, "--config");
    if (!object) return report(object.error());
    config = std::move(*object);
  }
  Result<plugin::Probe> lib = std::unexpected(Error::internal("not probed"));
  if (config) {
    lib = plugin::probe_plugin(path, *config);
  } else if (auto m = plugin::probe_manifest(path)) {
    lib = plugin::Probe{std::move(*m), {}};
  } else {
    lib = std::unexpected(m.error());
  }
  std::string out;
  codec::JsonWriter w(out);
  if (!lib) {
    w.begin_object();
    w.key("ok").boolean(false);
    w.key("path").string(path);
    w.key("error").begin_object();
    w.key("code").string(code_name(lib.error().code));
    w.key("message").string(lib.error().message);
    w.key("field").string(lib.error().field);
    w.end_object();
    w.end_object();
    std::cout << out << "\n";
    return kExitUsage;
  }
  const auto& m = lib->manifest;
  const bool compatible = plugin::check_abi(m).has_value();
  const bool refused = config && lib->config.verdict == plugin::ConfigVerdict::kRefused;
  w.begin_object();
  w.key("ok").boolean(compatible && !refused);
  w.key("path").string(std::filesystem::absolute(path).lexically_normal().string());
  w.key("manifest");
  plugin::write_manifest_json(m, w);
  if (config && compatible) {
    w.key("config");
    write_config_check(lib->config, w);
  }
  w.end_object();
  std::cout << out << "\n";
  return compatible && !refused ? kExitOk : kExitRejected;
}

struct AddArgs {
  std::string dir, path, id, isolation, config = "{}";
  std::vector<std::string> grants;
  bool grant_requested = false;
  bool trusted = false;
};

int add(const AddArgs& a) {
  auto settings = settings_object(a.config, "--config");
  if (!settings) return report(settings.error());
  // The grant pins the library as it is now: a library replaced later is refused at load.
  auto digest = plugin::library_sha256(a.path);
  if (!digest) return report(digest.error());
  auto lib = plugin::probe_plugin(a.path, a.config);
  if (!lib) return report(lib.error());
  const auto& m = lib->manifest;
  if (auto abi = plugin::check_abi(m); !abi) return report(abi.error());
  // A configuration the plugin refuses never reaches config.json.
  if (lib->config.verdict == plugin::ConfigVerdict::kRefused) return report(lib->config.why);
  PluginConfig c;
  c.id = a.id.empty() ? m.id : a.id;
  c.path = std::filesystem::absolute(a.path);
  c.grants = a.grant_requested ? m.capabilities : a.grants;
  if (a.isolation == "process") c.isolation = plugin::Isolation::kProcess;
  if (a.isolation == "inProcess") c.isolation = plugin::Isolation::kInProcess;
  c.trusted = a.trusted;
  // The same checks the host makes at start (a grant the plugin does not request, an id
  // that is not the library's), so a bad entry never reaches config.json.
  if (auto granted = plugin::Capabilities::parse(c.grants, "grant"); !granted) {
    return report(granted.error());
  } else {
    c.granted = *granted;
  }
  if (auto ok = plugin::check_configured(m, c); !ok) return report(ok.error());
  c.config_json = a.config;
  c.sha256 = *digest;
  if (auto saved = plugin::save_plugin_config(a.dir, c); !saved) return report(saved.error());
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("ok").boolean(true);
  w.key("id").string(c.id);
  w.key("path").string(c.path.string());
  w.key("requested").begin_array();
  for (const auto& cap : m.capabilities) w.string(cap);
  w.end_array();
  w.key("granted").begin_array();
  auto granted = plugin::Capabilities::parse(c.grants, "grant");
  if (granted) {
    for (const auto& cap : m.requested.intersect(*granted).names()) w.string(cap);
  }
  w.end_array();
  w.key("config");
  write_config_check(lib->config, w);
  w.end_object();
  std::cout << out << "\n";
  return kExitOk;
}

int list(const std::string& dir) {
  auto configs = plugin::load_plugin_configs(dir);
  if (!configs) return report(configs.error());
  std::string out;
  codec::JsonWriter w(out);
  w.begin_array();
  for (const auto& c : *configs) {
    w.begin_object();
    w.key("id").string(c.id);
    w.key("path").string(c.path.string());
    w.key("enabled").boolean(c.enabled);
    w.key("isolation")
        .string(c.isolation == plugin::Isolation::kProcess     ? "process"
                : c.isolation == plugin::Isolation::kInProcess ? "inProcess"
                                                               : "default");
    w.key("grants").begin_array();
    for (const auto& g : c.grants) w.string(g);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  std::cout << out << "\n";
  return kExitOk;
}

// Forgets a plugin's saved position and state, so it starts from the beginning next time.
int reset(const std::string& dir, const std::string& id) {
  if (!plugin::valid_plugin_id(id)) {
    return report(Error::invalid_argument("ID", "'" + id + "' is not a plugin id"));
  }
  auto ledger = open_ledger(dir, ledger::OpenMode::kReadWrite);
  if (!ledger) return report(ledger.error());
  auto erased = plugin::Services::reset_local_state(**ledger, id);
  if (!erased) return report(erased.error());
  std::cout << R"({"ok":true,"id":")" << id << R"(","erased":)" << *erased << "}\n";
  return kExitOk;
}

enum class HostPhase { kStarted, kStopped };

std::string status_json(HostPhase phase, const plugin::PluginHost& host, std::uint64_t head) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key(phase == HostPhase::kStarted ? "started" : "stopped").boolean(true);
  w.key("plugins");
  plugin::PluginHost::write_status_json(host.status(), head, w);
  w.end_object();
  return out;
}

// When `custody run` stops on its own.
enum class Until { kSignal, kCaughtUp };

// Every subscribed plugin has handled every record of the log (and the log has not grown
// since the last look, so what they wrote in answer has been seen too).
bool caught_up(const plugin::PluginHost& host, ledger::Ledger& ledger, std::uint64_t& last_head) {
  const std::uint64_t head = ledger.head().seq;
  bool all = head == last_head;
  last_head = head;
  for (const auto& s : host.status()) {
    if (s.position > 0 && s.handled < head) all = false;
  }
  return all;
}

int run_plugins(const std::string& dir, double seconds, Until until) {
  // Signals are taken by this thread only: block them before any other thread exists.
  sigset_t signals = block_stop_signals();

  auto configs = plugin::load_plugin_configs(dir);
  if (!configs) return report(configs.error());
  auto config = ledger::load_config(dir);
  if (!config) return report(config.error());
  // A long-running host keeps the genealogy in memory, for plugins' recall queries.
  auto machine = host_machine(*config);
  const domain::PlantMachine* plant = machine.get();
  auto ledger = open_ledger(dir, ledger::OpenMode::kReadWrite, std::move(machine));
  if (!ledger) return report(ledger.error());
  plugin::HostOptions options;
  options.graph = plant->graph();
  options.site = config->site;
  auto host = plugin::PluginHost::start(**ledger, *configs, options);
  if (!host) return report(host.error());
  std::cout << status_json(HostPhase::kStarted, **host, (*ledger)->head().seq) << std::endl;

  if (until == Until::kCaughtUp) {
    // Poll until caught up, a signal, or --for's limit.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(seconds > 0 ? seconds : 1e9));
    std::uint64_t last_head = UINT64_MAX;
    const timespec poll{0, 50'000'000};
    while (!caught_up(**host, **ledger, last_head) && std::chrono::steady_clock::now() < deadline) {
      if (sigtimedwait(&signals, nullptr, &poll) > 0) break;
    }
  } else if (seconds > 0) {
    const timespec timeout{static_cast<time_t>(seconds),
                           static_cast<long>((seconds - static_cast<time_t>(seconds)) * 1e9)};
    sigtimedwait(&signals, nullptr, &timeout);
  } else {
    int sig = 0;
    sigwait(&signals, &sig);
  }
  const std::string final_status = status_json(HostPhase::kStopped, **host, (*ledger)->head().seq);
  host->reset();  // stops every plugin before the ledger closes
  ledger->reset();
  std::cout << final_status << std::endl;
  return kExitOk;
}

struct ReportArgs {
  std::string dir, name, wo, from, to, out;
  std::vector<std::string> params;
  bool force = false;
};

int render_report(const ReportArgs& a) {
  std::string params;
  codec::JsonWriter w(params);
  w.begin_object();
  if (!a.wo.empty()) w.key("wo").string(a.wo);
  if (!a.from.empty()) w.key("from").string(a.from);
  if (!a.to.empty()) w.key("to").string(a.to);
  for (const auto& p : a.params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return report(Error::invalid_argument("--param", "must be KEY=VALUE, not '" + p + "'"));
    }
    w.key(p.substr(0, eq)).string(p.substr(eq + 1));
  }
  w.end_object();

  auto configs = plugin::load_plugin_configs(a.dir);
  if (!configs) return report(configs.error());
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  plugin::HostOptions options;
  options.only_kinds = std::set<plugin::PluginKind>{plugin::PluginKind::kReport};
  auto config = ledger::load_config(a.dir);
  if (!config) return report(config.error());
  options.site = config->site;
  auto host = plugin::PluginHost::start(**ledger, *configs, options);
  if (!host) return report(host.error());
  auto text = (*host)->render(a.name, params);
  host->reset();
  if (!text) return report(text.error());
  if (a.out.empty() || a.out == "-") {
    std::cout << *text;
    return kExitOk;
  }
  if (auto written =
          write_output_file(a.out, *text, a.force ? Overwrite::kAllow : Overwrite::kRefuse);
      !written) {
    return report(written.error());
  }
  std::cout << R"({"ok":true,"report":")" << a.name << R"(","out":)";
  std::string quoted;
  codec::append_json_string(quoted, a.out);
  std::cout << quoted << R"(,"bytes":)" << text->size() << "}\n";
  return kExitOk;
}

}  // namespace

void add_plugins(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("plugins", "Check and configure plugins");
  cmd->require_subcommand(1);

  auto* c = cmd->add_subcommand("check",
                                "Read a plugin's manifest and check its ABI, without "
                                "initialising it");
  auto path = std::make_shared<std::string>();
  auto config_file = std::make_shared<std::string>();
  c->add_option("PATH", *path, "The plugin library (.so)")->required();
  c->add_option("--config", *config_file,
                "A JSON file holding the plugin's settings (its \"config\" object), to check "
                "before it runs");
  c->callback([&run, path, config_file] {
    run = [path, config_file] {
      return check(*path, *config_file);
    };
  });

  auto a = std::make_shared<AddArgs>();
  auto* add_cmd = cmd->add_subcommand("add", "Configure a plugin for a ledger (config.json)");
  add_cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  add_cmd->add_option("PATH", a->path, "The plugin library (.so)")->required();
  add_cmd->add_option("--grant", a->grants,
                      "Grant a capability (read, subscribe, submit:<family>); repeatable");
  add_cmd->add_flag("--grant-requested", a->grant_requested,
                    "Grant every capability the manifest requests");
  add_cmd->add_option("--id", a->id, "Id to configure it as (default: the manifest's)");
  add_cmd->add_flag("--trusted", a->trusted,
                    "Vouch for the library: it may run inside custody's own process");
  add_cmd->add_option("--isolation", a->isolation, "process or inProcess (default: by kind)")
      ->check(CLI::IsMember({"process", "inProcess"}));
  add_cmd->add_option("--config", a->config, "The plugin's configuration as a JSON object");
  add_cmd->callback([&run, a] {
    run = [a] {
      return add(*a);
    };
  });

  auto reset_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* reset_cmd = cmd->add_subcommand(
      "reset", "Forget a plugin's saved position and state: it starts from the first record");
  reset_cmd->add_option("DIR", reset_args->first, "Ledger directory")->required();
  reset_cmd->add_option("ID", reset_args->second, "The plugin's configured id")->required();
  reset_cmd->callback([&run, reset_args] {
    run = [reset_args] {
      return reset(reset_args->first, reset_args->second);
    };
  });

  auto dir = std::make_shared<std::string>();
  auto* list_cmd = cmd->add_subcommand("list", "The plugins configured for a ledger");
  list_cmd->add_option("DIR", *dir, "Ledger directory")->required();
  list_cmd->callback([&run, dir] {
    run = [dir] {
      return list(*dir);
    };
  });
}

void add_run(CLI::App& app, Action& run) {
  auto dir = std::make_shared<std::string>();
  auto seconds = std::make_shared<double>(0);
  auto caught_up = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("run", "Host the ledger's configured plugins until stopped");
  cmd->add_option("DIR", *dir, "Ledger directory")->required();
  cmd->add_option("--for", *seconds, "Stop after this many seconds (default: at SIGINT/SIGTERM)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--until-caught-up", *caught_up,
                "Stop once every subscribed plugin has handled the whole log (--for: at most "
                "that long)");
  cmd->callback([&run, dir, seconds, caught_up] {
    run = [dir, seconds, caught_up] {
      return run_plugins(*dir, *seconds, *caught_up ? Until::kCaughtUp : Until::kSignal);
    };
  });
}

void add_report(CLI::App& app, Action& run) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "Render a report with the ledger's report plugins");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("REPORT", a->name, "batch-record, piecework, ...")->required();
  cmd->add_option("--wo", a->wo, "Work order (batch-record)");
  cmd->add_option("--from", a->from, "Start of the period (RFC 3339)");
  cmd->add_option("--to", a->to, "End of the period, exclusive");
  cmd->add_option("--param", a->params, "Any other parameter as KEY=VALUE; repeatable");
  cmd->add_option("--out", a->out, "Write the report here (default: stdout)");
  cmd->add_flag("--force", a->force, "Replace --out if it exists");
  cmd->callback([&run, a] {
    run = [a] {
      return render_report(*a);
    };
  });
}

}  // namespace custody::cli
