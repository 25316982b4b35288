// A small HTTP/1.1 client for one destination: POSTs over one kept-alive connection, plain or
// TLS (OpenSSL, the peer's certificate checked against a CA file or the system's trust store
// and against the URL's host), with every wait bounded by a timeout.
//
// Not thread-safe: the outbox uses it from the plugin's thread only.
#pragma once

#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace custody::outbox {

struct Url {
  bool secure = false;
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 80;
  std::string target;  // path and query, "/" at least
};

// "" when `text` is an http:// or https:// URL without user info or fragment, else why not.
[[nodiscard]] std::string parse_url(const std::string& text, Url& out);

struct Answer {
  int status = 0;
  std::string reason;  // the status line's words, at most 200 bytes
};

class HttpClient {
 public:
  // `ca_file` "" for the system's trust store (https only).
  HttpClient(Url url, std::string ca_file, std::chrono::milliseconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` with `headers` (name, value) and returns the answer's status, or why there
  // is none ("cannot connect to ...: Connection refused", "timed out", "TLS: ..."). Reuses the
  // connection when the server keeps it; connects again, once, when a kept one turns out closed.
  [[nodiscard]] std::expected<Answer, std::string> post(
      const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body);

  void close();

 private:
  struct Connection;
  [[nodiscard]] std::expected<void, std::string> connect();
  [[nodiscard]] std::expected<Answer, std::string> exchange(const std::string& request,
                                                            bool& retryable);

  Url url_;
  std::string ca_file_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace custody::outbox
