// The host's end of the runner socket reads each message whole before handing it on, so a
// runner that stops mid-message or declares a huge one is a clean kUnavailable, never a
// throw from a destructor that ended the host (found by fuzz_runner_wire).
#include "plugin/wire.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "schema/runner.capnp.h"

namespace custody::plugin {
namespace {

// Sends `bytes` from a runner that then goes away; returns what the host reads.
Result<std::unique_ptr<capnp::MessageReader>> host_reads(const std::vector<std::uint32_t>& words32,
                                                         std::size_t extra_bytes = 0) {
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  const std::size_t n = words32.size() * 4 + extra_bytes;
  std::vector<char> bytes(n, 0);
  std::memcpy(bytes.data(), words32.data(), words32.size() * 4);
  EXPECT_EQ(::write(sv[0], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(sv[0]);
  Wire wire(sv[1]);
  return wire.receive(std::chrono::milliseconds(1000));
}

TEST(Wire, AMessageCutShortIsAGoneRunnerNotACrash) {
  // Two segments of 1 word each declared; only the first sent.
  auto r = host_reads({1, 1, 1, 0, 0, 0});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("cut short"), std::string::npos) << r.error().message;
}

TEST(Wire, AHugeDeclaredMessageIsRefusedBeforeAnythingIsAllocated) {
  auto r = host_reads({0, 1u << 30});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("64 MiB"), std::string::npos) << r.error().message;
  auto many = host_reads({100000, 1});
  ASSERT_FALSE(many);
  EXPECT_NE(many.error().message.find("too many segments"), std::string::npos);
}

TEST(Wire, AWholeMessageArrivesAndAClosedSocketIsClosed) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  {
    Wire runner(sv[0]);
    capnp::MallocMessageBuilder m;
    auto h = m.initRoot<schema::FromRunner>().initHello();
    h.setId("scheduler");
    auto caps = h.initCapabilities(2);
    caps.set(0, "read");
    caps.set(1, "submit:wo");
    ASSERT_TRUE(runner.send(m));
  }
  Wire host(sv[1]);
  auto msg = host.receive(std::chrono::milliseconds(1000));
  ASSERT_TRUE(msg) << msg.error().message;
  ASSERT_TRUE(*msg);
  auto hello = (*msg)->getRoot<schema::FromRunner>().getHello();
  EXPECT_EQ(std::string(hello.getId().cStr()), "scheduler");
  EXPECT_EQ(hello.getCapabilities().size(), 2u);
  auto end = host.receive(std::chrono::milliseconds(1000));
  ASSERT_FALSE(end);
  EXPECT_NE(end.error().message.find("closed"), std::string::npos) << end.error().message;
}

}  // namespace
}  // namespace custody::plugin
