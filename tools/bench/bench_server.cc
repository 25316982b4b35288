// The server: what the HTTP API costs against the paths that do not cross a socket, in the
// same run, on the same machine.
//
//   bench_server     env: CUSTODY_BENCH_RECORDS (default 400000; each part sends a quarter),
//                         CUSTODY_BENCH_DIR
//
// Bulk: N/4 note.add commands with 50-byte texts in one NDJSON file, appended by
// `custody append DIR FILE` (the baseline) and by `custody append --server URL FILE`, which
// posts them in batches of 5,000 to `POST /v1/commands:batch` of a `custody serve` on
// 127.0.0.1. Both are separate processes, timed from start to exit.
//
// Single commands: N/4 note.add commands from 64 threads, each with its own kept-alive
// connection, posting one command to `POST /v1/commands` and waiting for the answer; against
// the CLI's path in process (decode, then the sequencer) from 64 waiting threads. Commands/s
// and latency percentiles for both.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "bench_support.h"
#include "custody/server/client.h"

namespace custody::bench {
namespace {

std::uint64_t records() {
  const char* v = std::getenv("CUSTODY_BENCH_RECORDS");
  return v ? std::strtoull(v, nullptr, 10) : 400000;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  return out;
}

// `custody serve DIR --listen 127.0.0.1:0`, until destroyed.
class Server {
 public:
  explicit Server(const std::filesystem::path& dir) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      std::string bin = CUSTODY_BINARY, d = dir.string();
      ::execl(bin.c_str(), bin.c_str(), "serve", d.c_str(), "--listen", "127.0.0.1:0",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c = 0;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (!ec && v.is_object() && v.as_object().contains("serving")) {
      url_ = std::string(v.at("serving").as_string());
    }
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  [[nodiscard]] const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

std::string note_line(std::uint64_t k, bool with_actor) {
  return R"({"type":"note.add","commandId":"b-)" + std::to_string(k) + "\"" +
         (with_actor ? R"(,"actor":"user:bench")" : "") + R"(,"data":{"subject":"line-)" +
         std::to_string(k % 64) + R"(","text":")" + std::string(50, 'x') + "\"}}";
}

// A ledger with an operator token; returns the token's secret.
std::string ledger_with_token(const std::filesystem::path& dir) {
  const std::string bin = CUSTODY_BINARY;
  run(bin + " init " + dir.string() + " >/dev/null");
  auto out = run(bin + " token create " + dir.string() + " --id bench --role operator");
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  if (ec) return {};
  return std::string(v.at("token").as_string());
}

double timed_run(const std::string& command) {
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = std::system(command.c_str());
  const double secs = seconds_since(t0);
  if (rc != 0) std::fprintf(stderr, "failed (%d): %s\n", rc, command.c_str());
  return secs;
}

}  // namespace
}  // namespace custody::bench

int main() {
  using namespace custody::bench;
  namespace fs = std::filesystem;
  const std::uint64_t n = records() / 4;
  const std::string bin = CUSTODY_BINARY;
  std::printf("%s; %llu commands per part\n", machine_description().c_str(),
              static_cast<unsigned long long>(n));

  // ---- bulk
  const fs::path base = scratch_dir("server");
  fs::create_directories(base);
  const fs::path with_actor = base / "notes.ndjson", without = base / "notes-api.ndjson";
  {
    std::ofstream a(with_actor), b(without);
    for (std::uint64_t k = 0; k < n; ++k) {
      a << note_line(k, true) << "\n";
      b << note_line(k, false) << "\n";
    }
  }
  const fs::path cli_dir = base / "cli";
  run(bin + " init " + cli_dir.string() + " >/dev/null");
  const double cli_secs =
      timed_run(bin + " append " + cli_dir.string() + " " + with_actor.string() + " >/dev/null");
  const fs::path api_dir = base / "api";
  const std::string token = ledger_with_token(api_dir);
  const fs::path token_file = base / "token";
  std::ofstream(token_file) << token << "\n";
  double api_secs = 0;
  {
    Server server(api_dir);
    if (server.url().empty()) {
      std::fprintf(stderr, "custody serve did not start\n");
      return 1;
    }
    api_secs = timed_run(bin + " append --server " + server.url() + " --token-file " +
                         token_file.string() + " " + without.string() + " >/dev/null");
  }
  const double cli_rate = static_cast<double>(n) / cli_secs;
  const double api_rate = static_cast<double>(n) / api_secs;
  std::printf(
      "bulk: custody append %.0f commands/s; append --server (POST /v1/commands:batch) "
      "%.0f commands/s; ratio %.2f\n",
      cli_rate, api_rate, api_rate / cli_rate);

  // ---- single commands, 64 waiting clients
  std::vector<double> in_lat;
  double in_rate = 0;
  {
    auto ledger = fresh_ledger("server-inprocess");
    in_rate = cli_path_64_waiting(*ledger, n, &in_lat);
  }
  const fs::path single_dir = base / "single";
  const std::string single_token = ledger_with_token(single_dir);
  std::vector<double> http_lat;
  double http_rate = 0;
  std::uint64_t failures = 0;
  {
    Server server(single_dir);
    std::vector<std::unique_ptr<custody::server::Client>> clients;
    for (int t = 0; t < 64; ++t) {
      auto c = custody::server::Client::connect({server.url(), single_token, ""});
      if (!c) {
        std::fprintf(stderr, "connect: %s\n", c.error().message.c_str());
        return 1;
      }
      clients.push_back(std::move(*c));
    }
    std::atomic<std::uint64_t> failed{0};
    http_rate = run_64_waiting(
        n,
        [&](std::uint64_t k, std::size_t t) {
          auto r = clients[t]->post("/v1/commands", note_line(k, false), "application/json");
          if (!r || r->status != 200) failed.fetch_add(1);
        },
        &http_lat);
    failures = failed.load();
  }
  const double in_p50 = percentile(in_lat, 50), in_p99 = percentile(in_lat, 99);
  const double http_p50 = percentile(http_lat, 50), http_p99 = percentile(http_lat, 99);
  std::printf(
      "single commands, 64 waiting: in process %.0f commands/s (p50 %.2f ms, p99 %.2f "
      "ms); POST /v1/commands over 64 kept-alive connections %.0f commands/s (p50 %.2f "
      "ms, p99 %.2f ms); ratio %.2f; %llu failed\n",
      in_rate, in_p50, in_p99, http_rate, http_p50, http_p99, http_rate / in_rate,
      static_cast<unsigned long long>(failures));

  // ---- sign-in: argon2id at libsodium's INTERACTIVE limits, on the server's pool
  const fs::path pw = base / "pw";
  std::ofstream(pw) << "bench sign-in passphrase 9\n";
  run(bin + " user add " + single_dir.string() +
      " --id bench-user --name Bench --role operator --password-file " + pw.string() +
      " >/dev/null");
  std::vector<double> sign_in;
  {
    Server server(single_dir);
    auto c = custody::server::Client::connect({server.url(), "", ""});
    if (!c) return 1;
    for (int i = 0; i < 30; ++i) {
      const auto c0 = std::chrono::steady_clock::now();
      auto r = (*c)->post("/v1/session",
                          R"({"user":"bench-user","password":"bench sign-in passphrase 9"})",
                          "application/json");
      if (!r || r->status != 200) ++failures;
      sign_in.push_back(seconds_since(c0) * 1e3);
    }
  }
  std::printf("sign-in (POST /v1/session, 30 in a row): p50 %.1f ms, p99 %.1f ms\n",
              percentile(sign_in, 50), percentile(sign_in, 99));
  return failures == 0 ? 0 : 1;
}
