// The plugins a ledger runs: the "plugins" array of DIR/config.json, written by operators
// (or `custody plugins add`).
//
//   "plugins": [
//     { "id": "scheduler",                       required: the manifest's id, or
//                                                "<id>.<instance>" to run a plugin twice
//       "path": "/opt/custody/plugins/custody_scheduler.so",   absolute, or relative to DIR
//       "grants": ["read", "subscribe", "submit:wo"],           capabilities granted
//       "isolation": "process" | "inProcess",    default: process, except for trusted
//                                                plugins that are not device drivers
//       "trusted": true,                         the operator vouches for the library:
//                                                it may run in custody's own process
//                                                (plugins shipped with custody are)
//       "enabled": true,                         default true
//       "hangTimeoutMs": 10000,                  out of process: no sign of life for this
//                                                long and the runner is killed and restarted
//       "restartBackoffMs": 200,                 first restart delay; doubles to 5 s
//       "sha256": "<64 hex>",                    the library's SHA-256 when it was granted
//                                                (custody plugins add pins it): a library
//                                                that no longer has it is not loaded
//       "config": { ... } }                      handed to the plugin as it is
//   ]
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "custody/common/error.h"
#include "custody/plugin/capabilities.h"
#include "custody/plugin/library.h"

namespace custody::plugin {

enum class Isolation { kDefault, kInProcess, kProcess };

struct PluginConfig {
  std::string id;
  std::filesystem::path path;  // resolved against the ledger directory
  std::vector<std::string> grants;
  Capabilities granted;
  Isolation isolation = Isolation::kDefault;
  bool trusted = false;  // as configured; plugins shipped with custody are trusted anyway
  bool enabled = true;
  std::chrono::milliseconds hang_timeout{10000};
  std::chrono::milliseconds restart_backoff{200};
  std::string config_json = "{}";
  std::string sha256;  // hex SHA-256 of the library as granted; empty: not pinned
};

// The hex SHA-256 of the library file at `path`. kNotFound, kIoError.
[[nodiscard]] Result<std::string> library_sha256(const std::filesystem::path& path);

// A pinned entry's library must still be the one granted: kPermissionDenied (field "sha256")
// naming both digests when it changed. Unpinned entries pass.
[[nodiscard]] Result<void> check_pinned(const PluginConfig& config);

// Checks an entry against the manifest of the library it names: a compatible ABI, the
// manifest's id (or "<id>.<instance>"), and grants that the plugin requests (a grant beyond
// the request is refused, field "grants").
[[nodiscard]] Result<void> check_configured(const Manifest& manifest, const PluginConfig& config);

// kInvalidArgument with the path ("config.plugins[1].grants[0]") for a bad entry; an empty
// list when config.json or its "plugins" is absent.
[[nodiscard]] Result<std::vector<PluginConfig>> load_plugin_configs(
    const std::filesystem::path& ledger_dir);

// Adds or replaces (same id) an entry in DIR/config.json, keeping everything else in it.
[[nodiscard]] Result<void> save_plugin_config(const std::filesystem::path& ledger_dir,
                                              const PluginConfig& entry);

}  // namespace custody::plugin
