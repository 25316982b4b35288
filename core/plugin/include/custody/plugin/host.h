// The plugin host: runs the plugins named in a ledger's configuration (plugin_config.h).
//
// Plugins in process are loaded with PluginLibrary and run on their own PluginThread.
// Device drivers (and anything configured "isolation": "process") run in custody-runner, a
// small process that loads the same library and talks to the host over a socketpair;
// the host restarts a runner that crashes or stops sending heartbeats, with backoff, while
// the ledger goes on accepting commands. Every host service call from either kind lands in
// Services, which checks the grants.
//
// Thread rules: start() and the destructor from one thread; status() and render() from any.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/error.h"
#include "custody/domain/genealogy.h"
#include "custody/ledger/ledger.h"
#include "custody/plugin/library.h"
#include "custody/plugin/plugin_config.h"
#include "custody/plugin/services.h"

namespace custody::plugin {

struct HostOptions {
  // The custody-runner executable; default: custody-runner beside the running executable.
  std::filesystem::path runner;
  LogSink log;                                    // default: stderr_log()
  const domain::GenealogyGraph* graph = nullptr;  // for recall queries, when the host has one
  ledger::Site site;  // config.json's "site": the "site" view (and reports' local time)
  std::optional<std::set<PluginKind>> only_kinds;  // load only these (custody report: reports)
  std::chrono::milliseconds start_timeout{10000};  // a runner must say hello within this
};

struct PluginStatus {
  std::string id;  // as configured: "<manifest id>" or "<manifest id>.<instance>"
  std::string version;
  PluginKind kind = PluginKind::kOther;
  bool out_of_process = false;
  std::string state;            // "running", "restarting", "stopped"
  int pid = 0;                  // of the runner
  std::uint64_t restarts = 0;   // runners started after the first
  std::uint64_t delivered = 0;  // records handed to on_records
  std::uint64_t position = 0;   // next seq it will get (0: not subscribed)
  std::uint64_t handled = 0;    // every record through this seq was handled (on_records
                                // returned; out of process, the runner said so)
  Services::Stats calls;
};

class HostedPlugin;

class PluginHost {
 public:
  // Starts every enabled plugin of `configs`. If any is refused (missing file or export,
  // unreadable manifest, incompatible ABI, id not the configured one, init or start failing)
  // the ones already started are stopped and the error names the plugin: the host runs all
  // configured plugins or none. `ledger` must outlive the host.
  [[nodiscard]] static Result<std::unique_ptr<PluginHost>> start(
      ledger::Ledger& ledger, const std::vector<PluginConfig>& configs, HostOptions options);

  ~PluginHost();  // stops every plugin, last started first
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  [[nodiscard]] std::vector<PluginStatus> status() const;
  // `head`: the ledger's last seq, for each subscribed plugin's "backlog" (records committed
  // that it has not handled: an outbox whose endpoint is down, a plugin falling behind).
  static void write_status_json(const std::vector<PluginStatus>& status, std::uint64_t head,
                                codec::JsonWriter& out);

  // Renders `report` with the first in-process plugin that makes it. kNotFound when none
  // does; the plugin's own error otherwise.
  [[nodiscard]] Result<std::string> render(std::string_view report, std::string_view params_json);

 private:
  PluginHost() = default;
  std::vector<std::unique_ptr<HostedPlugin>> plugins_;
};

}  // namespace custody::plugin
