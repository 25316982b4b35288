// A small HTTP/1.1 client for custody's own tools (`custody append --server`): one kept-alive
// connection to a `custody serve`, plain or TLS, with a bearer token.
#pragma once

#include <memory>
#include <string>

#include "custody/common/error.h"

namespace custody::server {

struct ClientOptions {
  std::string url;      // "http://127.0.0.1:8080" or "https://plant-1.example:8443"
  std::string token;    // the API token's secret
  std::string ca_file;  // PEM CAs to trust for https (default: the system's)
};

struct ClientResponse {
  unsigned status = 0;
  std::string body;
};

class Client {
 public:
  // kInvalidArgument for a URL that is not http(s)://HOST:PORT, kUnavailable when nothing
  // answers there, kIoError for a TLS failure.
  [[nodiscard]] static Result<std::unique_ptr<Client>> connect(const ClientOptions& options);
  ~Client();

  // POSTs `body` and reads the whole answer; reconnects once if the server had closed the
  // kept-alive connection.
  [[nodiscard]] Result<ClientResponse> post(const std::string& target, const std::string& body,
                                            const std::string& content_type);

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace custody::server
