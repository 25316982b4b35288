#include "wire.h"

#include <capnp/serialize.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace custody::plugin {
namespace {

std::unexpected<Error> gone(std::string why) {
  return std::unexpected(Error{ErrorCode::kUnavailable, "plugin socket: " + why, {}});
}

// The largest message either side sends (a report's output, a page of records): a runner
// that declares more is treated as broken before anything is allocated for it.
constexpr std::size_t kMaxMessageWords = std::size_t{1} << 23;  // 64 MiB
constexpr std::uint32_t kMaxSegments = 512;

// A message read whole from the socket into memory it owns. capnp's stream reader reads
// lazily and finishes reading in its destructor, where a runner that stops mid-message
// made it throw, and the host terminate (found by fuzz_runner_wire); this one has nothing
// left to read once it is made.
class WholeMessage final : public capnp::MessageReader {
 public:
  WholeMessage(kj::Array<capnp::word> words, const capnp::ReaderOptions& options)
      : capnp::MessageReader(options), words_(kj::mv(words)), reader_(words_, options) {}
  kj::ArrayPtr<const capnp::word> getSegment(unsigned id) override {
    return reader_.getSegment(id);
  }

 private:
  kj::Array<capnp::word> words_;
  capnp::FlatArrayMessageReader reader_;
};

// Reads exactly `size` bytes; false at end of stream or on an error (errno set, or 0 for an
// end of stream).
bool read_exactly(int fd, void* into, std::size_t size) {
  auto* p = static_cast<char*>(into);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, p + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = 0;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Wire::Wire(int fd) : fd_(fd) {}

Wire::~Wire() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> Wire::send(capnp::MessageBuilder& message) {
  const auto words = capnp::messageToFlatArray(message);
  return send(words.asPtr());
}

Result<void> Wire::send(kj::ArrayPtr<const capnp::word> message) {
  const auto bytes = message.asBytes();
  std::lock_guard lock(send_mu_);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.begin() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return gone(std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::unique_ptr<capnp::MessageReader>> Wire::receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return gone(std::strerror(errno));
  if (rc == 0) return std::unique_ptr<capnp::MessageReader>();
  // The segment table (capnp's stream framing): segment count - 1, then each segment's
  // size in words, padded to a whole word; then the segments.
  std::uint32_t head[2];
  if (!read_exactly(fd_, head, sizeof head)) {
    return gone(errno == 0 ? std::string("closed") : std::string(std::strerror(errno)));
  }
  if (head[0] >= kMaxSegments) return gone("malformed message: too many segments");
  const std::size_t segments = std::size_t{head[0]} + 1;
  const std::size_t table_words = segments / 2 + 1;
  auto table = kj::heapArray<std::uint32_t>(table_words * 2);
  table[0] = head[0];
  table[1] = head[1];
  if (table.size() > 2 && !read_exactly(fd_, table.begin() + 2, (table.size() - 2) * 4)) {
    return gone("message cut short");
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < segments; ++i) {
    total += table[1 + i];
    if (total > kMaxMessageWords) return gone("malformed message: larger than 64 MiB");
  }
  auto words = kj::heapArray<capnp::word>(table_words + total);
  std::memcpy(words.begin(), table.begin(), table_words * sizeof(capnp::word));
  if (total > 0 && !read_exactly(fd_, words.begin() + table_words, total * sizeof(capnp::word))) {
    return gone("message cut short");
  }
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 1u << 26;
    return std::unique_ptr<capnp::MessageReader>(
        std::make_unique<WholeMessage>(kj::mv(words), options));
  } catch (const kj::Exception& e) {
    return gone(std::string("malformed message: ") + e.getDescription().cStr());
  }
}

void Wire::shutdown() {
  ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace custody::plugin
