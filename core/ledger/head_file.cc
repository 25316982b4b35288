#include "custody/ledger/head_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "custody/common/encoding.h"
#include "custody/common/files.h"

namespace custody::ledger {
namespace {

constexpr std::size_t kSlot = 64;
constexpr std::string_view kMagic = "CUSTHEAD";

std::string encode_slot(const Head& h) {
  std::string s(kMagic);
  s += be64(h.seq);
  s.append(reinterpret_cast<const char*>(h.leaf.data()), h.leaf.size());
  s += be64(static_cast<std::uint64_t>(h.recorded_at));
  const auto check = crypto::sha256(s);
  s.append(reinterpret_cast<const char*>(check.data()), 8);
  return s;
}

std::optional<Head> decode_slot(std::string_view s) {
  if (s.size() != kSlot || !s.starts_with(kMagic)) return std::nullopt;
  const auto check = crypto::sha256(s.substr(0, kSlot - 8));
  if (std::memcmp(check.data(), s.data() + kSlot - 8, 8) != 0) return std::nullopt;
  Head h;
  h.seq = get_be64(s.data() + 8);
  std::memcpy(h.leaf.data(), s.data() + 16, 32);
  h.recorded_at = static_cast<TimeNs>(get_be64(s.data() + 48));
  return h;
}

Error errno_error(const std::string& what, const std::filesystem::path& p) {
  return Error::io(what + " " + p.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<void> HeadFile::create(const std::filesystem::path& dir, const Head& head) {
  const std::string slot = encode_slot(head);
  if (auto r = write_new_file(dir / kName, slot + slot, 0644); !r) {
    if (std::filesystem::exists(dir / kName)) {
      return fail(ErrorCode::kAlreadyExists, (dir / kName).string() + " already exists");
    }
    return r;
  }
  return sync_dir(dir);
}

Result<std::optional<Head>> HeadFile::read(const std::filesystem::path& dir) {
  auto text = read_file(dir / kName, 2 * kSlot);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<Head>{};
    return std::unexpected(text.error());
  }
  std::optional<Head> best;
  for (std::size_t at = 0; at + kSlot <= text->size(); at += kSlot) {
    auto h = decode_slot(std::string_view(*text).substr(at, kSlot));
    if (h && (!best || h->seq > best->seq)) best = h;
  }
  if (!best) {
    return fail(ErrorCode::kCorruption,
                (dir / kName).string() +
                    " is damaged: the last acknowledged head cannot be read, so records lost "
                    "since cannot be ruled out");
  }
  return best;
}

Result<HeadFile> HeadFile::open(const std::filesystem::path& dir, const Head& head) {
  if (!std::filesystem::exists(dir / kName)) {
    if (auto r = create(dir, head); !r) return std::unexpected(r.error());
  }
  const std::filesystem::path path = dir / kName;
  // Overwrite the older slot first, so a torn write never costs the newer one.
  auto text = read_file(path, 2 * kSlot);
  if (!text) return std::unexpected(text.error());
  unsigned older = 0;
  if (text->size() == 2 * kSlot) {
    auto a = decode_slot(std::string_view(*text).substr(0, kSlot));
    auto b = decode_slot(std::string_view(*text).substr(kSlot, kSlot));
    if (a && (!b || b->seq < a->seq)) older = 1;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(errno_error("cannot open", path));
  HeadFile out(fd, path);
  out.next_slot_ = older;
  return out;
}

HeadFile::HeadFile(HeadFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      next_slot_(other.next_slot_) {}

HeadFile& HeadFile::operator=(HeadFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    next_slot_ = other.next_slot_;
  }
  return *this;
}

HeadFile::~HeadFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> HeadFile::write(const Head& head) {
  const std::string slot = encode_slot(head);
  const off_t at = static_cast<off_t>(next_slot_ * kSlot);
  std::size_t done = 0;
  while (done < slot.size()) {
    const ssize_t n =
        ::pwrite(fd_, slot.data() + done, slot.size() - done, at + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(errno_error("cannot write", path_));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return std::unexpected(errno_error("cannot sync", path_));
  next_slot_ ^= 1u;
  return {};
}

}  // namespace custody::ledger
