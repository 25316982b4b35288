// Internal to core/plugin: one configured plugin as the host runs it, in process
// (InProcessPlugin) or in a runner (Supervisor).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "custody/ledger/ledger.h"
#include "custody/plugin/host.h"
#include "custody/plugin/library.h"
#include "custody/plugin/plugin_config.h"

namespace custody::plugin {

class HostedPlugin {
 public:
  virtual ~HostedPlugin() = default;
  [[nodiscard]] virtual PluginStatus status() const = 0;
  // nullopt when the plugin does not make `report` (or cannot render where it runs).
  [[nodiscard]] virtual Result<std::optional<std::string>> render(std::string_view report,
                                                                  std::string_view params_json) = 0;
  virtual void stop() = 0;
};

// Loads nothing: `library` is already open and its manifest matches `config`.
[[nodiscard]] Result<std::unique_ptr<HostedPlugin>> start_in_process(
    ledger::Ledger& ledger, const PluginConfig& config, std::unique_ptr<PluginLibrary> library,
    const HostOptions& options);

}  // namespace custody::plugin
