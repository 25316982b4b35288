// Internal to core/plugin: what custody-runner does to itself before it loads a plugin
// library, so that a plugin's code (its constructors included) cannot reach what custody
// protects: the ledger directory, the node's signing key, the rest of the file system.
//
//   1. A private working directory, made by the host for this runner (mode 0700, handed to
//      the runner's user) and removed by the host when the runner ends; the plugin's only
//      writable place, and its current directory.
//   2. Where custody runs as root, another user: "nobody" (65534) unless the plugin file or
//      the runner cannot be read by it, in which case the runner stays root and says so.
//   3. No new privileges (PR_SET_NO_NEW_PRIVS): setuid programs cannot give them back.
//   4. Landlock, where the kernel offers it: reading and executing only under the system's
//      library and configuration directories (/usr, /lib*, /bin, /sbin, /etc, /opt, /proc,
//      /sys), reading the plugin file itself, using /dev, and writing only in the working
//      directory. The ledger directory is in none of these unless someone put it there.
//
// Network access is not restricted: device drivers talk Modbus and MQTT.
#pragma once

#include <filesystem>
#include <string>

#include "custody/common/error.h"

namespace custody::plugin {

struct SandboxReport {
  std::filesystem::path workdir;
  bool dropped_user = false;  // runs as another user than root
  int landlock_abi = 0;       // 0: Landlock not applied (the kernel lacks it)
  std::string notes;          // what could not be done, for the log
};

// Applies the above to the calling process (which must be single-threaded), with `workdir`
// made by make_workdir(). Errors only when a step that was possible failed half-way (the
// runner must then not load the plugin).
[[nodiscard]] Result<SandboxReport> enter_sandbox(const std::filesystem::path& plugin,
                                                  const std::filesystem::path& workdir);

// The host's side: a fresh private directory for one runner, under the system's temporary
// directory.
[[nodiscard]] Result<std::filesystem::path> make_workdir();

}  // namespace custody::plugin
