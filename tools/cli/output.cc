#include "cli/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "custody/common/files.h"
#include "custody/ledger/store.h"

namespace custody::cli {
namespace {

namespace fs = std::filesystem;

// The ledger directory `dir` is in, or is, if any (checked on the path as written and as
// the file system resolves it, so neither "..", nor a symbolic link gets around it).
std::optional<fs::path> enclosing_ledger(const fs::path& dir) {
  std::error_code ec;
  for (const fs::path& start :
       {fs::absolute(dir, ec).lexically_normal(), fs::weakly_canonical(dir, ec)}) {
    for (fs::path p = start; !p.empty(); p = p.parent_path()) {
      if (ledger::read_format_version(p)) return p;
      if (p == p.root_path()) break;
    }
  }
  return std::nullopt;
}

Result<void> refuse_ledger(const fs::path& dir, std::string_view field) {
  if (auto ledger = enclosing_ledger(dir)) {
    return fail(ErrorCode::kPermissionDenied,
                dir.string() + " is inside the ledger directory " + ledger->string() +
                    "; write reports and exports somewhere else",
                std::string(field));
  }
  return {};
}

}  // namespace

Result<void> prepare_output_dir(const fs::path& dir, std::string_view field) {
  if (auto r = refuse_ledger(dir, field); !r) return r;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return fail(ErrorCode::kIoError, "cannot create " + dir.string() + ": " + ec.message(),
                std::string(field));
  }
  return {};
}

Result<void> write_output_file(const fs::path& path, std::string_view text, Overwrite overwrite,
                               std::string_view field) {
  fs::path parent = path.parent_path();
  if (parent.empty()) parent = ".";
  if (auto r = refuse_ledger(parent, field); !r) return r;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (overwrite == Overwrite::kRefuse) {
      return fail(ErrorCode::kAlreadyExists,
                  path.string() + " already exists; pass --force to replace it",
                  std::string(field));
    }
    if (S_ISDIR(st.st_mode)) {
      return fail(ErrorCode::kAlreadyExists, path.string() + " is a directory", std::string(field));
    }
  }
  fs::path tmp = path;
  tmp += ".custody-tmp-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  if (auto w = write_new_file(tmp, text, 0644); !w) {
    return fail(w.error().code, w.error().message, std::string(field));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return fail(ErrorCode::kIoError, "cannot write " + path.string() + ": " + why,
                std::string(field));
  }
  if (auto s = sync_dir(parent); !s)
    return fail(s.error().code, s.error().message, std::string(field));
  return {};
}

}  // namespace custody::cli
