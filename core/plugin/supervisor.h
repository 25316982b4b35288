// Internal to core/plugin: the host's side of a plugin that runs in custody-runner.
//
// spawn() forks and execs the runner with one end of a socketpair, waits for its hello (the
// manifest, already ABI-checked by the runner) and checks it against the configuration.
// run() sends start and waits until the plugin runs. From then on two threads serve it:
//
//   supervise  reads the runner's messages: executes its calls through Services and replies;
//              passes its log lines on; notes every message as a sign of life. When the runner
//              exits, or sends nothing for the hang timeout (it sends a heartbeat about
//              every half second while its plugin thread is free), it is killed if need be and
//              started again after a backoff (doubling from restartBackoffMs to 5 s; reset
//              after a minute of health). The ledger never waits for any of this.
//   push       sends the subscription's records in batches, at most two unacknowledged.
//   reply      sends the answers to submits, which the supervise thread hands to the ledger
//              without waiting (so a runner's plugin threads can have many in flight); the
//              ledger's writer thread only queues each answer.
//
// A restarted plugin starts afresh: it subscribes again from wherever it wants, and its
// commands' ids make a retried submit harmless.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "hosted.h"
#include "ledger_source.h"
#include "schema/runner.capnp.h"
#include "wire.h"

namespace custody::plugin {

class Supervisor final : public HostedPlugin {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Supervisor>> spawn(ledger::Ledger& ledger,
                                                                 const PluginConfig& config,
                                                                 const HostOptions& options);
  ~Supervisor() override;

  [[nodiscard]] const Manifest& manifest() const { return manifest_; }
  [[nodiscard]] Result<void> run();

  [[nodiscard]] PluginStatus status() const override;
  [[nodiscard]] Result<std::optional<std::string>> render(std::string_view report,
                                                          std::string_view params) override;
  void stop() override;

  // One runner process.
  struct Child {
    pid_t pid = -1;
    std::shared_ptr<Wire> wire;
  };
  // Forks and execs `runner` for `plugin`, working in `workdir` (sandbox.h). A probe says
  // hello (with the manifest, compatible or not) and exits.
  enum class RunnerMode { kRun, kProbe };
  [[nodiscard]] static Result<Child> spawn_runner(const std::filesystem::path& runner,
                                                  const std::filesystem::path& plugin,
                                                  const std::string& id,
                                                  const std::filesystem::path& workdir,
                                                  RunnerMode mode);
  // Waits for a runner to end; kKill kills it first, kWait lets it finish (a grace period).
  enum class Ending { kKill, kWait };
  static void end_child(Child& child, Ending how);

 private:
  Supervisor(ledger::Ledger& ledger, const PluginConfig& config, const HostOptions& options);

  // Forks and execs a runner and waits for its hello. The manifest it reports must be the
  // one first seen (same id and ABI).
  [[nodiscard]] Result<Child> launch();
  // Sends start; waits for started.
  [[nodiscard]] Result<void> start_child(Child& child);
  void supervise();
  void push();
  // Returns false when the runner must be restarted.
  bool handle(schema::FromRunner::Reader message, const std::shared_ptr<Wire>& wire);
  void reply(Wire& wire, std::uint64_t id, const Result<ledger::CommandResult>& result,
             std::string_view body = {});
  // Hands a prepared command to the ledger; its answer goes out through the outbox.
  void submit_async(Result<ledger::Command> command, std::uint64_t id,
                    const std::shared_ptr<Wire>& wire);
  void send_replies();

  // Answers produced on the ledger's writer thread, waiting for the reply thread. Shared
  // with the completions, which may outlive the supervisor.
  struct Outbox {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::pair<std::shared_ptr<Wire>, kj::Array<capnp::word>>> queue;
    bool closed = false;
    std::atomic<std::uint64_t> outstanding{0};  // submits handed over, not yet answered
  };
  void install(Child child);  // makes `child` (or none) the current runner

  ledger::Ledger& ledger_;
  const PluginConfig config_;
  const HostOptions options_;
  Manifest manifest_;
  std::unique_ptr<Services> services_;
  LedgerSource source_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  Child current_;
  // The plugin's private working directory, kept across runner restarts (a plugin may leave
  // itself notes there) and removed when the plugin stops.
  std::filesystem::path workdir_;
  bool stopping_ = false;
  std::string state_ = "starting";
  std::uint64_t restarts_ = 0;
  std::uint64_t position_ = 0;                              // next seq to push (0: not subscribed)
  std::deque<std::pair<std::uint64_t, std::size_t>> sent_;  // unacknowledged: last seq, count
  std::uint64_t delivered_ = 0;                             // records acknowledged
  std::uint64_t handled_ = 0;                               // the last seq acknowledged
  std::uint64_t generation_ = 0;                            // bumped per runner and per subscribe
  std::shared_ptr<Outbox> outbox_ = std::make_shared<Outbox>();
  std::thread supervise_thread_;
  std::thread push_thread_;
  std::thread reply_thread_;
};

}  // namespace custody::plugin
