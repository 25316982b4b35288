#include "custody/plugin/services.h"

#include <capnp/dynamic.h>
#include <capnp/serialize.h>

#include <cstdio>
#include <ctime>
#include <future>

#include "custody/codec/capnp_util.h"
#include "custody/codec/json_binding.h"
#include "custody/common/encoding.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/registry.h"
#include "custody/domain/views.h"
#include "schema/commands.capnp.h"

namespace custody::plugin {
namespace {

constexpr auto kAuditEvery = std::chrono::minutes(1);

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// Command data from a plugin: a capnp message in the standard serialization, bound to the
// command type's struct and checked like JSON input, returned in canonical form.
Result<std::string> canonical_command_data(std::string_view message, capnp::StructSchema schema) {
  if (message.empty() || message.size() % sizeof(capnp::word) != 0) {
    return std::unexpected(Error::invalid_argument(
        "data", "is not a Cap'n Proto message (use capnp::messageToFlatArray)"));
  }
  std::vector<std::uint64_t> words(message.size() / sizeof(capnp::word));
  std::memcpy(words.data(), message.data(), message.size());
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 1u << 22;
    capnp::FlatArrayMessageReader reader(
        kj::arrayPtr(reinterpret_cast<const capnp::word*>(words.data()), words.size()), options);
    auto root = reader.getRoot<capnp::DynamicStruct>(schema);
    if (auto ok = codec::check_struct(root, "data"); !ok) return std::unexpected(ok.error());
    return codec::canonical_bytes(reader.getRoot<capnp::AnyStruct>());
  } catch (const kj::Exception& e) {
    return std::unexpected(Error::invalid_argument(
        "data", std::string("is not a valid Cap'n Proto message: ") + e.getDescription().cStr()));
  }
}

}  // namespace

LogSink stderr_log() {
  return [](std::string_view plugin_id, LogLevel level, std::string_view message) {
    // One write per line so lines from many threads do not interleave.
    const std::string line = format_rfc3339(SystemClock().now()) + " " +
                             std::string(level_name(level)) + " plugin:" + std::string(plugin_id) +
                             ": " + std::string(message) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

Services::Services(ledger::Ledger& ledger, Options options)
    : ledger_(ledger),
      local_(ledger.store()),
      o_([&] {
        if (!options.log) options.log = stderr_log();
        return std::move(options);
      }()),
      actor_(std::string(domain::kPluginActorPrefix) + o_.id) {}

void Services::log(LogLevel level, std::string_view message) const {
  o_.log(o_.id, level, message);
}

Error Services::deny(const std::string& capability, const std::string& what) {
  ++counters_->denied;
  Error e{ErrorCode::kPermissionDenied,
          "plugin " + o_.id + " was not granted " + capability + " (needed to " + what +
              "); grant it in config.json if it should have it",
          capability};
  log(LogLevel::kWarn, "denied: " + e.message);

  bool record = false;
  {
    std::lock_guard lock(audit_mu_);
    const auto now = std::chrono::steady_clock::now();
    auto [it, fresh] = last_audit_.try_emplace(capability, now);
    if (fresh || now - it->second >= kAuditEvery) {
      it->second = now;
      record = true;
    }
  }
  if (record && ledger_.writable()) {
    capnp::MallocMessageBuilder msg(128);
    auto d = msg.initRoot<schema::AccessDeny>();
    d.setPrincipal(actor_);
    d.setCapability(capability);
    d.setAction(what);
    ledger::Command c;
    c.type = "access.deny";
    c.command_id = "access:" + actor_ + ":" + capability + ":" + std::to_string(now());
    c.actor = std::string(domain::kSystemActor);
    c.data = codec::canonical_bytes(d.asReader());
    // Recorded asynchronously: the denied call returns at once either way.
    ledger_.submit(std::move(c), [sink = o_.log, id = o_.id](Result<ledger::CommandResult> r) {
      if (!r) sink(id, LogLevel::kError, "could not record a denial: " + r.error().message);
    });
  }
  return e;
}

Result<void> Services::query(std::string_view request, std::string& out) {
  if (!o_.granted.read()) return std::unexpected(deny("read", "query state"));
  ++counters_->queries;
  auto snap = ledger_.snapshot();
  domain::ViewOptions options;
  options.now = now();
  options.graph = o_.graph;
  options.site = &o_.site;
  options.origin = ledger_.meta().origin;
  return domain::answer_view(*snap, request, options, out);
}

Result<void> Services::allow_subscribe() {
  if (!o_.granted.subscribe()) return std::unexpected(deny("subscribe", "subscribe to records"));
  return {};
}

Result<ledger::Command> Services::finish(ledger::Command command) {
  if (!o_.granted.may_submit(command.type)) {
    return std::unexpected(
        deny(Capabilities::submit_capability(command.type), "submit " + command.type));
  }
  // A plugin's command ids live in its own namespace: plugins cannot collide with each
  // other (or two instances of one), nor take an id a client will use.
  command.command_id = actor_ + "/" + command.command_id;
  if (std::string m = codec::check_identifier(command.command_id); !m.empty()) {
    ++counters_->rejected;
    return std::unexpected(Error::invalid_argument(
        "commandId", "with the plugin's prefix, '" + command.command_id + "' " + m));
  }
  return command;
}

Result<ledger::Command> Services::prepare(const SubmitRequest& request) {
  const domain::CommandType* spec = domain::find_command(request.type);
  if (spec == nullptr) {
    ++counters_->rejected;
    return std::unexpected(Error::invalid_argument(
        "type", "unknown command type '" + std::string(request.type) + "'"));
  }
  if (!o_.granted.may_submit(request.type)) {
    return std::unexpected(
        deny(Capabilities::submit_capability(request.type), "submit " + std::string(request.type)));
  }
  if (std::string m = codec::check_identifier(request.command_id); !m.empty()) {
    ++counters_->rejected;
    return std::unexpected(Error::invalid_argument("commandId", m));
  }
  auto data = canonical_command_data(request.data, spec->data);
  if (!data) {
    ++counters_->rejected;
    return std::unexpected(data.error());
  }
  ledger::Command c;
  c.type = std::string(request.type);
  c.command_id = std::string(request.command_id);
  c.actor = actor_;
  c.expected_version = request.expected_version;
  c.occurred_at = request.occurred_at;
  c.data = std::move(*data);
  return finish(std::move(c));
}

Result<ledger::Command> Services::prepare_json(std::string_view command) {
  auto c = domain::decode_command(command, nullptr, actor_);
  if (!c) {
    ++counters_->rejected;
    return std::unexpected(c.error());
  }
  return finish(std::move(*c));
}

void Services::submit_async(ledger::Command command, ledger::Completion done) {
  // The completion may run after these services are gone (the ledger outlives the host):
  // it holds only what it shares.
  std::string type = command.type;
  std::string command_id = command.command_id;
  ledger_.submit(std::move(command), [counters = counters_, sink = o_.log, id = o_.id,
                                      type = std::move(type), command_id = std::move(command_id),
                                      done = std::move(done)](Result<ledger::CommandResult> r) {
    if (r) {
      ++(r->duplicate ? counters->duplicates : counters->submitted);
    } else {
      ++counters->rejected;
      sink(id, LogLevel::kInfo,
           "command " + command_id + " (" + type +
               ") rejected: " + std::string(code_name(r.error().code)) + ": " + r.error().message +
               (r.error().field.empty() ? "" : " (field " + r.error().field + ")"));
    }
    done(std::move(r));
  });
}

Result<ledger::CommandResult> Services::submit(const SubmitRequest& request) {
  auto c = prepare(request);
  if (!c) return std::unexpected(c.error());
  return wait(std::move(*c));
}

Result<ledger::CommandResult> Services::submit_json(std::string_view command) {
  auto c = prepare_json(command);
  if (!c) return std::unexpected(c.error());
  return wait(std::move(*c));
}

Result<ledger::CommandResult> Services::wait(ledger::Command command) {
  std::promise<Result<ledger::CommandResult>> outcome;
  auto future = outcome.get_future();
  submit_async(std::move(command),
               [&outcome](Result<ledger::CommandResult> r) { outcome.set_value(std::move(r)); });
  return future.get();
}

// ---- local state

namespace {

std::string local_prefix(std::string_view id) {
  return "plugin/" + std::string(id) + "/";
}

Result<void> check_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxStateKeyBytes) {
    return std::unexpected(Error::invalid_argument(
        "key", "must be 1 to " + std::to_string(kMaxStateKeyBytes) + " bytes"));
  }
  return {};
}

}  // namespace

std::string Services::state_key(std::string_view key) const {
  return local_prefix(o_.id) + "state/" + std::string(key);
}

Result<std::uint64_t> Services::position() const {
  auto v = local_.get(local_prefix(o_.id) + "position");
  if (!v) return std::unexpected(v.error());
  if (!*v) return 0;
  if ((*v)->size() != 8) {
    return std::unexpected(
        Error::corruption("the saved position of plugin " + o_.id + " is malformed"));
  }
  return get_be64((*v)->data());
}

Result<void> Services::save_position(std::uint64_t seq) {
  if (const std::uint64_t head = ledger_.head().seq; seq > head) {
    return std::unexpected(Error{
        ErrorCode::kOutOfRange,
        "position " + std::to_string(seq) + " is beyond the ledger's head " + std::to_string(head),
        "seq"});
  }
  return local_.put(local_prefix(o_.id) + "position", be64(seq));
}

Result<std::string> Services::state_get(std::string_view key) const {
  if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
  auto v = local_.get(state_key(key));
  if (!v) return std::unexpected(v.error());
  if (!*v) return std::unexpected(Error{ErrorCode::kNotFound, "no state under this key", "key"});
  return std::move(**v);
}

Result<void> Services::state_put(std::string_view key, std::string_view value) {
  if (auto ok = check_key(key); !ok) return ok;
  if (value.size() > kMaxStateValueBytes) {
    return std::unexpected(Error::invalid_argument(
        "value", "must be at most " + std::to_string(kMaxStateValueBytes) + " bytes"));
  }
  std::lock_guard lock(state_mu_);
  const std::string full = state_key(key);
  const std::string prefix = state_key("");
  std::size_t keys = 1;
  std::size_t bytes = key.size() + value.size();
  auto scanned = local_.scan(prefix, [&](std::string_view k, std::string_view v) {
    if (k == full) return true;
    ++keys;
    bytes += k.size() - prefix.size() + v.size();
    return true;
  });
  if (!scanned) return scanned;
  if (keys > kMaxStateKeys || bytes > kMaxStateBytes) {
    return std::unexpected(Error{ErrorCode::kOutOfRange,
                                 "plugin " + o_.id + "'s state would hold " + std::to_string(keys) +
                                     " keys and " + std::to_string(bytes) + " bytes; it may hold " +
                                     std::to_string(kMaxStateKeys) + " keys and " +
                                     std::to_string(kMaxStateBytes) + " bytes",
                                 "value"});
  }
  return local_.put(full, value);
}

Result<void> Services::state_erase(std::string_view key) {
  if (auto ok = check_key(key); !ok) return ok;
  std::lock_guard lock(state_mu_);
  return local_.erase(state_key(key));
}

Result<std::size_t> Services::reset_local_state(ledger::Ledger& ledger, std::string_view id) {
  ledger::LocalState local(ledger.store());
  std::vector<std::string> keys;
  auto scanned = local.scan(local_prefix(id), [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  if (!scanned) return std::unexpected(scanned.error());
  for (const auto& k : keys) {
    if (auto erased = local.erase(k); !erased) return std::unexpected(erased.error());
  }
  return keys.size();
}

Services::Stats Services::stats() const {
  return Stats{counters_->queries.load(), counters_->submitted.load(), counters_->duplicates.load(),
               counters_->rejected.load(), counters_->denied.load()};
}

}  // namespace custody::plugin
