// A plugin library and its manifest.
//
// PluginLibrary loads a shared library with Boost.DLL (rtld_now | rtld_local), finds the two
// exports of sdk/include/custody/plugin.h and reads the manifest, without calling init. The
// library is pinned (RTLD_NODELETE): it stays mapped until the process exits, so no code or
// static data a plugin handed out can disappear under a thread.
//
// Refusals, each a clear Error and nothing called beyond the manifest:
//   kNotFound           the file does not exist
//   kInvalidArgument    not a loadable library, an export missing, an unreadable manifest
//                       (null, too small, bad id, bad capability strings)
//   kUnsupportedVersion check_abi(): another ABI major, or a newer minor than this host's
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/error.h"
#include "custody/plugin.h"
#include "custody/plugin/capabilities.h"

namespace custody::plugin {

enum class PluginKind : std::uint32_t {
  kScheduler = CUSTODY_KIND_SCHEDULER,
  kDeviceDriver = CUSTODY_KIND_DEVICE_DRIVER,
  kReport = CUSTODY_KIND_REPORT,
  kOther = CUSTODY_KIND_OTHER,
};

// "scheduler", "device_driver", "report", "other".
[[nodiscard]] std::string_view kind_name(PluginKind kind);

// What a plugin said of a configuration (custody_plugin_check_config, ABI 1.1).
enum class ConfigVerdict { kAccepted, kRefused, kNotChecked };
struct ConfigCheck {
  ConfigVerdict verdict = ConfigVerdict::kNotChecked;
  Error why;  // kRefused: the plugin's refusal; kNotChecked: why it could not say
};

struct Manifest {
  std::uint16_t abi_major = 0;
  std::uint16_t abi_minor = 0;
  std::string id;
  std::string version;
  std::string description;
  PluginKind kind = PluginKind::kOther;
  std::vector<std::string> capabilities;  // as requested
  Capabilities requested;
};

// [a-z0-9][a-z0-9._-]{0,63}
[[nodiscard]] bool valid_plugin_id(std::string_view id);

// Copies and checks a manifest. When the major differs from the host's, only the three
// leading fields (stable across every major) are read and the rest is left empty.
[[nodiscard]] Result<Manifest> read_manifest(const custody_manifest* m);

// Major equal to CUSTODY_ABI_MAJOR, minor not above CUSTODY_ABI_MINOR.
[[nodiscard]] Result<void> check_abi(const Manifest& m);

// {"id", "version", "description", "kind", "abi": {"plugin", "host", "compatible"},
//  "capabilities": [...]}, plus "error" when the ABI is incompatible.
void write_manifest_json(const Manifest& m, codec::JsonWriter& out);

// Reads the manifest of the library at `path` in a throwaway, sandboxed custody-runner
// (`runner`, or the one beside the running executable), so that none of the library's code
// (constructors included) runs in custody's own process. Errors as PluginLibrary::open
// reports them, or kUnavailable when the runner does not answer within `timeout`.
[[nodiscard]] Result<Manifest> probe_manifest(
    const std::filesystem::path& path, const std::filesystem::path& runner = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// The same, and what the plugin says of `config_json` (its "config" object), asked in the
// same throwaway runner.
struct Probe {
  Manifest manifest;
  ConfigCheck config;
};
[[nodiscard]] Result<Probe> probe_plugin(
    const std::filesystem::path& path, std::string_view config_json,
    const std::filesystem::path& runner = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// Whether the library at `path` was shipped with custody: it lies in the plugins directory
// of the build or installation the running executable belongs to (<exe dir>/../plugins).
// Bundled plugins are trusted to run in process; others run in a runner unless the
// operator marks them "trusted".
[[nodiscard]] bool is_bundled(const std::filesystem::path& path);

class PluginLibrary {
 public:
  [[nodiscard]] static Result<std::unique_ptr<PluginLibrary>> open(
      const std::filesystem::path& path);
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  [[nodiscard]] const Manifest& manifest() const { return manifest_; }
  [[nodiscard]] custody_plugin_init_fn init() const { return init_; }
  // Calls the library's custody_plugin_check_config, if it exports one. Runs plugin code:
  // only in a runner's sandbox.
  [[nodiscard]] ConfigCheck check_config(std::string_view config_json) const;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  PluginLibrary() = default;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::filesystem::path path_;
  Manifest manifest_;
  custody_plugin_init_fn init_ = nullptr;
  custody_plugin_check_config_fn check_config_ = nullptr;
};

}  // namespace custody::plugin
