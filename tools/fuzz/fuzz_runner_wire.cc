// The host's end of the runner socket (schema/runner.capnp): a runner hosts a partner's code,
// so whatever it sends is untrusted. Any bytes from it give messages or a clean
// kUnavailable; each message can be read whole (every field visited) as a FromRunner, or it
// throws a kj::Exception the host treats as a dead runner. Never a crash or a hang.
#include <capnp/serialize.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "plugin/wire.h"
#include "schema/runner.capnp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 60000) return 0;  // stays inside one socket buffer: no writer thread needed
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(sv[0], data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  ::close(sv[0]);  // the runner is gone after what it sent
  custody::plugin::Wire wire(sv[1]);
  for (int i = 0; i < 64; ++i) {
    auto msg = wire.receive(std::chrono::milliseconds(1000));
    if (!msg) {
      if (msg.error().code != custody::ErrorCode::kUnavailable) std::abort();
      break;
    }
    if (!*msg) std::abort();  // the other end is closed: never a timeout
    try {
      auto root = (*msg)->getRoot<custody::schema::FromRunner>();
      (void)kj::str(root);  // visits every field, as the host's handlers may
    } catch (const kj::Exception&) {
      break;  // a malformed message: the host drops the runner
    }
  }
  return 0;
}
