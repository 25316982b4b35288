#include "http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace custody::outbox {
namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_ip(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string tls_error(const char* what) {
  std::string out = std::string("TLS: ") + what;
  if (const unsigned long e = ERR_get_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += std::string(": ") + buf;
  }
  ERR_clear_error();
  return out;
}

}  // namespace

std::string parse_url(const std::string& text, Url& out) {
  std::string_view rest(text);
  if (rest.starts_with("http://")) {
    out.secure = false;
    out.port = 80;
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    out.secure = true;
    out.port = 443;
    rest.remove_prefix(8);
  } else {
    return "must start with http:// or https://";
  }
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) return "must not contain spaces, control or non-ASCII characters";
  }
  if (text.find('#') != std::string::npos) return "must not have a fragment (#...)";
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos) {
    return "must not carry a user name or password (use headers or secretFile)";
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "has an IPv6 address without its closing ]";
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "has something after the IPv6 address that is not a port";
      port = after.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return "has no host";
  out.host = std::string(host);
  if (!port.empty() || authority.ends_with(":")) {
    int n = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || n < 1 || n > 65535) {
      return "has a port that is not 1 to 65535";
    }
    out.port = n;
  }
  return {};
}

struct HttpClient::Connection {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  std::string buffer;  // read and not yet used

  ~Connection() {
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
  }

  // Writes all of `data`; false on any failure (the connection is then useless).
  bool write_all(std::string_view data) {
    while (!data.empty()) {
      long n = 0;
      if (ssl != nullptr) {
        // OpenSSL writes with write(2), which raises SIGPIPE on a closed connection: keep it
        // blocked on this thread for the call, and drop one that became pending.
        sigset_t pipe, old;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, &old);
        n = SSL_write(ssl, data.data(),
                      static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE) == 1) {
          const timespec zero{0, 0};
          sigtimedwait(&pipe, nullptr, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
      } else {
        n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      }
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads what is there into `buffer`: >0 bytes read, 0 closed by the peer, <0 error/timeout.
  long read_some() {
    char buf[16 * 1024];
    const long n = ssl != nullptr ? SSL_read(ssl, buf, sizeof buf) : ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) buffer.append(buf, static_cast<std::size_t>(n));
    if (n < 0 && ssl == nullptr && (errno == EAGAIN || errno == EWOULDBLOCK)) errno = ETIMEDOUT;
    return n;
  }
};

HttpClient::HttpClient(Url url, std::string ca_file, std::chrono::milliseconds timeout)
    : url_(std::move(url)), ca_file_(std::move(ca_file)), timeout_(timeout) {}

HttpClient::~HttpClient() = default;

void HttpClient::close() {
  conn_.reset();
}

std::expected<void, std::string> HttpClient::connect() {
  conn_.reset();
  const std::string where = url_.host + ":" + std::to_string(url_.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url_.port);
  if (const int rc = ::getaddrinfo(url_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return std::unexpected("cannot resolve " + url_.host + ": " + ::gai_strerror(rc));
  }
  auto c = std::make_unique<Connection>();
  std::string why = "no address";
  for (addrinfo* a = found; a != nullptr && c->fd < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(timeout_.count()));
      if (rc == 0) {
        errno = ETIMEDOUT;
        rc = -1;
      } else if (rc > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        errno = err;
        rc = err == 0 ? 0 : -1;
      }
    }
    if (rc != 0) {
      why = std::strerror(errno);
      ::close(fd);
      continue;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
  }
  ::freeaddrinfo(found);
  if (c->fd < 0) return std::unexpected("cannot connect to " + where + ": " + why);

  if (url_.secure) {
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == nullptr) return std::unexpected(tls_error("cannot make a context"));
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, nullptr);
    const int loaded = ca_file_.empty()
                           ? SSL_CTX_set_default_verify_paths(c->ctx)
                           : SSL_CTX_load_verify_locations(c->ctx, ca_file_.c_str(), nullptr);
    if (loaded != 1) {
      return std::unexpected(tls_error(("cannot load the CA certificates " + ca_file_).c_str()));
    }
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    if (is_ip(url_.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), url_.host.c_str());
    } else {
      SSL_set1_host(c->ssl, url_.host.c_str());
      SSL_set_tlsext_host_name(c->ssl, url_.host.c_str());
    }
    if (SSL_connect(c->ssl) != 1) {
      const long verify = SSL_get_verify_result(c->ssl);
      if (verify != X509_V_OK) {
        ERR_clear_error();
        return std::unexpected("TLS: " + where + "'s certificate is not trusted: " +
                               X509_verify_cert_error_string(verify));
      }
      return std::unexpected(tls_error(("handshake with " + where + " failed").c_str()));
    }
  }
  conn_ = std::move(c);
  return {};
}

std::expected<Answer, std::string> HttpClient::post(
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body) {
  std::string host = url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host;
  if (url_.port != (url_.secure ? 443 : 80)) host += ":" + std::to_string(url_.port);
  std::string request = "POST " + url_.target + " HTTP/1.1\r\nHost: " + host +
                        "\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: keep-alive\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  request += body;

  const bool reused = conn_ != nullptr;
  if (!conn_) {
    if (auto c = connect(); !c) return std::unexpected(c.error());
  }
  bool retryable = false;
  auto answer = exchange(request, retryable);
  if (!answer && retryable && reused) {  // the server had closed the kept connection
    if (auto c = connect(); !c) return std::unexpected(c.error());
    answer = exchange(request, retryable);
  }
  if (!answer) conn_.reset();
  return answer;
}

std::expected<Answer, std::string> HttpClient::exchange(const std::string& request,
                                                        bool& retryable) {
  Connection& c = *conn_;
  c.buffer.clear();
  retryable = false;
  if (!c.write_all(request)) {
    retryable = true;
    return std::unexpected(std::string("sending failed: ") + std::strerror(errno));
  }
  auto fail = [&](const std::string& what, long n) -> std::expected<Answer, std::string> {
    if (n == 0) return std::unexpected(what + ": the server closed the connection");
    return std::unexpected(what + ": " +
                           (errno == ETIMEDOUT || errno == EAGAIN
                                ? "timed out after " + std::to_string(timeout_.count()) + " ms"
                                : std::string(std::strerror(errno))));
  };

  for (;;) {  // 1xx answers come before the real one
    std::size_t end = 0;
    while ((end = c.buffer.find("\r\n\r\n")) == std::string::npos) {
      if (c.buffer.size() > kMaxHeaderBytes)
        return std::unexpected(std::string("answer headers too large"));
      const long n = c.read_some();
      if (n <= 0) {
        retryable = c.buffer.empty() && n == 0;
        return fail("no answer", n);
      }
    }
    const std::string head = c.buffer.substr(0, end);
    c.buffer.erase(0, end + 4);
    // "HTTP/1.1 200 OK"
    if (!head.starts_with("HTTP/1.") || head.size() < 12 || head[8] != ' ') {
      return std::unexpected("not an HTTP answer: \"" + head.substr(0, 40) + "\"");
    }
    Answer a;
    const auto [p, ec] = std::from_chars(head.data() + 9, head.data() + 12, a.status);
    if (ec != std::errc() || p != head.data() + 12 || a.status < 100 || a.status > 599) {
      return std::unexpected("not an HTTP status: \"" + head.substr(0, 40) + "\"");
    }
    const auto line_end = head.find("\r\n");
    a.reason = head.substr(
        std::min<std::size_t>(13, head.size()),
        std::min<std::size_t>(line_end == std::string::npos ? head.size() : line_end, 213) -
            std::min<std::size_t>(13, head.size()));
    bool close_after = head.starts_with("HTTP/1.0");
    bool chunked = false;
    long long length = -1;
    std::size_t at = line_end == std::string::npos ? head.size() : line_end + 2;
    while (at < head.size()) {
      auto next = head.find("\r\n", at);
      if (next == std::string::npos) next = head.size();
      const std::string line = head.substr(at, next - at);
      at = next + 2;
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      const std::string name = lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      if (name == "content-length") {
        const auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (e != std::errc() || q != value.data() + value.size() || length < 0) {
          return std::unexpected(std::string("a bad Content-Length in the answer"));
        }
      } else if (name == "transfer-encoding") {
        chunked = lower(value).find("chunked") != std::string::npos;
      } else if (name == "connection") {
        close_after = close_after || lower(value).find("close") != std::string::npos;
        if (lower(value).find("keep-alive") != std::string::npos) close_after = false;
      }
    }
    if (a.status < 200) continue;

    // The body is not used; read it so that the connection can carry the next request.
    auto need = [&](std::size_t bytes) -> bool {
      while (c.buffer.size() < bytes) {
        if (c.read_some() <= 0) return false;
      }
      return true;
    };
    if (a.status == 204 || a.status == 304) {
      // no body
    } else if (chunked) {
      std::size_t total = 0;
      for (;;) {
        std::size_t eol = 0;
        while ((eol = c.buffer.find("\r\n")) == std::string::npos) {
          if (c.read_some() <= 0) return fail("the answer's body", 0);
        }
        std::size_t size = 0;
        const auto [q, e] = std::from_chars(c.buffer.data(), c.buffer.data() + eol, size, 16);
        if (e != std::errc()) return std::unexpected(std::string("a bad chunk in the answer"));
        (void)q;
        c.buffer.erase(0, eol + 2);
        total += size;
        if (total > kMaxBodyBytes) return std::unexpected(std::string("answer too large"));
        if (size == 0) {  // trailers, then an empty line
          std::size_t blank = 0;
          while ((blank = c.buffer.find("\r\n")) != 0) {
            if (blank != std::string::npos) {
              c.buffer.erase(0, blank + 2);
              continue;
            }
            if (c.read_some() <= 0) return fail("the answer's trailer", 0);
          }
          c.buffer.erase(0, 2);
          break;
        }
        if (!need(size + 2)) return fail("the answer's body", 0);
        c.buffer.erase(0, size + 2);
      }
    } else if (length >= 0) {
      if (static_cast<unsigned long long>(length) > kMaxBodyBytes) {
        return std::unexpected(std::string("answer too large"));
      }
      if (!need(static_cast<std::size_t>(length))) return fail("the answer's body", 0);
      c.buffer.erase(0, static_cast<std::size_t>(length));
    } else {
      close_after = true;  // the body runs to the end of the connection
    }
    if (close_after) conn_.reset();
    return a;
  }
}

}  // namespace custody::outbox
