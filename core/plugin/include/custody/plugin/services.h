// The host services for one plugin, carried out against the ledger: what custody_host's
// functions do once the call has reached the host process (directly for plugins in process,
// over the runner's socket for the rest).
//
// Every call checks the plugin's granted capabilities first. A call that needs a capability
// the plugin does not hold fails with kPermissionDenied (field: the capability) and is
// logged; the first denial of each capability per minute is also recorded in the ledger as
// an access.denied record (actor "system", stream "access:plugin:<id>"), so an auditor sees
// it next to everything else.
//
// Commands a plugin submits are decoded and validated exactly like the CLI's and recorded
// with actor "plugin:<id>" and command id "plugin:<id>/<the plugin's id>", so plugins'
// idempotency keys never collide with each other's or with clients'. A rejection is
// returned and logged, and writes nothing.
//
// Each plugin also has local state (ABI 1.1): a saved position and a small key/value store,
// kept by its id in the ledger directory's local state (custody/ledger/local_state.h):
// durable, but outside the hash chain. It needs no capability; a plugin sees only its own.
//
// Thread-safe: any number of threads may call any method.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/error.h"
#include "custody/domain/genealogy.h"
#include "custody/ledger/config.h"
#include "custody/ledger/ledger.h"
#include "custody/ledger/local_state.h"
#include "custody/plugin/capabilities.h"

namespace custody::plugin {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Where the host's log lines go. Must be thread-safe.
using LogSink =
    std::function<void(std::string_view plugin_id, LogLevel level, std::string_view message)>;

// The default sink: one line per message on stderr, with time, level and plugin id.
[[nodiscard]] LogSink stderr_log();

// A command as the C ABI hands it over.
struct SubmitRequest {
  std::string_view type;
  std::string_view command_id;
  std::string_view data;  // Cap'n Proto message, standard (segment table) serialization
  std::optional<std::uint64_t> expected_version;
  TimeNs occurred_at = 0;
};

// The bounds of one plugin's key/value state.
inline constexpr std::size_t kMaxStateKeyBytes = 128;
inline constexpr std::size_t kMaxStateValueBytes = 64 << 10;
inline constexpr std::size_t kMaxStateKeys = 1024;
inline constexpr std::size_t kMaxStateBytes = 1 << 20;  // keys and values together

class Services {
 public:
  struct Options {
    std::string id;
    Capabilities granted;
    std::string config_json = "{}";
    LogSink log;                                    // default: stderr_log()
    const domain::GenealogyGraph* graph = nullptr;  // recall queries use it when set
    ledger::Site site;                              // the "site" view answers from it
  };
  // `ledger` must outlive the services.
  Services(ledger::Ledger& ledger, Options options);

  [[nodiscard]] const std::string& id() const { return o_.id; }
  [[nodiscard]] const std::string& actor() const { return actor_; }
  [[nodiscard]] const Capabilities& granted() const { return o_.granted; }
  [[nodiscard]] const std::string& config() const { return o_.config_json; }

  void log(LogLevel level, std::string_view message) const;

  // "read". See domain/views.h for requests and answers.
  [[nodiscard]] Result<void> query(std::string_view request, std::string& out);
  // "subscribe": only checks the grant; delivery is the caller's.
  [[nodiscard]] Result<void> allow_subscribe();
  // "submit:<family>". Waits until the command is durable or rejected.
  [[nodiscard]] Result<ledger::CommandResult> submit(const SubmitRequest& request);
  [[nodiscard]] Result<ledger::CommandResult> submit_json(std::string_view command);

  // The same in two halves, for callers that must not wait (the runner's supervisor):
  // prepare() checks the grant and the command's shape and gives the command as it will be
  // recorded (actor and id namespace applied); submit_async() hands it to the ledger and
  // calls `done` once, on the ledger's writer thread, when the outcome is durable. `done`
  // must be quick (queue the answer, do not send it) and may run after the Services are
  // destroyed.
  [[nodiscard]] Result<ledger::Command> prepare(const SubmitRequest& request);
  [[nodiscard]] Result<ledger::Command> prepare_json(std::string_view command);
  void submit_async(ledger::Command command, ledger::Completion done);

  [[nodiscard]] TimeNs now() const { return ledger_.clock().now(); }

  // The seq the plugin last saved as done with; 0 when it never saved one.
  [[nodiscard]] Result<std::uint64_t> position() const;
  // kOutOfRange (field "seq") beyond the ledger's head; synced before it returns.
  [[nodiscard]] Result<void> save_position(std::uint64_t seq);
  // kNotFound (field "key") when absent. Keys are 1 to kMaxStateKeyBytes bytes of anything.
  [[nodiscard]] Result<std::string> state_get(std::string_view key) const;
  // kInvalidArgument for a bad key or a value over kMaxStateValueBytes; kOutOfRange when the
  // plugin's state would exceed kMaxStateKeys or kMaxStateBytes. Synced before it returns.
  [[nodiscard]] Result<void> state_put(std::string_view key, std::string_view value);
  // Absent keys are fine.
  [[nodiscard]] Result<void> state_erase(std::string_view key);

  // Forgets plugin `id`'s saved position and state (`custody plugins reset`): it starts from
  // the beginning of the log next time. Returns how many entries were erased.
  [[nodiscard]] static Result<std::size_t> reset_local_state(ledger::Ledger& ledger,
                                                             std::string_view id);

  struct Stats {
    std::uint64_t queries = 0;
    std::uint64_t submitted = 0;   // accepted and written
    std::uint64_t duplicates = 0;  // accepted as retries of earlier commands: nothing written
    std::uint64_t rejected = 0;
    std::uint64_t denied = 0;
  };
  [[nodiscard]] Stats stats() const;

 private:
  [[nodiscard]] Error deny(const std::string& capability, const std::string& what);
  // The grant and the id namespace, for a decoded command.
  [[nodiscard]] Result<ledger::Command> finish(ledger::Command command);
  [[nodiscard]] Result<ledger::CommandResult> wait(ledger::Command command);

  struct Counters {
    std::atomic<std::uint64_t> queries{0}, submitted{0}, duplicates{0}, rejected{0}, denied{0};
  };

  [[nodiscard]] std::string state_key(std::string_view key) const;

  ledger::Ledger& ledger_;
  ledger::LocalState local_;
  std::mutex state_mu_;  // a put's bound check and its write, together
  const Options o_;
  const std::string actor_;
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
  std::mutex audit_mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_audit_;
};

}  // namespace custody::plugin
