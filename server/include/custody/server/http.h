// The HTTP/1.1 side of `custody serve` (Boost.Beast over Asio, optional TLS): connections,
// keep-alive, limits and timeouts, and a clean stop. What a request means is Api's business.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "custody/common/error.h"
#include "custody/server/api.h"
#include "custody/server/metrics.h"

namespace custody::server {

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  std::string tls_cert;                   // PEM certificate chain; with tls_key: HTTPS only
  std::string tls_key;                    // PEM private key
  std::size_t threads = 2;                // network threads (reads run on the Api's own)
  std::size_t max_connections = 1024;     // beyond this, new connections are closed at once
  std::size_t max_header_bytes = 16 << 10;
  std::size_t max_body_bytes = 1 << 20;  // one command, any other request
  // POST /v1/commands:batch, /v1/epcis/capture, /epcis/capture
  std::size_t max_batch_body_bytes = kMaxBatchBodyBytes;
  // A request must arrive whole within this (a slowloris client cannot hold a connection).
  std::chrono::milliseconds request_timeout{10'000};
  // A kept-alive connection with no request for this long is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  // A WebSocket stream whose next record waits this long to be taken is closed (code 4008).
  std::chrono::milliseconds stream_write_timeout{30'000};
};

class HttpServer {
 public:
  // What start() would refuse in `options`, without serving: a bad address, one this host
  // does not have or whose port is taken, half of a TLS pair, a certificate or key that
  // cannot be used. For a caller to check before it opens or writes anything.
  [[nodiscard]] static Result<void> check(const HttpOptions& options);
  // Binds and starts serving. kInvalidArgument for a bad address, kIoError when the port
  // cannot be bound or the certificate or key cannot be read.
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> start(Api& api, Metrics& metrics,
                                                                 HttpOptions options);
  ~HttpServer();  // stops, if stop() was not called

  // The bound address, "127.0.0.1:8080".
  [[nodiscard]] std::string address() const;
  [[nodiscard]] bool tls() const;

  // Stops accepting, answers writes 503, lets commands in flight finish and their answers go
  // out (waiting at most `grace`), then closes every connection and joins the I/O threads.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10'000));

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace custody::server
