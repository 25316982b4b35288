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
// and latency percentiles for both, and the same load from two epoll loops of 32 connections
// each (the shape of wrk, in C++) and from `wrk -t2 -c64`. The four take turns in
// CUSTODY_BENCH_SLICES slices (default 6) of N/4/slices commands (wrk: a third of
// CUSTODY_BENCH_WRK_SECONDS over the slices), so that each meets the same moments of a VM
// whose speed moves. CUSTODY_BENCH_ROUNDS repeats that on fresh ledgers and adds the medians.
// Each HTTP client has a server and ledger of its own.
//
// Sign-in and signatures: POST /v1/session 30 times in a row; then, signed in, 30 signatures
// (a challenge, then its confirmation with the password): the latency of each step.
//
// Reads under wrk: a generated plant month (CUSTODY_BENCH_DAYS, default 30) served; `wrk -t2
// -c64 -d60s` (CUSTODY_BENCH_WRK_SECONDS) on GET /v1/lots/{id} over the month's received lots
// in turn; requests/s and latency percentiles, and the server's RSS every 5 s.
//
// Live streams: 1,000 WebSocket subscribers (CUSTODY_BENCH_SUBSCRIBERS) on GET /v1/stream
// while 8 producers append N/400 note.add commands each in batches of 100; records delivered
// per second over all subscribers, and the server's RSS.
//
// CUSTODY_BENCH_PARTS (bulk,single,sign,wrk,ws; default all) runs some of them;
// CUSTODY_BENCH_SERVE_THREADS sets the server's --threads.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
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
      // CUSTODY_BENCH_SERVE_THREADS: the server's --threads (its own default when unset).
      const char* threads = std::getenv("CUSTODY_BENCH_SERVE_THREADS");
      if (threads != nullptr && *threads != '\0') {
        ::execl(bin.c_str(), bin.c_str(), "serve", d.c_str(), "--listen", "127.0.0.1:0",
                "--threads", threads, static_cast<char*>(nullptr));
      } else {
        ::execl(bin.c_str(), bin.c_str(), "serve", d.c_str(), "--listen", "127.0.0.1:0",
                static_cast<char*>(nullptr));
      }
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
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int port() const { return std::atoi(url_.substr(url_.rfind(':') + 1).c_str()); }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

std::string note_line(std::uint64_t k, bool with_actor) {
  return R"({"type":"note.add","commandId":"b-)" + std::to_string(k) + "\"" +
         (with_actor ? R"(,"actor":"user:bench")" : "") + R"(,"data":{"subject":"line-)" +
         std::to_string(k % 64) + R"(","text":")" + std::string(50, 'x') + "\"}}";
}

// A ledger with an operator token; returns the token's secret. `history`: one that takes a
// past month as it was (`init --import-history`: nothing in it is a late entry).
std::string ledger_with_token(const std::filesystem::path& dir, bool history = false) {
  const std::string bin = CUSTODY_BINARY;
  run(bin + " init " + dir.string() + (history ? " --import-history" : "") + " >/dev/null");
  auto out = run(bin + " token create " + dir.string() + " --id bench --role operator");
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  if (ec) return {};
  return std::string(v.at("token").as_string());
}

bool part(const char* name) {
  const char* v = std::getenv("CUSTODY_BENCH_PARTS");
  if (v == nullptr || *v == '\0') return true;
  const std::string list = std::string(",") + v + ",";
  return list.find(std::string(",") + name + ",") != std::string::npos;
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

// The resident set of a process, in MiB, from /proc.
double rss_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return 0;
}

// Samples a process's RSS every `every` until stopped: the samples, in MiB.
class RssSampler {
 public:
  RssSampler(pid_t pid, std::chrono::milliseconds every)
      : thread_([this, pid, every] {
          while (!stop_.load()) {
            {
              std::lock_guard lock(mu_);
              samples_.push_back(rss_mib(pid));
            }
            for (auto slept = std::chrono::milliseconds(0); slept < every && !stop_.load();
                 slept += std::chrono::milliseconds(50)) {
              std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
          }
        }) {}
  std::vector<double> stop() {
    stop_ = true;
    thread_.join();
    return samples_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<double> samples_;
  std::thread thread_;
};

std::string joined_samples(const std::vector<double>& v) {
  std::string out;
  for (double x : v) {
    if (!out.empty()) out += ' ';
    out += std::to_string(static_cast<int>(x + 0.5));
  }
  return out;
}

// A plain TCP connection to 127.0.0.1:port, or -1.
int dial(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One WebSocket subscriber read by the epoll loop below: the upgrade's answer, then frames.
struct Subscriber {
  int fd = -1;
  std::string buf;
  bool upgraded = false;
  std::uint64_t frames = 0;

  // Consumes what `buf` holds; false on a refused upgrade or a close frame.
  bool consume() {
    if (!upgraded) {
      const auto end = buf.find("\r\n\r\n");
      if (end == std::string::npos) return true;
      if (buf.compare(9, 3, "101") != 0) return false;
      upgraded = true;
      buf.erase(0, end + 4);
    }
    std::size_t at = 0;
    while (buf.size() - at >= 2) {
      const auto b0 = static_cast<unsigned char>(buf[at]);
      const auto b1 = static_cast<unsigned char>(buf[at + 1]) & 0x7f;
      std::size_t header = 2, length = b1;
      if (b1 == 126) {
        if (buf.size() - at < 4) break;
        header = 4;
        length = (static_cast<unsigned char>(buf[at + 2]) << 8) |
                 static_cast<unsigned char>(buf[at + 3]);
      } else if (b1 == 127) {
        if (buf.size() - at < 10) break;
        header = 10;
        length = 0;
        for (int i = 0; i < 8; ++i) {
          length =
              (length << 8) | static_cast<unsigned char>(buf[at + 2 + static_cast<std::size_t>(i)]);
        }
      }
      if (buf.size() - at < header + length) break;
      const unsigned opcode = b0 & 0x0f;
      if (opcode == 8) return false;
      if (opcode == 1) ++frames;
      at += header + length;
    }
    buf.erase(0, at);
    return true;
  }
};

// Single commands from 64 kept-alive connections driven by two epoll loops (32 connections
// each), every connection posting one command to POST /v1/commands and waiting for its answer
// before the next: the shape of `wrk -t2 -c64`, with the same commands as the other paths
// (note_line(first + k), k stepping by 64 per connection, as run_64_waiting does). Commands/s;
// an answer other than 200, or a connection lost, counts in `failed`.
double epoll_64_waiting(int port, const std::string& token, std::uint64_t n, std::uint64_t first,
                        std::vector<double>* latencies_ms, std::atomic<std::uint64_t>& failed) {
  struct Conn {
    int fd = -1;
    std::uint64_t k = 0;
    std::string buf;
    std::chrono::steady_clock::time_point sent;
  };
  const std::string head = "POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                           "\r\nAuthorization: Bearer " + token +
                           "\r\nContent-Type: application/json\r\nContent-Length: ";
  auto send_next = [&](Conn& c) {
    const std::string body = note_line(first + c.k, false);
    const std::string req = head + std::to_string(body.size()) + "\r\n\r\n" + body;
    c.sent = std::chrono::steady_clock::now();
    for (std::size_t at = 0; at < req.size();) {
      const ssize_t w = ::send(c.fd, req.data() + at, req.size() - at, MSG_NOSIGNAL);
      if (w <= 0) return false;
      at += static_cast<std::size_t>(w);
    }
    return true;
  };
  // The length of the whole answer at the front of `buf`, 0 while it is incomplete.
  auto answer_length = [](const std::string& buf) -> std::size_t {
    const auto end = buf.find("\r\n\r\n");
    if (end == std::string::npos) return 0;
    std::string fields = buf.substr(0, end);
    std::transform(fields.begin(), fields.end(), fields.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const auto cl = fields.find("\r\ncontent-length:");
    const std::size_t length =
        cl == std::string::npos ? 0 : std::strtoull(fields.c_str() + cl + 17, nullptr, 10);
    return buf.size() >= end + 4 + length ? end + 4 + length : 0;
  };
  std::vector<std::vector<double>> lat(2);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> loops;
  for (std::size_t t = 0; t < 2; ++t) {
    loops.emplace_back([&, t] {
      const int ep = ::epoll_create1(EPOLL_CLOEXEC);
      std::vector<Conn> conns(32);
      std::size_t open = 0;
      for (std::size_t i = 0; i < conns.size(); ++i) {
        Conn& c = conns[i];
        c.k = t * 32 + i;
        if (c.k >= n) continue;
        c.fd = dial(port);
        if (c.fd < 0) {
          failed.fetch_add(1);
          continue;
        }
        const int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &c;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        if (send_next(c)) ++open;
      }
      char chunk[16384];
      while (open > 0) {
        epoll_event events[64];
        const int ready = ::epoll_wait(ep, events, 64, 10000);
        if (ready <= 0) break;  // ten seconds without an answer: give up on the rest
        for (int e = 0; e < ready; ++e) {
          Conn& c = *static_cast<Conn*>(events[e].data.ptr);
          const ssize_t got = ::recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
          if (got <= 0) {
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            failed.fetch_add(1);
            ::close(c.fd);
            --open;
            continue;
          }
          c.buf.append(chunk, static_cast<std::size_t>(got));
          const std::size_t length = answer_length(c.buf);
          if (length == 0) continue;
          lat[t].push_back(seconds_since(c.sent) * 1e3);
          if (c.buf.compare(9, 3, "200") != 0) failed.fetch_add(1);
          c.buf.erase(0, length);
          c.k += 64;
          if (c.k < n && send_next(c)) continue;
          if (c.k < n) failed.fetch_add(1);
          ::close(c.fd);
          --open;
        }
      }
      failed.fetch_add(open);
      ::close(ep);
    });
  }
  for (auto& l : loops) l.join();
  const double secs = seconds_since(t0);
  if (latencies_ms != nullptr) {
    for (auto& l : lat) latencies_ms->insert(latencies_ms->end(), l.begin(), l.end());
  }
  return static_cast<double>(n) / secs;
}

// What one wrk run said: requests, seconds, latency percentiles (ms), non-2xx answers.
struct WrkRun {
  double requests = 0, seconds = 0, p50_ms = 0, p99_ms = 0;
  std::uint64_t non_2xx = 0;
};

// A duration as wrk prints it ("812.00us", "2.02ms", "1.10s"), in ms.
double wrk_ms(const std::string& word) {
  const double v = std::strtod(word.c_str(), nullptr);
  if (word.ends_with("us")) return v / 1000;
  if (word.ends_with("ms")) return v;
  if (word.ends_with("m")) return v * 60000;
  return v * 1000;
}

WrkRun parse_wrk(const std::string& out) {
  WrkRun w;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string a, b, c, d, e;
    words >> a >> b >> c >> d >> e;
    if (b == "requests" && c == "in") {
      w.requests = std::strtod(a.c_str(), nullptr);
      w.seconds = wrk_ms(d.substr(0, d.find(','))) / 1000;
    } else if (a == "50%") {
      w.p50_ms = wrk_ms(b);
    } else if (a == "99%") {
      w.p99_ms = wrk_ms(b);
    } else if (a == "Non-2xx") {
      w.non_2xx = std::strtoull(e.c_str(), nullptr, 10);  // "Non-2xx or 3xx responses: N"
    }
  }
  return w;
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

  const fs::path base = scratch_dir("server");
  fs::create_directories(base);
  std::uint64_t failures = 0;

  // ---- bulk
  if (part("bulk")) {
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
  }

  // ---- single commands, 64 waiting clients
  const fs::path single_dir = base / "single";
  const std::string single_token = ledger_with_token(single_dir);
  if (part("single")) {
    // CUSTODY_BENCH_ROUNDS (default 1) rounds, each on fresh ledgers. Within a round the
    // four paths take turns, CUSTODY_BENCH_SLICES times (default 6): the in-process path, the
    // 64 Beast clients, the two epoll loops, wrk, then again. This VM's speed moves from one second
    // to the next; a path measured in one stretch of seconds and another in the next would compare
    // the host's moments as much as the paths. Taking turns, each path meets the same moments.
    const std::uint64_t rounds = std::max<std::uint64_t>(env_number("CUSTODY_BENCH_ROUNDS", 1), 1);
    const std::uint64_t slices =
        std::clamp<std::uint64_t>(env_number("CUSTODY_BENCH_SLICES", 6), 1, n);
    const std::uint64_t per_slice = n / slices;
    const std::uint64_t wrk_slice_seconds = std::max<std::uint64_t>(
        (env_number("CUSTODY_BENCH_WRK_SECONDS", 60) / 3 + slices / 2) / slices, 1);
    std::vector<double> in_rates, http_rates, epoll_rates, wrk_rates;
    for (std::uint64_t round = 0; round < rounds; ++round) {
      const std::string suffix = round == 0 ? "" : "-" + std::to_string(round);
      const fs::path http_dir = round == 0 ? single_dir : base / ("single" + suffix);
      const std::string http_token = round == 0 ? single_token : ledger_with_token(http_dir);
      const fs::path wrk_dir = base / ("single-wrk" + suffix);
      const std::string wrk_token = ledger_with_token(wrk_dir);
      const fs::path epoll_dir = base / ("single-epoll" + suffix);
      const std::string epoll_token = ledger_with_token(epoll_dir);
      auto ledger = fresh_ledger("server-inprocess" + suffix);
      Server server(http_dir), wrk_server(wrk_dir), epoll_server(epoll_dir);
      if (server.url().empty() || wrk_server.url().empty() || epoll_server.url().empty()) {
        std::fprintf(stderr, "custody serve did not start\n");
        return 1;
      }
      std::vector<std::unique_ptr<custody::server::Client>> clients;
      for (int t = 0; t < 64; ++t) {
        auto c = custody::server::Client::connect({server.url(), http_token, ""});
        if (!c) {
          std::fprintf(stderr, "connect: %s\n", c.error().message.c_str());
          return 1;
        }
        clients.push_back(std::move(*c));
      }
      std::vector<double> in_lat, http_lat, epoll_lat, wrk_p50, wrk_p99;
      double in_secs = 0, http_secs = 0, epoll_secs = 0, wrk_secs = 0, wrk_requests = 0;
      std::atomic<std::uint64_t> failed{0};
      for (std::uint64_t slice = 0; slice < slices; ++slice) {
        const std::uint64_t first = slice * per_slice;
        in_secs += static_cast<double>(per_slice) /
                   cli_path_64_waiting(*ledger, per_slice, &in_lat, first);
        http_secs += static_cast<double>(per_slice) /
                     run_64_waiting(
                         per_slice,
                         [&](std::uint64_t k, std::size_t t) {
                           auto r = clients[t]->post("/v1/commands", note_line(first + k, false),
                                                     "application/json");
                           if (!r || r->status != 200) failed.fetch_add(1);
                         },
                         &http_lat);
        epoll_secs +=
            static_cast<double>(per_slice) / epoll_64_waiting(epoll_server.port(), epoll_token,
                                                              per_slice, first, &epoll_lat, failed);
        // The same load from wrk (one C process, epoll, 2 threads, 64 connections each waiting
        // for its answer): far less client CPU on the cores the server shares. Each slice's
        // command ids start with its own prefix.
        const fs::path script = base / "post.lua";
        std::ofstream(script)
            << "local threads = 0\n"
               "function setup(thread) threads = threads + 1; thread:set('tid', threads) end\n"
               "local n = 0\n"
               "function request()\n"
               "  n = n + 1\n"
               "  local body = '{\"type\":\"note.add\",\"commandId\":\"w"
            << slice
            << "-' .. tid .. '-' .. n .. "
               "'\",\"data\":{\"subject\":\"line-' .. (n % 64) .. '\",\"text\":\"' .. "
               "string.rep('x', 50) .. '\"}}'\n"
               "  return wrk.format('POST', '/v1/commands', {['Content-Type'] = "
               "'application/json', ['Authorization'] = 'Bearer "
            << wrk_token << "'}, body)\nend\n";
        const WrkRun w =
            parse_wrk(run("wrk -t2 -c64 -d" + std::to_string(wrk_slice_seconds) +
                          "s --latency -s " + script.string() + " " + wrk_server.url() + " 2>&1"));
        wrk_requests += w.requests;
        wrk_secs += w.seconds;
        wrk_p50.push_back(w.p50_ms);
        wrk_p99.push_back(w.p99_ms);
        failures += w.non_2xx;
      }
      failures += failed.load();
      const double in_rate = static_cast<double>(per_slice * slices) / in_secs;
      const double http_rate = static_cast<double>(per_slice * slices) / http_secs;
      const double wrk_rate = wrk_secs > 0 ? wrk_requests / wrk_secs : 0;
      const double in_p50 = percentile(in_lat, 50), in_p99 = percentile(in_lat, 99);
      const double http_p50 = percentile(http_lat, 50), http_p99 = percentile(http_lat, 99);
      const double epoll_rate = static_cast<double>(per_slice * slices) / epoll_secs;
      std::printf(
          "single commands, 64 waiting%s, %llu slices in turn: in process %.0f commands/s (p50 "
          "%.2f ms, p99 %.2f ms); POST /v1/commands over 64 kept-alive connections %.0f "
          "commands/s (p50 %.2f ms, p99 %.2f ms); ratio %.2f; %llu failed\n",
          rounds > 1 ? (", round " + std::to_string(round + 1)).c_str() : "",
          static_cast<unsigned long long>(slices), in_rate, in_p50, in_p99, http_rate, http_p50,
          http_p99, http_rate / in_rate, static_cast<unsigned long long>(failures));
      std::printf(
          "  the same from wrk -t2 -c64 (%llu s a slice): %.0f commands/s (p50 %.2f-%.2f ms, "
          "p99 %.2f-%.2f ms over the slices); ratio %.2f to in process\n",
          static_cast<unsigned long long>(wrk_slice_seconds), wrk_rate,
          *std::min_element(wrk_p50.begin(), wrk_p50.end()),
          *std::max_element(wrk_p50.begin(), wrk_p50.end()),
          *std::min_element(wrk_p99.begin(), wrk_p99.end()),
          *std::max_element(wrk_p99.begin(), wrk_p99.end()), wrk_rate / in_rate);
      std::printf(
          "  the same from two epoll loops of 32 connections each: %.0f commands/s (p50 %.2f ms, "
          "p99 %.2f ms); ratio %.2f to in process\n",
          epoll_rate, percentile(epoll_lat, 50), percentile(epoll_lat, 99), epoll_rate / in_rate);
      in_rates.push_back(in_rate);
      http_rates.push_back(http_rate);
      epoll_rates.push_back(epoll_rate);
      wrk_rates.push_back(wrk_rate);
    }
    if (rounds > 1) {
      auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
      };
      std::vector<double> http_ratios, epoll_ratios, wrk_ratios;
      for (std::size_t r = 0; r < in_rates.size(); ++r) {
        http_ratios.push_back(http_rates[r] / in_rates[r]);
        epoll_ratios.push_back(epoll_rates[r] / in_rates[r]);
        wrk_ratios.push_back(wrk_rates[r] / in_rates[r]);
      }
      std::printf(
          "single commands, medians of %llu rounds: in process %.0f/s; POST /v1/commands from 64 "
          "threads %.0f/s, from two epoll loops %.0f/s, from wrk %.0f/s; ratios (each round's, "
          "their median) %.2f, %.2f and %.2f\n",
          static_cast<unsigned long long>(rounds), median(in_rates), median(http_rates),
          median(epoll_rates), median(wrk_rates), median(http_ratios), median(epoll_ratios),
          median(wrk_ratios));
    }
  }

  // ---- sign-in and signatures: argon2id at libsodium's INTERACTIVE limits, on the pool
  if (part("sign")) {
    const fs::path pw = base / "pw";
    std::ofstream(pw) << "bench sign-in passphrase 9\n";
    run(bin + " user add " + single_dir.string() +
        " --id bench-user --name Bench --role qa --password-file " + pw.string() + " >/dev/null");
    std::vector<double> sign_in, challenge, confirm;
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
      // Signed in once more: 30 signatures of a shift note, each a challenge and its confirmation.
      auto in = (*c)->post("/v1/session",
                           R"({"user":"bench-user","password":"bench sign-in passphrase 9"})",
                           "application/json");
      if (!in || in->status != 200) return 1;
      const std::string cookie = in->set_cookie.substr(0, in->set_cookie.find(';'));
      boost::system::error_code ec;
      const auto session = boost::json::parse(in->body, ec);
      if (ec) return 1;
      const custody::server::Client::Headers headers = {
          {"Cookie", cookie}, {"X-CSRF-Token", std::string(session.at("csrfToken").as_string())}};
      for (int i = 0; i < 30; ++i) {
        const auto c0 = std::chrono::steady_clock::now();
        auto ch = (*c)->post(
            "/v1/signatures/challenges",
            R"({"command":)" + note_line(1'000'000'000ULL + i, false) + R"(,"meaning":"reviewed"})",
            "application/json", headers);
        challenge.push_back(seconds_since(c0) * 1e3);
        if (!ch || ch->status != 200) {
          ++failures;
          continue;
        }
        const auto id = boost::json::parse(ch->body).at("challengeId").as_string();
        const auto c1 = std::chrono::steady_clock::now();
        auto ok = (*c)->post("/v1/signatures/challenges/" + std::string(id) + ":confirm",
                             R"({"user":"bench-user","password":"bench sign-in passphrase 9"})",
                             "application/json", headers);
        confirm.push_back(seconds_since(c1) * 1e3);
        if (!ok || ok->status != 200) ++failures;
      }
    }
    std::printf("sign-in (POST /v1/session, 30 in a row): p50 %.1f ms, p99 %.1f ms\n",
                percentile(sign_in, 50), percentile(sign_in, 99));
    std::printf(
        "signatures (30 in a row): challenge p50 %.1f ms, p99 %.1f ms; confirmation with the "
        "password p50 %.1f ms, p99 %.1f ms\n",
        percentile(challenge, 50), percentile(challenge, 99), percentile(confirm, 50),
        percentile(confirm, 99));
  }

  // ---- GET /v1/lots/{id} under wrk
  if (part("wrk")) {
    const fs::path dir = base / "plant";
    // The generated month starts on 2026-10-01: history by now, which a ledger made for
    // today would refuse as late entries (and every GET below would be a 404).
    const std::string token = ledger_with_token(dir, true);
    const fs::path plant = base / "plant.ndjson";
    run(bin + " gen plant --days " + std::to_string(env_number("CUSTODY_BENCH_DAYS", 30)) +
        " --seed 7 > " + plant.string());
    const std::string refused =
        run(bin + " append " + dir.string() + " " + plant.string() + " | grep -c '\"ok\":false'");
    if (std::strtoull(refused.c_str(), nullptr, 10) > 0) {
      std::fprintf(stderr, "the plant month was not appended whole: %s commands refused\n",
                   refused.substr(0, refused.find('\n')).c_str());
      return 1;
    }
    // The month's received lots, visited in turn by a wrk script.
    std::vector<std::string> lots;
    {
      std::ifstream in(plant);
      for (std::string line; std::getline(in, line);) {
        if (line.find(R"("type":"lot.receive")") == std::string::npos) continue;
        const auto at = line.find(R"("lot":")");
        if (at == std::string::npos) continue;
        lots.push_back(line.substr(at + 7, line.find('"', at + 7) - at - 7));
      }
    }
    const fs::path script = base / "lots.lua";
    {
      std::ofstream lua(script);
      lua << "local paths = {";
      for (const auto& l : lots) lua << "\"/v1/lots/" << l << "\",";
      lua << "}\nlocal n = 0\nrequest = function()\n  n = n % #paths + 1\n"
             "  return wrk.format(\"GET\", paths[n])\nend\n";
    }
    Server server(dir);
    if (server.url().empty()) return 1;
    const auto secs = env_number("CUSTODY_BENCH_WRK_SECONDS", 60);
    RssSampler rss(server.pid(), std::chrono::seconds(5));
    const std::string out =
        run("wrk -t2 -c64 -d" + std::to_string(secs) + "s --latency -s " + script.string() +
            " -H 'Authorization: Bearer " + token + "' " + server.url() + " 2>&1");
    auto samples = rss.stop();
    const WrkRun w = parse_wrk(out);
    std::printf(
        "GET /v1/lots/{id} over %zu lots, wrk -t2 -c64 -d%llus: %.0f requests in %.2f s, %.0f "
        "requests/s, p50 %.2f ms, p99 %.2f ms, %llu not 2xx\n",
        lots.size(), static_cast<unsigned long long>(secs), w.requests, w.seconds,
        w.seconds > 0 ? w.requests / w.seconds : 0, w.p50_ms, w.p99_ms,
        static_cast<unsigned long long>(w.non_2xx));
    std::printf("  server RSS every 5 s (MiB): %s\n", joined_samples(samples).c_str());
  }

  // ---- 1,000 WebSocket subscribers while 8 producers append
  if (part("ws")) {
    const fs::path dir = base / "ws";
    const std::string token = ledger_with_token(dir);
    // Subscribers read the log: an auditor's token.
    std::string reader;
    {
      boost::system::error_code ec;
      auto v = boost::json::parse(
          run(bin + " token create " + dir.string() + " --id reader --role auditor"), ec);
      if (ec) return 1;
      reader = std::string(v.at("token").as_string());
    }
    Server server(dir);
    if (server.url().empty()) return 1;
    rlimit nofile{};
    ::getrlimit(RLIMIT_NOFILE, &nofile);
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
    const auto count = env_number("CUSTODY_BENCH_SUBSCRIBERS", 1000);
    const std::uint64_t per_producer = std::max<std::uint64_t>(100, records() / 400 / 100 * 100);
    const std::uint64_t total = per_producer * 8;
    const double rss_before = rss_mib(server.pid());
    std::vector<Subscriber> subs(count);
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < subs.size(); ++i) {
      subs[i].fd = dial(server.port());
      if (subs[i].fd < 0) {
        std::fprintf(stderr, "subscriber %zu could not connect\n", i);
        return 1;
      }
      const std::string req =
          "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
          "Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
          "dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer " +
          reader + "\r\n\r\n";
      (void)!::write(subs[i].fd, req.data(), req.size());
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, subs[i].fd, &ev);
    }
    // Every subscriber upgraded before the producers start.
    std::size_t upgraded = 0, gone = 0;
    std::uint64_t delivered = 0;
    auto pump = [&](int timeout_ms) {
      epoll_event events[256];
      const int ready = ::epoll_wait(ep, events, 256, timeout_ms);
      char buf[65536];
      for (int e = 0; e < ready; ++e) {
        auto& sub = subs[events[e].data.u64];
        const ssize_t got = ::read(sub.fd, buf, sizeof buf);
        if (got <= 0) {
          ::epoll_ctl(ep, EPOLL_CTL_DEL, sub.fd, nullptr);
          ++gone;
          continue;
        }
        const bool was = sub.upgraded;
        const auto before = sub.frames;
        sub.buf.append(buf, static_cast<std::size_t>(got));
        if (!sub.consume()) {
          ::epoll_ctl(ep, EPOLL_CTL_DEL, sub.fd, nullptr);
          ++gone;
        }
        if (!was && sub.upgraded) ++upgraded;
        delivered += sub.frames - before;
      }
    };
    const auto u0 = std::chrono::steady_clock::now();
    while (upgraded + gone < subs.size() && seconds_since(u0) < 60) pump(100);
    const double rss_subscribed = rss_mib(server.pid());
    RssSampler rss(server.pid(), std::chrono::seconds(1));
    std::vector<std::thread> producers;
    std::atomic<std::uint64_t> produce_failed{0};
    const auto t0 = std::chrono::steady_clock::now();
    for (int p = 0; p < 8; ++p) {
      producers.emplace_back([&, p] {
        auto c = custody::server::Client::connect({server.url(), token, ""});
        if (!c) {
          produce_failed.fetch_add(per_producer);
          return;
        }
        for (std::uint64_t k = 0; k < per_producer; k += 100) {
          std::string body;
          for (std::uint64_t j = k; j < k + 100; ++j) {
            body += note_line(static_cast<std::uint64_t>(p) * per_producer + j, false) + "\n";
          }
          auto r = (*c)->post("/v1/commands:batch", body, "application/x-ndjson");
          if (!r || r->status != 200) produce_failed.fetch_add(100);
        }
      });
    }
    const std::uint64_t want = total * (subs.size() - gone);
    while (delivered < want && seconds_since(t0) < 600 && gone < subs.size()) pump(100);
    const double secs = seconds_since(t0);
    for (auto& t : producers) t.join();
    auto samples = rss.stop();
    for (auto& sub : subs) ::close(sub.fd);
    ::close(ep);
    failures += produce_failed.load() + gone;
    std::printf(
        "live streams: %zu subscribers upgraded (%zu refused or cut); 8 producers appended "
        "%llu records; %llu records delivered in %.1f s: %.0f records/s over all "
        "subscribers; server RSS %.0f MiB idle, %.0f MiB subscribed, peak %.0f MiB while "
        "streaming\n",
        upgraded, gone, static_cast<unsigned long long>(total),
        static_cast<unsigned long long>(delivered), secs, static_cast<double>(delivered) / secs,
        rss_before, rss_subscribed,
        samples.empty() ? 0.0 : *std::max_element(samples.begin(), samples.end()));
  }
  return failures == 0 ? 0 : 1;
}
