#include "custody/common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace custody {

namespace {
Error errno_error(std::string what, const std::filesystem::path& p) {
  return Error::io(what + " " + p.string() + ": " + std::strerror(errno));
}
}  // namespace

Result<void> write_new_file(const std::filesystem::path& path, std::string_view text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return std::unexpected(errno_error("cannot create", path));
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = errno_error("cannot write", path);
      ::close(fd);
      return std::unexpected(std::move(e));
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    Error e = errno_error("cannot sync", path);
    ::close(fd);
    return std::unexpected(std::move(e));
  }
  if (::close(fd) != 0) return std::unexpected(errno_error("cannot close", path));
  return {};
}

Result<void> replace_file(const std::filesystem::path& path, std::string_view text, mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());
  if (auto w = write_new_file(tmp, text, mode); !w) return w;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = errno_error("cannot replace", path);
    ::unlink(tmp.c_str());
    return std::unexpected(std::move(e));
  }
  return sync_dir(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path());
}

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return fail(ErrorCode::kNotFound, path.string() + " does not exist");
    return std::unexpected(errno_error("cannot open", path));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = errno_error("cannot read", path);
      ::close(fd);
      return std::unexpected(std::move(e));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      return fail(ErrorCode::kOutOfRange,
                  path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

Result<void> sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(errno_error("cannot open", dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return std::unexpected(errno_error("cannot sync", dir));
  return {};
}

}  // namespace custody
