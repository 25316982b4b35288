// The HTTP request path of `custody serve`: bytes as a client sends them, parsed by Beast with
// the server's header and body limits, the request's fields taken as http.cc takes them, and
// answered by the API (every route, authority check and decoder behind it) on a real ledger
// with an admin token the seeds use. A WebSocket upgrade goes where http.cc sends it, the
// stream's checks. Any bytes give a response or a refusal to parse, never a crash, a leak or
// a hang, and every response is well-formed: a status custody uses, a JSON body that parses,
// every error with a stable code and a message, and no header that could split the response.
#include <signal.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <string>

#include "custody/common/error.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/plant.h"
#include "custody/ledger/ledger.h"
#include "custody/server/api.h"
#include "custody/server/credentials.h"
#include "custody/server/metrics.h"
#include "request_fields.h"

namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using namespace custody;

// The admin token of the seeds: "Authorization: Bearer " this.
constexpr std::string_view kToken = "cty_fuzz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

[[noreturn]] void setup_failed(const std::string& why) {
  std::fprintf(stderr, "fuzz_http: cannot set up the server: %s\n", why.c_str());
  std::abort();
}

struct Server {
  fs::path dir;
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<server::Credentials> credentials;
  server::Metrics metrics;
  std::unique_ptr<server::Api> api;
};

fs::path g_dir;

// A ledger in memory-backed /dev/shm (commits fsync), an admin token, and the API over them.
Server* start() {
  auto* s = new Server;
  const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  // Ledgers left by runs that crashed or were killed (atexit did not run for them).
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("custody-fuzz-http-")) continue;
    const long pid = std::strtol(name.c_str() + std::strlen("custody-fuzz-http-"), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      fs::remove_all(entry.path(), ec);
    }
  }
  s->dir = base / ("custody-fuzz-http-" + std::to_string(::getpid()));
  fs::remove_all(s->dir);
  g_dir = s->dir;
  std::atexit([] { fs::remove_all(g_dir); });
  auto machine = domain::make_state_machine();
  if (auto r = ledger::Ledger::init(s->dir, {}, *machine); !r) setup_failed(r.error().message);
  auto opened =
      ledger::Ledger::open(s->dir, ledger::OpenMode::kReadWrite, domain::make_state_machine(), {});
  if (!opened) setup_failed(opened.error().message);
  s->ledger = std::move(*opened);
  auto token = domain::decode_command(
      R"({"type":"token.create","commandId":"fuzz-token","actor":"user:fuzz-admin",)"
      R"("data":{"token":"fuzz","role":"admin","commandTypes":[]}})");
  if (!token) setup_failed(token.error().message);
  if (auto r = s->ledger->submit(std::move(*token)).get(); !r) setup_failed(r.error().message);
  auto credentials = server::Credentials::load(s->dir);
  if (!credentials) setup_failed(credentials.error().message);
  s->credentials = std::move(*credentials);
  if (auto r = s->credentials->set_token_hash("fuzz", server::token_hash(kToken)); !r) {
    setup_failed(r.error().message);
  }
  s->api = std::make_unique<server::Api>(*s->ledger, *s->credentials, s->metrics, nullptr);
  return s;
}

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string::npos;
}

void check(const server::Response& r) {
  // 500 is not among them: no request, however hostile, may find an internal error. 406 and
  // 501 are GS1's EPCIS binding's (a GS1-EPCIS-Version it does not speak, a part of the
  // binding it does not implement).
  static const std::set<unsigned> kStatuses = {200, 201, 202, 204, 400, 401, 403, 404,
                                               405, 406, 409, 413, 415, 422, 429, 501};
  if (!kStatuses.contains(r.status)) {
    std::fprintf(stderr, "unexpected status %u\n", r.status);
    std::abort();
  }
  if (has_line_break(r.content_type)) std::abort();
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || has_line_break(name) || has_line_break(value)) std::abort();
  }
  if (!(r.content_type.starts_with("application/json") ||
        r.content_type.starts_with("application/problem+json")) ||
      r.body.empty()) {
    return;
  }
  boost::system::error_code ec;
  const auto body = boost::json::parse(r.body, ec);
  if (ec) {
    std::fprintf(stderr, "a JSON response that does not parse: %s\n", r.body.c_str());
    std::abort();
  }
  if (r.status < 400) return;
  auto known = [](const boost::json::value* code) {
    if (code == nullptr || !code->is_string()) return false;
    for (int c = 0; c <= static_cast<int>(kLastErrorCode); ++c) {
      if (code->as_string() == code_name(static_cast<ErrorCode>(c))) return true;
    }
    return false;
  };
  if (r.content_type.starts_with("application/problem+json")) {
    // GS1's EPCIS binding: an RFC 7807 problem with an epcisException type, the answer's
    // status and, when it names one, a known custody code.
    const auto* o = body.if_object();
    if (o == nullptr) std::abort();
    const auto* type = o->if_contains("type");
    const auto* title = o->if_contains("title");
    const auto* status = o->if_contains("status");
    if (type == nullptr || !type->is_string() ||
        !type->as_string().starts_with("epcisException:") || title == nullptr ||
        !title->is_string() || title->as_string().empty() || status == nullptr ||
        !status->is_int64() || status->as_int64() != static_cast<std::int64_t>(r.status)) {
      std::abort();
    }
    if (o->contains("code") && !known(o->if_contains("code"))) std::abort();
    return;
  }
  // Every other refusal: {"ok":false,"error":{"code","message","field"}} with a known code.
  const auto* error = body.is_object() ? body.as_object().if_contains("error") : nullptr;
  if (error == nullptr || !error->is_object()) std::abort();
  const auto* message = error->as_object().if_contains("message");
  if (!known(error->as_object().if_contains("code")) || message == nullptr ||
      !message->is_string() || message->as_string().empty()) {
    std::abort();
  }
}

Server* g_server = nullptr;

}  // namespace

// The ledger and the API are set up once, before any input (and outside the per-input
// timeout: a starved machine can take seconds to create a ledger).
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  g_server = start();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Server* s = g_server;
  // As http.cc reads a request: the server's header limit, then the body's.
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < size && !parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec) return 0;  // the server answers 400 or 413 and hangs up
    used += n;
    if (n == 0) break;
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  auto req = parser.release();
  server::Request r = server::request_fields(req, "127.0.0.1:40000", false);
  if (boost::beast::websocket::is_upgrade(req)) {
    auto begun = s->api->open_stream(r, std::string(req[http::field::origin]),
                                     std::string(req[http::field::host]));
    if (auto* refused = std::get_if<server::Response>(&begun)) {
      check(*refused);
      return 0;
    }
    const auto& start = std::get<server::Api::StreamStart>(begun);
    std::uint64_t next = 0;
    auto frames = s->api->stream_records(start.from, 16, start.types, next);
    if (frames) {
      for (const auto& f : *frames) {
        boost::system::error_code json_ec;
        (void)boost::json::parse(f, json_ec);
        if (json_ec) std::abort();
      }
    }
    return 0;
  }
  r.body = std::move(req.body());
  std::promise<server::Response> answered;
  auto response = answered.get_future();
  s->api->handle(std::move(r),
                 [&answered](server::Response resp) { answered.set_value(std::move(resp)); });
  check(response.get());
  return 0;
}
