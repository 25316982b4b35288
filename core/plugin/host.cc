#include "custody/plugin/host.h"

#include "hosted.h"
#include "supervisor.h"

namespace custody::plugin {
namespace {

Error about(const PluginConfig& c, Error e) {
  if (e.message.find("plugin " + c.id) == std::string::npos) {
    e.message = "plugin " + c.id + ": " + e.message;
  }
  return e;
}

Result<std::unique_ptr<HostedPlugin>> start_one(ledger::Ledger& ledger, const PluginConfig& c,
                                                const HostOptions& options) {
  // Only a plugin custody ships or the operator marked trusted may run in custody's own
  // process; everything else runs in a sandboxed runner (sandbox.h).
  // A library changed since it was granted is not run, in any process.
  if (auto pinned = check_pinned(c); !pinned) return std::unexpected(about(c, pinned.error()));
  const bool trusted = c.trusted || is_bundled(c.path);
  if (c.isolation != Isolation::kInProcess || !trusted) {
    // Out of process unless, trusted and with no isolation configured, it turns out not to
    // be a driver.
    auto s = Supervisor::spawn(ledger, c, options);
    if (!s) return std::unexpected(about(c, s.error()));
    const bool keep = !trusted || c.isolation == Isolation::kProcess ||
                      (*s)->manifest().kind == PluginKind::kDeviceDriver;
    if (options.only_kinds && !options.only_kinds->contains((*s)->manifest().kind)) {
      return std::unique_ptr<HostedPlugin>();
    }
    if (keep) {
      if (auto ran = (*s)->run(); !ran) return std::unexpected(about(c, ran.error()));
      return std::unique_ptr<HostedPlugin>(std::move(*s));
    }
    (*s)->stop();
  }
  auto library = PluginLibrary::open(c.path);
  if (!library) return std::unexpected(about(c, library.error()));
  if (auto ok = check_configured((*library)->manifest(), c); !ok) {
    return std::unexpected(about(c, ok.error()));
  }
  if (options.only_kinds && !options.only_kinds->contains((*library)->manifest().kind)) {
    return std::unique_ptr<HostedPlugin>();
  }
  auto p = start_in_process(ledger, c, std::move(*library), options);
  if (!p) return std::unexpected(about(c, p.error()));
  return p;
}

}  // namespace

Result<std::unique_ptr<PluginHost>> PluginHost::start(ledger::Ledger& ledger,
                                                      const std::vector<PluginConfig>& configs,
                                                      HostOptions options) {
  if (!options.log) options.log = stderr_log();
  std::unique_ptr<PluginHost> host(new PluginHost());
  for (const auto& c : configs) {
    if (!c.enabled) continue;
    auto p = start_one(ledger, c, options);
    if (!p) return std::unexpected(p.error());  // ~PluginHost stops the ones started
    if (*p) host->plugins_.push_back(std::move(*p));
  }
  return host;
}

PluginHost::~PluginHost() {
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) (*it)->stop();
}

std::vector<PluginStatus> PluginHost::status() const {
  std::vector<PluginStatus> out;
  for (const auto& p : plugins_) out.push_back(p->status());
  return out;
}

void PluginHost::write_status_json(const std::vector<PluginStatus>& status, std::uint64_t head,
                                   codec::JsonWriter& out) {
  out.begin_array();
  for (const auto& s : status) {
    out.begin_object();
    out.key("id").string(s.id);
    out.key("version").string(s.version);
    out.key("kind").string(kind_name(s.kind));
    out.key("isolation").string(s.out_of_process ? "process" : "inProcess");
    out.key("state").string(s.state);
    if (s.out_of_process) {
      out.key("pid").int64(s.pid);
      out.key("restarts").uint64(s.restarts);
    }
    out.key("delivered").uint64(s.delivered);
    out.key("position").uint64(s.position);
    out.key("handled").uint64(s.handled);
    if (s.position > 0) out.key("backlog").uint64(head > s.handled ? head - s.handled : 0);
    out.key("queries").uint64(s.calls.queries);
    out.key("submitted").uint64(s.calls.submitted);
    out.key("duplicates").uint64(s.calls.duplicates);
    out.key("rejected").uint64(s.calls.rejected);
    out.key("denied").uint64(s.calls.denied);
    out.end_object();
  }
  out.end_array();
}

Result<std::string> PluginHost::render(std::string_view report, std::string_view params_json) {
  for (const auto& p : plugins_) {
    auto r = p->render(report, params_json);
    if (!r) return std::unexpected(r.error());
    if (*r) return std::move(**r);
  }
  return std::unexpected(Error{ErrorCode::kNotFound,
                               "no configured report plugin makes '" + std::string(report) + "'",
                               "report"});
}

}  // namespace custody::plugin
