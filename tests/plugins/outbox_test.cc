// The outbox (plugins/outbox) delivering to a real HTTP receiver on 127.0.0.1, run by the
// test on its own thread: it reads each request (keep-alive, Content-Length bodies), keeps
// it, and answers with the status the test sets (200, 503), or is not listening at all.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "plugins/device_fixture.h"

namespace custody::testing {
namespace {

struct Request {
  std::string line;                            // "POST /hooks/custody HTTP/1.1"
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  int answered = 0;  // the status it got
};

class Receiver {
 public:
  Receiver() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    EXPECT_EQ(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this] { serve(); });
  }

  ~Receiver() {
    const std::uint64_t one = 1;
    EXPECT_EQ(::write(wake_fd_, &one, sizeof one), static_cast<ssize_t>(sizeof one));
    thread_.join();
    ::close(wake_fd_);
    ::close(listen_fd_);
  }

  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/custody?plant=line-1";
  }
  void answer(int status) { status_ = status; }

  std::vector<Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // The requests answered 2xx, in arrival order.
  std::vector<Request> accepted() {
    std::vector<Request> out;
    for (auto& r : requests()) {
      if (r.answered / 100 == 2) out.push_back(r);
    }
    return out;
  }

 private:
  void serve() {
    std::map<int, std::string> clients;  // fd -> bytes read, not yet a whole request
    for (;;) {
      std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      for (const auto& [fd, buffer] : clients) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents != 0) break;
      if (fds[1].revents & POLLIN) {
        const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) clients[c];
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        if (!read_from(fds[i].fd, clients[fds[i].fd])) {
          ::close(fds[i].fd);
          clients.erase(fds[i].fd);
        }
      }
    }
    for (const auto& [fd, buffer] : clients) ::close(fd);
  }

  // Reads what a client sent and answers each whole request; false when it has gone.
  bool read_from(int fd, std::string& buffer) {
    char buf[16 * 1024];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer.append(buf, static_cast<std::size_t>(n));
    for (;;) {
      const auto end = buffer.find("\r\n\r\n");
      if (end == std::string::npos) return true;
      Request r;
      std::size_t at = buffer.find("\r\n");
      r.line = buffer.substr(0, at);
      at += 2;
      while (at < end) {
        auto next = buffer.find("\r\n", at);
        const std::string line = buffer.substr(at, next - at);
        at = next + 2;
        const auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      const std::size_t length = std::stoul(r.headers["content-length"]);
      if (buffer.size() < end + 4 + length) return true;  // the body is still coming
      r.body = buffer.substr(end + 4, length);
      buffer.erase(0, end + 4 + length);
      r.answered = status_;
      const std::string answer = "HTTP/1.1 " + std::to_string(r.answered) +
                                 (r.answered == 200 ? " OK" : " Service Unavailable") +
                                 "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
      {
        std::lock_guard lock(mu_);
        requests_.push_back(std::move(r));
      }
      if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) < 0) return false;
    }
  }

  int listen_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  std::atomic<int> status_{200};
  std::mutex mu_;
  std::vector<Request> requests_;
  std::thread thread_;
};

std::string hmac_sha256_hex(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  std::string out;
  char two[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    out += two;
  }
  return out;
}

std::uint64_t seq_of(const Request& r) {
  return boost::json::parse(r.body).as_object().at("seq").to_number<std::uint64_t>();
}

class OutboxTest : public DeviceTest {
 protected:
  static constexpr const char* kSecret = "a-shared-secret-of-32-bytes-0001";

  void SetUp() override {
    DeviceTest::SetUp();
    secret_file_ = (tmp_ / "hook.secret").string();
    std::ofstream(secret_file_) << kSecret << "\n";
  }
  void TearDown() override {
    DeviceTest::TearDown();  // the outbox stops before its receiver goes away
    receiver_.reset();
  }

  Receiver& receiver() {
    receiver_ = std::make_unique<Receiver>();
    return *receiver_;
  }

  plugin::PluginConfig outbox(const std::string& config_json,
                              plugin::Isolation isolation = plugin::Isolation::kInProcess,
                              std::vector<std::string> grants = {"subscribe", "submit:exception"}) {
    return plugin("outbox", CUSTODY_PLUGIN_CUSTODY_OUTBOX, std::move(grants), isolation,
                  config_json);
  }

  std::string secret_file_;
  std::unique_ptr<Receiver> receiver_;
};

TEST_F(OutboxTest, SelectedRecordsGoInLogOrderWithTheirSeqKeyAndSignature) {
  master_data();
  Receiver& r = receiver();
  start_host({outbox(R"({"url":")" + r.url() + R"(","types":["lot.*"],"secretFile":")" +
                     secret_file_ + R"(","headers":{"X-Plant":"line-1"}})")});
  receive("L1", 100);
  receive("L2", 50);
  ok("lot.hold", R"({"lot":"L1","reason":"supplier recall notice"})");
  ok("note.add", R"({"subject":"shift-log","text":"not a lot record"})");
  receive("L3", 20);
  ASSERT_TRUE(eventually([&] { return r.accepted().size() == 4; }))
      << r.requests().size() << " requests";

  auto got = r.accepted();
  std::uint64_t last = 0;
  std::vector<std::string> types;
  for (const Request& q : got) {
    EXPECT_EQ(q.line, "POST /hooks/custody?plant=line-1 HTTP/1.1");
    auto record = boost::json::parse(q.body).as_object();
    const std::uint64_t seq = seq_of(q);
    EXPECT_GT(seq, last) << "out of log order";
    last = seq;
    types.emplace_back(record.at("type").as_string());
    EXPECT_EQ(q.headers.at("custody-seq"), std::to_string(seq));
    EXPECT_EQ(q.headers.at("custody-type"), types.back());
    EXPECT_EQ(q.headers.at("content-type"), "application/json");
    EXPECT_EQ(q.headers.at("x-plant"), "line-1");
    EXPECT_EQ(q.headers.at("idempotency-key").size(), 64u);
    // The signature, checked as a receiver would: HMAC-SHA256 of "<t>.<body>".
    const std::string sig = q.headers.at("custody-signature");
    const auto comma = sig.find(",v1=");
    ASSERT_EQ(sig.rfind("t=", 0), 0u) << sig;
    ASSERT_NE(comma, std::string::npos) << sig;
    const std::string t = sig.substr(2, comma - 2);
    EXPECT_EQ(sig.substr(comma + 4), hmac_sha256_hex(kSecret, t + "." + q.body));
    EXPECT_NE(sig.substr(comma + 4),
              hmac_sha256_hex("another-secret-0000000000000000", t + "." + q.body));
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"lot.received", "lot.received", "lot.held", "lot.received"}));
  // The same record always has the same key; different records different ones.
  EXPECT_NE(got[0].headers.at("idempotency-key"), got[1].headers.at("idempotency-key"));
  EXPECT_TRUE(logged(kSecret).empty()) << "the secret was logged";
}

// Stopped and started again, the outbox resumes after the last record it delivered: nothing
// skipped, nothing sent twice.
TEST_F(OutboxTest, ARestartResumesAfterTheLastRecordDelivered) {
  master_data();
  Receiver& r = receiver();
  const std::string config = R"({"url":")" + r.url() + R"(","types":["lot.received"]})";
  start_host({outbox(config, plugin::Isolation::kProcess)});
  receive("L1", 100);
  receive("L2", 50);
  ASSERT_TRUE(eventually([&] { return r.accepted().size() == 2; }));
  host_.reset();

  receive("L3", 20);
  receive("L4", 10);
  start_host({outbox(config, plugin::Isolation::kProcess)});
  ASSERT_TRUE(eventually([&] { return r.accepted().size() == 4; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // anything extra would show now
  auto got = r.accepted();
  ASSERT_EQ(got.size(), 4u) << "a record was sent twice";
  std::vector<std::string> lots;
  for (const Request& q : got) {
    lots.emplace_back(
        boost::json::parse(q.body).as_object().at("payload").as_object().at("lot").as_string());
  }
  EXPECT_EQ(lots, (std::vector<std::string>{"L1", "L2", "L3", "L4"}));
}

// An endpoint that fails: retried with backoff, nothing after the failing record is sent
// before it, one exception after alertAfterMs, the backlog shown as the plugin's position,
// and everything delivered in order once the endpoint answers again.
TEST_F(OutboxTest, AFailingEndpointIsRetriedInOrderRaisesOneExceptionAndCatchesUp) {
  master_data();
  Receiver& r = receiver();
  r.answer(503);
  start_host({outbox(R"({"url":")" + r.url() +
                         R"(","types":["lot.received"],"retryInitialMs":20,"retryMaxMs":100,)"
                         R"("alertAfterMs":300})",
                     plugin::Isolation::kProcess)});
  receive("L1", 100);
  receive("L2", 50);
  receive("L3", 20);
  ASSERT_TRUE(eventually([&] { return !records("exception.raised").empty(); }))
      << r.requests().size() << " requests; log: " << logged("outbox").size() << " "
      << (logged("outbox").empty() ? "" : logged("outbox").back());
  ASSERT_TRUE(eventually([&] { return r.requests().size() >= 4; }));

  // Every attempt so far was of the first record: it is retried, not skipped.
  const auto attempts = r.requests();
  const std::uint64_t first = seq_of(attempts[0]);
  for (const Request& q : attempts) EXPECT_EQ(seq_of(q), first);
  EXPECT_TRUE(r.accepted().empty());
  // The backlog: the host counts the records from the failing one on as not handled, and
  // says how many there are where people look (custody run's status, GET /v1/plugins).
  EXPECT_EQ(host_->status()[0].handled, first - 1);
  std::string status;
  codec::JsonWriter w(status);
  plugin::PluginHost::write_status_json(host_->status(), ledger_->head().seq, w);
  EXPECT_EQ(
      boost::json::parse(status).as_array()[0].as_object().at("backlog").to_number<std::uint64_t>(),
      ledger_->head().seq - (first - 1))
      << status;

  auto raised = records("exception.raised");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0]["actor"].as_string(), "plugin:outbox");
  auto e = raised[0]["payload"].as_object();
  EXPECT_EQ(text(e, "category"), "process");
  EXPECT_EQ(text(e, "severity"), "high");
  const std::string description = text(e, "description");
  EXPECT_NE(description.find("Outbox deliveries to " + r.url() + " failing"), std::string::npos)
      << description;
  EXPECT_NE(description.find("records from seq " + std::to_string(first) + " on are waiting"),
            std::string::npos)
      << description;
  EXPECT_NE(description.find("HTTP 503 Service Unavailable"), std::string::npos) << description;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(records("exception.raised").size(), 1u) << "raised more than once";

  // The endpoint is back: everything arrives, in order, each once.
  r.answer(200);
  ASSERT_TRUE(eventually([&] { return r.accepted().size() == 3; }));
  std::vector<std::string> lots;
  for (const Request& q : r.accepted()) {
    lots.emplace_back(
        boost::json::parse(q.body).as_object().at("payload").as_object().at("lot").as_string());
  }
  EXPECT_EQ(lots, (std::vector<std::string>{"L1", "L2", "L3"}));
  // Out of process, the plugin's log line travels through the runner after its POST.
  EXPECT_TRUE(
      eventually([&] { return !logged("resumed at seq " + std::to_string(first)).empty(); }));
  EXPECT_EQ(text(state("exception", text(e, "exception")), "status"), "open");
}

TEST_F(OutboxTest, AnEndpointNobodyListensOnIsRetriedUntilItListens) {
  master_data();
  // A port that was free a moment ago and has no listener now.
  std::string url;
  { url = Receiver().url(); }
  start_host({outbox(R"({"url":")" + url +
                     R"(","types":["lot.received"],"retryInitialMs":20,)"
                     R"("retryMaxMs":100,"alertAfterMs":0})")});
  receive("L1", 100);
  ASSERT_TRUE(eventually([&] { return !logged("Connection refused").empty(); }));
  ASSERT_TRUE(eventually([&] { return records("exception.raised").size() == 1; }));
  EXPECT_NE(text(records("exception.raised")[0]["payload"].as_object(), "description")
                .find("cannot connect to 127.0.0.1:"),
            std::string::npos);
}

TEST_F(OutboxTest, BadConfigRefusesToStartWithTheReasonAndWritesNothing) {
  const std::string u = R"("url":"http://127.0.0.1:9/hook")";
  const std::vector<ConfigCase> cases = {
      {R"({"types":["lot.*"]})", "url", "url: is required"},
      {R"({"url":"ftp://erp.example/hook"})", "url", "url: must start with http:// or https://"},
      {R"({"url":"https://user:pw@erp.example/hook"})", "url",
       "url: must not carry a user name or password"},
      {R"({"url":"http://erp.example:0/hook"})", "url", "url: has a port that is not 1 to 65535"},
      {"{" + u + R"(,"format":"xml"})", "format",
       "format: must be \"custody\" or \"epcis\", not \"xml\""},
      {"{" + u + R"(,"types":["Lot.Received"]})", "types[0]", "types[0]: must be a record type"},
      {"{" + u + R"(,"types":[]})", "types", "types: must list 1 to 200 record types"},
      {"{" + u + R"(,"headers":{"Content-Type":"text/plain"}})", "headers.Content-Type",
       "headers.Content-Type: is set by the outbox itself"},
      {"{" + u + R"(,"headers":{"X-Evil":"a\r\nHost: b"}})", "headers.X-Evil",
       "headers.X-Evil: must be a text of at most 1024 bytes without control characters"},
      {"{" + u + R"(,"headers":{"Bad Name":"x"}})", "headers.Bad Name",
       "headers.Bad Name: is not a header name"},
      {"{" + u + R"(,"caFile":"/etc/ssl/ca.pem"})", "caFile",
       "caFile: is for an https:// url only"},
      {"{" + u + R"(,"retryInitialMs":5000,"retryMaxMs":1000})", "retryMaxMs",
       "retryMaxMs: must not be below retryInitialMs"},
      {"{" + u + R"(,"timeoutMs":60000})", "timeoutMs",
       "timeoutMs: must be a whole number from 100 to 5000"},
      {"{" + u + R"(,"secretFile":"/nonexistent/hook.secret"})", "secretFile",
       "secretFile: cannot read /nonexistent/hook.secret"},
      {"{" + u + R"(,"secret":"hunter2"})", "secret", "secret: is not a setting of the outbox"},
  };
  expect_config_refused("outbox", cases, [&](const std::string& config) { return outbox(config); });
  // A secret too short to be one.
  const std::string short_secret = (tmp_ / "short.secret").string();
  std::ofstream(short_secret) << "hunter2\n";
  expect_config_refused(
      "outbox",
      {{"{" + u + R"(,"secretFile":")" + short_secret + R"("})", "secretFile",
        "secretFile: " + short_secret + " must hold a secret of at least 16 bytes"}},
      [&](const std::string& config) { return outbox(config); });
}

// In the "epcis" format each selected record goes as the EPCISDocument of its GS1 EPCIS 2.0
// events; a record with no EPCIS meaning (a shift note) is passed over, not sent empty.
TEST_F(OutboxTest, TheEpcisFormatSendsEachRecordsEventsAsAnEpcisDocument) {
  master_data();
  Receiver& r = receiver();
  start_host({outbox(R"({"url":")" + r.url() +
                         R"(","types":["lot.*","note.*"],"format":"epcis",)"
                         R"("secretFile":")" +
                         secret_file_ + R"("})",
                     plugin::Isolation::kInProcess, {"subscribe", "submit:exception", "read"})});
  receive("L1", 100);
  ok("note.add", R"({"subject":"shift-log","text":"no EPCIS meaning"})");
  ok("lot.hold", R"({"lot":"L1","reason":"supplier recall notice"})");
  receive("L2", 5);
  ASSERT_TRUE(eventually([&] { return r.accepted().size() == 3; }))
      << r.requests().size() << " requests";
  // Nothing more arrives for the note.
  ASSERT_TRUE(eventually([&] { return host_->status().front().handled == ledger_->head().seq; }));
  auto got = r.accepted();
  ASSERT_EQ(got.size(), 3u);
  const std::vector<std::string> steps = {"receiving", "holding", "receiving"};
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Request& q = got[i];
    EXPECT_EQ(q.headers.at("content-type"), "application/ld+json");
    EXPECT_EQ(q.headers.at("gs1-epcis-version"), "2.0.0");
    const std::uint64_t seq = std::stoull(q.headers.at("custody-seq"));
    EXPECT_GT(seq, last);
    last = seq;
    auto doc = boost::json::parse(q.body).as_object();
    EXPECT_EQ(doc.at("type"), "EPCISDocument");
    EXPECT_EQ(doc.at("schemaVersion"), "2.0");
    EXPECT_EQ(doc.at("epcisHeader").at("custody:seq").to_number<std::uint64_t>(), seq);
    auto& events = doc.at("epcisBody").at("eventList").as_array();
    ASSERT_EQ(events.size(), 1u) << q.body;
    EXPECT_EQ(events[0].at("type"), "ObjectEvent");
    EXPECT_EQ(events[0].at("bizStep").as_string(), steps[i]);
    EXPECT_EQ(std::string(events[0].at("eventID").as_string()).rfind("ni:///sha-256;", 0), 0u)
        << events[0].at("eventID");
    // Signed as the custody format is: HMAC-SHA256 of "<t>.<body>".
    const std::string sig = q.headers.at("custody-signature");
    const auto comma = sig.find(",v1=");
    ASSERT_NE(comma, std::string::npos) << sig;
    EXPECT_EQ(sig.substr(comma + 4),
              hmac_sha256_hex(kSecret, sig.substr(2, comma - 2) + "." + q.body));
  }
  EXPECT_EQ(got[0].headers.at("custody-type"), "lot.received");
  EXPECT_EQ(got[1].headers.at("custody-type"), "lot.held");
}

// "epcis" reads from the host: without the read capability the outbox refuses to start and
// says what to grant, and the host records the refused read.
TEST_F(OutboxTest, TheEpcisFormatWithoutTheReadCapabilityRefusesToStart) {
  master_data();
  const auto head = ledger_->head().seq;
  auto started = try_start_host({outbox(R"({"url":"http://127.0.0.1:9/hook","format":"epcis"})")});
  ASSERT_FALSE(started) << "the host started";
  EXPECT_NE(started.error().message.find("grant the outbox the read capability"), std::string::npos)
      << started.error().message;
  // A snapshot can read the denial a moment before the ledger's head() counts it (the head
  // moves once the write is recorded durable), so wait for both.
  ASSERT_TRUE(eventually(
      [&] { return records("access.denied").size() == 1 && ledger_->head().seq > head; }));
  auto denied = records("access.denied").front();
  EXPECT_EQ(denied.at("payload").at("capability"), "read");
  EXPECT_EQ(ledger_->head().seq, head + 1) << "more than the denial was written";
}

}  // namespace
}  // namespace custody::testing
