// The Modbus TCP driver (plugins/modbus) against devices on 127.0.0.1 run by the test: a
// libmodbus server answering from a register map, and plain TCP servers that misbehave (never
// answer, answer random bytes). The driver runs in custody-runner, as device drivers do by
// default, except where a test says otherwise.
#include <arpa/inet.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "plugins/device_fixture.h"

namespace custody::testing {
namespace {

// A device on 127.0.0.1 (a free port), served on its own thread:
//   kModbus   answers like a real device from 100 holding and 100 input registers
//             (libmodbus's server side; other addresses get "illegal data address")
//   kSilent   accepts connections, reads requests, never answers
//   kGarbage  answers every request with 300 random bytes (seeded), whose protocol id is
//             0xFFFF, which no Modbus device sends: every answer is garbage whatever the dice
// The behaviour can change while the driver is connected.
class FakeDevice {
 public:
  enum class Behaviour { kModbus, kSilent, kGarbage };

  explicit FakeDevice(Behaviour behaviour) : behaviour_(behaviour) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;  // the kernel picks a free port
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    EXPECT_EQ(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
    context_ = modbus_new_tcp("127.0.0.1", port_);  // only its framing is used
    map_ = modbus_mapping_new(0, 0, 100, 100);
    thread_ = std::thread([this] { serve(); });
  }

  ~FakeDevice() {
    const std::uint64_t one = 1;
    EXPECT_EQ(::write(wake_fd_, &one, sizeof one), static_cast<ssize_t>(sizeof one));
    thread_.join();
    ::close(wake_fd_);
    ::close(listen_fd_);
    modbus_mapping_free(map_);
    modbus_free(context_);
  }

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  void behave(Behaviour b) { behaviour_ = b; }
  // Requests received, answered or not.
  [[nodiscard]] std::uint64_t requests() const { return requests_; }

  void set_holding(int address, std::uint16_t value) {
    std::lock_guard lock(mu_);
    map_->tab_registers[address] = value;
  }
  void set_input(int address, std::uint16_t value) {
    std::lock_guard lock(mu_);
    map_->tab_input_registers[address] = value;
  }
  // A 32-bit value over two holding registers, high word first.
  void set_holding32(int address, std::uint32_t value) {
    set_holding(address, static_cast<std::uint16_t>(value >> 16));
    set_holding(address + 1, static_cast<std::uint16_t>(value));
  }
  void set_holding_float(int address, float value) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    set_holding32(address, bits);
  }

 private:
  void serve() {
    std::vector<int> clients;
    for (;;) {
      std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      for (int c : clients) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
      if (fds[0].revents != 0) break;
      if (fds[1].revents & POLLIN) {
        const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) clients.push_back(c);
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        if (!answer(fds[i].fd)) {
          ::close(fds[i].fd);
          std::erase(clients, fds[i].fd);
        }
      }
    }
    for (int c : clients) ::close(c);
  }

  // Serves one readable client; false when it has gone.
  bool answer(int fd) {
    if (behaviour_ == Behaviour::kModbus) {
      std::uint8_t request[MODBUS_TCP_MAX_ADU_LENGTH];
      modbus_set_socket(context_, fd);
      const int n = modbus_receive(context_, request);
      if (n < 0) return false;
      if (n == 0) return true;
      ++requests_;
      std::lock_guard lock(mu_);
      return modbus_reply(context_, request, n, map_) >= 0;
    }
    char buf[512];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    ++requests_;
    if (behaviour_ == Behaviour::kGarbage) {
      std::uint8_t junk[300];
      for (auto& b : junk) b = static_cast<std::uint8_t>(dice_());
      junk[2] = junk[3] = 0xFF;
      (void)::send(fd, junk, sizeof junk, MSG_NOSIGNAL);
    }
    return true;
  }

  std::atomic<Behaviour> behaviour_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  modbus_t* context_ = nullptr;
  std::mutex mu_;  // guards map_
  modbus_mapping_t* map_ = nullptr;
  std::atomic<std::uint64_t> requests_{0};
  std::mt19937 dice_{7};
  std::thread thread_;
};

class ModbusTest : public DeviceTest {
 protected:
  void TearDown() override {
    DeviceTest::TearDown();  // the driver stops before its device goes away
    device_.reset();
  }

  FakeDevice& device(FakeDevice::Behaviour b = FakeDevice::Behaviour::kModbus) {
    device_ = std::make_unique<FakeDevice>(b);
    return *device_;
  }

  // A driver config for port `port` with a fault after 3 failures. Tests of faults use short
  // timeouts, to be quick; tests of healthy devices long ones, so that a busy machine cannot
  // turn a slow answer into a fault.
  static constexpr int kHealthy = 1000;
  static constexpr int kFaulty = 200;
  static std::string config(int port, const std::string& registers, int timeout_ms) {
    return R"({"host":"127.0.0.1","port":)" + std::to_string(port) + R"(,"unitId":1,"timeoutMs":)" +
           std::to_string(timeout_ms) + R"(,"faultAfter":3,"registers":[)" + registers + "]}";
  }
  static std::string chlorine(int interval_ms = 50) {
    return R"({"equipment":"washer-1","param":"chlorine","address":0,"type":"holding",)"
           R"("format":"uint16","scale":0.1,"unit":"ppm","intervalMs":)" +
           std::to_string(interval_ms) + "}";
  }

  plugin::PluginConfig driver(const std::string& config_json,
                              plugin::Isolation isolation = plugin::Isolation::kDefault) {
    return plugin("modbus", CUSTODY_PLUGIN_CUSTODY_MODBUS, grants(), isolation, config_json);
  }

  std::unique_ptr<FakeDevice> device_;
};

TEST_F(ModbusTest, RegistersArriveAsReadingsWithTheirScaleOffsetAndUnit) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  FakeDevice& d = device();
  d.set_holding(0, 1234);                                 // chlorine 123.4 ppm
  d.set_input(1, static_cast<std::uint16_t>(-250));       // temperature -2.5 C
  d.set_holding32(2, 70000);                              // flow 70 L/min
  d.set_holding_float(4, 2.5F);                           // pressure 2 * 2.5 + 1 = 6 bar
  d.set_holding(6, 0x86A0);                               // 100000, low word first ...
  d.set_holding(7, 0x0001);                               // ... so 0x0001'86A0
  d.set_holding32(8, static_cast<std::uint32_t>(-4000));  // level -4000 * 0.5 = -2000 mm
  start_host({driver(
      config(d.port(),
             chlorine() + "," +
                 R"({"equipment":"washer-1","param":"temperature","address":1,"type":"input",)"
                 R"("format":"int16","scale":0.01,"unit":"C","intervalMs":50},)"
                 R"({"equipment":"washer-1","param":"flow","address":2,"format":"uint32",)"
                 R"("scale":0.001,"unit":"L/min","intervalMs":50},)"
                 R"({"equipment":"washer-1","param":"pressure","address":4,"format":"float32",)"
                 R"("scale":2,"offset":1,"unit":"bar","intervalMs":50},)"
                 R"({"equipment":"washer-1","param":"count","address":6,"format":"uint32",)"
                 R"("wordOrder":"lowFirst","intervalMs":50},)"
                 R"({"equipment":"washer-1","param":"level","address":8,"format":"int32",)"
                 R"("scale":0.5,"unit":"mm","intervalMs":50})",
             kHealthy))});

  const std::vector<std::tuple<std::string, double, std::string>> expected = {
      {"chlorine", 123.4, "ppm"}, {"temperature", -2.5, "C"}, {"flow", 70.0, "L/min"},
      {"pressure", 6.0, "bar"},   {"count", 100000.0, ""},    {"level", -2000.0, "mm"}};
  ASSERT_TRUE(eventually([&] {
    for (const auto& [param, value, unit] : expected) {
      if (!last_reading("washer-1", param)) return false;
    }
    return true;
  })) << "not every register was read";
  for (const auto& [param, value, unit] : expected) {
    auto r = *last_reading("washer-1", param);
    EXPECT_NEAR(num(r["value"]), value, 1e-9) << param;
    EXPECT_EQ(text(r, "unit"), unit) << param;
  }

  // The records say who read them, and their ids say which register and when.
  auto first = readings("washer-1").front();
  EXPECT_EQ(first["actor"].as_string(), "plugin:modbus");
  const std::string id(first["commandId"].as_string());
  const std::string param(first["payload"].as_object()["param"].as_string());
  // Recorded in the plugin's namespace of command ids.
  EXPECT_EQ(id.rfind("plugin:modbus/modbus:washer-1:" + param + ":", 0), 0u) << id;

  // Polling goes on: a new value in the register becomes the latest reading.
  d.set_holding(0, 1500);
  EXPECT_TRUE(
      eventually([&] { return num((*last_reading("washer-1", "chlorine"))["value"]) > 149.9; }));

  auto status = host_->status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_TRUE(status[0].out_of_process);
  EXPECT_EQ(status[0].restarts, 0u);
  EXPECT_TRUE(records("exception.raised").empty()) << "a healthy device raised something";
}

TEST_F(ModbusTest, OutOfLimitValueRaisesAnExceptionThroughTheDomainRules) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash",)"
                         R"("params":[{"name":"chlorine","min":50,"max":200,"unit":"ppm"}]})");
  FakeDevice& d = device();
  d.set_holding(0, 1200);  // 120 ppm: within limits
  start_host({driver(config(d.port(), chlorine(20), kHealthy))});
  ASSERT_TRUE(eventually([&] { return !readings("washer-1").empty(); }));
  EXPECT_TRUE(flag(readings("washer-1").front()["payload"].as_object(), "inLimits"));

  d.set_holding(0, 2500);  // 250 ppm: above 200
  auto out_of_limits = [&] {
    std::vector<boost::json::object> out;
    for (auto& r : readings("washer-1")) {
      if (!flag(r["payload"].as_object(), "inLimits")) out.push_back(r);
    }
    return out;
  };
  ASSERT_TRUE(eventually([&] { return out_of_limits().size() >= 3; }));

  // The first reading of the excursion raised custody's own exception in the same command;
  // the ones after it belong to the same excursion and raise nothing more.
  const auto first = out_of_limits().front();
  auto payload = first.at("payload").as_object();
  EXPECT_NEAR(num(payload["value"]), 250.0, 1e-9);
  EXPECT_TRUE(flag(payload, "hasLimits"));
  const std::string exception = "auto:" + std::string(first.at("commandId").as_string());
  auto e = state("exception", exception);
  ASSERT_FALSE(e.empty()) << exception;
  EXPECT_TRUE(flag(e, "automatic"));
  EXPECT_EQ(text(e, "equipment"), "washer-1");
  EXPECT_NE(text(e, "description").find("chlorine 250 ppm outside 50..200"), std::string::npos)
      << text(e, "description");
  auto raised = records("exception.raised");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0]["actor"].as_string(), "system");
}

// A device that stops answering: exactly one device-fault exception, which takes the equipment
// down; the driver goes on trying without crashing or hanging its runner, and logs the
// recovery when the device answers again.
TEST_F(ModbusTest, SilentDeviceRaisesOneDeviceFaultAndTheRunnerSurvives) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  FakeDevice& d = device(FakeDevice::Behaviour::kSilent);
  start_host({driver(config(d.port(), chlorine(), kFaulty), plugin::Isolation::kProcess)});
  const int pid = host_->status()[0].pid;
  ASSERT_GT(pid, 0);

  ASSERT_TRUE(eventually([&] { return !records("exception.raised").empty(); }));
  auto raised = records("exception.raised");
  ASSERT_EQ(raised.size(), 1u);
  auto e = raised[0]["payload"].as_object();
  EXPECT_EQ(raised[0]["actor"].as_string(), "plugin:modbus");
  EXPECT_EQ(text(e, "exception").rfind("devfault-washer-1-", 0), 0u) << text(e, "exception");
  EXPECT_EQ(text(e, "category"), "equipment");
  EXPECT_EQ(text(e, "severity"), "high");
  EXPECT_EQ(text(e, "equipment"), "washer-1");
  EXPECT_TRUE(e.contains("deadline"));
  const std::string description = text(e, "description");
  EXPECT_NE(description.find("went silent"), std::string::npos) << description;
  EXPECT_NE(description.find(d.endpoint()), std::string::npos) << description;
  EXPECT_EQ(equipment_state("washer-1"), "down");

  // More failed reads, still one exception, and the same runner.
  const auto seen = d.requests();
  ASSERT_TRUE(eventually([&] { return d.requests() >= seen + 3; }));
  EXPECT_EQ(records("exception.raised").size(), 1u);
  auto status = host_->status();
  EXPECT_EQ(status[0].restarts, 0u);
  EXPECT_EQ(status[0].pid, pid);
  EXPECT_EQ(status[0].state, "running");

  // The device comes back: readings again, recovery logged, the exception left to people.
  d.set_holding(0, 1234);
  d.behave(FakeDevice::Behaviour::kModbus);
  ASSERT_TRUE(eventually([&] { return !readings("washer-1").empty(); }));
  EXPECT_TRUE(eventually([&] { return !logged("recovered").empty(); }));
  EXPECT_EQ(text(state("exception", text(e, "exception")), "status"), "open");
  EXPECT_EQ(host_->status()[0].pid, pid);
}

TEST_F(ModbusTest, GarbageAnswersRaiseOneDeviceFaultAndTheRunnerSurvives) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  FakeDevice& d = device(FakeDevice::Behaviour::kGarbage);
  start_host({driver(config(d.port(), chlorine(), kFaulty))});
  const int pid = host_->status()[0].pid;

  ASSERT_TRUE(eventually([&] { return !records("exception.raised").empty(); }));
  auto e = records("exception.raised")[0]["payload"].as_object();
  EXPECT_EQ(text(e, "category"), "equipment");
  EXPECT_EQ(text(e, "equipment"), "washer-1");
  const std::string description = text(e, "description");
  EXPECT_NE(description.find("answers garbage"), std::string::npos) << description;
  EXPECT_NE(description.find(d.endpoint()), std::string::npos) << description;
  EXPECT_EQ(equipment_state("washer-1"), "down");
  EXPECT_TRUE(readings("washer-1").empty());

  const auto seen = d.requests();
  ASSERT_TRUE(eventually([&] { return d.requests() >= seen + 3; }));
  EXPECT_EQ(records("exception.raised").size(), 1u);
  auto status = host_->status();
  EXPECT_TRUE(status[0].out_of_process);
  EXPECT_EQ(status[0].restarts, 0u);
  EXPECT_EQ(status[0].pid, pid);
}

TEST_F(ModbusTest, DeviceNobodyListensOnIsSilentInProcessToo) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  // A port that was free a moment ago and has no listener now: connections are refused.
  int port = 0;
  {
    FakeDevice gone(FakeDevice::Behaviour::kSilent);
    port = gone.port();
  }
  start_host({driver(config(port, chlorine(), kFaulty), plugin::Isolation::kInProcess)});
  ASSERT_TRUE(eventually([&] { return !records("exception.raised").empty(); }));
  auto e = records("exception.raised")[0]["payload"].as_object();
  EXPECT_NE(text(e, "description").find("went silent"), std::string::npos);
  EXPECT_NE(text(e, "description").find("cannot connect"), std::string::npos)
      << text(e, "description");
  // Due an hour after the fault began, on the ledger's clock (the host's, in process).
  EXPECT_EQ(text(e, "deadline"), "2026-11-21T09:00:00Z");
  EXPECT_FALSE(host_->status()[0].out_of_process);
}

TEST_F(ModbusTest, IllegalAddressFaultsOnlyTheEquipmentItBelongsTo) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  ok("equipment.define", R"({"equipment":"washer-2","name":"Washer 2","workCenter":"wash"})");
  FakeDevice& d = device();
  d.set_holding(0, 1234);
  start_host({driver(config(d.port(),
                            chlorine() + "," +
                                R"({"equipment":"washer-2","param":"chlorine",)"
                                R"("address":500,"intervalMs":50})",
                            kHealthy))});
  ASSERT_TRUE(eventually([&] { return !records("exception.raised").empty(); }));
  auto raised = records("exception.raised");
  ASSERT_EQ(raised.size(), 1u);
  auto e = raised[0]["payload"].as_object();
  EXPECT_EQ(text(e, "equipment"), "washer-2");
  EXPECT_NE(text(e, "description").find("answers garbage"), std::string::npos);
  EXPECT_NE(text(e, "description").find("Illegal data address"), std::string::npos)
      << text(e, "description");
  EXPECT_EQ(equipment_state("washer-2"), "down");

  // washer-1's register on the same device goes on being read.
  const auto before = readings("washer-1").size();
  EXPECT_TRUE(eventually([&] { return readings("washer-1").size() >= before + 3; }));
  EXPECT_EQ(equipment_state("washer-1"), "idle");
  EXPECT_EQ(records("exception.raised").size(), 1u);
}

TEST_F(ModbusTest, BadConfigRefusesToStartWithTheReasonAndWritesNothing) {
  const std::string reg = chlorine();
  const std::vector<ConfigCase> cases = {
      {R"({"port":1502,"registers":[)" + reg + "]}", "host", "host: is required"},
      {R"({"host":"plc.local","registers":[)" + reg + "]}", "host",
       "host: must be a numeric IPv4 or IPv6 address"},
      {R"({"host":"127.0.0.1","port":70000,"registers":[)" + reg + "]}", "port",
       "port: must be a whole number from 1 to 65535"},
      {R"({"host":"127.0.0.1","timeoutMs":0,"registers":[)" + reg + "]}", "timeoutMs",
       "timeoutMs: must be a whole number from 10 to 3000"},
      {R"({"host":"127.0.0.1","registers":[]})", "registers",
       "registers: must list 1 to 1000 registers"},
      {R"({"host":"127.0.0.1","registers":[{"equipment":"washer-1","param":"chlorine",)"
       R"("address":0,"format":"uint64"}]})",
       "registers[0].format",
       "registers[0].format: must be one of uint16, int16, uint32, int32, float32"},
      {R"({"host":"127.0.0.1","registers":[{"equipment":"washer-1","param":"chlorine",)"
       R"("address":65535,"format":"float32"}]})",
       "registers[0].address", "registers[0].address: must be a whole number from 0 to 65534"},
      {R"({"host":"127.0.0.1","registers":[{"equipment":"washer-1","param":"chlorine",)"
       R"("adress":3}]})",
       "registers[0].adress", "registers[0].adress: is not a setting of the modbus driver"},
      {R"({"host":"127.0.0.1","registers":[)" + reg + "," + reg + "]}", "registers[1].param",
       "registers[1].param: maps washer-1/chlorine a second time"},
      {R"({"host":"127.0.0.1","registers":[{"equipment":"washer-1","param":"chlorine",)"
       R"("address":0,"scale":"x"}]})",
       "registers[0].scale", "registers[0].scale: must be a finite number"},
      // The settings reader all bundled plugins share (plugins/common/settings.h).
      {R"({"host":"127.0.0.1","registers":{}})", "registers", "registers: must be an array"},
      {R"({"host":7,"registers":[)" + reg + "]}", "host", "host: must be a string"},
      {R"({"host":"127.0.0.1","registers":[{"equipment":"washer\u0001","param":"chlorine",)"
       R"("address":0}]})",
       "registers[0].equipment", "registers[0].equipment: must not contain control characters"},
      {R"({"host":"127.0.0.1","registers":[{"equipment":" washer-1","param":"chlorine",)"
       R"("address":0}]})",
       "registers[0].equipment", "registers[0].equipment: must not start or end with a space"},
      {R"({"host":"127.0.0.1","registers":[{"equipment":"washer-1","param":"",)"
       R"("address":0}]})",
       "registers[0].param", "registers[0].param: must be 1 to 128 bytes"},
      {R"({"host":"127.0.0.1","registers":[{"equipment":")" + std::string(60, 'w') +
           R"(","param":")" + std::string(40, 'p') + R"(","address":0}]})",
       "registers[0].param", "registers[0].param: equipment and param together must be at most 90"},
  };
  for (auto isolation : {plugin::Isolation::kInProcess, plugin::Isolation::kProcess}) {
    SCOPED_TRACE(isolation == plugin::Isolation::kProcess ? "process" : "in process");
    expect_config_refused("modbus", cases,
                          [&](const std::string& config) { return driver(config, isolation); });
  }
}

}  // namespace
}  // namespace custody::testing
