// custody-runner: hosts one plugin out of process (see supervisor.h for the host's side and
// schema/runner.capnp for the protocol).
//
//   custody-runner --fd N --plugin PATH --id ID
//
// Loads the library, checks its manifest and ABI (refusing with a reason otherwise), says
// hello, waits for start, runs the plugin on a PluginThread whose host table forwards every
// call to the host, and exits when the host says stop or goes away.
#include "custody/plugin/runner.h"

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <iostream>
#include <map>
#include <mutex>

#include "custody/common/clock.h"
#include "custody/plugin/library.h"
#include "host_api.h"
#include "plugin_thread.h"
#include "sandbox.h"
#include "schema/record.capnp.h"
#include "schema/runner.capnp.h"
#include "wire.h"

namespace custody::plugin {
namespace {

using Steady = std::chrono::steady_clock;

void send_refused(Wire& wire, const Error& e) {
  capnp::MallocMessageBuilder msg;
  auto r = msg.initRoot<schema::FromRunner>().initRefused();
  r.setCode(std::string(code_name(e.code)));
  r.setMessage(e.message);
  r.setField(e.field);
  (void)wire.send(msg);
}

// Records the host pushed, for the plugin thread.
class RemoteSource : public RecordSource {
 public:
  explicit RemoteSource(Wire& wire) : wire_(wire) {}

  void push(std::vector<std::string> batch) {
    {
      std::lock_guard lock(mu_);
      batches_.push_back(std::move(batch));
    }
    cv_.notify_all();
  }

  // After a subscribe: batches in flight from before are stale.
  void reset() {
    std::lock_guard lock(mu_);
    batches_.clear();
  }

  Result<void> next(std::uint64_t from, std::size_t max, Steady::time_point until,
                    std::vector<std::string>& out) override {
    (void)max;  // the host sizes batches
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait_until(lock, until, [&] { return !batches_.empty() || woken_; });
      woken_ = false;
      if (batches_.empty()) return {};
      std::vector<std::string> batch = std::move(batches_.front());
      batches_.pop_front();
      if (batch.empty()) continue;
      codec::MessageView first(batch.front());
      if (first.root<schema::Record>().getSeq() != from) continue;  // from before a subscribe
      out = std::move(batch);
      return {};
    }
  }

  void wake() override {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }

  void delivered(std::uint64_t through_seq) override {
    capnp::MallocMessageBuilder msg;
    msg.initRoot<schema::FromRunner>().setAck(through_seq);
    (void)wire_.send(msg);
  }

 private:
  Wire& wire_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<std::string>> batches_;
  bool woken_ = false;
};

// The plugin's host calls, forwarded to the host and waited for.
class RemoteApi : public HostApi {
 public:
  RemoteApi(Wire& wire, std::string config) : wire_(wire), config_(std::move(config)) {}

  void attach(PluginThread* thread, RemoteSource* source) {
    thread_ = thread;
    source_ = source;
  }

  // Reader thread: a reply arrived.
  void complete(std::uint64_t id, schema::CallResult::Reader r) {
    std::shared_ptr<std::promise<Reply>> p;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return;
      p = it->second;
      pending_.erase(it);
    }
    Reply reply;
    if (r.getOk()) {
      ledger::CommandResult c;
      c.seq = r.getSeq();
      c.records = r.getRecords();
      c.duplicate = r.getDuplicate();
      if (r.getHash().size() == c.hash.size()) {
        std::memcpy(c.hash.data(), r.getHash().begin(), c.hash.size());
      }
      reply.result = c;
      reply.body.assign(reinterpret_cast<const char*>(r.getBody().begin()), r.getBody().size());
    } else {
      reply.result =
          std::unexpected(Error{code_from_name(r.getCode().cStr()), r.getMessage(), r.getField()});
    }
    p->set_value(std::move(reply));
  }

  // Reader thread: the host has gone; every waiting call fails.
  void fail_all() {
    std::map<std::uint64_t, std::shared_ptr<std::promise<Reply>>> pending;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      pending.swap(pending_);
    }
    for (auto& [id, p] : pending) {
      p->set_value(
          Reply{std::unexpected(Error{ErrorCode::kUnavailable, "the host has gone", {}}), {}});
    }
  }

  void log(LogLevel level, std::string_view message) override {
    if (level == LogLevel::kError) {
      std::lock_guard lock(mu_);
      last_error_ = message;
    }
    capnp::MallocMessageBuilder msg;
    auto l = msg.initRoot<schema::FromRunner>().initLog();
    l.setLevel(static_cast<int>(level));
    l.setMessage(capnp::Text::Reader(message.data(), message.size()));
    (void)wire_.send(msg);
  }
  std::string config() override { return config_; }
  Result<void> query(std::string_view request, std::string& out) override {
    auto r = call([&](schema::FromRunner::Call::Builder c) {
      c.setQuery(capnp::Text::Reader(request.data(), request.size()));
    });
    if (!r.result) return std::unexpected(r.result.error());
    out = std::move(r.body);
    return {};
  }
  Result<void> subscribe(std::uint64_t from_seq) override {
    source_->reset();
    auto r = call([&](schema::FromRunner::Call::Builder c) { c.setSubscribe(from_seq); });
    if (!r.result) return std::unexpected(r.result.error());
    thread_->subscribe(from_seq);
    return {};
  }
  Result<ledger::CommandResult> submit(const SubmitRequest& request) override {
    return call([&](schema::FromRunner::Call::Builder c) {
             auto s = c.initSubmit();
             s.setType(capnp::Text::Reader(request.type.data(), request.type.size()));
             s.setCommandId(
                 capnp::Text::Reader(request.command_id.data(), request.command_id.size()));
             s.setData(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(request.data.data()),
                                           request.data.size()));
             s.setHasExpectedVersion(request.expected_version.has_value());
             s.setExpectedVersion(request.expected_version.value_or(0));
             s.setOccurredAt(request.occurred_at);
           })
        .result;
  }
  Result<ledger::CommandResult> submit_json(std::string_view command) override {
    return call([&](schema::FromRunner::Call::Builder c) {
             c.setSubmitJson(capnp::Text::Reader(command.data(), command.size()));
           })
        .result;
  }
  TimeNs now() override { return SystemClock().now(); }
  std::string last_error() {
    std::lock_guard lock(mu_);
    return last_error_;
  }
  void set_tick_interval(std::uint64_t interval_ms) override {
    thread_->set_tick_interval(interval_ms);
  }
  Result<std::uint64_t> position() override {
    auto r = call([](schema::FromRunner::Call::Builder c) { c.setPosition(); });
    if (!r.result) return std::unexpected(r.result.error());
    return r.result->seq;
  }
  Result<void> save_position(std::uint64_t seq) override {
    return done(call([&](schema::FromRunner::Call::Builder c) { c.setSavePosition(seq); }));
  }
  Result<std::string> state_get(std::string_view key) override {
    auto r = call([&](schema::FromRunner::Call::Builder c) { c.setStateGet(data(key)); });
    if (!r.result) return std::unexpected(r.result.error());
    return std::move(r.body);
  }
  Result<void> state_put(std::string_view key, std::string_view value) override {
    return done(call([&](schema::FromRunner::Call::Builder c) {
      auto p = c.initStatePut();
      p.setKey(data(key));
      p.setValue(data(value));
    }));
  }
  Result<void> state_erase(std::string_view key) override {
    return done(call([&](schema::FromRunner::Call::Builder c) { c.setStateErase(data(key)); }));
  }

 private:
  struct Reply {
    Result<ledger::CommandResult> result;
    std::string body;
  };

  static capnp::Data::Reader data(std::string_view bytes) {
    return {reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()};
  }
  static Result<void> done(const Reply& r) {
    if (!r.result) return std::unexpected(r.result.error());
    return {};
  }

  template <typename F>
  Reply call(F&& fill) {
    auto p = std::make_shared<std::promise<Reply>>();
    auto f = p->get_future();
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mu_);
      if (closed_)
        return Reply{std::unexpected(Error{ErrorCode::kUnavailable, "the host has gone", {}}), {}};
      id = next_id_++;
      pending_.emplace(id, p);
    }
    capnp::MallocMessageBuilder msg;
    auto c = msg.initRoot<schema::FromRunner>().initCall();
    c.setId(id);
    fill(c);
    if (auto sent = wire_.send(msg); !sent) {
      std::lock_guard lock(mu_);
      pending_.erase(id);
      return Reply{std::unexpected(sent.error()), {}};
    }
    return f.get();
  }

  Wire& wire_;
  const std::string config_;
  PluginThread* thread_ = nullptr;
  RemoteSource* source_ = nullptr;
  std::mutex mu_;
  std::map<std::uint64_t, std::shared_ptr<std::promise<Reply>>> pending_;
  std::uint64_t next_id_ = 1;
  bool closed_ = false;
  std::string last_error_;
};

struct Args {
  int fd = -1;
  std::string plugin;
  std::string id;
  std::string workdir;
  bool probe = false;
};

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; i += 2) {
    const std::string_view k = argv[i];
    if (k == "--probe") {  // say hello and exit: the host only wants the manifest
      a.probe = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) return false;
    if (k == "--fd") {
      a.fd = std::atoi(argv[i + 1]);
    } else if (k == "--plugin") {
      a.plugin = argv[i + 1];
    } else if (k == "--id") {
      a.id = argv[i + 1];
    } else if (k == "--workdir") {
      a.workdir = argv[i + 1];
    } else {
      return false;
    }
  }
  return a.fd >= 0 && !a.plugin.empty() && !a.id.empty() && !a.workdir.empty();
}

}  // namespace

int runner_main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::cerr << "usage: custody-runner --fd N --plugin PATH --id ID --workdir DIR (started by "
                 "custody's plugin host, not by hand)\n";
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  Wire wire(args.fd);

  // Before any of the plugin's code runs, not even its constructors.
  auto sandbox = enter_sandbox(args.plugin, args.workdir);
  if (!sandbox) {
    send_refused(wire, sandbox.error());
    return 2;
  }
  auto library = PluginLibrary::open(args.plugin);
  if (!library) {
    send_refused(wire, library.error());
    return 2;
  }
  const Manifest& m = (*library)->manifest();
  if (auto abi = check_abi(m); !abi && !args.probe) {
    send_refused(wire, abi.error());
    return 2;
  }
  {
    capnp::MallocMessageBuilder msg;
    auto hello = msg.initRoot<schema::FromRunner>().initHello();
    hello.setAbiMajor(m.abi_major);
    hello.setAbiMinor(m.abi_minor);
    hello.setId(m.id);
    hello.setVersion(m.version);
    hello.setDescription(m.description);
    hello.setKind(static_cast<std::uint32_t>(m.kind));
    auto caps = hello.initCapabilities(static_cast<unsigned>(m.capabilities.size()));
    for (unsigned i = 0; i < m.capabilities.size(); ++i) caps.set(i, m.capabilities[i]);
    if (!wire.send(msg)) return 3;
  }
  if (args.probe) {
    // The host may ask what the plugin says of a configuration, or just close.
    auto in = wire.receive(std::chrono::milliseconds(10000));
    if (!in || !*in) return 0;
    auto to = (*in)->getRoot<schema::ToRunner>();
    if (!to.isCheckConfig()) return 0;
    const ConfigCheck check = (*library)->check_config(to.getCheckConfig().cStr());
    capnp::MallocMessageBuilder msg;
    auto c = msg.initRoot<schema::FromRunner>().initConfigChecked();
    c.setVerdict(static_cast<std::uint8_t>(check.verdict));
    c.setCode(std::string(code_name(check.why.code)));
    c.setField(check.why.field);
    c.setMessage(check.why.message);
    return wire.send(msg) ? 0 : 3;
  }

  // Wait for start (the host may instead just close: it decided to run the plugin itself).
  std::string config;
  for (;;) {
    auto in = wire.receive(std::chrono::milliseconds(1000));
    if (!in) return 0;
    if (!*in) continue;
    auto to = (*in)->getRoot<schema::ToRunner>();
    if (to.isStop()) return 0;
    if (to.isStart()) {
      config = to.getStart().getConfig();
      break;
    }
  }

  RemoteApi api(wire, config);
  if (!sandbox->notes.empty()) api.log(LogLevel::kWarn, "sandbox: " + sandbox->notes);
  RemoteSource source(wire);
  std::atomic<std::int64_t> last_beat{0};
  PluginThread::Options options;
  options.id = args.id;
  options.log = [&api](std::string_view, LogLevel level, std::string_view message) {
    api.log(level, message);
  };
  options.heartbeat = [&] {
    const std::int64_t now = Steady::now().time_since_epoch().count();
    if (now - last_beat.load() < 500'000'000) return;
    last_beat = now;
    capnp::MallocMessageBuilder msg;
    msg.initRoot<schema::FromRunner>().setHeartbeat();
    (void)wire.send(msg);
  };
  options.now = [] {
    return SystemClock().now();
  };
  options.last_error = [&api] {
    return api.last_error();
  };
  PluginThread thread(source, options);
  api.attach(&thread, &source);
  custody_context context{&api};
  const custody_host table = make_host_table(&context);

  // The reader: replies, records, stop. Runs before start so calls made in init and start are
  // answered.
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stop = false;
  std::thread reader([&] {
    for (;;) {
      auto in = wire.receive(std::chrono::milliseconds(1000));
      if (!in) break;
      if (!*in) continue;
      auto to = (*in)->getRoot<schema::ToRunner>();
      if (to.isReply()) {
        api.complete(to.getReply().getId(), to.getReply().getResult());
      } else if (to.isRecords()) {
        std::vector<std::string> batch;
        batch.reserve(to.getRecords().size());
        for (auto r : to.getRecords()) {
          batch.emplace_back(reinterpret_cast<const char*>(r.begin()), r.size());
        }
        source.push(std::move(batch));
      } else if (to.isStop()) {
        break;
      }
    }
    api.fail_all();
    {
      std::lock_guard lock(stop_mu);
      stop = true;
    }
    stop_cv.notify_all();
  });

  if (auto started = thread.start((*library)->init(), &table); !started) {
    send_refused(wire, started.error());
    wire.shutdown();
    reader.join();
    return 3;
  }
  {
    capnp::MallocMessageBuilder msg;
    msg.initRoot<schema::FromRunner>().setStarted();
    (void)wire.send(msg);
  }
  {
    std::unique_lock lock(stop_mu);
    stop_cv.wait(lock, [&] { return stop; });
  }
  thread.stop();
  reader.join();
  return 0;
}

}  // namespace custody::plugin
