#include "sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

// Debian 12's kernel headers stop at Landlock ABI 2; ABI 3 added this right (Linux 6.2).
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

namespace custody::plugin {
namespace {

namespace fs = std::filesystem;

std::string why() {
  return std::strerror(errno);
}

// Can user `uid` (in group `gid`, not root) read `path`, walking every directory above it?
bool readable_by(const fs::path& path, uid_t uid, gid_t gid) {
  std::error_code ec;
  const fs::path full = fs::canonical(path, ec);
  if (ec) return false;
  auto allows = [&](const struct stat& st, mode_t user_bit, mode_t group_bit, mode_t other_bit) {
    if (st.st_uid == uid) return (st.st_mode & user_bit) != 0;
    if (st.st_gid == gid) return (st.st_mode & group_bit) != 0;
    return (st.st_mode & other_bit) != 0;
  };
  for (fs::path p = full.parent_path();; p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !allows(st, S_IXUSR, S_IXGRP, S_IXOTH)) return false;
    if (p == p.root_path()) break;
  }
  struct stat st {};
  return ::stat(full.c_str(), &st) == 0 && allows(st, S_IRUSR, S_IRGRP, S_IROTH);
}

std::uint64_t all_fs_rights(int abi) {
  std::uint64_t r =
      LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
      LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
      LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
      LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
      LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) r |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) r |= LANDLOCK_ACCESS_FS_TRUNCATE;
  return r;
}

// Adds "`rights` beneath `path`"; a path that does not exist is skipped.
Result<void> allow(int ruleset, const fs::path& path, std::uint64_t rights) {
  const int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    return fail(ErrorCode::kIoError, "landlock: cannot open " + path.string() + ": " + why());
  }
  struct stat st {};
  ::fstat(fd, &st);
  if (!S_ISDIR(st.st_mode)) {
    // Rules on a file may only name rights that apply to files.
    rights &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
              LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
  }
  landlock_path_beneath_attr attr{};
  attr.allowed_access = rights;
  attr.parent_fd = fd;
  const long rc = ::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    errno = err;
    return fail(ErrorCode::kIoError, "landlock: cannot allow " + path.string() + ": " + why());
  }
  return {};
}

Result<int> apply_landlock(const fs::path& plugin, const fs::path& workdir) {
  const long abi =
      ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) return 0;
  const std::uint64_t handled = all_fs_rights(static_cast<int>(abi));
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = handled;
  const int ruleset =
      static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (ruleset < 0) return fail(ErrorCode::kIoError, "landlock: cannot create a ruleset: " + why());
  const std::uint64_t read =
      LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_EXECUTE;
  Result<void> r;
  for (const char* dir :
       {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/proc", "/sys"}) {
    if (r) r = allow(ruleset, dir, read);
  }
  if (r) r = allow(ruleset, "/dev", read | LANDLOCK_ACCESS_FS_WRITE_FILE);
  if (r) r = allow(ruleset, plugin, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE);
  if (r) r = allow(ruleset, workdir, handled);
  if (r && ::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
    r = fail(ErrorCode::kIoError, "landlock: cannot restrict the runner: " + why());
  }
  ::close(ruleset);
  if (!r) return std::unexpected(r.error());
  return static_cast<int>(abi);
}

}  // namespace

Result<fs::path> make_workdir() {
  std::string tmpl = (fs::temp_directory_path() / "custody-plugin-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return fail(ErrorCode::kIoError, "cannot create a plugin working directory: " + why());
  }
  return fs::path(tmpl);
}

Result<SandboxReport> enter_sandbox(const fs::path& plugin, const fs::path& workdir) {
  SandboxReport report;
  report.workdir = workdir;
  if (::geteuid() == 0) {
    uid_t uid = 65534;
    gid_t gid = 65534;
    if (const passwd* pw = ::getpwnam("nobody")) {
      uid = pw->pw_uid;
      gid = pw->pw_gid;
    }
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!readable_by(plugin, uid, gid) || (!ec && !readable_by(self, uid, gid))) {
      report.notes =
          "runs as root: the plugin library or custody-runner is not readable by "
          "user 'nobody' (make it and its directories world-readable to drop root)";
    } else {
      if (::chown(workdir.c_str(), uid, gid) != 0) {
        return fail(ErrorCode::kIoError, "cannot hand the working directory over: " + why());
      }
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
        return fail(ErrorCode::kIoError, "cannot drop root: " + why());
      }
      if (::setuid(0) == 0) return fail(ErrorCode::kInternal, "root could be regained");
      ::prctl(PR_SET_DUMPABLE, 1);  // setuid cleared it; sanitizers read /proc/self
      report.dropped_user = true;
    }
  }
  if (::chdir(workdir.c_str()) != 0) {
    return fail(ErrorCode::kIoError, "cannot enter " + workdir.string() + ": " + why());
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(ErrorCode::kIoError, "cannot set no_new_privs: " + why());
  }
  auto abi = apply_landlock(plugin, workdir);
  if (!abi) return std::unexpected(abi.error());
  report.landlock_abi = *abi;
  if (*abi == 0) {
    report.notes += std::string(report.notes.empty() ? "" : "; ") +
                    "the kernel offers no Landlock: file access is limited by the user only";
  }
  return report;
}

}  // namespace custody::plugin
