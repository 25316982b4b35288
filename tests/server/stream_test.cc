// GET /v1/stream against a real `custody serve`: records as they commit, resumable from any
// seq without gap or duplicate (across a restart too), filtered by type, refused without
// credentials or from another origin, and a client that stops reading is cut off with 4008.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <thread>

#include "server/server_support.h"
#include "support/test_support.h"

namespace custody::testing {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

struct WsClient {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::error_code handshake_error;
  websocket::response_type response;
  std::string target_;
  std::string ended;  // how the stream ended, for a failure's message

  // `receive_buffer` (bytes), when not 0, shrinks the socket's receive buffer before it
  // connects: a client that stops reading then stalls the server after little data, however
  // slowly a loaded machine lets the server write.
  WsClient(int port, const std::string& target, const std::string& token,
           const std::string& origin = "", int receive_buffer = 0)
      : target_(target) {
    if (receive_buffer > 0) {
      ws.next_layer().open(tcp::v4());
      ws.next_layer().set_option(net::socket_base::receive_buffer_size(receive_buffer));
      ws.next_layer().connect(
          tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    } else {
      tcp::resolver resolver(ioc);
      net::connect(ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    }
    ws.set_option(websocket::stream_base::decorator([=](websocket::request_type& req) {
      if (!token.empty()) req.set(beast::http::field::authorization, "Bearer " + token);
      if (!origin.empty()) req.set(beast::http::field::origin, origin);
    }));
    ws.handshake(response, "127.0.0.1:" + std::to_string(port), target, handshake_error);
    if (handshake_error) {  // a refusal: checked against the API document like any answer
      HttpResponse r;
      r.status = static_cast<int>(response.result_int());
      r.headers["content-type"] = std::string(response[beast::http::field::content_type]);
      r.body = response.body();
      record_exchange("GET", target, r);
    }
  }

  // The next record's seq, or 0 when the stream ended (close_code() says how).
  std::uint64_t next_seq(std::string* type = nullptr) {
    beast::flat_buffer b;
    beast::error_code ec;
    ws.read(b, ec);
    if (ec) {
      ended = ec.message() + " (close " + std::to_string(ws.reason().code) + ": " +
              std::string(ws.reason().reason.data(), ws.reason().reason.size()) + ")";
      return 0;
    }
    const std::string frame = beast::buffers_to_string(b.data());
    record_exchange("WS", target_,
                    HttpResponse{101, {{"content-type", "application/json"}}, frame});
    auto v = boost::json::parse(frame);
    if (type != nullptr) *type = std::string(v.at("type").as_string());
    return v.at("seq").to_number<std::uint64_t>();
  }
  [[nodiscard]] int close_code() const { return ws.reason().code; }
};

std::string note(int i) {
  return R"({"type":"note.add","commandId":"w)" + std::to_string(i) +
         R"(","data":{"subject":"line-1","text":"stream"}})";
}

class Stream : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_custody({"init", dir().string()}).exit_code, 0);
    auto op = run_custody({"token", "create", dir().string(), "--id", "op", "--role", "operator"});
    op_ = std::string(boost::json::parse(op.out).at("token").as_string());
    auto au = run_custody({"token", "create", dir().string(), "--id", "au", "--role", "auditor"});
    auditor_ = std::string(boost::json::parse(au.out).at("token").as_string());
  }
  [[nodiscard]] fs::path dir() const { return tmp_ / "ledger"; }
  void post_notes(HttpClient& c, int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_EQ(c.request("POST", "/v1/commands", note(i), op_).status, 200);
    }
  }
  TempDir tmp_;
  std::string op_, auditor_;
};

TEST_F(Stream, RecordsArriveAsTheyCommitAndResumeWithoutGapOrDuplicate) {
  auto server = std::make_unique<ServeProcess>(dir());
  ASSERT_TRUE(server->started());
  HttpClient http(server->port());
  // 1 and 2 are the tokens, then the default signature policy the server recorded.
  const auto head = boost::json::parse(http.request("GET", "/v1/checkpoint", "", auditor_).body);
  const auto base = head.at("head").to_number<std::uint64_t>();
  ASSERT_GT(base, 2u);
  post_notes(http, 0, 10);  // base+1 .. base+10
  WsClient ws(server->port(), "/v1/stream?from=1", auditor_);
  ASSERT_FALSE(ws.handshake_error) << ws.handshake_error.message();
  for (std::uint64_t want = 1; want <= base + 10; ++want)
    ASSERT_EQ(ws.next_seq(), want) << ws.ended;
  post_notes(http, 10, 15);  // live
  for (std::uint64_t want = base + 11; want <= base + 15; ++want)
    ASSERT_EQ(ws.next_seq(), want) << ws.ended;

  // Across a restart: resume from the next seq, nothing missed, nothing twice.
  const auto stopped = server->stop(SIGTERM);
  EXPECT_EQ(stopped.code, 0) << stopped.err;
  EXPECT_EQ(ws.next_seq(), 0u);
  EXPECT_EQ(ws.close_code(), 1001);  // going away
  server = std::make_unique<ServeProcess>(dir());
  ASSERT_TRUE(server->started());
  HttpClient http2(server->port());
  post_notes(http2, 15, 20);  // the policy is there already: nothing else is written
  WsClient again(server->port(), "/v1/stream?from=" + std::to_string(base + 16), auditor_);
  ASSERT_FALSE(again.handshake_error);
  for (std::uint64_t want = base + 16; want <= base + 20; ++want) {
    ASSERT_EQ(again.next_seq(), want) << again.ended;
  }

  // Only some types.
  WsClient tokens(server->port(), "/v1/stream?from=1&types=token.created", auditor_);
  std::string type;
  EXPECT_EQ(tokens.next_seq(&type), 1u);
  EXPECT_EQ(type, "token.created");
  EXPECT_EQ(tokens.next_seq(&type), 2u);
}

TEST_F(Stream, ItIsRefusedWithoutCredentialsRoleOrFromAnotherOrigin) {
  ServeProcess server(dir());
  ASSERT_TRUE(server.started());
  WsClient none(server.port(), "/v1/stream", "");
  EXPECT_TRUE(none.handshake_error);
  EXPECT_EQ(none.response.result_int(), 401u);
  WsClient op(server.port(), "/v1/stream", op_);  // operators do not read the log
  EXPECT_EQ(op.response.result_int(), 403u);
  WsClient other(server.port(), "/v1/stream", auditor_, "https://evil.example");
  EXPECT_EQ(other.response.result_int(), 403u);
  WsClient same(server.port(), "/v1/stream", auditor_,
                "http://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_FALSE(same.handshake_error) << same.handshake_error.message();
  WsClient bad(server.port(), "/v1/stream?types=lot.eaten", auditor_);
  EXPECT_EQ(bad.response.result_int(), 400u);
  EXPECT_EQ(HttpClient(server.port()).request("GET", "/healthz").status, 200);
}

TEST_F(Stream, AClientThatStopsReadingIsCutOffWith4008) {
  {
    std::string many;
    for (int i = 0; i < 20000; ++i) {
      many += R"({"type":"note.add","commandId":"m)" + std::to_string(i) +
              R"(","actor":"user:a","data":{"subject":"s","text":")" + std::string(600, 'x') +
              "\"}}\n";
    }
    ASSERT_EQ(run_custody({"append", dir().string()}, many).exit_code, 0);
  }
  ServeProcess server(dir(), {"--stream-write-timeout", "0.5"});
  ASSERT_TRUE(server.started());
  // 20,000 records of some 700 bytes (14 MB) do not fit the kernel's buffers, and the
  // client's own is small: the server's writes stall long before the client reads again.
  WsClient slow(server.port(), "/v1/stream?from=1", auditor_, "", 4096);
  ASSERT_FALSE(slow.handshake_error);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // not reading: the pipe fills
  std::uint64_t last = 0;
  for (std::uint64_t s; (s = slow.next_seq()) != 0;) last = s;
  EXPECT_LT(last, 20002u);  // it did not get everything
  EXPECT_EQ(slow.close_code(), 4008);
  // The server is well.
  WsClient fine(server.port(), "/v1/stream?from=20000", auditor_);
  EXPECT_EQ(fine.next_seq(), 20000u);
}

}  // namespace
}  // namespace custody::testing
