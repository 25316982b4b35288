// A plugin in the host process: its library, its Services, its thread, and the host table
// its calls come through.
#include "custody/plugin/host.h"
#include "host_api.h"
#include "hosted.h"
#include "ledger_source.h"
#include "plugin_thread.h"

namespace custody::plugin {
namespace {

class InProcessPlugin final : public HostedPlugin, private HostApi {
 public:
  InProcessPlugin(ledger::Ledger& ledger, const PluginConfig& config,
                  std::unique_ptr<PluginLibrary> library, const HostOptions& options)
      : id_(config.id),
        library_(std::move(library)),
        services_(
            ledger,
            Services::Options{config.id, library_->manifest().requested.intersect(config.granted),
                              config.config_json, options.log, options.graph, options.site}),
        source_(ledger),
        thread_(source_, PluginThread::Options{config.id,
                                               options.log,
                                               {},
                                               256,
                                               [this] { return services_.now(); },
                                               [this] {
                                                 return last_error();
                                               }}) {
    context_.api = this;
    table_ = make_host_table(&context_);
  }

  ~InProcessPlugin() override { stop(); }

  Result<void> start() { return thread_.start(library_->init(), &table_); }

  PluginStatus status() const override {
    PluginStatus s;
    const Manifest& m = library_->manifest();
    s.id = id_;  // the configured id: "modbus.line-2", not the library's "modbus"
    s.version = m.version;
    s.kind = m.kind;
    s.state = stopped_ ? "stopped" : "running";
    const auto t = thread_.stats();
    s.delivered = t.delivered;
    s.position = t.position;
    s.handled = t.position > 0 ? t.position - 1 : 0;
    s.calls = services_.stats();
    return s;
  }

  Result<std::optional<std::string>> render(std::string_view report,
                                            std::string_view params) override {
    std::string out;
    custody_result result;
    std::memset(&result, 0, sizeof result);
    result.struct_size = sizeof result;
    custody_status status = CUSTODY_ERR_UNSUPPORTED;
    const std::string report_name(report);
    auto ran = thread_.run_on_thread([&](custody_plugin& p) {
      if (p.render == nullptr) return;
      custody_sink sink;
      std::memset(&sink, 0, sizeof sink);
      sink.struct_size = sizeof sink;
      sink.context = &out;
      sink.write = [](void* ctx, const char* data, std::size_t size) {
        static_cast<std::string*>(ctx)->append(data, size);
      };
      status =
          p.render(p.instance, report_name.c_str(), params.data(), params.size(), &sink, &result);
    });
    if (!ran) return std::unexpected(ran.error());
    if (status == CUSTODY_OK) return out;
    if (status == CUSTODY_ERR_UNSUPPORTED) return std::nullopt;
    ErrorCode code = ErrorCode::kInternal;
    if (status == CUSTODY_ERR_NOT_FOUND) code = ErrorCode::kNotFound;
    if (status == CUSTODY_ERR_INVALID_ARGUMENT) code = ErrorCode::kInvalidArgument;
    return std::unexpected(Error{
        code, result.message[0] ? std::string(result.message) : "report " + report_name + " failed",
        result.field});
  }

  void stop() override {
    thread_.stop();
    stopped_ = true;
  }

 private:
  // HostApi: the plugin's calls, on whatever thread it makes them.
  void log(LogLevel level, std::string_view message) override {
    if (level == LogLevel::kError) {
      std::lock_guard lock(mu_);
      last_error_ = message;
    }
    services_.log(level, message);
  }
  std::string last_error() {
    std::lock_guard lock(mu_);
    return last_error_;
  }
  std::string config() override { return services_.config(); }
  Result<void> query(std::string_view request, std::string& out) override {
    return services_.query(request, out);
  }
  Result<void> subscribe(std::uint64_t from_seq) override {
    if (auto ok = services_.allow_subscribe(); !ok) return ok;
    thread_.subscribe(from_seq);
    return {};
  }
  Result<ledger::CommandResult> submit(const SubmitRequest& request) override {
    return services_.submit(request);
  }
  Result<ledger::CommandResult> submit_json(std::string_view command) override {
    return services_.submit_json(command);
  }
  TimeNs now() override { return services_.now(); }
  void set_tick_interval(std::uint64_t interval_ms) override {
    thread_.set_tick_interval(interval_ms);
  }
  Result<std::uint64_t> position() override { return services_.position(); }
  Result<void> save_position(std::uint64_t seq) override { return services_.save_position(seq); }
  Result<std::string> state_get(std::string_view key) override { return services_.state_get(key); }
  Result<void> state_put(std::string_view key, std::string_view value) override {
    return services_.state_put(key, value);
  }
  Result<void> state_erase(std::string_view key) override { return services_.state_erase(key); }

  std::string id_;  // as configured
  std::unique_ptr<PluginLibrary> library_;
  Services services_;
  LedgerSource source_;
  PluginThread thread_;
  custody_context context_;
  custody_host table_{};
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::string last_error_;
};

}  // namespace

Result<void> check_configured(const Manifest& manifest, const PluginConfig& config) {
  if (auto abi = check_abi(manifest); !abi) return abi;
  // An instance of a plugin may be configured as "<id>.<instance>" (two Modbus devices:
  // "modbus.line-1", "modbus.line-2"); anything else is a mix-up of libraries.
  const bool instance =
      config.id.size() > manifest.id.size() + 1 && config.id.starts_with(manifest.id + ".");
  if (manifest.id != config.id && !instance) {
    return std::unexpected(Error{ErrorCode::kInvalidArgument,
                                 "the library at " + config.path.string() + " is plugin '" +
                                     manifest.id + "', configured as '" + config.id + "' (use '" +
                                     manifest.id + "' or '" + manifest.id + ".<instance>')",
                                 "id"});
  }
  // A grant beyond the request is an operator's mistake or a tampered config.json: a plugin
  // could start asking for it in a later version without anyone deciding to allow it.
  const Capabilities both = config.granted.intersect(manifest.requested);
  for (const auto& g : config.granted.names()) {
    const auto kept = both.names();
    if (std::find(kept.begin(), kept.end(), g) != kept.end()) continue;
    return std::unexpected(Error{ErrorCode::kInvalidArgument,
                                 "plugin " + config.id + " is granted '" + g +
                                     "', which it does not request; remove the grant",
                                 "grants"});
  }
  return {};
}

Result<std::unique_ptr<HostedPlugin>> start_in_process(ledger::Ledger& ledger,
                                                       const PluginConfig& config,
                                                       std::unique_ptr<PluginLibrary> library,
                                                       const HostOptions& options) {
  auto plugin = std::make_unique<InProcessPlugin>(ledger, config, std::move(library), options);
  if (auto started = plugin->start(); !started) return std::unexpected(started.error());
  return std::unique_ptr<HostedPlugin>(std::move(plugin));
}

}  // namespace custody::plugin
