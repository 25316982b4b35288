// Internal to core/plugin: the C host table (custody_host) over a C++ interface, so the same
// table serves plugins in the host process (InProcessApi, over Services) and plugins in a
// runner (RemoteApi, over the socket).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custody/codec/capnp_util.h"
#include "custody/common/error.h"
#include "custody/ledger/command.h"
#include "custody/plugin.h"
#include "custody/plugin/services.h"

namespace custody::plugin {

class HostApi {
 public:
  virtual ~HostApi() = default;
  // Implementations remember the last error-level line the plugin logged (last_error()).
  virtual void log(LogLevel level, std::string_view message) = 0;
  virtual std::string config() = 0;
  virtual Result<void> query(std::string_view request, std::string& out) = 0;
  virtual Result<void> subscribe(std::uint64_t from_seq) = 0;
  virtual Result<ledger::CommandResult> submit(const SubmitRequest& request) = 0;
  virtual Result<ledger::CommandResult> submit_json(std::string_view command) = 0;
  virtual TimeNs now() = 0;
  virtual void set_tick_interval(std::uint64_t interval_ms) = 0;
  // ABI 1.1: the plugin's local state, as Services documents it.
  virtual Result<std::uint64_t> position() = 0;
  virtual Result<void> save_position(std::uint64_t seq) = 0;
  virtual Result<std::string> state_get(std::string_view key) = 0;
  virtual Result<void> state_put(std::string_view key, std::string_view value) = 0;
  virtual Result<void> state_erase(std::string_view key) = 0;
};

}  // namespace custody::plugin

// The opaque handle of plugin.h; one per plugin.
struct custody_context {
  custody::plugin::HostApi* api = nullptr;
};

namespace custody::plugin {

// The function table for `context`, which must outlive every call through it.
[[nodiscard]] custody_host make_host_table(custody_context* context);

// custody_status for an error code and back, and the result struct for an outcome.
[[nodiscard]] custody_status status_of(ErrorCode code);
[[nodiscard]] ErrorCode code_of(custody_status status);
void fill_result(const Error& error, custody_result* result);
void fill_result(const ledger::CommandResult& ok, custody_result* result);

// Records as plugin.h delivers them: each custody_record points into its bytes, which the
// batch keeps alive.
class RecordBatch {
 public:
  // Parses each record's envelope; kCorruption for bytes that are not a record.
  [[nodiscard]] Result<void> assign(std::vector<std::string> records);
  [[nodiscard]] const custody_record* data() const { return views_.data(); }
  [[nodiscard]] std::size_t size() const { return views_.size(); }
  [[nodiscard]] std::uint64_t first_seq() const { return views_.empty() ? 0 : views_.front().seq; }
  [[nodiscard]] std::uint64_t last_seq() const { return views_.empty() ? 0 : views_.back().seq; }

 private:
  std::vector<std::string> bytes_;
  std::vector<std::unique_ptr<codec::MessageView>> messages_;
  std::vector<custody_record> views_;
};

}  // namespace custody::plugin
