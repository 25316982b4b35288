// Internal to core/plugin: one end of the host <-> runner socket (schema/runner.capnp).
// Sends are thread-safe and never raise SIGPIPE; receive is for one thread.
#pragma once

#include <capnp/message.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "custody/common/error.h"

namespace custody::plugin {

class Wire {
 public:
  explicit Wire(int fd);  // takes ownership
  ~Wire();
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  // kUnavailable once the other end has gone.
  [[nodiscard]] Result<void> send(capnp::MessageBuilder& message);
  // A message already serialised with capnp::messageToFlatArray.
  [[nodiscard]] Result<void> send(kj::ArrayPtr<const capnp::word> message);

  // The next message, or nullptr when `timeout` passes first. kUnavailable at end of stream
  // or on a malformed message.
  [[nodiscard]] Result<std::unique_ptr<capnp::MessageReader>> receive(
      std::chrono::milliseconds timeout);

  // Ends both directions; a receive() blocked in another thread returns kUnavailable.
  void shutdown();
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
  std::mutex send_mu_;
};

}  // namespace custody::plugin
