// Internal to core/plugin: the one thread that runs a plugin's callbacks (plugin.h: "the
// plugin's thread"), wherever the plugin lives: in the host process, or in a runner.
//
//   init -> start -> loop { tasks (render) ; records batch -> on_records ; due -> on_tick }
//        -> stop -> destroy
//
// Records come from a RecordSource: the ledger itself in the host, the socket in a runner.
// The thread never holds a lock while it is inside the plugin.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "custody/common/error.h"
#include "custody/plugin.h"
#include "custody/plugin/services.h"

namespace custody::plugin {

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Appends up to `max` records with seq >= from, in seq order, to `out`, waiting until
  // there is at least one, `until` passes or wake() is called.
  [[nodiscard]] virtual Result<void> next(std::uint64_t from, std::size_t max,
                                          std::chrono::steady_clock::time_point until,
                                          std::vector<std::string>& out) = 0;
  // Any thread: ends a wait in next() early.
  virtual void wake() = 0;
  // Called after each delivered batch (a runner acknowledges it to the host).
  virtual void delivered(std::uint64_t through_seq) { (void)through_seq; }
};

class PluginThread {
 public:
  struct Options {
    std::string id;
    LogSink log;
    std::function<void()> heartbeat;  // called each time round the loop, at least every 250 ms
    std::size_t batch = 256;          // records per on_records call
    std::function<TimeNs()> now;      // the clock on_tick is given
    // The last error the plugin logged, to say why init or start failed.
    std::function<std::string()> last_error;
  };
  PluginThread(RecordSource& source, Options options);
  ~PluginThread();  // stop()s
  PluginThread(const PluginThread&) = delete;
  PluginThread& operator=(const PluginThread&) = delete;

  // Starts the thread, which calls init then start; waits for both. On failure the thread
  // has ended (destroy called if init had succeeded) and the error says why.
  [[nodiscard]] Result<void> start(custody_plugin_init_fn init, const custody_host* host);

  // Any thread.
  void subscribe(std::uint64_t from_seq);
  void set_tick_interval(std::uint64_t interval_ms);
  // Runs `fn` on the plugin's thread and waits for it. kUnavailable once stopped.
  [[nodiscard]] Result<void> run_on_thread(const std::function<void(custody_plugin&)>& fn);
  // Calls stop and destroy on the plugin's thread and joins it. Idempotent.
  void stop();

  struct Stats {
    std::uint64_t delivered = 0;       // records handed to on_records
    std::uint64_t failed_batches = 0;  // on_records or on_tick calls that returned an error
    std::uint64_t position = 0;        // next seq to deliver (0: not subscribed)
  };
  [[nodiscard]] Stats stats() const;

 private:
  void main(custody_plugin_init_fn init, const custody_host* host);
  void loop();
  void log(LogLevel level, const std::string& message) const;

  RecordSource& source_;
  const Options o_;
  custody_plugin plugin_{};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  bool running_ = false;
  std::optional<Result<void>> started_;
  std::uint64_t position_ = 0;
  std::uint64_t subscriptions_ = 0;  // subscribe() calls so far: one during on_records wins
  std::uint64_t tick_ms_ = 0;
  Stats stats_;
  std::thread thread_;
};

}  // namespace custody::plugin
