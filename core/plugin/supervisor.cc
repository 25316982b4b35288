#include "supervisor.h"

#include <capnp/serialize.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "custody/common/encoding.h"
#include "sandbox.h"

namespace custody::plugin {
namespace {

using Steady = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
constexpr auto kHealthy = std::chrono::seconds(60);
constexpr auto kStopGrace = std::chrono::seconds(3);
constexpr std::size_t kPushBatch = 256;
constexpr std::size_t kMaxInFlight = 2;

// A call with no value to return, as the reply's result.
Result<ledger::CommandResult> done(const Result<void>& r) {
  if (!r) return std::unexpected(r.error());
  return ledger::CommandResult{};
}

std::string_view text(capnp::Data::Reader bytes) {
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}

std::filesystem::path default_runner() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("custody-runner") : self.parent_path() / "custody-runner";
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = strsignal(WTERMSIG(status));
    return "was killed by signal " + std::to_string(WTERMSIG(status)) +
           (name ? " (" + std::string(name) + ")" : "");
  }
  return "ended";
}

Manifest manifest_of(schema::RunnerManifest::Reader m) {
  Manifest out;
  out.abi_major = m.getAbiMajor();
  out.abi_minor = m.getAbiMinor();
  out.id = m.getId();
  out.version = m.getVersion();
  out.description = m.getDescription();
  out.kind = static_cast<PluginKind>(m.getKind());
  for (auto c : m.getCapabilities()) out.capabilities.emplace_back(c.cStr(), c.size());
  if (auto requested = Capabilities::parse(out.capabilities, "manifest.capabilities")) {
    out.requested = std::move(*requested);
  }
  return out;
}

Error refusal(schema::FromRunner::Refused::Reader r, const std::string& id) {
  std::string message = r.getMessage();
  const std::string prefix = "plugin " + id + ": ";
  if (!message.starts_with(prefix)) message = prefix + message;
  return Error{code_from_name(r.getCode().cStr()), std::move(message), r.getField()};
}

// Waits for one message of the start-up handshake.
Result<std::unique_ptr<capnp::MessageReader>> expect(Wire& wire, std::chrono::milliseconds timeout,
                                                     const std::string& id, const char* what) {
  auto m = wire.receive(timeout);
  if (!m) {
    return std::unexpected(
        Error{ErrorCode::kUnavailable, "plugin " + id + ": the runner ended before " + what, {}});
  }
  if (!*m) {
    return std::unexpected(Error{ErrorCode::kUnavailable,
                                 "plugin " + id + ": no " + what + " from the runner within " +
                                     std::to_string(timeout.count()) + " ms",
                                 {}});
  }
  return std::move(*m);
}

}  // namespace

Result<Supervisor::Child> Supervisor::spawn_runner(const std::filesystem::path& runner,
                                                   const std::filesystem::path& plugin,
                                                   const std::string& id,
                                                   const std::filesystem::path& workdir,
                                                   RunnerMode mode) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return std::unexpected(Error::io(std::string("socketpair: ") + std::strerror(errno)));
  }
  // Everything the child needs is prepared before fork: after it, only exec-safe calls.
  const std::string runner_s = runner.string();
  const std::string path_s = plugin.string();
  const std::string workdir_s = workdir.string();
  const char* argv[] = {runner_s.c_str(),
                        "--fd",
                        "3",
                        "--plugin",
                        path_s.c_str(),
                        "--id",
                        id.c_str(),
                        "--workdir",
                        workdir_s.c_str(),
                        mode == RunnerMode::kProbe ? "--probe" : nullptr,
                        nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return std::unexpected(Error::io(std::string("fork: ") + std::strerror(errno)));
  }
  if (pid == 0) {
    // The runner gets the socket as fd 3 and nothing else of ours (no ledger lock, no
    // RocksDB files); it sandboxes itself before it loads the plugin (sandbox.h).
    // What a plugin prints goes to the host's stderr, beside its log lines: stdout is
    // custody's own (`custody run` prints its status there, as JSON).
    if (::dup2(sv[1], 3) < 0 || ::dup2(2, 1) < 0) ::_exit(126);
    ::syscall(SYS_close_range, 4u, ~0u, 0u);
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(sv[1]);
  return Child{pid, std::make_shared<Wire>(sv[0])};
}

namespace {

// Reads a plugin's manifest in a throwaway runner and, when `config_json` is given and the
// plugin is compatible, asks what it says of that configuration.
Result<Probe> probe(const std::filesystem::path& plugin, const std::string_view* config_json,
                    const std::filesystem::path& runner, std::chrono::milliseconds timeout) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(plugin, ec)) {
    return fail(ErrorCode::kNotFound, plugin.string() + " does not exist or is not a file", "path");
  }
  auto workdir = make_workdir();
  if (!workdir) return std::unexpected(workdir.error());
  struct Remove {
    std::filesystem::path dir;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } remove{*workdir};
  auto child = Supervisor::spawn_runner(runner.empty() ? default_runner() : runner, plugin, "probe",
                                        *workdir, Supervisor::RunnerMode::kProbe);
  if (!child) return std::unexpected(child.error());
  // It never starts: nothing to wind down.
  struct End {
    Supervisor::Child& child;
    ~End() { Supervisor::end_child(child, Supervisor::Ending::kKill); }
  } end{*child};
  auto m = expect(*child->wire, timeout, plugin.string(), "its manifest");
  if (!m) return std::unexpected(m.error());
  auto msg = (*m)->getRoot<schema::FromRunner>();
  if (msg.isRefused()) {
    auto r = msg.getRefused();
    return fail(code_from_name(r.getCode().cStr()), std::string(r.getMessage()), r.getField());
  }
  if (!msg.isHello()) return fail(ErrorCode::kInternal, "the runner did not answer");
  Probe out{manifest_of(msg.getHello()), {}};
  if (config_json == nullptr || !check_abi(out.manifest)) return out;

  capnp::MallocMessageBuilder ask;
  ask.initRoot<schema::ToRunner>().setCheckConfig(
      capnp::Text::Reader(config_json->data(), config_json->size()));
  if (auto sent = child->wire->send(ask); !sent) return std::unexpected(sent.error());
  auto answer = expect(*child->wire, timeout, plugin.string(), "what it says of the config");
  if (!answer) return std::unexpected(answer.error());
  auto a = (*answer)->getRoot<schema::FromRunner>();
  if (!a.isConfigChecked())
    return fail(ErrorCode::kInternal, "the runner did not check the config");
  auto c = a.getConfigChecked();
  out.config.verdict = static_cast<ConfigVerdict>(std::min<int>(c.getVerdict(), 2));
  out.config.why = Error{code_from_name(c.getCode().cStr()), c.getMessage(), c.getField()};
  return out;
}

}  // namespace

Result<Manifest> probe_manifest(const std::filesystem::path& plugin,
                                const std::filesystem::path& runner,
                                std::chrono::milliseconds timeout) {
  auto p = probe(plugin, nullptr, runner, timeout);
  if (!p) return std::unexpected(p.error());
  return std::move(p->manifest);
}

Result<Probe> probe_plugin(const std::filesystem::path& plugin, std::string_view config_json,
                           const std::filesystem::path& runner, std::chrono::milliseconds timeout) {
  return probe(plugin, &config_json, runner, timeout);
}

Supervisor::Supervisor(ledger::Ledger& ledger, const PluginConfig& config,
                       const HostOptions& options)
    : ledger_(ledger), config_(config), options_(options), source_(ledger) {}

Supervisor::~Supervisor() {
  stop();
}

Result<std::unique_ptr<Supervisor>> Supervisor::spawn(ledger::Ledger& ledger,
                                                      const PluginConfig& config,
                                                      const HostOptions& options) {
  std::unique_ptr<Supervisor> s(new Supervisor(ledger, config, options));
  auto workdir = make_workdir();
  if (!workdir) return std::unexpected(workdir.error());
  s->workdir_ = *workdir;
  // Answers to submits may be needed as early as the plugin's start().
  s->reply_thread_ = std::thread([raw = s.get()] { raw->send_replies(); });
  auto child = s->launch();
  if (!child) return std::unexpected(child.error());
  s->current_ = std::move(*child);
  return s;
}

Result<Supervisor::Child> Supervisor::launch() {
  const std::filesystem::path runner = options_.runner.empty() ? default_runner() : options_.runner;
  auto started = spawn_runner(runner, config_.path, config_.id, workdir_, RunnerMode::kRun);
  if (!started) return std::unexpected(started.error());
  Child child = std::move(*started);
  auto m = expect(*child.wire, options_.start_timeout, config_.id, "hello");
  if (!m) {
    end_child(child, Ending::kKill);
    return std::unexpected(m.error());
  }
  auto msg = (*m)->getRoot<schema::FromRunner>();
  if (msg.isRefused()) {
    Error e = refusal(msg.getRefused(), config_.id);
    end_child(child, Ending::kWait);
    return std::unexpected(std::move(e));
  }
  if (!msg.isHello()) {
    end_child(child, Ending::kKill);
    return std::unexpected(
        Error::internal("plugin " + config_.id + ": the runner did not say hello"));
  }
  Manifest manifest = manifest_of(msg.getHello());
  if (auto ok = check_configured(manifest, config_); !ok) {
    end_child(child, Ending::kKill);
    return std::unexpected(ok.error());
  }
  if (manifest_.id.empty()) {
    manifest_ = std::move(manifest);
  } else if (manifest.id != manifest_.id || manifest.abi_major != manifest_.abi_major) {
    end_child(child, Ending::kKill);
    return std::unexpected(Error::internal("plugin " + config_.id +
                                           ": the library changed its manifest between starts"));
  }
  if (!services_) {
    services_ = std::make_unique<Services>(
        ledger_,
        Services::Options{config_.id, manifest_.requested.intersect(config_.granted),
                          config_.config_json, options_.log, options_.graph, options_.site});
  }
  return child;
}

Result<void> Supervisor::start_child(Child& child) {
  capnp::MallocMessageBuilder msg;
  auto start = msg.initRoot<schema::ToRunner>().initStart();
  const auto grants = services_->granted().names();
  auto list = start.initGrants(static_cast<unsigned>(grants.size()));
  for (unsigned i = 0; i < grants.size(); ++i) list.set(i, grants[i]);
  start.setConfig(config_.config_json);
  if (auto sent = child.wire->send(msg); !sent) return sent;
  // The plugin's init and start may already call the host (subscribe, log): serve them.
  for (;;) {
    auto m = expect(*child.wire, options_.start_timeout, config_.id, "start");
    if (!m) return std::unexpected(m.error());
    auto reply = (*m)->getRoot<schema::FromRunner>();
    if (reply.isRefused()) return std::unexpected(refusal(reply.getRefused(), config_.id));
    if (reply.isStarted()) return {};
    if (!handle(reply, child.wire)) {
      return std::unexpected(
          Error::internal("plugin " + config_.id + ": unexpected message at start"));
    }
  }
}

void Supervisor::end_child(Child& child, Ending how) {
  if (child.pid <= 0) return;
  if (how == Ending::kKill) ::kill(child.pid, SIGKILL);
  int status = 0;
  const auto deadline = Steady::now() + kStopGrace;
  for (;;) {
    const pid_t r = ::waitpid(child.pid, &status, WNOHANG);
    if (r == child.pid || (r < 0 && errno != EINTR)) break;
    if (Steady::now() >= deadline) {
      ::kill(child.pid, SIGKILL);
      ::waitpid(child.pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  child.pid = -1;
  if (child.wire) child.wire->shutdown();
}

Result<void> Supervisor::run() {
  if (auto started = start_child(current_); !started) {
    end_child(current_, Ending::kKill);
    return started;
  }
  {
    std::lock_guard lock(mu_);
    state_ = "running";
  }
  supervise_thread_ = std::thread([this] { supervise(); });
  push_thread_ = std::thread([this] { push(); });
  return {};
}

void Supervisor::install(Child child) {
  {
    std::lock_guard lock(mu_);
    const bool up = child.pid > 0;
    current_ = std::move(child);
    if (!up) {
      // The runner has gone, and its subscription with it; a new one subscribes afresh
      // (during its start, so by the time it is installed its position is set).
      position_ = 0;
      sent_.clear();
    }
    ++generation_;
    state_ = up ? "running" : "restarting";
  }
  cv_.notify_all();
  source_.wake();
}

void Supervisor::supervise() {
  pthread_setname_np(pthread_self(), "custody-superv");
  auto backoff = config_.restart_backoff;
  auto started_at = Steady::now();
  for (;;) {
    Child child;
    bool stopping = false;
    {
      std::lock_guard lock(mu_);
      child = current_;
      stopping = stopping_;
    }
    auto last_life = Steady::now();
    std::optional<Steady::time_point> stop_sent;
    std::string why;
    // Serve this runner until it ends, hangs, or we stop.
    for (;;) {
      {
        std::lock_guard lock(mu_);
        stopping = stopping_;
      }
      if (stopping && !stop_sent) {
        capnp::MallocMessageBuilder msg;
        msg.initRoot<schema::ToRunner>().setStop();
        (void)child.wire->send(msg);
        stop_sent = Steady::now();
      }
      if (stop_sent && Steady::now() - *stop_sent > kStopGrace) {
        why = "did not stop in time";
        break;
      }
      auto m = child.wire->receive(kPoll);
      if (!m) {
        why = "ended";
        break;
      }
      if (*m) {
        if (!handle((*m)->getRoot<schema::FromRunner>(), child.wire)) {
          why = "broke the protocol";
          break;
        }
        last_life = Steady::now();
      } else if (outbox_->outstanding.load() > 0) {
        last_life = Steady::now();  // waiting on the ledger, not on the runner
      } else if (!stop_sent && Steady::now() - last_life > config_.hang_timeout) {
        why =
            "sent no heartbeat for " + std::to_string(config_.hang_timeout.count()) + " ms (hung)";
        break;
      }
    }
    // The runner is done for: make sure, and say how it ended.
    const bool hung = why != "ended";
    if (hung) ::kill(child.pid, SIGKILL);
    int status = 0;
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    child.wire->shutdown();
    install(Child{});
    if (stopping) return;
    services_->log(LogLevel::kError, "runner (pid " + std::to_string(child.pid) + ") " +
                                         (hung ? why + "; killed it" : describe_exit(status)) +
                                         "; restarting in " + std::to_string(backoff.count()) +
                                         " ms");

    // Start another, backing off while it keeps failing.
    if (Steady::now() - started_at > kHealthy) backoff = config_.restart_backoff;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        if (cv_.wait_for(lock, backoff, [&] { return stopping_; })) return;
      }
      backoff = std::min(backoff * 2, std::chrono::milliseconds(kMaxBackoff));
      auto next = launch();
      if (next) {
        {
          std::lock_guard lock(mu_);
          ++restarts_;  // counted before start: the plugin may act (and be seen) during it
        }
        if (auto started = start_child(*next); started) {
          install(std::move(*next));
          started_at = Steady::now();
          break;
        } else {
          end_child(*next, Ending::kKill);
          services_->log(LogLevel::kError, "restart failed: " + started.error().message);
        }
      } else {
        services_->log(LogLevel::kError, "restart failed: " + next.error().message);
      }
    }
  }
}

bool Supervisor::handle(schema::FromRunner::Reader message, const std::shared_ptr<Wire>& wire) {
  using W = schema::FromRunner::Which;
  switch (message.which()) {
    case W::HEARTBEAT:
      return true;
    case W::LOG: {
      const int level = message.getLog().getLevel();
      services_->log(level <= 0   ? LogLevel::kDebug
                     : level == 1 ? LogLevel::kInfo
                     : level == 2 ? LogLevel::kWarn
                                  : LogLevel::kError,
                     message.getLog().getMessage().cStr());
      return true;
    }
    case W::ACK: {
      const std::uint64_t seq = message.getAck();
      {
        std::lock_guard lock(mu_);
        handled_ = std::max(handled_, seq);
        while (!sent_.empty() && sent_.front().first <= seq) {
          delivered_ += sent_.front().second;
          sent_.pop_front();
        }
      }
      cv_.notify_all();
      return true;
    }
    case W::CALL: {
      auto call = message.getCall();
      const std::uint64_t id = call.getId();
      using C = schema::FromRunner::Call::Which;
      switch (call.which()) {
        case C::QUERY: {
          std::string out;
          auto r = services_->query(call.getQuery().cStr(), out);
          reply(*wire, id, r ? Result<ledger::CommandResult>() : std::unexpected(r.error()), out);
          return true;
        }
        case C::SUBSCRIBE: {
          auto r = services_->allow_subscribe();
          if (r) {
            {
              std::lock_guard lock(mu_);
              position_ = std::max<std::uint64_t>(call.getSubscribe(), 1);
              handled_ = position_ - 1;  // what it chose to skip counts as handled
              sent_.clear();
              ++generation_;
            }
            cv_.notify_all();
            source_.wake();
          }
          reply(*wire, id, r ? Result<ledger::CommandResult>() : std::unexpected(r.error()));
          return true;
        }
        case C::SUBMIT: {
          auto s = call.getSubmit();
          SubmitRequest req;
          req.type = s.getType().cStr();
          req.command_id = s.getCommandId().cStr();
          req.data = std::string_view(reinterpret_cast<const char*>(s.getData().begin()),
                                      s.getData().size());
          if (s.getHasExpectedVersion()) req.expected_version = s.getExpectedVersion();
          req.occurred_at = s.getOccurredAt();
          submit_async(services_->prepare(req), id, wire);
          return true;
        }
        case C::SUBMIT_JSON:
          submit_async(services_->prepare_json(call.getSubmitJson().cStr()), id, wire);
          return true;
        case C::POSITION: {
          auto p = services_->position();
          reply(*wire, id,
                p ? Result<ledger::CommandResult>(ledger::CommandResult{.seq = *p})
                  : std::unexpected(p.error()));
          return true;
        }
        case C::SAVE_POSITION:
          reply(*wire, id, done(services_->save_position(call.getSavePosition())));
          return true;
        case C::STATE_GET: {
          auto v = services_->state_get(text(call.getStateGet()));
          reply(*wire, id, v ? Result<ledger::CommandResult>() : std::unexpected(v.error()),
                v ? std::string_view(*v) : std::string_view());
          return true;
        }
        case C::STATE_PUT:
          reply(*wire, id,
                done(services_->state_put(text(call.getStatePut().getKey()),
                                          text(call.getStatePut().getValue()))));
          return true;
        case C::STATE_ERASE:
          reply(*wire, id, done(services_->state_erase(text(call.getStateErase()))));
          return true;
      }
      return false;
    }
    default:
      return false;
  }
}

namespace {

kj::Array<capnp::word> reply_message(std::uint64_t id, const Result<ledger::CommandResult>& result,
                                     std::string_view body) {
  capnp::MallocMessageBuilder msg;
  auto r = msg.initRoot<schema::ToRunner>().initReply();
  r.setId(id);
  auto res = r.initResult();
  res.setOk(result.has_value());
  if (result) {
    res.setSeq(result->seq);
    res.setRecords(result->records);
    res.setDuplicate(result->duplicate);
    res.setHash(capnp::Data::Reader(result->hash.data(), result->hash.size()));
    res.setBody(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(body.data()), body.size()));
  } else {
    res.setCode(std::string(code_name(result.error().code)));
    res.setField(result.error().field);
    res.setMessage(result.error().message);
  }
  return capnp::messageToFlatArray(msg);
}

}  // namespace

void Supervisor::reply(Wire& wire, std::uint64_t id, const Result<ledger::CommandResult>& result,
                       std::string_view body) {
  // A runner that has gone is the supervise loop's business.
  (void)wire.send(reply_message(id, result, body).asPtr());
}

void Supervisor::submit_async(Result<ledger::Command> command, std::uint64_t id,
                              const std::shared_ptr<Wire>& wire) {
  if (!command) {
    reply(*wire, id, std::unexpected(command.error()));
    return;
  }
  ++outbox_->outstanding;
  services_->submit_async(std::move(*command),
                          [outbox = outbox_, wire, id](Result<ledger::CommandResult> r) {
                            auto message = reply_message(id, r, {});
                            {
                              std::lock_guard lock(outbox->mu);
                              if (!outbox->closed)
                                outbox->queue.emplace_back(wire, std::move(message));
                            }
                            outbox->cv.notify_one();
                          });
}

void Supervisor::send_replies() {
  pthread_setname_np(pthread_self(), "custody-reply");
  for (;;) {
    std::pair<std::shared_ptr<Wire>, kj::Array<capnp::word>> next;
    {
      std::unique_lock lock(outbox_->mu);
      outbox_->cv.wait(lock, [&] { return outbox_->closed || !outbox_->queue.empty(); });
      if (outbox_->queue.empty()) return;
      next = std::move(outbox_->queue.front());
      outbox_->queue.pop_front();
    }
    (void)next.first->send(next.second.asPtr());
    --outbox_->outstanding;
  }
}

void Supervisor::push() {
  pthread_setname_np(pthread_self(), "custody-push");
  std::vector<std::string> raw;
  for (;;) {
    std::shared_ptr<Wire> wire;
    std::uint64_t from = 0;
    std::uint64_t generation = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] {
        return stopping_ || (current_.wire && position_ > 0 && sent_.size() < kMaxInFlight);
      });
      if (stopping_) return;
      wire = current_.wire;
      from = position_;
      generation = generation_;
    }
    raw.clear();
    if (auto r = source_.next(from, kPushBatch, Steady::now() + std::chrono::seconds(1), raw); !r) {
      services_->log(LogLevel::kError,
                     "reading records for the runner failed: " + r.error().message);
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      continue;
    }
    if (raw.empty()) continue;
    capnp::MallocMessageBuilder msg;
    auto list = msg.initRoot<schema::ToRunner>().initRecords(static_cast<unsigned>(raw.size()));
    for (unsigned i = 0; i < raw.size(); ++i) {
      list.set(
          i, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(raw[i].data()), raw[i].size()));
    }
    const std::uint64_t last = from + raw.size() - 1;
    {
      // Only if nothing changed while we read: a new runner or a new subscription.
      std::lock_guard lock(mu_);
      if (generation != generation_ || position_ != from) continue;
      position_ = last + 1;
      sent_.emplace_back(last, raw.size());
    }
    (void)wire->send(msg);
  }
}

PluginStatus Supervisor::status() const {
  PluginStatus s;
  s.id = config_.id;  // the configured id: "modbus.line-2", not the library's "modbus"
  s.version = manifest_.version;
  s.kind = manifest_.kind;
  s.out_of_process = true;
  std::lock_guard lock(mu_);
  s.state = state_;
  s.pid = current_.pid;
  s.restarts = restarts_;
  s.position = position_;
  s.delivered = delivered_;
  s.handled = sent_.empty() && position_ > 0 ? position_ - 1 : handled_;
  if (services_) s.calls = services_->stats();
  return s;
}

Result<std::optional<std::string>> Supervisor::render(std::string_view, std::string_view) {
  return std::nullopt;  // reports render in process
}

void Supervisor::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !supervise_thread_.joinable() && !push_thread_.joinable() &&
        !reply_thread_.joinable()) {
      return;
    }
    stopping_ = true;
    state_ = "stopped";
  }
  cv_.notify_all();
  source_.wake();
  if (supervise_thread_.joinable()) {
    supervise_thread_.join();
  } else {
    end_child(current_, Ending::kKill);  // spawned but never run
  }
  if (push_thread_.joinable()) push_thread_.join();
  {
    std::lock_guard lock(outbox_->mu);
    outbox_->closed = true;
    outbox_->queue.clear();
  }
  outbox_->cv.notify_all();
  if (reply_thread_.joinable()) reply_thread_.join();
  if (!workdir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(workdir_, ec);
    workdir_.clear();
  }
}

}  // namespace custody::plugin
