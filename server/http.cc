// The one translation unit of the server that includes Beast (it compiles slowly; the
// request fields it hands on are in request_fields.h, which the HTTP fuzzer shares): a listener,
// and one session per connection, over plain TCP or TLS.
#include "custody/server/http.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <charconv>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <variant>
#include <vector>

#include "request_fields.h"

namespace custody::server {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void close() = 0;
  virtual void wake() {}  // new records were committed
};

struct HttpServer::Impl {
  Api& api;
  Metrics& metrics;
  HttpOptions options;
  std::optional<ssl::context> tls;  // before the contexts: sessions in their queues use it
  // One io_context per network thread, each run by that thread alone, and each connection on
  // one of them in turn: a connection's handlers never run concurrently, with no strand and no
  // hand-over of the reactor between threads.
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  std::size_t next_context = 0;  // the context the next accepted connection gets
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::mutex sessions_mu;
  std::set<std::weak_ptr<ConnectionBase>, std::owner_less<std::weak_ptr<ConnectionBase>>> sessions;
  std::atomic<std::size_t> writing{0};  // responses handed to a session and not yet written
  std::atomic<bool> stopped{false};
  bool joined = false;
  std::uint64_t listener = 0;  // the ledger commit listener that wakes the streams

  // Live WebSocket streams, woken on each commit.
  std::mutex streams_mu;
  std::set<std::weak_ptr<ConnectionBase>, std::owner_less<std::weak_ptr<ConnectionBase>>> streams;
  void wake_streams();

  Impl(Api& a, Metrics& m, HttpOptions o)
      : api(a),
        metrics(m),
        options(std::move(o)),
        contexts(make_contexts(std::max<std::size_t>(options.threads, 1))),
        acceptor(*contexts.front()) {
    for (auto& c : contexts) keep_running.push_back(net::make_work_guard(*c));
  }

  static std::vector<std::unique_ptr<net::io_context>> make_contexts(std::size_t n) {
    std::vector<std::unique_ptr<net::io_context>> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(std::make_unique<net::io_context>(1));
    return out;
  }

  void accept();
  void track(const std::shared_ptr<ConnectionBase>& s) {
    std::lock_guard lock(sessions_mu);
    sessions.insert(s);
  }
  void untrack(ConnectionBase* s) {
    std::lock_guard lock(sessions_mu);
    std::erase_if(sessions, [&](const auto& w) {
      auto p = w.lock();
      return !p || p.get() == s;
    });
  }
};

namespace {

std::string peer_of(const tcp::socket& s) {
  beast::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return {};
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

template <typename Stream>
tcp::socket& socket_of(Stream& s) {
  return beast::get_lowest_layer(s).socket();
}

template <typename Stream>
class StreamSession;

// An answer as it goes on the wire: status line, fields, body. For answers this small, Beast's
// serializer cost more than the send itself. The fields are custody's own: a later one
// replaces an earlier one of the same name, and no value may break a line.
std::string wire_bytes(const Response& r, unsigned version, bool keep_alive) {
  std::vector<std::pair<std::string_view, std::string_view>> fields{
      {"Server", "custody"},
      {"Content-Type", r.content_type},
      {"Cache-Control", "no-store"},
      {"X-Content-Type-Options", "nosniff"}};
  if (r.content_type.empty()) fields.erase(fields.begin() + 1);
  for (const auto& header : r.headers) {
    auto same = std::find_if(fields.begin(), fields.end(),
                             [&](const auto& f) { return beast::iequals(f.first, header.first); });
    if (same != fields.end()) {
      same->second = header.second;
    } else {
      fields.emplace_back(header.first, header.second);
    }
  }
  const std::string length = std::to_string(r.body.size());
  const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  if (!bodiless) fields.emplace_back("Content-Length", length);
  // HTTP/1.1 keeps a connection unless told; HTTP/1.0 closes it unless told.
  if (version >= 11 && !keep_alive) fields.emplace_back("Connection", "close");
  if (version < 11 && keep_alive) fields.emplace_back("Connection", "keep-alive");

  std::string out;
  out.reserve(160 + r.body.size() + 40 * fields.size());
  out += version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  out += std::to_string(r.status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& [name, value] : fields) {
    out += name;
    out += ": ";
    for (const char c : value) out += c == '\r' || c == '\n' ? ' ' : c;
    out += "\r\n";
  }
  out += "\r\n";
  if (!bodiless) out += r.body;
  return out;
}

// One connection. Requests are answered one at a time, in order; the answer to a command may
// come from a ledger thread, and is posted back to the connection's thread. The next request
// is read while an answer is written (one read and one write may be under way on a stream),
// and is handled once that write has completed.
template <typename Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(HttpServer::Impl& server, Stream stream)
      : server_(server), stream_(std::move(stream)), peer_(peer_of(socket_of(stream_))) {
    server_.metrics.open_connections.fetch_add(1);
  }
  ~Connection() override { server_.metrics.open_connections.fetch_sub(1); }

  void start() {
    server_.track(this->shared_from_this());
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(server_.options.request_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->finish();
                                self->read_header();
                              });
    } else {
      read_header();
    }
  }

  void close() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->busy_) {
        self->close_after_write_ = true;
      } else {
        self->finish();
      }
    });
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    // Beast checks a Content-Length against the limit as the header completes, before the
    // target is known here: admit the largest, then apply the target's own in on_header.
    parser_->body_limit(
        std::max(server_.options.max_body_bytes, server_.options.max_batch_body_bytes));
    // The first request gets the request timeout; later ones may idle first.
    beast::get_lowest_layer(stream_).expires_after(requests_ == 0 ? server_.options.request_timeout
                                                                  : server_.options.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_request(ec);
    const auto target = parser_->get().target();
    const std::size_t limit = target.starts_with("/v1/commands:batch") ||
                                      target.starts_with("/v1/epcis/capture") ||
                                      target.starts_with("/epcis/capture")
                                  ? server_.options.max_batch_body_bytes
                                  : server_.options.max_body_bytes;
    // The header as sent (Beast has checked its syntax); its boost::optional accessor draws a
    // false -Wmaybe-uninitialized from GCC 12 under the sanitizers.
    const auto declared = parser_->get()[http::field::content_length];
    std::uint64_t length = 0;
    std::from_chars(declared.data(), declared.data() + declared.size(), length);
    if (length > limit) return on_request(http::error::body_limit);
    parser_->body_limit(limit);  // chunked bodies are counted as they come
    // Most bodies come in the same packets as their header: parsed here from what has been
    // read, the request is handled now rather than after another trip through the queue.
    beast::error_code parsed;
    while (!parser_->is_done() && buffer_.size() > 0) {
      const std::size_t used = parser_->put(buffer_.data(), parsed);
      buffer_.consume(used);
      if (parsed == http::error::need_more) {
        parsed = {};
        break;
      }
      if (parsed || used == 0) break;
    }
    if (parsed) return on_request(parsed);
    if (parser_->is_done()) return on_request({});
    // From the first byte of a request on, the whole of it must arrive in time.
    beast::get_lowest_layer(stream_).expires_after(server_.options.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code e, std::size_t) {
                       self->on_request(e);
                     });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof || ec == ssl::error::stream_truncated) {
      return finish();
    }
    // Malformed HTTP, or a header or body over the limits: say so once, then hang up.
    server_.metrics.bad_requests.fetch_add(1);
    const bool too_large = ec == http::error::body_limit || ec == http::error::header_limit ||
                           ec == http::error::buffer_overflow;
    Response r;
    r.status = too_large ? 413 : 400;
    r.body = error_body(Error{too_large ? ErrorCode::kOutOfRange : ErrorCode::kInvalidArgument,
                              too_large ? "the request is larger than this server accepts"
                                        : "malformed HTTP request: " + ec.message(),
                              ""});
    keep_alive_ = false;
    server_.metrics.request_done(r.status);
    write(std::move(r), 11);
  }

  // A request's read ended: whole (`ec` clear), or with the error its header or its body met.
  // Handled in order: not before the answer to the one before it has been written.
  void on_request(beast::error_code ec) {
    if (writing_) {  // the next request came before the last answer's write completed
      deferred_read_ = ec;
      return;
    }
    if (ec) return on_read_error(ec);
    auto req = parser_->release();
    ++requests_;
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    beast::get_lowest_layer(stream_).expires_never();  // a command may wait for a commit
    Request r =
        request_fields(req, peer_, std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>);
    if (websocket::is_upgrade(req)) return upgrade(std::move(req), std::move(r));
    r.body = std::move(req.body());
    busy_ = true;
    server_.writing.fetch_add(1);
    server_.api.handle(std::move(r), [self = this->shared_from_this()](Response resp) {
      net::post(self->stream_.get_executor(), [self, resp = std::move(resp)]() mutable {
        self->write(std::move(resp), self->version_);
        self->server_.writing.fetch_sub(1);
      });
    });
  }

  // GET /v1/stream: checked like any request, then handed to a StreamSession with the socket.
  void upgrade(http::request<http::string_body> req, Request r) {
    const auto target = std::string_view(r.target).substr(0, r.target.find('?'));
    if (target != "/v1/stream") {
      server_.metrics.request_done(404);
      return write(Response{404,
                            "application/json",
                            error_body(Error{ErrorCode::kNotFound,
                                             "WebSocket is served at /v1/stream only", "path"}),
                            {}},
                   version_);
    }
    auto start = server_.api.open_stream(r, std::string(req[http::field::origin]),
                                         std::string(req[http::field::host]));
    if (auto* refused = std::get_if<Response>(&start)) return write(std::move(*refused), version_);
    finished_ = true;  // the socket now belongs to the stream
    server_.untrack(this);
    auto stream = std::make_shared<StreamSession<Stream>>(server_, std::move(stream_),
                                                          std::get<Api::StreamStart>(start));
    stream->accept(std::move(req));
  }

  void write(Response r, unsigned version) {
    busy_ = true;
    if (r.make_body) r.body = r.make_body();
    const bool keep_alive = keep_alive_ && !server_.stopped.load();
    auto bytes = std::make_shared<std::string>(wire_bytes(r, version, keep_alive));
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      // An answer that fits the socket's send buffer (nearly all do) is sent here and now,
      // without an asynchronous write and its completion's trip through the queue.
      beast::error_code ec;
      const std::size_t sent = socket_of(stream_).write_some(net::buffer(*bytes), ec);
      if (!ec && sent == bytes->size()) {
        busy_ = false;
        if (!keep_alive || close_after_write_) return finish();
        return read_header();
      }
      if (ec && ec != net::error::would_block && ec != net::error::try_again) return finish();
      bytes->erase(0, ec ? 0 : sent);
    }
    beast::get_lowest_layer(stream_).expires_after(server_.options.request_timeout);
    writing_ = true;
    net::async_write(
        stream_, net::buffer(*bytes),
        [self = this->shared_from_this(), bytes, keep_alive](beast::error_code ec, std::size_t) {
          self->writing_ = false;
          self->busy_ = false;
          if (ec || !keep_alive || self->close_after_write_) return self->finish();
          if (auto deferred = std::exchange(self->deferred_read_, std::nullopt)) {
            self->on_request(*deferred);
          }
        });
    // The next request is read while this answer is written: the client sends it once it has
    // the answer, which is before this write's completion has come through the queue.
    if (keep_alive && !close_after_write_) read_header();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code e;
        socket_of(self->stream_).shutdown(tcp::socket::shutdown_both, e);
        socket_of(self->stream_).close(e);
        self->server_.untrack(self.get());
      });
      return;
    }
    socket_of(stream_).shutdown(tcp::socket::shutdown_send, ec);
    socket_of(stream_).close(ec);
    server_.untrack(this);
  }

  HttpServer::Impl& server_;
  Stream stream_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::uint64_t requests_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool writing_ = false;                            // an answer's async_write is under way
  std::optional<beast::error_code> deferred_read_;  // a read that completed meanwhile
  bool close_after_write_ = false;
  bool finished_ = false;
};

// GET /v1/stream: the log as WebSocket text frames, one record each, from a seq on. Records
// are read from the log as the client takes them (never more than one frame waits in memory),
// so a client that falls behind costs nothing but its place; one that stops reading while
// its frame waits longer than the write timeout is closed with code 4008.
template <typename Stream>
class StreamSession : public ConnectionBase,
                      public std::enable_shared_from_this<StreamSession<Stream>> {
 public:
  static constexpr std::uint16_t kTooSlow = 4008;
  static constexpr std::size_t kBatch = 256;

  StreamSession(HttpServer::Impl& server, Stream stream, Api::StreamStart start)
      : server_(server),
        ws_(std::move(stream)),
        next_(start.from),
        types_(std::move(start.types)),
        timer_(ws_.get_executor()) {
    server_.metrics.open_streams.fetch_add(1);
  }
  ~StreamSession() override { server_.metrics.open_streams.fetch_sub(1); }

  void accept(http::request<http::string_body> req) {
    {
      std::lock_guard lock(server_.streams_mu);
      server_.streams.insert(this->shared_from_this());
    }
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "custody"); }));
    ws_.async_accept(req, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closing_) return self->forget();
      self->open_ = true;
      self->read();
      self->pump();
    });
  }

  void wake() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->pump(); });
  }

  void close() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      if (!self->open_) {
        // Still in the handshake, which is a write: no close frame beside it; hang up.
        self->closing_ = true;
        beast::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
        return;
      }
      self->close_with(websocket::close_code::going_away, "the server is stopping");
    });
  }

 private:
  // Client frames are not expected; reading keeps pings, pongs and the close handshake going.
  void read() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->forget();
      self->in_.clear();
      self->read();
    });
  }

  void pump() {
    // Registered for wake() before the handshake ends; the handshake's reply is a write, and
    // Beast allows one at a time: a commit's wake() during it must not write a frame.
    if (!open_ || writing_ || closing_) return;
    // Batches of other types are read past in a loop; a read that finds nothing new (the
    // log's head moved on before a snapshot holds it) waits for the next commit's wake().
    while (queue_.empty()) {
      if (next_ > server_.api.head()) return;  // caught up: wait for the next commit
      std::uint64_t next = next_;
      auto frames = server_.api.stream_records(next_, kBatch, types_, next);
      if (!frames) return close_with(websocket::close_code::internal_error, "cannot read the log");
      if (next == next_) return;
      next_ = next;
      for (auto& f : *frames) queue_.push_back(std::move(f));
    }
    writing_ = true;
    ws_.text(true);
    timer_.expires_after(server_.options.stream_write_timeout);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec && self->writing_) {
        self->close_with(static_cast<websocket::close_code>(kTooSlow),
                         "too slow: a record waited longer than the server allows");
      }
    });
    ws_.async_write(net::buffer(queue_.front()),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      self->timer_.cancel();
                      if (ec) return self->forget();
                      self->queue_.pop_front();
                      self->pump();
                    });
  }

  void close_with(websocket::close_code code, const char* reason) {
    if (closing_) return;
    closing_ = true;
    ws_.async_close(websocket::close_reason(code, reason),
                    [self = this->shared_from_this()](beast::error_code) { self->forget(); });
    // A client that never reads will not take the close frame either: drop it after a while.
    timer_.expires_after(std::chrono::seconds(5));
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return;
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
      self->forget();
    });
  }

  void forget() {
    std::lock_guard lock(server_.streams_mu);
    std::erase_if(server_.streams, [&](const auto& w) {
      auto p = w.lock();
      return !p || p.get() == this;
    });
  }

  HttpServer::Impl& server_;
  websocket::stream<Stream> ws_;
  std::uint64_t next_;
  std::vector<std::string> types_;
  net::steady_timer timer_;
  beast::flat_buffer in_;
  std::deque<std::string> queue_;
  bool open_ = false;  // the handshake is done
  bool writing_ = false;
  bool closing_ = false;
};

Result<tcp::endpoint> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return fail(ErrorCode::kInvalidArgument, "--listen needs HOST:PORT, not '" + listen + "'",
                "listen");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) {
    return fail(ErrorCode::kInvalidArgument, "--listen: '" + host + "' is not an IP address",
                "listen");
  }
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return fail(ErrorCode::kInvalidArgument, "--listen: the port must be 0 to 65535", "listen");
  }
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace

void HttpServer::Impl::accept() {
  // Runs on the acceptor's context only, so next_context needs no lock.
  net::io_context& context = *contexts[next_context++ % contexts.size()];
  acceptor.async_accept(context, [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || stopped) return;
      return accept();
    }
    if (static_cast<std::size_t>(metrics.open_connections.load()) >= options.max_connections) {
      metrics.connections_refused.fetch_add(1);
      beast::error_code ignored;
      socket.close(ignored);
      return accept();
    }
    // Answers are small and each client waits for its own: Nagle's delay would only hold
    // them back.
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    // Answers are first tried with a plain send that must not block (Connection::write).
    socket.non_blocking(true, ignored);
    if (tls) {
      auto s = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
          *this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls));
      s->start();
    } else {
      auto s = std::make_shared<Connection<beast::tcp_stream>>(
          *this, beast::tcp_stream(std::move(socket)));
      s->start();
    }
    accept();
  });
}

void HttpServer::Impl::wake_streams() {
  std::vector<std::shared_ptr<ConnectionBase>> live;
  {
    std::lock_guard lock(streams_mu);
    for (const auto& w : streams) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->wake();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

namespace {

// The TLS context of --tls-cert and --tls-key (TLS 1.2 and later).
Result<void> load_tls(ssl::context& tls, const HttpOptions& options) {
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use);
  beast::error_code ec;
  tls.use_certificate_chain_file(options.tls_cert, ec);
  if (ec) {
    return fail(ErrorCode::kIoError,
                "cannot use the certificate " + options.tls_cert + ": " + ec.message(), "tls-cert");
  }
  tls.use_private_key_file(options.tls_key, ssl::context::pem, ec);
  if (ec) {
    return fail(ErrorCode::kIoError,
                "cannot use the private key " + options.tls_key + ": " + ec.message(), "tls-key");
  }
  return {};
}

// The address to listen on, once the options are whole (a TLS pair is both or neither).
Result<tcp::endpoint> endpoint_of(const HttpOptions& options) {
  auto endpoint = parse_listen(options.listen);
  if (!endpoint) return std::unexpected(endpoint.error());
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return fail(ErrorCode::kInvalidArgument, "TLS needs both --tls-cert and --tls-key",
                options.tls_cert.empty() ? "tls-cert" : "tls-key");
  }
  return endpoint;
}

// Opens `acceptor` bound to `endpoint`: an address this host has, a port nobody listens on.
Result<void> bind_to(tcp::acceptor& acceptor, const tcp::endpoint& endpoint,
                     const std::string& listen) {
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (ec)
    return fail(ErrorCode::kIoError, "cannot listen on " + listen + ": " + ec.message(), "listen");
  return {};
}

}  // namespace

Result<void> HttpServer::check(const HttpOptions& options) {
  auto endpoint = endpoint_of(options);
  if (!endpoint) return std::unexpected(endpoint.error());
  if (!options.tls_cert.empty()) {
    ssl::context tls(ssl::context::tls_server);
    if (auto loaded = load_tls(tls, options); !loaded) return loaded;
  }
  net::io_context io;
  tcp::acceptor probe(io);  // bound, then let go
  return bind_to(probe, *endpoint, options.listen);
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(Api& api, Metrics& metrics,
                                                      HttpOptions options) {
  auto endpoint = endpoint_of(options);
  if (!endpoint) return std::unexpected(endpoint.error());
  auto impl = std::make_unique<Impl>(api, metrics, options);
  if (!options.tls_cert.empty()) {
    impl->tls.emplace(ssl::context::tls_server);
    if (auto loaded = load_tls(*impl->tls, options); !loaded) {
      return std::unexpected(loaded.error());
    }
  }
  if (auto bound = bind_to(impl->acceptor, *endpoint, options.listen); !bound) {
    return std::unexpected(bound.error());
  }
  beast::error_code ec;
  impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(ErrorCode::kIoError, "cannot listen on " + options.listen + ": " + ec.message(),
                "listen");
  }
  impl->listener =
      api.ledger().add_commit_listener([raw = impl.get()](std::uint64_t) { raw->wake_streams(); });
  impl->accept();
  for (auto& context : impl->contexts) {
    impl->threads.emplace_back([c = context.get()] {
      pthread_setname_np(pthread_self(), "custody-http");
      c->run();
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::string HttpServer::address() const {
  beast::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return impl_->options.listen;
  const std::string host =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  return host + ":" + std::to_string(ep.port());
}

bool HttpServer::tls() const {
  return impl_->tls.has_value();
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (impl_->joined) return;
  impl_->stopped = true;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->api.stop_writes();
  impl_->api.ledger().remove_commit_listener(impl_->listener);
  {
    std::vector<std::shared_ptr<ConnectionBase>> streams;
    {
      std::lock_guard lock(impl_->streams_mu);
      for (const auto& w : impl_->streams) {
        if (auto st = w.lock()) streams.push_back(std::move(st));
      }
    }
    for (auto& st : streams) st->close();  // 1001 going away
  }
  // Commands already submitted finish and their answers are written.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while ((impl_->api.in_flight() > 0 || impl_->writing.load() > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<std::shared_ptr<ConnectionBase>> open;
  {
    std::lock_guard lock(impl_->sessions_mu);
    for (const auto& w : impl_->sessions) {
      if (auto s = w.lock()) open.push_back(std::move(s));
    }
  }
  for (auto& s : open) s->close();
  open.clear();
  // Let the closes run (each after its last answer is written, TLS shut down), then stop.
  const auto closing =
      std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(2));
  while (impl_->metrics.open_connections.load() > 0 && std::chrono::steady_clock::now() < closing) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // A read still running (a long report) is answered before the threads that send it stop.
  impl_->api.finish_queries();
  impl_->keep_running.clear();
  for (auto& c : impl_->contexts) c->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->joined = true;
}

HttpServer::~HttpServer() {
  stop(std::chrono::milliseconds(0));
}

}  // namespace custody::server
