#include "server/server_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "support/test_support.h"

namespace custody::testing {
namespace {

// Reads what is available on fd within `ms`; false at EOF or error.
bool read_some(int fd, std::string& into, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return true;  // nothing yet
  char buf[65536];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  into.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::string read_all(int fd) {
  std::string out;
  while (read_some(fd, out, 10000)) {
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

ServeProcess::ServeProcess(const std::filesystem::path& dir, std::vector<std::string> args) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<std::string> all = {CUSTODY_BINARY, "serve", dir.string(), "--listen",
                                    "127.0.0.1:0"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  // The first stdout line says where it serves: {"ok":true,"serving":"http://127.0.0.1:PORT",...}
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    if (!read_some(out_fd_, text, 100)) break;
  }
  const auto nl = text.find('\n');
  if (nl == std::string::npos) {
    read_some(err_fd_, stderr_text_, 100);
    ADD_FAILURE() << "custody serve did not start: " << text << stderr_text_;
    return;
  }
  first_line_ = text.substr(0, nl);
  auto v = boost::json::parse(first_line_);
  url_ = std::string(v.at("serving").as_string());
  port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

ServeProcess::Exit ServeProcess::stop(int sig) {
  Exit e;
  if (pid_ <= 0) return e;
  ::kill(pid_, sig);
  e.out = read_all(out_fd_);
  e.err = stderr_text_ + read_all(err_fd_);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  e.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return e;
}

boost::json::value HttpResponse::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) return boost::json::value(nullptr);
  return v;
}

HttpClient::HttpClient(int port) : port_(port) {}

HttpClient::~HttpClient() {
  if (fd_ >= 0) ::close(fd_);
}

int dial_loopback(int port) {
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

void HttpClient::connect() {
  if (fd_ >= 0) ::close(fd_);
  pending_.clear();
  fd_ = dial_loopback(port_);
  if (fd_ < 0) return;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void HttpClient::send_only(const std::string& bytes) {
  if (fd_ < 0) connect();
  // "METHOD TARGET HTTP/1.1" when the bytes begin like a request: what a later raw() answer
  // is recorded as answering.
  if (!bytes.empty()) {
    const auto sp1 = bytes.find(' ');
    const auto sp2 = sp1 == std::string::npos ? sp1 : bytes.find(' ', sp1 + 1);
    const auto eol = bytes.find("\r\n");
    const bool request_line = sp2 != std::string::npos && eol != std::string::npos && sp2 < eol;
    sent_method_ = request_line ? bytes.substr(0, sp1) : "";
    sent_target_ = request_line ? bytes.substr(sp1 + 1, sp2 - sp1 - 1) : "";
  }
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

HttpResponse HttpClient::read_response(std::chrono::milliseconds timeout) {
  HttpResponse r;
  if (fd_ < 0) return r;  // not connected (poll would wait out the timeout on it)
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t header_end = std::string::npos;
  auto left = [&] {
    return static_cast<int>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now())
               .count()));
  };
  while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (left() == 0 || !read_some(fd_, pending_, left())) return r;
  }
  const std::string head = pending_.substr(0, header_end);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  r.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[lower(line.substr(0, colon))] = value;
  }
  std::size_t length = 0;
  if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
    length = std::stoul(it->second);
  }
  const std::size_t body_start = header_end + 4;
  while (pending_.size() < body_start + length) {
    if (left() == 0 || !read_some(fd_, pending_, left())) break;
  }
  r.body = pending_.substr(body_start, length);
  pending_.erase(0, std::min(pending_.size(), body_start + length));
  if (auto it = r.headers.find("connection");
      it != r.headers.end() && lower(it->second) == "close") {
    ::close(fd_);
    fd_ = -1;
  }
  return r;
}

void record_exchange(const std::string& method, const std::string& target,
                     const HttpResponse& response) {
  const char* path = std::getenv("CUSTODY_API_EXCHANGES");
  if (path == nullptr || *path == '\0' || response.status == 0) return;
  boost::json::object line;
  line["method"] = method;
  line["target"] = target;
  line["status"] = response.status;
  auto type = response.headers.find("content-type");
  line["contentType"] = type == response.headers.end() ? "" : type->second;
  line["body"] = response.body;
  const std::string text = boost::json::serialize(line) + "\n";
  // One write per line with O_APPEND: tests running side by side do not interleave lines.
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!::write(fd, text.data(), text.size());
  ::close(fd);
}

HttpResponse HttpClient::request(const std::string& method, const std::string& target,
                                 const std::string& body, const std::string& token,
                                 const std::vector<std::string>& extra_headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  for (const auto& h : extra_headers) req += h + "\r\n";
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0) connect();
    send_only(req);
    HttpResponse r = read_response(std::chrono::seconds(120));
    if (r.status != 0) {
      record_exchange(method, target, r);
      return r;
    }
    connect();  // the server had closed the kept-alive connection: once more, afresh
  }
  return {};
}

HttpResponse HttpClient::raw(const std::string& bytes, std::chrono::milliseconds timeout) {
  send_only(bytes);
  HttpResponse r = read_response(timeout);
  record_exchange(sent_method_, sent_target_, r);
  return r;
}

HttpResponse HttpClient::finish(const std::string& rest, std::chrono::milliseconds timeout) {
  const std::string method = sent_method_, target = sent_target_;
  send_only(rest);
  HttpResponse r = read_response(timeout);
  record_exchange(method, target, r);
  return r;
}

bool HttpClient::closed_by_server(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char c;
      const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK);
      if (n <= 0) return true;
      return false;
    }
  }
  return false;
}

std::string code_of(const HttpResponse& r) {
  auto v = r.json();
  if (!v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").at("code").as_string());
}

std::string cookie_from(const HttpResponse& r) {
  const std::string& set = r.headers.at("set-cookie");
  return set.substr(0, set.find(';'));
}

void add_person(const std::filesystem::path& dir, const std::filesystem::path& tmp,
                const std::string& id, const std::string& role, const std::string& password) {
  const std::filesystem::path file = tmp / ("pw-" + id);
  std::ofstream(file) << password << "\n";
  auto r = run_custody({"user", "add", dir.string(), "--id", id, "--name", "Printed " + id,
                        "--role", role, "--password-file", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace custody::testing
