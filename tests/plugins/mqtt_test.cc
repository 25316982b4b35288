// The MQTT driver (plugins/mqtt) against a real broker: Debian's mosquitto, started here on a
// free port of 127.0.0.1, plain, with a password file, or with TLS (certificates made with
// the openssl command), and stopped and started again to be a broker that goes away. The test
// publishes at QoS 1 with mosquitto_pub.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "plugins/device_fixture.h"

namespace custody::testing {
namespace {

namespace fs = std::filesystem;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

void run(const std::string& command) {
  ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A mosquitto broker on 127.0.0.1 with its files in a directory of its own. The test always
// publishes on the plain listener (`port()`); with TLS the driver connects to `tls_port()`.
class Broker {
 public:
  struct Options {
    bool passwords = false;  // user "line-1", password in `password_file()`; no anonymous access
    bool tls = false;        // a second listener with a certificate for IP 127.0.0.1
  };

  explicit Broker(Options options) : options_(options) {
    std::string tmpl = (fs::temp_directory_path() / "custody-mqtt-XXXXXX").string();
    EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    port_ = free_port();
    std::string conf =
        "user root\npersistence false\nper_listener_settings false\n"
        "log_dest file " +
        (dir_ / "mosquitto.log").string() + "\n";
    if (options_.passwords) {
      write_file(dir_ / "passwd", "line-1:" + std::string(kPassword) + "\n");
      run("mosquitto_passwd -U " + (dir_ / "passwd").string());
      write_file(password_file(), std::string(kPassword) + "\n");
      write_file(dir_ / "mosquitto_pub", "-u line-1\n-P " + std::string(kPassword) + "\n");
      conf += "allow_anonymous false\npassword_file " + (dir_ / "passwd").string() + "\n";
    } else {
      conf += "allow_anonymous true\n";
    }
    conf += "listener " + std::to_string(port_) + " 127.0.0.1\n";
    if (options_.tls) {
      make_certificates();
      tls_port_ = free_port();
      conf += "listener " + std::to_string(tls_port_) + " 127.0.0.1\n" + "cafile " +
              ca_file().string() + "\ncertfile " + (dir_ / "server.crt").string() + "\nkeyfile " +
              (dir_ / "server.key").string() + "\n";
    }
    write_file(dir_ / "mosquitto.conf", conf);
    start();
  }

  ~Broker() {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      // Gone with the test, whatever ends it; and off its output, which ctest reads to the end.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(CUSTODY_MOSQUITTO, "mosquitto", "-c", (dir_ / "mosquitto.conf").c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!accepts(port_) || (options_.tls && !accepts(tls_port_))) {
      ASSERT_LT(std::chrono::steady_clock::now(), until) << "mosquitto did not start";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string tls_url() const {
    return "ssl://127.0.0.1:" + std::to_string(tls_port_);
  }
  [[nodiscard]] fs::path password_file() const { return dir_ / "password"; }
  [[nodiscard]] fs::path ca_file() const { return dir_ / "ca.crt"; }
  [[nodiscard]] fs::path other_ca_file() const { return dir_ / "other-ca.crt"; }

  // Publishes at QoS 1 on the plain listener with mosquitto_pub, which waits for the broker's
  // acknowledgement. (Not with Paho in this process: its synchronous client keeps
  // process-wide state that the driver, run in process, uses from its own thread.) The
  // password goes in mosquitto_pub's options file, not on its command line.
  void publish(const std::string& topic, const std::string& payload) {
    std::vector<std::string> args = {"mosquitto_pub",
                                     "-h",
                                     "127.0.0.1",
                                     "-p",
                                     std::to_string(port_),
                                     "-q",
                                     "1",
                                     "-t",
                                     topic,
                                     "-i",
                                     "custody-test-publisher"};
    if (payload.empty()) {
      args.emplace_back("-n");
    } else {
      args.insert(args.end(), {"-m", payload});
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_text = {"PATH=/usr/bin:/bin"};
    if (options_.passwords) env_text.push_back("XDG_CONFIG_HOME=" + dir_.string());
    std::vector<char*> env;
    for (auto& e : env_text) env.push_back(e.data());
    env.push_back(nullptr);
    pid_t pid = 0;
    ASSERT_EQ(::posix_spawnp(&pid, "mosquitto_pub", nullptr, nullptr, argv.data(), env.data()), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "mosquitto_pub failed: " << topic;
  }

  static constexpr const char* kPassword = "Correct-Horse-7";

 private:
  void make_certificates() {
    const std::string d = dir_.string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    run(CUSTODY_OPENSSL " req -x509" + ec + " -keyout " + d + "/ca.key -out " + d +
        "/ca.crt -days 2 -subj /CN=custody-test-ca");
    run(CUSTODY_OPENSSL " req -x509" + ec + " -keyout " + d + "/other-ca.key -out " + d +
        "/other-ca.crt -days 2 -subj /CN=someone-elses-ca");
    run(CUSTODY_OPENSSL " req" + ec + " -keyout " + d + "/server.key -out " + d +
        "/server.csr -subj /CN=127.0.0.1");
    write_file(dir_ / "san.ext", "subjectAltName=IP:127.0.0.1\n");
    run(CUSTODY_OPENSSL " x509 -req -in " + d + "/server.csr -CA " + d + "/ca.crt -CAkey " + d +
        "/ca.key -CAcreateserial -out " + d + "/server.crt -days 2 -extfile " + d + "/san.ext");
  }

  Options options_;
  fs::path dir_;
  int port_ = 0;
  int tls_port_ = 0;
  pid_t pid_ = -1;
};

class MqttTest : public DeviceTest {
 protected:
  void TearDown() override {
    DeviceTest::TearDown();  // the driver stops before its broker goes away
    broker_.reset();
  }

  Broker& broker(Broker::Options options = {}) {
    broker_ = std::make_unique<Broker>(options);
    return *broker_;
  }

  static std::string config(const std::string& broker, const std::string& topics,
                            const std::string& extra = "") {
    return R"({"broker":")" + broker + R"(","clientId":"custody-line-1","timeoutMs":1000,)" +
           R"("faultAfterMs":300,)" + extra + R"("topics":[)" + topics + "]}";
  }
  static std::string chlorine() {
    return R"({"topic":"plant/washer-1/chlorine","equipment":"washer-1","param":"chlorine",)"
           R"("scale":0.1,"unit":"ppm"})";
  }

  plugin::PluginConfig driver(const std::string& config_json,
                              plugin::Isolation isolation = plugin::Isolation::kDefault) {
    return plugin("mqtt", CUSTODY_PLUGIN_CUSTODY_MQTT, grants(), isolation, config_json);
  }

  // The driver has subscribed: what is published from now on reaches it.
  void wait_connected() {
    ASSERT_TRUE(eventually([&] { return !logged("connected to").empty(); }))
        << "the driver did not connect";
  }

  std::unique_ptr<Broker> broker_;
};

TEST_F(MqttTest, PlainAndJsonPayloadsArriveAsReadingsWithTheDevicesTime) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  ok("equipment.define", R"({"equipment":"chiller-2","name":"Chiller 2","workCenter":"wash"})");
  Broker& b = broker();
  // One JSON payload carries two parameters of chiller-2, with the device's own time.
  start_host({driver(config(
      b.url(), chlorine() + "," +
                   R"({"topic":"plant/chiller-2","equipment":"chiller-2","param":"temperature",)"
                   R"("path":"/t","timePath":"/ts","unit":"C"},)"
                   R"({"topic":"plant/chiller-2","equipment":"chiller-2","param":"flow",)"
                   R"("path":"/flow/0","timePath":"/ts","scale":2,"offset":1,"unit":"L/min"})"))});
  wait_connected();

  b.publish("plant/washer-1/chlorine", " 123.4\n");
  const std::string chiller = R"({"t":-2.5,"flow":[35.5],"ts":"2026-11-21T08:30:00.250+01:00"})";
  b.publish("plant/chiller-2", chiller);
  ASSERT_TRUE(eventually([&] {
    return last_reading("washer-1", "chlorine") && last_reading("chiller-2", "temperature") &&
           last_reading("chiller-2", "flow");
  })) << "not every parameter arrived";
  auto chlorine = *last_reading("washer-1", "chlorine");
  EXPECT_NEAR(num(chlorine["value"]), 12.34, 1e-9);
  EXPECT_EQ(text(chlorine, "unit"), "ppm");
  EXPECT_NEAR(num((*last_reading("chiller-2", "temperature"))["value"]), -2.5, 1e-9);
  EXPECT_NEAR(num((*last_reading("chiller-2", "flow"))["value"]), 72.0, 1e-9);

  // The device's time, not the arrival's: 08:30:00.25 at +01:00.
  auto flow = readings("chiller-2");
  ASSERT_EQ(flow.size(), 2u);
  EXPECT_EQ(text(flow[0]["payload"].as_object(), "at"), "2026-11-21T07:30:00.25Z");
  EXPECT_EQ(flow[0]["actor"].as_string(), "plugin:mqtt");
  const std::string id(flow[0]["commandId"].as_string());
  EXPECT_EQ(id.rfind("plugin:mqtt/mqtt:chiller-2:", 0), 0u) << id;

  // The same message again (a QoS 1 redelivery looks like this): with the device's time in
  // it, it is the same command, recorded once.
  b.publish("plant/chiller-2", chiller);
  b.publish("plant/washer-1/chlorine", "99");
  ASSERT_TRUE(eventually([&] { return readings("washer-1").size() == 2; }));
  EXPECT_EQ(readings("chiller-2").size(), 2u) << "a redelivered message was recorded twice";
  EXPECT_TRUE(records("exception.raised").empty()) << "a healthy broker raised something";
  EXPECT_TRUE(host_->status()[0].out_of_process);
}

TEST_F(MqttTest, MalformedPayloadsAreCountedAndLoggedAndNeverRecorded) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  ok("equipment.define", R"({"equipment":"chiller-2","name":"Chiller 2","workCenter":"wash"})");
  Broker& b = broker();
  start_host({driver(
      config(b.url(),
             chlorine() + "," +
                 R"({"topic":"plant/chiller-2","equipment":"chiller-2","param":"temperature",)"
                 R"("path":"/t","timePath":"/ts"})"),
      plugin::Isolation::kInProcess)});
  wait_connected();

  for (const char* bad : {"twelve", "", "nan", "1e999", "12 ppm"}) {
    b.publish("plant/washer-1/chlorine", bad);
  }
  for (const char* bad : {R"({"t":"cold","ts":1700000000000})", R"({"t":4})", "{", R"([4])",
                          R"({"t":4,"ts":"yesterday"})", R"({"t":4,"ts":-5})"}) {
    b.publish("plant/chiller-2", bad);
  }
  b.publish("plant/washer-1/chlorine", "120");  // a good one after them, on the same topic
  b.publish("plant/chiller-2", R"({"t":3.5,"ts":1795249800000})");
  ASSERT_TRUE(
      eventually([&] { return !readings("washer-1").empty() && !readings("chiller-2").empty(); }));

  // Only the good ones are readings.
  EXPECT_EQ(readings("washer-1").size(), 1u);
  EXPECT_NEAR(num((*last_reading("washer-1", "chlorine"))["value"]), 12.0, 1e-9);
  ASSERT_EQ(readings("chiller-2").size(), 1u);
  EXPECT_EQ(text(readings("chiller-2")[0]["payload"].as_object(), "at"), "2026-11-21T08:30:00Z");

  // The first malformed payload of each topic is logged at once, with why.
  auto first = logged("plant/washer-1/chlorine: malformed payload, not recorded");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_NE(first[0].find("chlorine: not a plain number (payload \"twelve\")"), std::string::npos)
      << first[0];
  auto json = logged("plant/chiller-2: malformed payload, not recorded");
  ASSERT_EQ(json.size(), 1u);
  EXPECT_NE(json[0].find("/t is not a finite number"), std::string::npos) << json[0];

  // The rest are counted, and the counts logged when the driver stops.
  host_.reset();
  auto counted = logged("plant/washer-1/chlorine: 4 more malformed payloads");
  ASSERT_EQ(counted.size(), 1u) << "the malformed payloads were not counted";
  EXPECT_NE(counted[0].find("5 of 6 messages"), std::string::npos) << counted[0];
  counted = logged("plant/chiller-2: 5 more malformed payloads");
  ASSERT_EQ(counted.size(), 1u);
  EXPECT_NE(counted[0].find("6 of 7 messages"), std::string::npos) << counted[0];
  EXPECT_EQ(logged("2 readings recorded, 11 malformed payloads").size(), 1u);
}

// A broker that goes away: one device-fault exception however long it stays away, the runner
// keeps running, and readings resume when the broker is back.
TEST_F(MqttTest, ABrokerThatGoesAwayRaisesOneDeviceFaultAndReadingsResume) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  Broker& b = broker();
  start_host({driver(config(b.url(), chlorine()))});
  wait_connected();
  const int pid = host_->status()[0].pid;
  ASSERT_GT(pid, 0);
  b.publish("plant/washer-1/chlorine", "100");
  ASSERT_TRUE(eventually([&] { return readings("washer-1").size() == 1; }));

  b.stop();
  ASSERT_TRUE(eventually([&] { return !records("exception.raised").empty(); }));
  auto raised = records("exception.raised");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0]["actor"].as_string(), "plugin:mqtt");
  auto e = raised[0]["payload"].as_object();
  const std::string exception = text(e, "exception");
  EXPECT_EQ(exception.rfind("devfault-mqtt-custody-line-1-", 0), 0u) << exception;
  EXPECT_EQ(text(e, "category"), "equipment");
  EXPECT_EQ(text(e, "severity"), "high");
  EXPECT_TRUE(e.contains("deadline"));
  const std::string description = text(e, "description");
  EXPECT_NE(description.find("MQTT broker " + b.url() + " unreachable"), std::string::npos)
      << description;
  EXPECT_NE(description.find("no readings arrive from washer-1"), std::string::npos) << description;

  // It stays away through several reconnection attempts: still one exception, same runner.
  ASSERT_TRUE(eventually([&] { return logged("retrying").size() >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(records("exception.raised").size(), 1u);
  EXPECT_EQ(host_->status()[0].pid, pid);
  EXPECT_EQ(host_->status()[0].restarts, 0u);

  // Back: the driver reconnects and subscribes again, and readings resume.
  b.start();
  ASSERT_TRUE(eventually([&] { return !logged("is back; readings resume").empty(); }));
  EXPECT_NE(logged("is back")[0].find("exception " + exception + " stays open"), std::string::npos);
  b.publish("plant/washer-1/chlorine", "110");
  ASSERT_TRUE(eventually([&] { return readings("washer-1").size() == 2; }));
  EXPECT_EQ(text(state("exception", exception), "status"), "open");
  EXPECT_EQ(records("exception.raised").size(), 1u);
  EXPECT_EQ(host_->status()[0].pid, pid);
}

// A user name and a password read from a file (in process here: the sandboxed runner may
// read only system directories, where an operator keeps the file). The password appears in
// neither the configuration nor the log nor the ledger.
TEST_F(MqttTest, UserNameAndPasswordFromAFile) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  Broker& b = broker({.passwords = true});
  const std::string wrong = (fs::path(b.password_file()).parent_path() / "wrong").string();
  write_file(wrong, "not-the-password\n");
  start_host({driver(
      config(b.url(), chlorine(), R"("username":"line-1","passwordFile":")" + wrong + R"(",)"),
      plugin::Isolation::kInProcess)});
  ASSERT_TRUE(eventually([&] { return !logged("connection refused").empty(); }));
  ASSERT_TRUE(eventually([&] { return records("exception.raised").size() == 1; }));
  host_.reset();

  clear_log();
  const std::string good =
      config(b.url(), chlorine(),
             R"("username":"line-1","passwordFile":")" + b.password_file().string() + R"(",)");
  EXPECT_EQ(good.find(Broker::kPassword), std::string::npos);
  start_host({driver(good, plugin::Isolation::kInProcess)});
  wait_connected();
  b.publish("plant/washer-1/chlorine", "100");
  ASSERT_TRUE(eventually([&] { return readings("washer-1").size() == 1; }));
  EXPECT_TRUE(logged(Broker::kPassword).empty()) << "the password was logged";
  EXPECT_TRUE(records("reading.recorded").size() == 1);
  for (const auto& type : {"reading.recorded", "exception.raised"}) {
    for (const auto& r : records(type)) {
      EXPECT_EQ(boost::json::serialize(r).find(Broker::kPassword), std::string::npos);
    }
  }
}

// TLS: the broker's certificate must be signed by the configured CA and name the host.
TEST_F(MqttTest, TlsToABrokerWhoseCertificateTheConfiguredCaSigned) {
  ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
  Broker& b = broker({.tls = true});
  start_host({driver(config(b.tls_url(), chlorine(),
                            R"("tls":{"caFile":")" + b.other_ca_file().string() + R"("},)"),
                     plugin::Isolation::kInProcess)});
  ASSERT_TRUE(eventually([&] { return records("exception.raised").size() == 1; }))
      << "a broker whose certificate another CA signed was trusted";
  EXPECT_TRUE(logged("connected to").empty());
  host_.reset();

  clear_log();
  start_host({driver(
      config(b.tls_url(), chlorine(), R"("tls":{"caFile":")" + b.ca_file().string() + R"("},)"),
      plugin::Isolation::kInProcess)});
  wait_connected();
  b.publish("plant/washer-1/chlorine", "100");
  ASSERT_TRUE(eventually([&] { return readings("washer-1").size() == 1; }));
}

TEST_F(MqttTest, BadConfigRefusesToStartWithTheReasonAndWritesNothing) {
  const std::string t = chlorine();
  const std::string ok_head = R"({"broker":"tcp://127.0.0.1:1883","clientId":"line-1",)";
  const std::vector<ConfigCase> cases = {
      {R"({"clientId":"line-1","topics":[)" + t + "]}", "broker", "broker: is required"},
      {R"({"broker":"mqtt://127.0.0.1:1883","clientId":"line-1","topics":[)" + t + "]}", "broker",
       "broker: must start with tcp:// or ssl://"},
      {R"({"broker":"tcp://127.0.0.1:70000","clientId":"line-1","topics":[)" + t + "]}", "broker",
       "broker: must end with a port from 1 to 65535"},
      {R"({"broker":"tcp://127.0.0.1:1883","topics":[)" + t + "]}", "clientId",
       "clientId: is required"},
      {R"({"broker":"tcp://127.0.0.1:1883","clientId":"line 1","topics":[)" + t + "]}", "clientId",
       "clientId: must be 1 to 23 letters, digits, - or _"},
      {ok_head + R"("cleanSession":"yes","topics":[)" + t + "]}", "cleanSession",
       "cleanSession: must be true or false"},
      {ok_head + R"("passwordFile":"/etc/custody/mqtt.password","topics":[)" + t + "]}",
       "passwordFile", "passwordFile: needs a username"},
      {ok_head + R"("username":"u","passwordFile":"/nonexistent/mqtt.password","topics":[)" + t +
           "]}",
       "passwordFile", "passwordFile: cannot read /nonexistent/mqtt.password"},
      {ok_head + R"("tls":{"caFile":"/etc/ssl/ca.crt"},"topics":[)" + t + "]}", "tls",
       "tls: is for an ssl:// broker only"},
      {R"({"broker":"ssl://127.0.0.1:8883","clientId":"line-1","topics":[)" + t + "]}", "tls",
       "tls: is required for an ssl:// broker"},
      {R"({"broker":"ssl://127.0.0.1:8883","clientId":"line-1","tls":{"certFile":"c.pem",)"
       R"("caFile":"ca.pem"},"topics":[)" +
           t + "]}",
       "tls.keyFile", "tls.keyFile: must be given with certFile"},
      {ok_head + R"("password":"hunter2","topics":[)" + t + "]}", "password",
       "password: is not a setting of the mqtt driver"},
      {ok_head + R"("faultAfterMs":-1,"topics":[)" + t + "]}", "faultAfterMs",
       "faultAfterMs: must be a whole number from 0 to 3600000"},
      {ok_head + R"("topics":[]})", "topics", "topics: must list 1 to 1000 topics"},
      {ok_head + R"("topics":[{"topic":"plant/+/chlorine","equipment":"washer-1",)"
                 R"("param":"chlorine"}]})",
       "topics[0].topic", "topics[0].topic: must be an exact topic"},
      {ok_head + R"("topics":[{"topic":"a","equipment":"washer-1","param":"chlorine",)"
                 R"("path":"value"}]})",
       "topics[0].path", "topics[0].path: must be a JSON Pointer"},
      {ok_head + R"("topics":[{"topic":"a","equipment":"washer-1","param":"chlorine",)"
                 R"("timePath":"/ts"}]})",
       "topics[0].timePath", "topics[0].timePath: needs a path"},
      {ok_head + R"("topics":[{"topic":"a","equipment":"washer-1","param":"chlorine",)"
                 R"("paht":"/v"}]})",
       "topics[0].paht", "topics[0].paht: is not a setting of the mqtt driver"},
      {ok_head + R"("topics":[)" + t + "," + t + "]}", "topics[1].param",
       "topics[1].param: maps washer-1/chlorine a second time"},
      {ok_head + R"("topics":[{"topic":"a","equipment":"washer-1","param":"chlorine",)"
                 R"("scale":"x"}]})",
       "topics[0].scale", "topics[0].scale: must be a finite number"},
  };
  for (auto isolation : {plugin::Isolation::kInProcess, plugin::Isolation::kProcess}) {
    SCOPED_TRACE(isolation == plugin::Isolation::kProcess ? "process" : "in process");
    expect_config_refused("mqtt", cases,
                          [&](const std::string& config) { return driver(config, isolation); });
  }
}

}  // namespace
}  // namespace custody::testing
