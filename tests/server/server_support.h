// A real `custody serve` for tests, and a small HTTP/1.1 client over a plain socket (so tests
// can also send what no well-behaved client would).
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace custody::testing {

// `custody serve DIR --listen 127.0.0.1:0 ARGS...`, started and stopped by the test.
class ServeProcess {
 public:
  ServeProcess(const std::filesystem::path& dir, std::vector<std::string> args = {});
  ~ServeProcess();  // SIGKILL if still running
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  [[nodiscard]] bool started() const { return port_ != 0; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& first_line() const { return first_line_; }
  // Sends `sig`, waits for the exit; the exit code (128 + signal when killed) and the rest of
  // stdout and stderr.
  struct Exit {
    int code = -1;
    std::string out, err;
  };
  Exit stop(int sig);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int port_ = 0;
  std::string url_;
  std::string first_line_;
  std::string stderr_text_;
};

// A TCP connection to 127.0.0.1:port, or -1.
int dial_loopback(int port);

struct HttpResponse {
  int status = 0;                              // 0: no response (connection closed or timed out)
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  [[nodiscard]] boost::json::value json() const;
};

class HttpClient {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request on the kept-alive connection (reconnecting when the server closed it).
  HttpResponse request(const std::string& method, const std::string& target,
                       const std::string& body = "", const std::string& token = "",
                       const std::vector<std::string>& extra_headers = {});
  // Bytes as they are, then the response (if any) within `timeout`.
  HttpResponse raw(const std::string& bytes,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // The rest of a request whose start send_only() sent (its body, say), then the response:
  // recorded as answering that request.
  HttpResponse finish(const std::string& rest,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Whether the server has closed this connection (reads EOF within `timeout`).
  bool closed_by_server(std::chrono::milliseconds timeout);
  void connect();
  void send_only(const std::string& bytes);

 private:
  HttpResponse read_response(std::chrono::milliseconds timeout);
  int port_;
  int fd_ = -1;
  std::string pending_;
  std::string sent_method_, sent_target_;  // of the last request sent
};

// When CUSTODY_API_EXCHANGES names a file, appends {method, target, status, contentType, body}
// to it as a JSON line: the API tests' responses, checked against the OpenAPI document by
// tools/api/check-responses.mjs (test api_responses_match_openapi). HttpClient calls it for
// every response it receives.
void record_exchange(const std::string& method, const std::string& target,
                     const HttpResponse& response);

// The error code of a JSON error answer, "" when there is none.
std::string code_of(const HttpResponse& r);
// "name=value" of the response's Set-Cookie, for a Cookie header.
std::string cookie_from(const HttpResponse& r);
// A person with a password and one role, printed name "Printed <id>", made with the CLI
// before the server starts (the password through a file in `tmp`).
void add_person(const std::filesystem::path& dir, const std::filesystem::path& tmp,
                const std::string& id, const std::string& role, const std::string& password);

}  // namespace custody::testing
