#include "custody/server/api.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <initializer_list>
#include <limits>
#include <optional>
#include <thread>

#include "api_util.h"
#include "custody/codec/json_parse.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/enterprise.h"
#include "custody/domain/epcis_export.h"
#include "custody/domain/epcis_import.h"
#include "custody/domain/fsma204.h"
#include "custody/domain/identity.h"
#include "custody/domain/queries.h"
#include "custody/domain/recall.h"
#include "custody/domain/registry.h"
#include "custody/domain/signatures.h"
#include "custody/domain/views.h"
#include "custody/ledger/proof.h"
#include "custody/ledger/record.h"
#include "custody/plugin/host.h"
#include "custody/server/web.h"
#include "responses.h"

namespace custody::server {
namespace {

using Clock = std::chrono::steady_clock;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding of a path segment or query value; nullopt when malformed.
std::optional<std::string> decode_component(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]);
      const int lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Result<Query> parse_query(std::string_view q) {
  Query out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto k = decode_component(pair.substr(0, eq), true);
    auto v = decode_component(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!k || !v) return fail(ErrorCode::kInvalidArgument, "malformed query string", "query");
    out.params.emplace_back(std::move(*k), std::move(*v));
  }
  return out;
}

namespace {

// The period a read asks for: from and to (RFC 3339 or YYYY-MM-DD), `to` after `from`. When
// `required` is false either may be left out: from the beginning, to no end.
Result<std::pair<TimeNs, TimeNs>> period_params(const Query& q, bool required) {
  TimeNs bounds[2] = {0, std::numeric_limits<TimeNs>::max()};
  const char* names[2] = {"from", "to"};
  for (int i = 0; i < 2; ++i) {
    const std::string* text = q.get(names[i]);
    if (text == nullptr || text->empty()) {
      if (!required) continue;
      return fail(ErrorCode::kInvalidArgument,
                  std::string(names[i]) + " is required (RFC 3339 or YYYY-MM-DD)", names[i]);
    }
    auto t = parse_rfc3339(*text);
    if (!t) {
      return fail(ErrorCode::kInvalidArgument,
                  std::string(names[i]) + " must be RFC 3339 or YYYY-MM-DD", names[i]);
    }
    bounds[i] = *t;
  }
  if (bounds[1] <= bounds[0]) {
    return fail(ErrorCode::kInvalidArgument, "to must be after from", "to");
  }
  return std::pair{bounds[0], bounds[1]};
}

// kInvalidArgument naming the first parameter that is not one of `allowed`.
Result<void> known_params(const Query& q, std::initializer_list<std::string_view> allowed) {
  for (const auto& param : q.params) {
    if (std::ranges::find(allowed, param.first) != allowed.end()) continue;
    std::string list;
    for (std::string_view name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
    return fail(ErrorCode::kInvalidArgument, "unknown parameter (" + list + ")", param.first);
  }
  return {};
}

// A non-negative integer query parameter, `fallback` when absent.
Result<std::uint64_t> number_param(const Query& q, std::string_view key, std::uint64_t fallback) {
  const std::string* v = q.get(key);
  if (v == nullptr || v->empty()) return fallback;
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size()) {
    return fail(ErrorCode::kInvalidArgument, "must be a non-negative integer", std::string(key));
  }
  return n;
}

// "/v1/lots/L-1" -> {"lots", "L-1"}: the segments of a path, percent-decoded.
std::optional<std::vector<std::string>> segments(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    auto seg = decode_component(path.substr(0, slash), false);
    if (!seg) return std::nullopt;
    out.push_back(std::move(*seg));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

// Entity routes: the path's collection name -> the kind `custody show` knows.
std::optional<domain::EntityKind> collection_kind(std::string_view c) {
  if (c == "lots") return domain::EntityKind::kLot;
  if (c == "work-orders") return domain::EntityKind::kWorkOrder;
  if (c == "exceptions") return domain::EntityKind::kException;
  if (c == "equipment") return domain::EntityKind::kEquipment;
  if (c == "materials") return domain::EntityKind::kMaterial;
  if (c == "parties") return domain::EntityKind::kParty;
  if (c == "receipts") return domain::EntityKind::kReceipt;
  if (c == "defects") return domain::EntityKind::kDefect;
  if (c == "shifts") return domain::EntityKind::kShift;
  if (c == "deviations") return domain::EntityKind::kDeviation;
  if (c == "capa") return domain::EntityKind::kCapa;
  return std::nullopt;
}

// Answers one query on a snapshot: 200 with its JSON, 404 for what does not exist, 400 for a
// request it refuses, 500 for anything else.
Response answer(
    ledger::Ledger& ledger,
    const std::function<Result<void>(const domain::Queries&, codec::JsonWriter&)>& query) {
  auto snap = ledger.snapshot();
  domain::Queries q(*snap);
  std::string body;
  codec::JsonWriter w(body);
  if (auto r = query(q, w); !r) {
    const ErrorCode code = r.error().code;
    return error(code == ErrorCode::kNotFound          ? 404
                 : code == ErrorCode::kInvalidArgument ? 400
                                                       : 500,
                 r.error());
  }
  return json(200, std::move(body));
}

}  // namespace

bool in(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string joined(const std::vector<std::string_view>& roles) {
  std::string out;
  for (auto r : roles) {
    if (!out.empty()) out += ", ";
    out += r;
  }
  return out.empty() ? "custody itself" : out;
}

namespace {

// The session cookie: __Host- prefixed and Secure under TLS (browsers refuse a __Host- cookie
// that is not Secure, so plain HTTP, for a plant's closed network, gets the plain name).
std::string cookie_name(bool tls) {
  return tls ? "__Host-custody_session" : "custody_session";
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
  }
  return {};
}

}  // namespace

// A few threads for argon2id: checking a password takes tens of milliseconds and 64 MiB on
// purpose, and must not hold a network thread.
class Api::Pool {
 public:
  Pool(std::size_t n, const char* name) {
    for (std::size_t i = 0; i < n; ++i) {
      threads_.emplace_back([this, name] {
        pthread_setname_np(pthread_self(), name);
        for (;;) {
          std::function<void()> job;
          {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
          }
          job();
        }
      });
    }
  }
  ~Pool() { finish(); }
  // Runs what is queued, then joins the threads; later posts run on their caller's thread.
  void finish() {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  // Queues `job`; once finish() has begun, runs it on the caller's thread instead.
  void post(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (!stop_) {
        jobs_.push_back(std::move(job));
        job = nullptr;
      }
    }
    if (job) return job();
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

std::string error_body(const Error& e) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("ok").boolean(false);
  domain::write_error_json(e, w);
  w.end_object();
  return out;
}

// A read's refusal: what it named does not exist (404), it was asked wrongly (400), or the
// server failed (500).
unsigned read_status(ErrorCode code) {
  return code == ErrorCode::kNotFound ? 404 : code == ErrorCode::kInvalidArgument ? 400 : 500;
}

unsigned status_of(const Error& e) {
  switch (e.code) {
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kConflict:
    case ErrorCode::kIdempotencyConflict:
      return 409;
    case ErrorCode::kUnavailable:
    case ErrorCode::kProjectionsStale:
    case ErrorCode::kLedgerLocked:
      return 503;
    case ErrorCode::kIoError:
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
      return 500;
    default:
      return 422;  // the ledger refused what the command said
  }
}

Api::Api(ledger::Ledger& ledger, Credentials& credentials, Metrics& metrics,
         const plugin::PluginHost* host, ApiOptions options)
    : ledger_(ledger),
      credentials_(credentials),
      metrics_(metrics),
      host_(host),
      options_(options),
      zone_(TimeZone::load(options.site.time_zone)),
      web_(std::make_unique<WebUi>(options.web_root)),
      capture_jobs_(make_capture_jobs()),
      sessions_(options.sessions),
      pool_(std::make_unique<Pool>(2, "custody-pwhash")),
      queries_(std::make_unique<Pool>(std::max<std::size_t>(options.query_threads, 1),
                                      "custody-query")) {}

Api::~Api() = default;

void Api::on_pool(std::function<void()> job) {
  pool_->post(std::move(job));
}

void Api::finish_queries() {
  queries_->finish();
}

template <typename View, typename Find>
Result<std::optional<View>> Api::as_of_head(std::unordered_map<std::string, AsOfHead<View>>& cache,
                                            const std::string& id, Find find) {
  // The head first, then the record: a record read this way is at least as new as the head
  // it is kept under. It stays current while no identity record has been applied past that
  // head; one that has may not be visible yet, so until the head reaches it every request
  // reads again.
  const std::uint64_t head = ledger_.head().seq;
  {
    std::lock_guard lock(as_of_head_mu_);
    if (auto it = cache.find(id);
        it != cache.end() && domain::identity_changed_at() <= it->second.head) {
      return it->second.view;
    }
  }
  auto snap = ledger_.snapshot();
  auto found = find(*snap, id);
  if (!found) return found;
  constexpr std::size_t kMaxKept = 4096;  // beyond this many credentials, start again
  std::lock_guard lock(as_of_head_mu_);
  if (cache.size() >= kMaxKept) cache.clear();
  cache.insert_or_assign(id, AsOfHead<View>{head, *found});
  return found;
}

Result<Principal> Api::authenticate(const Request& r) {
  constexpr std::string_view kBearer = "Bearer ";
  if (r.authorization.empty()) {
    const std::string session = cookie_value(r.cookie, cookie_name(r.tls));
    if (!session.empty()) return session_principal(session);
    return fail(ErrorCode::kUnauthenticated,
                "this needs credentials: sign in (POST /v1/session) or an API token "
                "(Authorization: Bearer ...)",
                "authorization");
  }
  auto refused = [this] {
    metrics_.failed_logins.fetch_add(1, std::memory_order_relaxed);
    return fail(ErrorCode::kUnauthenticated,
                "the token is not valid (unknown, revoked or mistyped)", "authorization");
  };
  if (!r.authorization.starts_with(kBearer)) return refused();
  const std::string_view secret = std::string_view(r.authorization).substr(kBearer.size());
  const std::string id = token_id_of(secret);
  if (id.empty()) return refused();
  const auto hash = credentials_.token_hash(id);
  if (!hash || !token_matches(*hash, secret)) return refused();
  const auto token =
      as_of_head(token_views_, id, [](const ledger::Snapshot& snap, std::string_view token_id) {
        return domain::find_token(snap, token_id);
      });
  if (!token) return std::unexpected(token.error());
  if (!*token || (*token)->revoked) return refused();
  return Principal{"token:" + id, {(*token)->role}, (*token)->command_types, {}, {}};
}

Result<Principal> Api::session_principal(const std::string& token) {
  const TimeNs now = ledger_.clock().now();
  auto session = sessions_.touch(token, now);
  auto expired = [] {
    return fail(ErrorCode::kUnauthenticated,
                "the session has ended (signed out, idle too long, or too old): sign in again",
                "session");
  };
  if (!session) return expired();
  // Roles and status as the ledger says now: a change by an admin applies at once.
  auto user = as_of_head(user_views_, session->user,
                         [](const ledger::Snapshot& snap, std::string_view user_id) {
                           return domain::find_user(snap, user_id);
                         });
  if (!user) return std::unexpected(user.error());
  if (!*user || (*user)->disabled || (*user)->locked_until > now) {
    sessions_.remove(token);
    return expired();
  }
  return Principal{"user:" + session->user, (*user)->roles, {},
                   session->csrf,           token,          session->signed_once};
}

void Api::handle(Request request, Reply reply) {
  // A read is answered on the query threads (here, once they have finished at a stop);
  // commands and the rest go on from here, where the network thread only admits them and the
  // ledger's threads commit them.
  if (request.method == "GET" && request.target != "/healthz") {
    queries_->post([this, request = std::move(request), reply = std::move(reply)]() mutable {
      route(std::move(request), std::move(reply));
    });
    return;
  }
  route(std::move(request), std::move(reply));
}

void Api::route(Request request, Reply reply) {
  const std::string_view target = request.target;
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string query =
      qmark == std::string_view::npos ? "" : std::string(target.substr(qmark + 1));
  auto segs = segments(path);
  auto done = [&](Response r) {
    metrics_.request_done(r.status);
    reply(std::move(r));
  };
  if (!segs) return done(error(400, ErrorCode::kInvalidArgument, "malformed path", "path"));
  const auto& s = *segs;
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";

  if (s.size() == 1 && s[0] == "healthz") {
    if (!get) return done(error(405, ErrorCode::kInvalidArgument, "use GET", "method"));
    std::string body;
    codec::JsonWriter w(body);
    w.begin_object().key("ok").boolean(true);
    w.key("status").string(stopping_ ? "stopping" : "serving");
    w.end_object();
    return done(json(stopping_ ? 503 : 200, std::move(body)));
  }

  if (s.size() == 2 && s[0] == "v1" && s[1] == "session" && post) {
    in_flight_.fetch_add(1);
    pool_->post([this, request = std::move(request), reply = std::move(reply)] {
      sign_in(request, [this, &reply](Response r) {
        metrics_.request_done(r.status);
        reply(std::move(r));
      });
      in_flight_.fetch_sub(1);
    });
    return;
  }

  if (s.size() == 2 && s[0] == "v1" && s[1] == "openapi.json") {
    if (!get) return done(error(405, ErrorCode::kInvalidArgument, "use GET", "method"));
    return done(json(200, std::string(openapi_document())));
  }

  // The web UI: static files, the same for everyone; what they show comes from /v1 below.
  if (get && (s.empty() || s[0] == "ui")) {
    if (auto file = web_->get(path)) return done(std::move(*file));
  }

  const bool metrics = s.size() == 1 && s[0] == "metrics";
  const bool epcis = !s.empty() && s[0] == "epcis";
  if (!metrics && !epcis && (s.empty() || s[0] != "v1")) {
    return done(error(404, ErrorCode::kNotFound, "no such resource: " + std::string(path), "path"));
  }

  auto principal = authenticate(request);
  if (!principal) {
    if (principal.error().code != ErrorCode::kUnauthenticated) {
      return done(error(500, principal.error()));
    }
    Response r = error(401, principal.error());
    if (epcis) {
      r = json(401, "");
      r.content_type = "application/problem+json";
      codec::JsonWriter w(r.body);
      w.begin_object().key("type").string("epcisException:SecurityException");
      w.key("title").string("Unauthorised request").key("status").uint64(401);
      w.key("detail").string(principal.error().message);
      w.key("code").string("unauthenticated").end_object();
      r.headers.emplace_back("GS1-EPCIS-Version", "2.0.0");
    }
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"custody\"");
    return done(std::move(r));
  }
  const Principal& p = *principal;
  // A write by cookie must carry the session's CSRF token, which another site cannot read.
  if (!p.session.empty() && !get && (request.csrf.empty() || request.csrf != p.csrf)) {
    return done(error(403, ErrorCode::kPermissionDenied,
                      "a signed-in write needs the session's X-CSRF-Token header", "x-csrf-token"));
  }
  if (epcis) return handle_epcis(p, std::move(request), s, query, std::move(reply));
  if (s.size() == 2 && s[1] == "session" && request.method == "DELETE") {
    return done(sign_out(p, request));
  }
  auto read = [&](Read what, auto&& produce) {
    if (!get) return done(error(405, ErrorCode::kInvalidArgument, "use GET", "method"));
    if (!may_read(p.roles, what)) {
      return done(error(403, deny(p, request, "read " + std::string(read_name(what)),
                                  joined(roles_for_read(what)))));
    }
    return done(produce());
  };

  if (metrics) return read(Read::kMetrics, [&] { return get_metrics(); });
  const std::string resource = s.size() > 1 ? s[1] : "";

  if (resource == "commands" && s.size() == 2) {
    if (!post) return done(error(405, ErrorCode::kInvalidArgument, "use POST", "method"));
    metrics_.request_done(200);  // counted here: the answer comes later
    return post_command(p, request, std::move(reply));
  }
  if (resource == "commands:batch" && s.size() == 2) {
    if (!post) return done(error(405, ErrorCode::kInvalidArgument, "use POST", "method"));
    metrics_.request_done(200);
    return post_batch(p, request, std::move(reply));
  }
  if (resource == "tokens" && s.size() == 2 && post) {
    metrics_.request_done(200);
    return create_token(p, request, std::move(reply));
  }
  if (resource == "users" && s.size() == 4 && s[3] == "password" && post) {
    metrics_.request_done(200);
    in_flight_.fetch_add(1);
    pool_->post([this, p, request = std::move(request), user = s[2], reply = std::move(reply)] {
      set_password(p, request, user, reply);
      in_flight_.fetch_sub(1);
    });
    return;
  }
  if (resource == "signatures" && s.size() == 3 && s[2] == "challenges" && post) {
    return done(create_challenge(p, request));
  }
  constexpr std::string_view kConfirm = ":confirm";
  if (resource == "signatures" && s.size() == 4 && s[2] == "challenges" && post &&
      s[3].ends_with(kConfirm)) {
    metrics_.request_done(200);
    in_flight_.fetch_add(1);
    pool_->post([this, p, request = std::move(request),
                 id = s[3].substr(0, s[3].size() - kConfirm.size()), reply = std::move(reply)] {
      reply(confirm_challenge(p, request, id));
      in_flight_.fetch_sub(1);
    });
    return;
  }
  if (resource == "signatures" && s.size() == 3 && s[2] == "policy") {
    return read(Read::kState, [&] { return get_signature_policy(); });
  }
  if (resource == "whoami" && s.size() == 2) {
    if (!get) return done(error(405, ErrorCode::kInvalidArgument, "use GET", "method"));
    return done(get_whoami(p));
  }
  if (resource == "records" && s.size() == 3) {
    return read(Read::kLog, [&] { return get_record(s[2], query); });
  }
  if (resource == "log" && s.size() == 2) return read(Read::kLog, [&] { return get_log(query); });
  if (resource == "checkpoint" && s.size() == 2) {
    return read(Read::kAudit, [&] { return get_checkpoint(); });
  }
  if (resource == "proofs" && s.size() == 3) {
    return read(Read::kLog, [&] { return get_proof(s[2], query); });
  }
  if (resource == "tokens" && s.size() == 2) {
    return read(Read::kIdentity, [&] { return get_tokens(); });
  }
  if (resource == "users" && s.size() == 2) {
    return read(Read::kIdentity, [&] { return get_users(); });
  }
  if (resource == "plugins" && s.size() == 2) {
    return read(Read::kIdentity, [&] { return get_plugins(); });
  }
  if (resource == "boards" && s.size() == 3) {
    return read(Read::kState, [&] { return get_board(s[2]); });
  }
  if (resource == "site" && s.size() == 2) return read(Read::kState, [&] { return get_site(); });
  if (resource == "recall" && s.size() == 2) {
    return read(Read::kState, [&] { return get_recall(query, ""); });
  }
  if (resource == "recall" && s.size() == 4 && s[2] == "fsma204") {
    return read(Read::kState, [&] { return get_recall(query, s[3]); });
  }
  if (resource == "epcis" && s.size() == 3 && s[2] == "capture") {
    if (!post) return done(error(405, ErrorCode::kInvalidArgument, "use POST", "method"));
    metrics_.request_done(200);
    return post_epcis_capture(p, std::move(request), query, std::move(reply));
  }
  if (resource == "epcis" && s.size() == 3 && s[2] == "document") {
    return read(Read::kLog, [&] { return get_epcis_document(query); });
  }
  if (resource == "fsma204" && s.size() == 3) {
    return read(Read::kState, [&] { return get_fsma204(query, s[2]); });
  }
  if (resource == "kpis" && s.size() == 2) {
    return read(Read::kState, [&] { return get_kpis(query); });
  }
  if (resource == "equipment" && s.size() == 4 && s[3] == "logbook") {
    return read(Read::kState, [&] { return get_logbook(s[2], query); });
  }
  if (resource == "pareto" && s.size() == 2) {
    return read(Read::kState, [&] { return get_pareto(query); });
  }
  if (resource == "oee" && s.size() == 2) {
    return read(Read::kState, [&] { return get_oee(query); });
  }
  if (resource == "pay" && s.size() == 2) return read(Read::kPay, [&] { return get_pay(query); });
  if (resource == "enterprise" && s.size() == 3 && s[2] == "sites") {
    return read(Read::kEnterprise, [&] { return get_enterprise_sites(); });
  }
  if (resource == "enterprise" && s.size() == 3 && (s[2] == "recall" || s[2] == "trace")) {
    return read(Read::kEnterprise, [&] { return get_enterprise_answer(query, s[2] == "trace"); });
  }
  if (resource == "work-orders" && s.size() == 4 && s[3] == "yield") {
    return read(Read::kState, [&] { return get_yield(s[2]); });
  }
  if (collection_kind(resource) && s.size() == 2) {
    return read(Read::kState, [&] { return get_list(resource, query); });
  }
  if (collection_kind(resource) && s.size() == 3) {
    return read(Read::kState, [&] { return get_entity(resource, s[2]); });
  }
  return done(error(404, ErrorCode::kNotFound, "no such resource: " + std::string(path), "path"));
}

Error Api::deny(const Principal& p, const Request& r, std::string action, std::string needed) {
  metrics_.denials.fetch_add(1, std::memory_order_relaxed);
  record_access(p.actor, r.peer, action, "role: " + needed);
  return Error{ErrorCode::kPermissionDenied,
               p.actor + " may not " + action + " (that needs the role " + needed + ")", ""};
}

void Api::record_access(const std::string& principal, const std::string& peer,
                        const std::string& action, const std::string& capability) {
  const std::string key = principal + '\n' + action;
  std::uint32_t repeats = 0;
  {
    std::lock_guard lock(denials_mu_);
    const auto now = Clock::now();
    auto [it, fresh] = denials_.try_emplace(key, Denial{now, 0});
    if (!fresh) {
      if (now - it->second.window_start < options_.denial_window) {
        ++it->second.suppressed;
        return;  // counted into the next record
      }
      repeats = it->second.suppressed;
      it->second = Denial{now, 0};
    }
  }
  std::string data;
  codec::JsonWriter w(data);
  w.begin_object();
  w.key("principal").string(principal);
  w.key("capability").string(capability);
  w.key("action").string(action);
  if (!peer.empty()) w.key("from").string(peer);
  if (repeats > 0) w.key("repeats").uint64(repeats);
  w.end_object();
  std::string line;
  codec::JsonWriter c(line);
  c.begin_object();
  c.key("type").string("access.deny");
  c.key("commandId")
      .string("access:server:" + std::to_string(ledger_.clock().now()) + ":" +
              std::to_string(denial_serial_.fetch_add(1)));
  c.key("data").raw(data);
  c.end_object();
  auto cmd = domain::decode_command(line, nullptr, domain::kSystemActor);
  if (!cmd) return;  // cannot happen: the command is built above
  ledger_.submit(std::move(*cmd), [](Result<ledger::CommandResult>) {});
}

Api::Admitted Api::admit(const Principal& p, const Request& r, std::string_view text,
                         std::string& command_id, std::string_view own_prefix) {
  std::string refused_type;
  auto authorize = [&](std::string_view type) -> Result<void> {
    if (may_submit(p.roles, type) && (p.command_types.empty() || in(p.command_types, type))) {
      return {};
    }
    refused_type = type;
    return fail(ErrorCode::kPermissionDenied, "not this type", "type");
  };
  auto cmd = domain::decode_command(text, &command_id, p.actor, authorize);
  if (!cmd) {
    if (!refused_type.empty()) {
      std::string needed = joined(roles_for_command(refused_type));
      if (!p.command_types.empty() && may_submit(p.roles, refused_type)) {
        needed += ", in a token whose scope includes it";
      }
      return {std::nullopt, deny(p, r, "submit " + refused_type, needed), 403};
    }
    if (cmd.error().code == ErrorCode::kPermissionDenied) {  // it named another actor
      return {std::nullopt, deny(p, r, "submit as another actor", "of that actor"), 403};
    }
    return {std::nullopt, cmd.error(), 400};
  }
  if (const auto prefix = domain::reserved_prefix(cmd->command_id);
      !prefix.empty() && prefix != own_prefix) {
    return {std::nullopt,
            Error{ErrorCode::kReserved,
                  "command ids starting with '" + std::string(prefix) +
                      "' are reserved for commands custody writes itself",
                  "commandId"},
            400};
  }
  if (stopping_) {
    return {std::nullopt,
            Error{ErrorCode::kUnavailable, "the server is stopping; retry elsewhere", ""}, 503};
  }
  return {std::move(*cmd), {}, 0};
}

void Api::post_command(const Principal& p, const Request& r, Reply reply) {
  std::string command_id;
  auto admitted = admit(p, r, r.body, command_id);
  if (!admitted.command) return reply(error(admitted.status, admitted.error));
  in_flight_.fetch_add(1);
  const auto started = Clock::now();
  ledger_.submit(std::move(*admitted.command), [this, reply = std::move(reply), command_id,
                                                started](Result<ledger::CommandResult> result) {
    metrics_.observe_commit(std::chrono::duration<double>(Clock::now() - started).count());
    Response answer{result ? 200 : status_of(result.error()), "application/json", "", {}};
    answer.make_body = [command_id, result = std::move(result)] {
      return domain::result_json(command_id, result);
    };
    reply(std::move(answer));
    in_flight_.fetch_sub(1);
  });
}

void Api::submit_as(const Principal& p, const Request& r, std::string_view type,
                    const std::string& data_json,
                    std::function<void(Result<ledger::CommandResult>, const Error*)> done,
                    bool checked) {
  std::array<std::uint8_t, 8> nonce{};
  randombytes_buf(nonce.data(), nonce.size());
  std::string line;
  codec::JsonWriter w(line);
  w.begin_object();
  w.key("type").string(type);
  w.key("commandId").string("api-" + std::string(type) + "-" + to_hex(nonce));
  w.key("data").raw(data_json);
  w.end_object();
  std::string command_id;
  Admitted admitted;
  if (checked) {  // the caller made its own authority check
    auto cmd = domain::decode_command(line, &command_id, p.actor);
    if (cmd) {
      admitted.command = std::move(*cmd);
    } else {
      admitted.error = cmd.error();
    }
  } else {
    admitted = admit(p, r, line, command_id);
  }
  if (!admitted.command) {
    const Error e = admitted.error;
    return done(std::unexpected(e), &e);
  }
  ledger_.submit(std::move(*admitted.command),
                 [done = std::move(done)](Result<ledger::CommandResult> result) {
                   done(std::move(result), nullptr);
                 });
}

void Api::create_token(const Principal& p, const Request& r, Reply reply) {
  auto body = codec::parse_json(r.body, "", 64 << 10);
  if (!body || !body->is_object()) {
    return reply(error(400, body ? Error{ErrorCode::kInvalidArgument,
                                         "a token is a JSON object {token, role, ...}", "body"}
                                 : body.error()));
  }
  const auto* id = body->as_object().if_contains("token");
  if (id == nullptr || !id->is_string()) {
    return reply(error(400, ErrorCode::kInvalidArgument, "is required", "token"));
  }
  const std::string token_id(id->as_string());
  in_flight_.fetch_add(1);
  submit_as(p, r, "token.create", r.body,
            [this, reply = std::move(reply), token_id](Result<ledger::CommandResult> result,
                                                       const Error* refused) {
              if (!result) {
                reply(error(refused != nullptr && refused->code == ErrorCode::kPermissionDenied
                                ? 403
                                : (refused != nullptr ? 400 : status_of(result.error())),
                            result.error()));
              } else {
                // Only now is the id known to be new: a refused create never touches the hash
                // of an existing token.
                const std::string secret = new_token_secret(token_id);
                if (auto kept = credentials_.set_token_hash(token_id, token_hash(secret)); !kept) {
                  reply(error(500, kept.error()));
                } else {
                  std::string out;
                  codec::JsonWriter w(out);
                  w.begin_object().key("ok").boolean(true).key("id").string(token_id);
                  w.key("token").string(secret).key("seq").uint64(result->seq).end_object();
                  reply(json(200, std::move(out)));
                }
              }
              in_flight_.fetch_sub(1);
            });
}

void Api::set_password(const Principal& p, const Request& r, const std::string& user, Reply reply) {
  auto body = codec::parse_json(r.body, "", 64 << 10);
  const auto* pw = body && body->is_object() ? body->as_object().if_contains("password") : nullptr;
  if (pw == nullptr || !pw->is_string()) {
    return reply(error(400, ErrorCode::kInvalidArgument, "is required", "password"));
  }
  // A person may change their own password with the current one; anyone else's needs the
  // admin role. The role check first: nobody learns the policy or spends our argon2 time
  // unauthorised.
  const bool own = !p.session.empty() && p.actor == "user:" + user;
  if (!own && !may_submit(p.roles, "user.set_password")) {
    return reply(error(
        403, deny(p, r, "submit user.set_password",
                  joined(roles_for_command("user.set_password")) + ", or the person themselves")));
  }
  if (own) {  // even an admin: a session left open must not be enough
    const auto* current = body->as_object().if_contains("currentPassword");
    if (current == nullptr || !current->is_string()) {
      return reply(error(400, ErrorCode::kInvalidArgument,
                         "changing your own password needs the current one", "currentPassword"));
    }
    const auto hash = credentials_.password_hash(user);
    if (!hash || !verify_password(*hash, current->as_string())) {
      failed_sign_in(user, true, r.peer, "change own password");
      return reply(error(401, ErrorCode::kUnauthenticated,
                         "the current password is wrong; nothing was changed", "currentPassword"));
    }
  }
  auto snap = ledger_.snapshot();
  auto found = domain::find_user(*snap, user);
  if (!found) return reply(error(500, found.error()));
  if (!*found) {
    return reply(error(404, ErrorCode::kNotFound, "user " + user + " does not exist", "user"));
  }
  if (auto ok = check_password_policy(pw->as_string(), user); !ok) {
    return reply(error(400, ok.error()));
  }
  auto hash = hash_password(pw->as_string());
  if (!hash) return reply(error(500, hash.error()));
  if (auto kept = credentials_.set_password_hash(user, std::move(*hash)); !kept) {
    return reply(error(500, kept.error()));
  }
  std::string data;
  codec::JsonWriter w(data);
  w.begin_object().key("user").string(user).end_object();
  std::promise<Response> answer;
  submit_as(
      p, r, "user.set_password", data,
      [&answer](Result<ledger::CommandResult> result, const Error* refused) {
        answer.set_value(
            result ? json(200, R"({"ok":true,"seq":)" + std::to_string(result->seq) + "}")
                   : error(refused != nullptr ? 400 : status_of(result.error()), result.error()));
      },
      own);
  reply(answer.get_future().get());
}

void Api::post_batch(const Principal& p, const Request& r, Reply reply) {
  // One result line per command line, in input order, once every command is durable.
  struct Batch {
    std::vector<std::string> results;
    std::atomic<std::size_t> pending{1};  // one for the reading below
    Reply reply;
    std::atomic<std::size_t>* in_flight = nullptr;
    void finish_one() {
      if (pending.fetch_sub(1) != 1) return;
      std::string body;
      for (auto& line : results) {
        body += line;
        body += '\n';
      }
      reply(Response{200, "application/x-ndjson", std::move(body), {}});
      in_flight->fetch_sub(1);
    }
  };
  auto batch = std::make_shared<Batch>();
  batch->reply = std::move(reply);
  batch->in_flight = &in_flight_;
  in_flight_.fetch_add(1);

  std::vector<std::string_view> lines;
  for (std::string_view rest = r.body; !rest.empty();) {
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    lines.push_back(line);
  }
  if (lines.size() > options_.max_batch_commands) {
    batch->results.push_back(error_body(Error{
        ErrorCode::kOutOfRange,
        "a batch may hold at most " + std::to_string(options_.max_batch_commands) + " commands",
        "body"}));
    return batch->finish_one();
  }
  batch->results.resize(lines.size());
  const auto started = Clock::now();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string command_id;
    auto admitted = admit(p, r, lines[i], command_id);
    if (!admitted.command) {
      batch->results[i] =
          domain::result_json(command_id, std::unexpected(std::move(admitted.error)));
      continue;
    }
    batch->pending.fetch_add(1);
    ledger_.submit(std::move(*admitted.command), [this, batch, i, command_id,
                                                  started](Result<ledger::CommandResult> result) {
      metrics_.observe_commit(std::chrono::duration<double>(Clock::now() - started).count());
      batch->results[i] = domain::result_json(command_id, result);
      batch->finish_one();
    });
  }
  batch->finish_one();
}

void Api::post_epcis_capture(const Principal& p, Request r, const std::string& query, Reply reply) {
  constexpr std::string_view kType = "epcis.capture";
  if (!may_submit(p.roles, kType) || (!p.command_types.empty() && !in(p.command_types, kType))) {
    return reply(error(403, deny(p, r, "submit epcis.capture", joined(roles_for_command(kType)))));
  }
  auto q = parse_query(query);
  if (!q) return reply(error(400, q.error()));
  std::string partner, source;
  for (const auto& [key, value] : q->params) {
    if (key == "partner") {
      partner = value;
    } else if (key == "source") {
      source = value;
    } else {
      return reply(
          error(400, ErrorCode::kInvalidArgument, "unknown parameter (partner, source)", key));
    }
  }
  if (source.empty()) {
    source =
        "POST /v1/epcis/capture by " + p.actor + " at " + format_rfc3339(ledger_.clock().now());
  }
  // Parsing, validating and hashing a document of up to 256 MiB is work for the pool, not
  // for an I/O thread every connection shares.
  in_flight_.fetch_add(1);
  pool_->post([this, p, r = std::move(r), source = std::move(source), partner = std::move(partner),
               reply = std::move(reply)]() mutable {
    auto snap = ledger_.snapshot();
    auto plan = domain::plan_epcis_import(*snap, r.body, source, partner);
    if (!plan) {
      const auto code = plan.error().code;
      reply(error(code == ErrorCode::kPermissionDenied ? 403 : read_status(code), plan.error()));
      in_flight_.fetch_sub(1);
      return;
    }
    r.body.clear();
    r.body.shrink_to_fit();  // the plan holds what is needed
    submit_import(p, r, *plan, [this, reply = std::move(reply)](Result<std::string> out) {
      reply(out ? json(200, std::move(*out)) : error(status_of(out.error()), out.error()));
      in_flight_.fetch_sub(1);
    });
  });
}

void Api::submit_import(const Principal& p, const Request& r, const domain::EpcisImportPlan& plan,
                        std::function<void(Result<std::string>)> done) {
  domain::submit_epcis_import(
      plan, p.actor,
      [&](std::string command, std::function<void(Result<ledger::CommandResult>)> committed) {
        std::string command_id;
        auto admitted = admit(p, r, command, command_id, domain::kEpcisCommandIdPrefix);
        if (!admitted.command) return committed(std::unexpected(admitted.error));
        ledger_.submit(std::move(*admitted.command), std::move(committed));
      },
      std::move(done));
}

void Api::sign_in(const Request& r, const Reply& reply) {
  auto body = codec::parse_json(r.body, "", 64 << 10);
  if (!body || !body->is_object()) {
    return reply(error(400, ErrorCode::kInvalidArgument,
                       "sign in with a JSON object {\"user\", \"password\"}", "body"));
  }
  const auto& o = body->as_object();
  const auto* u = o.if_contains("user");
  const auto* pw = o.if_contains("password");
  if (u == nullptr || !u->is_string() || u->as_string().empty()) {
    return reply(error(400, ErrorCode::kInvalidArgument, "is required", "user"));
  }
  if (pw == nullptr || !pw->is_string()) {
    return reply(error(400, ErrorCode::kInvalidArgument, "is required", "password"));
  }
  const std::string id(u->as_string());
  const std::string_view password = pw->as_string();
  const TimeNs now = ledger_.clock().now();
  auto snap = ledger_.snapshot();
  auto user = domain::find_user(*snap, id);
  if (!user) return reply(error(500, user.error()));
  if (*user && (*user)->locked_until > now) {
    metrics_.failed_logins.fetch_add(1, std::memory_order_relaxed);
    record_access("user:" + id, r.peer, "sign in while locked", "an unlocked account");
    return reply(error(401, ErrorCode::kUnauthenticated,
                       "the account is locked until " + format_rfc3339((*user)->locked_until) +
                           " after repeated failed sign-ins; an administrator can unlock it "
                           "sooner (user.unlock)",
                       "user"));
  }
  const auto hash = *user ? credentials_.password_hash(id) : std::nullopt;
  // An unknown user costs the same hashing as a known one, so timing does not tell them apart.
  static const std::string dummy = *hash_password("not a password of anyone here");
  const bool good = verify_password(hash ? *hash : dummy, password) && hash.has_value();
  if (!good) {
    failed_sign_in(id, user->has_value(), r.peer);
    return reply(error(401, ErrorCode::kUnauthenticated,
                       "wrong user id or password; after " + std::to_string(options_.max_failures) +
                           " failures in " + std::to_string(options_.failure_window.count() / 60) +
                           " minutes the account is locked",
                       "password"));
  }
  if ((*user)->disabled) {
    return reply(error(401, ErrorCode::kUnauthenticated,
                       "the account is disabled; ask an administrator", "user"));
  }
  {
    std::lock_guard lock(failures_mu_);
    failures_.erase(id);
  }
  auto created = sessions_.create(id, now);
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true);
  w.key("csrfToken").string(created.session.csrf);
  w.key("user").string(id);
  w.key("name").string((*user)->name);
  w.key("roles").begin_array();
  for (const auto& role : (*user)->roles) w.string(role);
  w.end_array();
  w.key("expiresAt").string(format_rfc3339(created.session.expires(sessions_.options())));
  w.end_object();
  Response resp = json(200, std::move(out));
  resp.headers.emplace_back(
      "Set-Cookie", cookie_name(r.tls) + "=" + created.token +
                        "; Path=/; HttpOnly; SameSite=Strict" + (r.tls ? "; Secure" : "") +
                        "; Max-Age=" + std::to_string(sessions_.options().absolute.count()));
  reply(std::move(resp));
}

Response Api::sign_out(const Principal& p, const Request& r) {
  sessions_.remove(p.session);
  Response resp = json(200, R"({"ok":true})");
  resp.headers.emplace_back("Set-Cookie", cookie_name(r.tls) +
                                              "=; Path=/; HttpOnly; SameSite=Strict" +
                                              (r.tls ? "; Secure" : "") + "; Max-Age=0");
  return resp;
}

void Api::failed_sign_in(const std::string& user, bool exists, const std::string& peer,
                         const std::string& action) {
  metrics_.failed_logins.fetch_add(1, std::memory_order_relaxed);
  record_access("user:" + user, peer, action, "the password");
  if (!exists) return;  // nothing to lock
  std::uint32_t failures = 0;
  {
    std::lock_guard lock(failures_mu_);
    auto& times = failures_[user];
    const auto now = Clock::now();
    std::erase_if(times, [&](auto t) { return now - t > options_.failure_window; });
    times.push_back(now);
    if (times.size() < options_.max_failures) return;
    failures = static_cast<std::uint32_t>(times.size());
    times.clear();
  }
  sessions_.remove_user(user);
  const TimeNs until =
      ledger_.clock().now() + static_cast<TimeNs>(options_.lockout.count()) * 1'000'000'000LL;
  std::string line;
  codec::JsonWriter c(line);
  c.begin_object();
  c.key("type").string("user.lock");
  c.key("commandId").string("access:lock:" + user + ":" + std::to_string(ledger_.clock().now()));
  c.key("data").begin_object();
  c.key("user").string(user);
  c.key("until").string(format_rfc3339(until));
  c.key("failures").uint64(failures);
  if (!peer.empty()) c.key("from").string(peer);
  c.end_object();
  c.end_object();
  auto cmd = domain::decode_command(line, nullptr, domain::kSystemActor);
  if (!cmd) return;
  // Wait for it: the next attempt must find the account locked.
  (void)ledger_.submit(std::move(*cmd)).get();
}

std::variant<Api::StreamStart, Response> Api::open_stream(const Request& r,
                                                          const std::string& origin,
                                                          const std::string& host) {
  auto finish = [&](Response resp) {
    metrics_.request_done(resp.status);
    return resp;
  };
  // A browser page from another site must not follow the log with the user's cookie.
  if (!origin.empty()) {
    const std::string self = std::string(r.tls ? "https://" : "http://") + host;
    if (origin != self) {
      return finish(error(
          403, ErrorCode::kPermissionDenied,
          "a stream may be opened only by pages of this server (Origin " + origin + ")", "origin"));
    }
  }
  auto principal = authenticate(r);
  if (!principal) {
    Response resp =
        error(principal.error().code == ErrorCode::kUnauthenticated ? 401 : 500, principal.error());
    resp.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"custody\"");
    return finish(std::move(resp));
  }
  if (!may_read(principal->roles, Read::kLog)) {
    return finish(error(403, deny(*principal, r, "read log", joined(roles_for_read(Read::kLog)))));
  }
  const auto qmark = r.target.find('?');
  auto q = parse_query(qmark == std::string::npos ? "" : r.target.substr(qmark + 1));
  if (!q) return finish(error(400, q.error()));
  StreamStart start{*principal, ledger_.head().seq + 1, {}};
  auto from = number_param(*q, "from", start.from);
  if (!from) return finish(error(400, from.error()));
  start.from = std::max<std::uint64_t>(*from, 1);
  if (const std::string* types = q->get("types"); types != nullptr && !types->empty()) {
    for (std::string_view rest = *types; !rest.empty();) {
      const auto comma = rest.find(',');
      const std::string t(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (domain::find_event(t) == nullptr) {
        return finish(
            error(400, ErrorCode::kInvalidArgument, "unknown event type '" + t + "'", "types"));
      }
      start.types.push_back(t);
    }
  }
  metrics_.request_done(101);
  return start;
}

Result<std::vector<std::string>> Api::stream_records(std::uint64_t from, std::size_t limit,
                                                     const std::vector<std::string>& types,
                                                     std::uint64_t& next) {
  std::vector<std::string> out;
  next = from;
  auto snap = ledger_.snapshot();
  Result<void> failed;
  auto r = snap->records(from, limit, [&](std::uint64_t seq, std::string_view bytes) {
    next = seq + 1;
    if (!types.empty()) {
      auto rec = ledger::decode_record(bytes);
      if (!rec) {
        failed = std::unexpected(rec.error());
        return false;
      }
      if (!in(types, rec->type)) return true;
    }
    std::string json;
    if (auto j = domain::append_record_json(bytes, json); !j) {
      failed = std::unexpected(j.error());
      return false;
    }
    out.push_back(std::move(json));
    return true;
  });
  if (!r) return std::unexpected(r.error());
  if (!failed) return std::unexpected(failed.error());
  return out;
}

Response Api::get_record(const std::string& seq_text, const std::string& query_text) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  const std::string* want_bytes = q->get("bytes");
  if (want_bytes != nullptr && *want_bytes != "true" && *want_bytes != "false") {
    return error(400, ErrorCode::kInvalidArgument, "must be true or false", "bytes");
  }
  std::uint64_t seq = 0;
  auto [p, ec] = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq);
  if (ec != std::errc() || p != seq_text.data() + seq_text.size() || seq == 0) {
    return error(400, ErrorCode::kInvalidArgument, "a seq is a positive integer", "seq");
  }
  auto snap = ledger_.snapshot();
  auto bytes = snap->record(seq);
  if (!bytes) return error(bytes.error().code == ErrorCode::kNotFound ? 404 : 500, bytes.error());
  std::string body = R"({"ok":true,"record":)";
  if (auto r = domain::append_record_json(*bytes, body); !r) return error(500, r.error());
  // The manifestations of the record's electronic signatures.
  auto sigs = domain::signatures_of(*snap, seq);
  if (!sigs) return error(500, sigs.error());
  if (!sigs->empty()) {
    body += ",\"signatures\":[";
    for (std::size_t i = 0; i < sigs->size(); ++i) {
      if (i > 0) body += ',';
      codec::JsonWriter w(body);
      domain::write_signature_json((*sigs)[i], w);
    }
    body += ']';
  }
  if (want_bytes != nullptr && *want_bytes == "true") {
    // What the record's hash is computed over (its leaf form, RFC 6962: SHA-256 of 0x00 and
    // these bytes), and its payload's canonical bytes (SHA-256: payloadDigest), so a client
    // can recompute both without trusting this server's arithmetic.
    auto fields = ledger::decode_record(*bytes);
    if (!fields) return error(500, fields.error());
    const std::string leaf = ledger::canonical_record(*fields, ledger::RecordForm::kLeaf);
    auto b64 = [](std::string_view v) {
      return to_base64(std::span(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
    };
    body += ",\"leafBytes\":\"" + b64(leaf) + "\"";
    if (fields->payload_present) body += ",\"payloadBytes\":\"" + b64(fields->payload) + "\"";
  }
  body += '}';
  return json(200, std::move(body));
}

Response Api::get_log(const std::string& query_text) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  auto from = number_param(*q, "from", 1);
  if (!from) return error(400, from.error());
  auto limit = number_param(*q, "limit", 100);
  if (!limit) return error(400, limit.error());
  if (*limit == 0 || *limit > options_.max_log_limit) {
    return error(400, ErrorCode::kInvalidArgument,
                 "limit must be 1 to " + std::to_string(options_.max_log_limit), "limit");
  }
  const std::string* stream = q->get("stream");
  auto snap = ledger_.snapshot();
  std::string body = R"({"ok":true,"records":[)";
  std::uint64_t count = 0;
  std::uint64_t last = 0;
  Result<void> failed;
  auto add = [&](std::uint64_t seq, std::string_view bytes) {
    if (count++ > 0) body += ',';
    if (auto r = domain::append_record_json(bytes, body); !r) {
      failed = std::unexpected(r.error());
      return false;
    }
    last = seq;
    return true;
  };
  auto r = stream == nullptr || stream->empty() ? snap->records(*from, *limit, add)
                                                : snap->stream_records(*stream, *from, *limit, add);
  if (!r) return error(500, r.error());
  if (!failed) return error(500, failed.error());
  body += "],\"count\":" + std::to_string(count);
  // Where the next page starts: a seq for the whole log, a stream version for a stream.
  if (count == *limit) {
    body += ",\"next\":" +
            std::to_string(stream == nullptr || stream->empty() ? last + 1 : *from + count);
  } else {
    body += ",\"next\":null";
  }
  body += '}';
  return json(200, std::move(body));
}

Response Api::get_checkpoint() {
  std::string body;
  codec::JsonWriter w(body);
  w.begin_object().key("ok").boolean(true);
  w.key("head").uint64(ledger_.head().seq);
  w.key("checkpoint").string(ledger_.latest_checkpoint());
  w.end_object();
  return json(200, std::move(body));
}

// GET /v1/proofs/inclusion?seq=N[&treeSize=S] and /v1/proofs/consistency?from=S1[&to=S2]:
// RFC 9162 proofs with the signed checkpoints they are checked against. Without a tree size
// the proof is against a checkpoint covering the whole log, signed now if need be.
Response Api::get_proof(std::string_view kind, const std::string& query_text) {
  if (kind != "inclusion" && kind != "consistency") {
    return error(404, ErrorCode::kNotFound, "proofs are inclusion or consistency", "path");
  }
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  const bool inclusion = kind == "inclusion";
  const char* first = inclusion ? "seq" : "from";
  const char* second = inclusion ? "treeSize" : "to";
  if (q->get(first) == nullptr) {
    return error(400, ErrorCode::kInvalidArgument, "required", first);
  }
  auto a = number_param(*q, first, 0);
  if (!a) return error(400, a.error());
  if (inclusion && *a == 0) {
    return error(400, ErrorCode::kInvalidArgument, "a seq is a positive integer", first);
  }
  auto b = number_param(*q, second, 0);
  if (!b) return error(400, b.error());
  if (q->get(second) != nullptr && *b == 0) {
    return error(400, ErrorCode::kInvalidArgument, "a tree size is a positive integer", second);
  }
  if (*b == 0) {
    if (auto cp = ledger_.checkpoint(); !cp) return error(503, cp.error());
  }
  auto snap = ledger_.snapshot();
  std::string body = R"({"ok":true,"proof":)";
  codec::JsonWriter w(body);
  auto status = [](const Error& e) {
    return e.code == ErrorCode::kInvalidArgument ? 400 : e.code == ErrorCode::kNotFound ? 404 : 500;
  };
  if (inclusion) {
    auto p = ledger::prove_inclusion(*snap, *a, *b);
    if (!p) return error(status(p.error()), p.error());
    ledger::write_json(*p, w);
  } else {
    auto p = ledger::prove_consistency(*snap, *a, *b);
    if (!p) return error(status(p.error()), p.error());
    ledger::write_json(*p, w);
  }
  body += '}';
  return json(200, std::move(body));
}

Response Api::get_entity(std::string_view collection, std::string_view id) {
  return answer(ledger_, [&](const domain::Queries& queries, codec::JsonWriter& w) {
    return queries.show(*collection_kind(collection), id, 100, w);
  });
}

Response Api::get_board(std::string_view which) {
  auto snap = ledger_.snapshot();
  domain::Queries q(*snap);
  std::string body;
  codec::JsonWriter w(body);
  const std::uint32_t within =
      which == "expiry" ? options_.site.expiry_horizon_days : domain::kTrainingHorizonDays;
  if (auto r = q.board(which, ledger_.clock().now(), within, w); !r) {
    return error(r.error().code == ErrorCode::kNotFound ? 404 : 500, r.error());
  }
  return json(200, std::move(body));
}

Response Api::get_list(std::string_view collection, const std::string& query_text) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  auto limit = number_param(*q, "limit", 100);
  if (!limit) return error(400, limit.error());
  if (*limit == 0 || *limit > 1000) {
    return error(400, ErrorCode::kInvalidArgument, "limit must be 1 to 1000", "limit");
  }
  return answer(ledger_, [&](const domain::Queries& queries, codec::JsonWriter& w) {
    return queries.list(*collection_kind(collection), q->value("status"), q->value("after"), *limit,
                        w);
  });
}

Response Api::get_kpis(const std::string& query_text) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  auto period = period_params(*q, true);
  if (!period) return error(400, period.error());
  return answer(ledger_, [&](const domain::Queries& queries, codec::JsonWriter& w) {
    return queries.kpis(period->first, period->second, w);
  });
}

Response Api::get_logbook(std::string_view equipment, const std::string& query_text) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  auto period = period_params(*q, false);
  if (!period) return error(400, period.error());
  return answer(ledger_, [&](const domain::Queries& queries, codec::JsonWriter& w) {
    return queries.equipment_logbook(equipment, period->first, period->second, w);
  });
}

Response Api::get_pareto(const std::string& query_text) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  if (auto known = known_params(*q, {"from", "to", "by", "step", "material", "equipment", "shift"});
      !known) {
    return error(400, known.error());
  }
  auto period = period_params(*q, false);
  if (!period) return error(400, period.error());
  domain::ParetoQuery pareto{.from = period->first,
                             .to = period->second,
                             .step = q->value("step"),
                             .material = q->value("material"),
                             .equipment = q->value("equipment"),
                             .shift = q->value("shift")};
  if (std::string by = q->value("by"); !by.empty()) pareto.by = by;  // empty: as if not given
  if (!zone_) return error(500, zone_.error());
  return answer(ledger_, [&](const domain::Queries& queries, codec::JsonWriter& w) {
    return queries.defect_pareto(pareto, *zone_, w);
  });
}

Response Api::get_oee(const std::string& query_text) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  if (auto known = known_params(*q, {"from", "to", "equipment"}); !known) {
    return error(400, known.error());
  }
  auto period = period_params(*q, true);
  if (!period) return error(400, period.error());
  domain::OeeQuery oee{.from = period->first,
                       .to = period->second,
                       .now = ledger_.clock().now(),
                       .equipment = q->value("equipment")};
  if (!zone_) return error(500, zone_.error());
  return answer(ledger_, [&](const domain::Queries& queries, codec::JsonWriter& w) {
    return queries.oee(oee, *zone_, w);
  });
}

Response Api::get_pay(const std::string& query_text) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  if (auto known = known_params(*q, {"from", "to"}); !known) return error(400, known.error());
  auto period = period_params(*q, true);
  if (!period) return error(400, period.error());
  return answer(ledger_, [&](const domain::Queries& queries, codec::JsonWriter& w) {
    return queries.piecework_pay(period->first, period->second, w);
  });
}

Response Api::get_yield(std::string_view wo) {
  return answer(ledger_, [&](const domain::Queries& queries, codec::JsonWriter& w) {
    return queries.work_order_yield(wo, w);
  });
}

Response Api::get_recall(const std::string& query_text, std::string_view fsma204_file) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  auto param = [&](std::string_view k) {
    return q->value(k);
  };
  const std::string exclude = param("excludeConsumed");
  if (!exclude.empty() && exclude != "true" && exclude != "false") {
    return error(400, ErrorCode::kInvalidArgument, "must be true or false", "excludeConsumed");
  }
  const domain::RecallRequest request{param("lot"),       param("supplierLot"), param("supplier"),
                                      param("equipment"), param("from"),        param("to"),
                                      exclude == "true"};
  auto scope = domain::recall_scope(request);
  if (!scope) return error(400, scope.error());
  auto fan_out = number_param(*q, "fanOut", 12);
  if (!fan_out) return error(400, fan_out.error());
  if (*fan_out == 0 || *fan_out > 10'000) {
    return error(400, ErrorCode::kInvalidArgument, "fanOut must be 1 to 10000", "fanOut");
  }
  auto snap = ledger_.snapshot();
  auto r = domain::build_recall(*snap, *scope, nullptr);
  if (!r) {
    const auto code = r.error().code;
    return error(read_status(code), r.error());
  }
  if (!fsma204_file.empty()) {
    domain::Fsma204Scope sheet;
    sheet.recall = &*r;
    return fsma204_file_response(*snap, sheet, fsma204_file);
  }
  std::string body;
  codec::JsonWriter w(body);
  domain::write_recall_json(*r, w);
  if (param("graph") == "true") {
    // The same object, with the genealogy laid out for a screen.
    body.pop_back();
    body += ",\"graph\":";
    std::string graph;
    codec::JsonWriter g(graph);
    domain::write_recall_graph(*r, *fan_out, g);
    body += graph;
    body += '}';
  }
  return json(200, std::move(body));
}

// Which sites the enterprise view holds and how current each copy is; {"configured": false}
// on a server started without --enterprise (the UI then offers no enterprise screen).
Response Api::get_enterprise_sites() {
  std::string body;
  codec::JsonWriter w(body);
  w.begin_object().key("configured").boolean(options_.enterprise != nullptr);
  w.key("sites").begin_array();
  if (options_.enterprise != nullptr) {
    options_.enterprise->refresh();
    for (const auto& site : options_.enterprise->status()) {
      domain::write_site_status_json(site, w);
    }
  }
  w.end_array().end_object();
  return json(200, std::move(body));
}

// An enterprise recall, or a trace (&direction=forward|backward), from ?site=S&lot=L.
Response Api::get_enterprise_answer(const std::string& query_text, bool trace) {
  if (options_.enterprise == nullptr) {
    return error(404, ErrorCode::kNotFound,
                 "this server holds no enterprise view (custody serve --enterprise ENT)",
                 "enterprise");
  }
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  const std::string site = q->value("site"), lot = q->value("lot");
  if (site.empty()) return error(400, ErrorCode::kInvalidArgument, "is required", "site");
  if (lot.empty()) return error(400, ErrorCode::kInvalidArgument, "is required", "lot");
  const std::string direction = q->value("direction");
  if (trace && !direction.empty() && direction != "forward" && direction != "backward") {
    return error(400, ErrorCode::kInvalidArgument, "must be forward or backward", "direction");
  }
  options_.enterprise->refresh();
  std::string body;
  codec::JsonWriter w(body);
  if (trace) {
    auto t = options_.enterprise->trace(
        site, lot,
        direction == "backward" ? domain::Direction::kBackward : domain::Direction::kForward);
    if (!t) return error(read_status(t.error().code), t.error());
    domain::write_enterprise_trace_json(*t, w);
  } else {
    auto r = options_.enterprise->recall(site, lot);
    if (!r) return error(read_status(r.error().code), r.error());
    domain::write_enterprise_recall_json(*r, w);
  }
  return json(200, std::move(body));
}

// One file of the FDA sortable spreadsheet, to download; X-Custody-Data-Gaps counts the gaps
// that fsma204-data-gaps.csv lists.
Response Api::fsma204_file_response(const ledger::Snapshot& snap, const domain::Fsma204Scope& scope,
                                    std::string_view file) {
  const auto& names = domain::fsma204_file_names();
  const auto at = std::find(names.begin(), names.end(), file);
  if (at == names.end()) {
    return error(404, ErrorCode::kNotFound,
                 "the FSMA 204 files are receiving, transformation, shipping, glossary, "
                 "data-gaps and traceability-plan",
                 "file");
  }
  auto sheet = domain::fsma204_export(snap, scope, options_.site);
  if (!sheet) {
    const auto code = sheet.error().code;
    return error(read_status(code), sheet.error());
  }
  auto& [name, text] = sheet->files[static_cast<std::size_t>(at - names.begin())];
  const bool csv = name.ends_with(".csv");
  Response answer{
      200, csv ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8", std::move(text), {}};
  answer.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
  answer.headers.emplace_back("X-Custody-Data-Gaps", std::to_string(sheet->warnings.size()));
  return answer;
}

// The sortable spreadsheet for a product (and optional from/to) or for traceability lot codes
// (tlc, repeated).
Response Api::get_fsma204(const std::string& query_text, std::string_view file) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  domain::Fsma204Scope scope;
  for (const auto& [key, value] : q->params) {
    if (key == "product") {
      scope.product = value;
    } else if (key == "tlc") {
      if (value.empty()) {
        return error(400, ErrorCode::kInvalidArgument, "must not be empty", "tlc");
      }
      scope.lot_codes.push_back(value);
    } else if (key == "from" || key == "to") {
      auto t = domain::parse_site_time(value, options_.site);
      if (!t) {
        return error(400, ErrorCode::kInvalidArgument, key + " must be RFC 3339 or YYYY-MM-DD",
                     key);
      }
      (key == "from" ? scope.from : scope.to) = *t;
    } else {
      return error(400, ErrorCode::kInvalidArgument, "unknown parameter (product, tlc, from, to)",
                   key);
    }
  }
  if (scope.product.empty() == scope.lot_codes.empty()) {
    return error(400, ErrorCode::kInvalidArgument, "name a product or tlc codes, not both",
                 "product");
  }
  scope.by = scope.product.empty() ? domain::Fsma204Scope::By::kLotCodes
                                   : domain::Fsma204Scope::By::kProduct;
  auto snap = ledger_.snapshot();
  return fsma204_file_response(*snap, scope, file);
}

// The ledger's events as an EPCIS 2.0 JSON-LD document, as `custody epcis export`: for a lot,
// a work order, a time window or from a seq on.
Response Api::get_epcis_document(const std::string& query_text) {
  auto q = parse_query(query_text);
  if (!q) return error(400, q.error());
  domain::EpcisScope scope;
  std::string chosen;
  for (const auto& [key, value] : q->params) {
    const bool window = key == "from" || key == "to";
    const std::string kind = window ? "from/to" : key;
    if (!chosen.empty() && chosen != kind) {
      return error(400, ErrorCode::kInvalidArgument, "choose one of lot, wo, from/to and sinceSeq",
                   key);
    }
    chosen = kind;
    if (key == "lot") {
      scope.by = domain::EpcisScope::By::kLot;
      scope.lot = value;
    } else if (key == "wo") {
      scope.by = domain::EpcisScope::By::kWorkOrder;
      scope.wo = value;
    } else if (key == "sinceSeq") {
      std::uint64_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || end != value.data() + value.size() || n == 0) {
        return error(400, ErrorCode::kInvalidArgument, "must be a seq from 1", key);
      }
      scope.by = domain::EpcisScope::By::kSinceSeq;
      scope.since_seq = n;
    } else if (window) {
      auto t = domain::parse_site_time(value, options_.site);
      if (!t) {
        return error(400, ErrorCode::kInvalidArgument, key + " must be RFC 3339 or YYYY-MM-DD",
                     key);
      }
      scope.by = domain::EpcisScope::By::kTime;
      (key == "from" ? scope.from : scope.to) = *t;
    } else {
      return error(400, ErrorCode::kInvalidArgument,
                   "unknown parameter (lot, wo, from, to, sinceSeq)", key);
    }
  }
  auto snap = ledger_.snapshot();
  auto doc = domain::epcis_export(*snap, scope, options_.site, ledger_.meta().origin);
  if (!doc) {
    const auto code = doc.error().code;
    return error(read_status(code), doc.error());
  }
  return Response{200, "application/ld+json", std::move(doc->document), {}};
}

Response Api::get_site() {
  std::string body;
  codec::JsonWriter w(body);
  w.begin_object().key("ok").boolean(true);
  w.key("name").string(options_.site.name);
  w.key("address").string(options_.site.address);
  w.key("gln").string(options_.site.gln);
  w.key("timeZone").string(options_.site.time_zone);
  w.key("now").string(format_rfc3339(ledger_.clock().now()));
  // The ledger's checkpoint origin and the node's verifier key: what a client checks signed
  // checkpoints with (and shows, for people to compare with the copy they hold).
  w.key("origin").string(ledger_.meta().origin);
  w.key("publicKey").string(ledger_.store().current_public_key());
  w.end_object();
  return json(200, std::move(body));
}

Response Api::get_whoami(const Principal& p) {
  std::string body;
  codec::JsonWriter w(body);
  w.begin_object().key("ok").boolean(true);
  w.key("actor").string(p.actor);
  w.key("roles").begin_array();
  for (const auto& r : p.roles) w.string(r);
  w.end_array();
  w.key("commandTypes").begin_array();
  for (const auto& t : p.command_types) w.string(t);
  w.end_array();
  // What this caller may do, from the same table every request is checked against: a client
  // offers these and nothing else.
  w.key("mayCommand").begin_array();
  for (auto t : all_command_types()) {
    if (may_submit(p.roles, t) && (p.command_types.empty() || in(p.command_types, t))) w.string(t);
  }
  w.end_array();
  w.key("mayRead").begin_array();
  for (auto r : all_reads()) {
    if (may_read(p.roles, r)) w.string(read_name(r));
  }
  w.end_array();
  w.end_object();
  return json(200, std::move(body));
}

Response Api::get_tokens() {
  auto snap = ledger_.snapshot();
  std::string body;
  codec::JsonWriter w(body);
  w.begin_object().key("ok").boolean(true);
  auto tokens = domain::list_tokens(*snap);
  if (!tokens) return error(500, tokens.error());
  w.key("tokens").begin_array();
  for (const auto& t : *tokens) {
    w.begin_object();
    w.key("token").string(t.id);
    w.key("role").string(t.role);
    w.key("commandTypes").begin_array();
    for (const auto& c : t.command_types) w.string(c);
    w.end_array();
    w.key("description").string(t.description);
    w.key("revoked").boolean(t.revoked);
    w.key("createdAt").string(format_rfc3339(t.created_at));
    w.key("createdBy").string(t.created_by);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return json(200, std::move(body));
}

Response Api::get_users() {
  auto snap = ledger_.snapshot();
  auto users = domain::list_users(*snap);
  if (!users) return error(500, users.error());
  std::string body;
  codec::JsonWriter w(body);
  w.begin_object().key("ok").boolean(true);
  w.key("users").begin_array();
  const TimeNs now = ledger_.clock().now();
  for (const auto& u : *users) {
    w.begin_object();
    w.key("user").string(u.id);
    w.key("name").string(u.name);
    w.key("roles").begin_array();
    for (const auto& r : u.roles) w.string(r);
    w.end_array();
    w.key("disabled").boolean(u.disabled);
    w.key("passwordSet").boolean(u.password_set_at != 0);
    w.key("lockedUntil");
    if (u.locked_until > now) {
      w.string(format_rfc3339(u.locked_until));
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return json(200, std::move(body));
}

Response Api::get_plugins() {
  std::vector<plugin::PluginStatus> plugins;
  if (host_ != nullptr) plugins = host_->status();
  std::string body;
  codec::JsonWriter w(body);
  w.begin_object().key("ok").boolean(true);
  w.key("plugins");
  plugin::PluginHost::write_status_json(plugins, ledger_.head().seq, w);
  w.key("configured").begin_array();
  for (const auto& c : options_.plugins) {
    w.begin_object();
    w.key("id").string(c.id);
    w.key("library").string(c.path.string());
    w.key("enabled").boolean(c.enabled);
    w.key("trusted").boolean(c.trusted);
    w.key("grants").begin_array();
    for (const auto& g : c.grants) w.string(g);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return json(200, std::move(body));
}

Response Api::get_metrics() {
  std::vector<plugin::PluginStatus> plugins;
  if (host_ != nullptr) plugins = host_->status();
  return Response{200,
                  "text/plain; version=0.0.4; charset=utf-8",
                  metrics_.render(ledger_.stats(), ledger_.head().seq, plugins),
                  {}};
}

}  // namespace custody::server
