// A small HTTP/1.1 client for custody's own tools (`custody append --server`): one kept-alive
// connection to a `custody serve`, plain or TLS, with a bearer token.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "custody/common/error.h"

namespace custody::server {

struct ClientOptions {
  std::string url;      // "http://127.0.0.1:8080" or "https://plant-1.example:8443"
  std::string token;    // the API token's secret; empty: none (a session's cookie, sign-in)
  std::string ca_file;  // PEM CAs to trust for https (default: the system's)
};

struct ClientResponse {
  unsigned status = 0;
  std::string body;
  std::string set_cookie;  // the Set-Cookie header, if any
};

class Client {
 public:
  // kInvalidArgument for a URL that is not http(s)://HOST:PORT, kUnavailable when nothing
  // answers there, kIoError for a TLS failure.
  [[nodiscard]] static Result<std::unique_ptr<Client>> connect(const ClientOptions& options);
  ~Client();

  // POSTs `body` (with `headers` besides the token's) and reads the whole answer; reconnects
  // once if the server had closed the kept-alive connection.
  using Headers = std::vector<std::pair<std::string, std::string>>;
  [[nodiscard]] Result<ClientResponse> post(const std::string& target, const std::string& body,
                                            const std::string& content_type,
                                            const Headers& headers = {});

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace custody::server
