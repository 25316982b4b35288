// Beast's second translation unit: the client side, synchronous (a CLI has nothing else to do
// while it waits).
#include "custody/server/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace custody::server {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct Client::Impl {
  ClientOptions options;
  bool tls = false;
  std::string host, port;
  net::io_context ioc;
  std::optional<ssl::context> ssl_ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  Result<void> open() {
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) {
      return fail(ErrorCode::kUnavailable, "cannot resolve " + host + ": " + ec.message(),
                  "server");
    }
    buffer.clear();
    if (tls) {
      secure.emplace(ioc, *ssl_ctx);
      if (!SSL_set_tlsext_host_name(secure->native_handle(), host.c_str())) {
        return fail(ErrorCode::kIoError, "cannot set the TLS server name", "server");
      }
      secure->set_verify_callback(ssl::host_name_verification(host));
      beast::get_lowest_layer(*secure).connect(endpoints, ec);
      if (!ec) secure->handshake(ssl::stream_base::client, ec);
    } else {
      plain.emplace(ioc);
      plain->connect(endpoints, ec);
    }
    if (ec) {
      return fail(ErrorCode::kUnavailable, "cannot reach " + options.url + ": " + ec.message(),
                  "server");
    }
    return {};
  }

  template <typename Stream>
  Result<ClientResponse> exchange(Stream& s, const http::request<http::string_body>& req) {
    beast::error_code ec;
    http::write(s, req, ec);
    if (ec) return fail(ErrorCode::kUnavailable, "lost the connection: " + ec.message(), "server");
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{1} << 32);
    http::read(s, buffer, parser, ec);
    if (ec) return fail(ErrorCode::kUnavailable, "lost the connection: " + ec.message(), "server");
    auto res = parser.release();
    return ClientResponse{static_cast<unsigned>(res.result_int()), std::move(res.body()),
                          std::string(res[http::field::set_cookie])};
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::connect(const ClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::string_view rest = options.url;
  if (rest.starts_with("https://")) {
    impl->tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return fail(ErrorCode::kInvalidArgument,
                "--server needs http://HOST:PORT or https://HOST:PORT, not '" + options.url + "'",
                "server");
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find('/') != std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument,
                "--server needs http://HOST:PORT or https://HOST:PORT, not '" + options.url + "'",
                "server");
  }
  impl->host = std::string(rest.substr(0, colon));
  if (impl->host.size() > 2 && impl->host.front() == '[') {
    impl->host = impl->host.substr(1, impl->host.size() - 2);
  }
  impl->port = std::string(rest.substr(colon + 1));
  if (impl->tls) {
    impl->ssl_ctx.emplace(ssl::context::tls_client);
    beast::error_code ec;
    if (options.ca_file.empty()) {
      impl->ssl_ctx->set_default_verify_paths(ec);
    } else {
      impl->ssl_ctx->load_verify_file(options.ca_file, ec);
    }
    if (ec) {
      return fail(ErrorCode::kIoError, "cannot load the CAs to trust: " + ec.message(), "ca-file");
    }
    impl->ssl_ctx->set_verify_mode(ssl::verify_peer);
  }
  if (auto r = impl->open(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Result<ClientResponse> Client::post(const std::string& target, const std::string& body,
                                    const std::string& content_type, const Headers& headers) {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, impl_->host);
  req.set(http::field::user_agent, "custody");
  if (!impl_->options.token.empty()) {
    req.set(http::field::authorization, "Bearer " + impl_->options.token);
  }
  for (const auto& [name, value] : headers) req.set(name, value);
  req.set(http::field::content_type, content_type);
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    auto r =
        impl_->tls ? impl_->exchange(*impl_->secure, req) : impl_->exchange(*impl_->plain, req);
    if (r || attempt == 1) return r;
    if (auto o = impl_->open(); !o) return std::unexpected(o.error());
  }
}

}  // namespace custody::server
