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
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 1u << 26;
    return std::unique_ptr<capnp::MessageReader>(
        std::make_unique<capnp::StreamFdMessageReader>(fd_, options));
  } catch (const kj::Exception& e) {
    return gone(e.getType() == kj::Exception::Type::DISCONNECTED
                    ? std::string("closed")
                    : std::string(e.getDescription().cStr()));
  }
}

void Wire::shutdown() {
  ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace custody::plugin
