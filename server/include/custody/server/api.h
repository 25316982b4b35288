// The /v1 API, apart from HTTP: a request in, a response out. http.cc moves bytes between
// sockets and here; everything a client can ask for, and every authority check, is here, so
// it reads the same whether a request came over plain HTTP or TLS.
//
// A response may be given later than the call returns (a command is answered once durable):
// `reply` is called exactly once, from the calling thread or from the ledger's.
#pragma once

#include <atomic>
#include <boost/json/fwd.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "custody/common/time_zone.h"
#include "custody/domain/fsma204.h"
#include "custody/domain/identity.h"
#include "custody/ledger/config.h"
#include "custody/ledger/ledger.h"
#include "custody/plugin/plugin_config.h"
#include "custody/server/authority.h"
#include "custody/server/credentials.h"
#include "custody/server/metrics.h"
#include "custody/server/sessions.h"

namespace custody::plugin {
class PluginHost;
}

namespace custody::domain {
struct EpcisImportPlan;
class Enterprise;
}  // namespace custody::domain

namespace custody::server {

class WebUi;
class CaptureJobs;
[[nodiscard]] std::shared_ptr<CaptureJobs> make_capture_jobs();

// What the HTTP layer admits as the body of a batch of commands or an EPCIS capture.
inline constexpr std::size_t kMaxBatchBodyBytes = 256 << 20;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query: "/v1/log?stream=lot:L1&from=1"
  std::string authorization;
  std::string content_type;
  std::string peer;    // "127.0.0.1:53122", for access records
  std::string cookie;  // the Cookie header
  std::string csrf;    // the X-CSRF-Token header
  bool tls = false;    // arrived over TLS (session cookies are then Secure, __Host-)
  // The GS1-* headers of GS1's EPCIS REST binding, as sent: {"GS1-EPCIS-Version", "2.0.0"}.
  std::vector<std::pair<std::string, std::string>> gs1_headers;
  std::string body;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";  // empty: none (a response without a body)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set instead of `body` by an answer made on a thread that should not do the work of
  // writing it out (the ledger's writer, which completes commands): the network thread that
  // sends the answer calls it for the body.
  std::function<std::string()> make_body;
};

using Reply = std::function<void(Response)>;

// Who is calling, once their credentials checked out.
struct Principal {
  std::string actor;  // "token:erp", "user:alice"
  std::vector<std::string> roles;
  std::vector<std::string> command_types;  // a token's scope; empty: what its role allows
  std::string csrf;                        // a session's CSRF token; empty for API tokens
  std::string session;                     // a session's cookie token; empty for API tokens
  bool signed_once = false;                // the session has signed with user id and password
};

struct ApiOptions {
  // Denials of the same principal and action within this window are recorded once, with a
  // count, so a client cannot fill the log with them.
  std::chrono::seconds denial_window{60};
  std::size_t max_batch_commands = 1'000'000;
  std::size_t max_log_limit = 10'000;
  // The largest EPCIS document POST /epcis/capture takes: as HttpOptions'
  // max_batch_body_bytes, the size the HTTP layer admits for it.
  std::size_t max_capture_bytes = kMaxBatchBodyBytes;
  SessionOptions sessions;
  // Sign-in: this many failures of one account within the window lock it for the lockout.
  unsigned max_failures = 5;
  std::chrono::seconds failure_window{15 * 60};
  std::chrono::seconds lockout{30 * 60};
  // How long a signature challenge may wait for its confirmation.
  std::chrono::seconds challenge_ttl{5 * 60};
  std::size_t max_challenges_per_session = 64;
  // The site (config.json): GET /v1/site, so every client shows times in its zone.
  ledger::Site site;
  // The configured plugins (config.json), for GET /v1/plugins: their grants, never their
  // settings (which may hold a destination's secret).
  std::vector<plugin::PluginConfig> plugins;
  // The web UI's files from this folder instead of the binary (--web-root, for its authors).
  std::filesystem::path web_root;
  // The enterprise view (custody serve --enterprise ENT), read-only: GET /v1/enterprise/*.
  domain::Enterprise* enterprise = nullptr;
  // Reads (GET) run on this many threads of their own, off the network threads: a long
  // report keeps neither commands nor other connections' reads waiting behind it.
  std::size_t query_threads = 2;
};

class Api {
 public:
  Api(ledger::Ledger& ledger, Credentials& credentials, Metrics& metrics,
      const plugin::PluginHost* host, ApiOptions options = {});
  ~Api();

  void handle(Request request, Reply reply);

  // GET /v1/stream: who may follow the log, from where, and which types. An error is the
  // response to give instead of the WebSocket upgrade (401, 403, 400).
  struct StreamStart {
    Principal principal;
    std::uint64_t from = 1;          // the first seq to send
    std::vector<std::string> types;  // event types to send; empty: all
  };
  [[nodiscard]] std::variant<StreamStart, Response> open_stream(const Request& r,
                                                                const std::string& origin,
                                                                const std::string& host);
  // Up to `limit` records from `from` on, as JSON text frames, only `types` if not empty.
  // `next` receives the seq to continue from (past records skipped by type too).
  [[nodiscard]] Result<std::vector<std::string>> stream_records(
      std::uint64_t from, std::size_t limit, const std::vector<std::string>& types,
      std::uint64_t& next);
  [[nodiscard]] std::uint64_t head() const { return ledger_.head().seq; }
  [[nodiscard]] ledger::Ledger& ledger() { return ledger_; }
  [[nodiscard]] Metrics& metrics() { return metrics_; }

  // After this, writes are answered 503 `unavailable` (the server is stopping); reads go on.
  void stop_writes() { stopping_ = true; }
  // Commands submitted and not yet answered.
  [[nodiscard]] std::size_t in_flight() const { return in_flight_.load(); }
  // Waits for every read on the query threads to be answered and stops them; reads after
  // this are answered on the caller's thread. The HTTP server calls it before its own
  // threads stop, so that no read outlives them.
  void finish_queries();

 private:
  struct Denial {
    std::chrono::steady_clock::time_point window_start;
    std::uint32_t suppressed = 0;
  };
  void route(Request request, Reply reply);  // handle, on whichever thread it runs
  [[nodiscard]] Result<Principal> authenticate(const Request& r);
  [[nodiscard]] Result<Principal> session_principal(const std::string& token);
  // A token's or user's record as the ledger held it at a committed head. It is read again
  // only once a user.* or token.* record has been applied past that head
  // (domain::identity_changed_at(), raised before such a record is written), so a
  // revocation or a role change applies to the next request, and an integration's many
  // connections read their token once, not once per commit.
  template <typename View>
  struct AsOfHead {
    std::uint64_t head = 0;
    std::optional<View> view;
  };
  template <typename View, typename Find>
  [[nodiscard]] Result<std::optional<View>> as_of_head(
      std::unordered_map<std::string, AsOfHead<View>>& cache, const std::string& id, Find find);
  void sign_in(const Request& r, const Reply& reply);  // on the worker pool
  Response sign_out(const Principal& p, const Request& r);
  // A wrong password, at sign-in or when confirming a signature (`action`): recorded, and
  // counted toward the lockout.
  void failed_sign_in(const std::string& user, bool exists, const std::string& peer,
                      const std::string& action = "sign in");
  // An access.denied record unless one for the same principal and action was written within
  // the window; the denials in between are counted into the next one.
  void record_access(const std::string& principal, const std::string& peer,
                     const std::string& action, const std::string& capability);
  // The permission_denied error, after an access.denied record unless one for the same
  // principal and action was written within the window.
  Error deny(const Principal& p, const Request& r, std::string action, std::string needed);

  // One command as `p` may send it: its type checked against p's roles before anything else,
  // its actor p's. Without a command: the error and the HTTP status to answer.
  struct Admitted {
    std::optional<ledger::Command> command;
    Error error;
    unsigned status = 0;
  };
  // `own_prefix`: the one reserved command id prefix the caller's commands may use (the
  // EPCIS importer's, for the commands it builds itself).
  Admitted admit(const Principal& p, const Request& r, std::string_view text,
                 std::string& command_id, std::string_view own_prefix = {});

  void post_command(const Principal& p, const Request& r, Reply reply);
  // POST /v1/tokens: token.create as the caller, then the secret, shown once.
  void create_token(const Principal& p, const Request& r, Reply reply);
  // POST /v1/users/{id}/password: the hash kept, then user.set_password as the caller: an
  // admin, or the person themselves with their current password.
  void set_password(const Principal& p, const Request& r, const std::string& user, Reply reply);
  // Submits one command built by the server as `p`, checked like any of p's commands unless
  // `checked` says the caller made a check of its own (a person changing their password).
  void submit_as(const Principal& p, const Request& r, std::string_view type,
                 const std::string& data_json,
                 std::function<void(Result<ledger::CommandResult>, const Error*)> done,
                 bool checked = false);
  void post_batch(const Principal& p, const Request& r, Reply reply);
  // A partner's EPCIS 2.0 document in, as `custody epcis import` (docs/api.md).
  void post_epcis_capture(const Principal& p, Request r, const std::string& query, Reply reply);
  // Submits an EPCIS import's planned events as `p`, each checked by admit() and allowed the
  // importer's reserved command ids; `done` as domain::submit_epcis_import's.
  void submit_import(const Principal& p, const Request& r, const domain::EpcisImportPlan& plan,
                     std::function<void(Result<std::string>)> done);
  // GS1's EPCIS 2.0 REST binding under /epcis (epcis_rest.cc, docs/epcis.md).
  void handle_epcis(const Principal& p, Request request, const std::vector<std::string>& s,
                    const std::string& query, Reply reply);
  // POST /epcis/capture: 202 and a capture job, which run_capture does on the pool.
  void epcis_capture(const Principal& p, Request r, const std::string& query, Reply reply);
  void run_capture(const Principal& p, Request r, boost::json::value document,
                   const std::string& id, const std::string& partner, bool proceed);
  // POST /epcis/events: one event, stored before the answer (201), or 409 if it is already.
  void epcis_post_event(const Principal& p, Request r, const std::string& query, Reply reply);
  Response epcis_capture_jobs(const Principal& p, const std::string& id, const std::string& query);
  Response epcis_query(const std::string& query, const std::string& id);
  Response stored_epcis_event(std::uint64_t seq, const std::string& id);
  // Electronic signatures (signing.cc). A challenge names a command and a meaning and gives
  // the text to show the signer; its confirmation, with the password, submits the command
  // signed. Confirmation runs on the worker pool (argon2id).
  Response create_challenge(const Principal& p, const Request& r);
  Response confirm_challenge(const Principal& p, const Request& r, const std::string& id);
  Response get_signature_policy();
  Response get_record(const std::string& seq_text, const std::string& query);
  Response get_log(const std::string& query);
  Response get_checkpoint();
  Response get_proof(std::string_view kind, const std::string& query);
  Response get_entity(std::string_view kind, std::string_view id);
  Response get_board(std::string_view which);
  Response get_list(std::string_view collection, const std::string& query);
  Response get_kpis(const std::string& query);
  Response get_logbook(std::string_view equipment, const std::string& query);
  Response get_yield(std::string_view wo);
  Response get_pareto(const std::string& query);
  Response get_oee(const std::string& query);
  Response get_pay(const std::string& query);
  Response get_site();
  Response get_enterprise_sites();
  Response get_enterprise_answer(const std::string& query, bool trace);
  Response get_recall(const std::string& query, std::string_view fsma204_file);
  Response get_fsma204(const std::string& query, std::string_view file);
  Response get_epcis_document(const std::string& query);
  Response fsma204_file_response(const ledger::Snapshot& snap, const domain::Fsma204Scope& scope,
                                 std::string_view file);
  Response get_whoami(const Principal& p);
  Response get_tokens();
  Response get_users();
  Response get_plugins();
  Response get_metrics();

  ledger::Ledger& ledger_;
  Credentials& credentials_;
  Metrics& metrics_;
  const plugin::PluginHost* host_;
  ApiOptions options_;
  // The site's time zone, read once: shifts and the site's days in the OEE and Pareto reads.
  Result<TimeZone> zone_;
  std::unique_ptr<WebUi> web_;
  std::shared_ptr<CaptureJobs> capture_jobs_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> in_flight_{0};
  std::mutex denials_mu_;
  std::unordered_map<std::string, Denial> denials_;
  std::atomic<std::uint64_t> denial_serial_{0};
  Sessions sessions_;
  std::mutex failures_mu_;
  std::unordered_map<std::string, std::vector<std::chrono::steady_clock::time_point>> failures_;
  struct Challenge {
    std::string user;
    std::string session;
    ledger::Command command;
    std::string meaning;
    TimeNs expires = 0;
  };
  std::mutex challenges_mu_;
  std::unordered_map<std::string, Challenge> challenges_;
  std::mutex as_of_head_mu_;
  std::unordered_map<std::string, AsOfHead<domain::TokenView>> token_views_;
  std::unordered_map<std::string, AsOfHead<domain::UserView>> user_views_;
  class Pool;
  std::unique_ptr<Pool> pool_;
  void on_pool(std::function<void()> job);  // argon2id work, never on the network threads
  std::unique_ptr<Pool> queries_;           // reads (GET), never on the network threads
};

// The OpenAPI 3.1 document of this API (server/openapi.json), as GET /v1/openapi.json serves it.
[[nodiscard]] std::string_view openapi_document();

// On a ledger without any signature policy, records the default one (domain::
// default_signature_policies) as custody's own records; returns how many it wrote.
[[nodiscard]] Result<std::size_t> record_default_signature_policy(ledger::Ledger& ledger);

// The JSON error body every endpoint uses: {"ok":false,"error":{"code","message","field"}}.
[[nodiscard]] std::string error_body(const Error& e);
// The HTTP status for an error code, when it comes from the ledger's answer to a command.
[[nodiscard]] unsigned status_of(const Error& e);

}  // namespace custody::server
