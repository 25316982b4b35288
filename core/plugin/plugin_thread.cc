#include "plugin_thread.h"

#include <pthread.h>

#include <future>

#include "host_api.h"

namespace custody::plugin {
namespace {

constexpr auto kIdleWake = std::chrono::milliseconds(250);

// The smallest custody_plugin a plugin of ABI 1.0 can have filled in.
constexpr std::size_t kMinPluginSize = offsetof(custody_plugin, instance) + sizeof(void*);

}  // namespace

PluginThread::PluginThread(RecordSource& source, Options options)
    : source_(source), o_(std::move(options)) {}

PluginThread::~PluginThread() {
  stop();
}

void PluginThread::log(LogLevel level, const std::string& message) const {
  if (o_.log) o_.log(o_.id, level, message);
}

Result<void> PluginThread::start(custody_plugin_init_fn init, const custody_host* host) {
  thread_ = std::thread([this, init, host] { main(init, host); });
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return started_.has_value(); });
  Result<void> r = *started_;
  if (!r) {
    lock.unlock();
    thread_.join();
  }
  return r;
}

void PluginThread::main(custody_plugin_init_fn init, const custody_host* host) {
  pthread_setname_np(pthread_self(), "custody-plugin");
  auto fail = [&](ErrorCode code, std::string message) {
    std::lock_guard lock(mu_);
    started_ = std::unexpected(Error{code, std::move(message), {}});
    cv_.notify_all();
  };
  // Why init or start returned an error: the status, and what the plugin logged last.
  auto failed = [&](const char* what, custody_status s) {
    std::string reason = o_.last_error ? o_.last_error() : std::string();
    fail(code_of(s),
         "plugin " + o_.id + ": " + what + " failed (" + std::string(code_name(code_of(s))) + ")" +
             (reason.empty() ? std::string(" (see the log for its reason)") : ": " + reason));
  };
  std::memset(&plugin_, 0, sizeof plugin_);
  plugin_.struct_size = sizeof plugin_;
  custody_status s = CUSTODY_ERR_INTERNAL;
  try {
    s = init(host, &plugin_);
  } catch (...) {
    // Only a plugin built without the SDK helpers can let an exception out; say so.
    return fail(ErrorCode::kInternal,
                "plugin " + o_.id + ": init threw an exception across the C ABI");
  }
  if (s != CUSTODY_OK) return failed("init", s);
  if (plugin_.struct_size < kMinPluginSize || plugin_.struct_size > sizeof plugin_) {
    return fail(ErrorCode::kInternal, "plugin " + o_.id + ": init set struct_size " +
                                          std::to_string(plugin_.struct_size) + ", outside [" +
                                          std::to_string(kMinPluginSize) + ", " +
                                          std::to_string(sizeof plugin_) + "]");
  }
  if (plugin_.start != nullptr && (s = plugin_.start(plugin_.instance)) != CUSTODY_OK) {
    if (plugin_.destroy != nullptr) plugin_.destroy(plugin_.instance);
    return failed("start", s);
  }
  {
    std::lock_guard lock(mu_);
    running_ = true;
    started_ = Result<void>();
  }
  cv_.notify_all();
  loop();
  if (plugin_.stop != nullptr) plugin_.stop(plugin_.instance);
  if (plugin_.destroy != nullptr) plugin_.destroy(plugin_.instance);
}

void PluginThread::loop() {
  using Clock = std::chrono::steady_clock;
  // When on_tick is next due; ticking says whether there is a tick interval at all. (Not an
  // optional: GCC 12 warns, wrongly, that one would be read uninitialised.)
  Clock::time_point next_tick{};
  bool ticking = false;
  std::vector<std::string> raw;
  RecordBatch batch;
  for (;;) {
    std::deque<std::function<void()>> tasks;
    std::uint64_t position = 0;
    std::uint64_t subscriptions = 0;
    std::uint64_t tick_ms = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      tasks.swap(tasks_);
      position = position_;
      subscriptions = subscriptions_;
      tick_ms = tick_ms_;
    }
    for (auto& task : tasks) task();

    const auto now = Clock::now();
    if (tick_ms == 0) {
      ticking = false;
    } else if (!ticking) {
      ticking = true;
      next_tick = now + std::chrono::milliseconds(tick_ms);
    }
    auto until = now + kIdleWake;
    if (ticking) until = std::min(until, next_tick);

    if (tasks.empty() && position > 0) {
      raw.clear();
      auto r = source_.next(position, o_.batch, until, raw);
      if (!r) {
        log(LogLevel::kError,
            "reading records from " + std::to_string(position) + " failed: " + r.error().message);
        std::unique_lock lock(mu_);
        cv_.wait_until(lock, until, [&] { return stopping_; });
      } else if (!raw.empty()) {
        if (auto a = batch.assign(std::move(raw)); !a) {
          log(LogLevel::kError, "records from " + std::to_string(position) +
                                    " could not be read: " + a.error().message);
          std::lock_guard lock(mu_);
          if (position_ == position) position_ = 0;  // stop delivering rather than skip
        } else {
          custody_status s = CUSTODY_OK;
          if (plugin_.on_records != nullptr) {
            s = plugin_.on_records(plugin_.instance, batch.data(), batch.size());
          }
          if (s != CUSTODY_OK) {
            log(LogLevel::kError, "on_records failed (status " + std::to_string(s) +
                                      ") for records " + std::to_string(batch.first_seq()) + ".." +
                                      std::to_string(batch.last_seq()) + "; delivery goes on");
          }
          bool resubscribed = false;
          {
            std::lock_guard lock(mu_);
            stats_.delivered += batch.size();
            if (s != CUSTODY_OK) ++stats_.failed_batches;
            // A subscribe() during the call wins over the position we were at, even when it
            // names the same record again (a plugin that could not handle it yet).
            resubscribed = subscriptions_ != subscriptions;
            if (!resubscribed) position_ = batch.last_seq() + 1;
          }
          // Records after the one it subscribed from again are not handled.
          if (!resubscribed) source_.delivered(batch.last_seq());
        }
      }
    } else if (tasks.empty()) {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, until, [&] {
        return stopping_ || !tasks_.empty() || position_ != position || tick_ms_ != tick_ms;
      });
    }

    if (ticking && Clock::now() >= next_tick) {
      const custody_status s = plugin_.on_tick != nullptr && o_.now
                                   ? plugin_.on_tick(plugin_.instance, o_.now())
                                   : CUSTODY_OK;
      if (s != CUSTODY_OK) {
        log(LogLevel::kError, "on_tick failed (status " + std::to_string(s) + ")");
        std::lock_guard lock(mu_);
        ++stats_.failed_batches;
      }
      next_tick = Clock::now() + std::chrono::milliseconds(tick_ms);
    }
    if (o_.heartbeat) o_.heartbeat();
  }
  std::lock_guard lock(mu_);
  tasks_.clear();  // their callers see the thread has gone
}

void PluginThread::subscribe(std::uint64_t from_seq) {
  {
    std::lock_guard lock(mu_);
    position_ = std::max<std::uint64_t>(from_seq, 1);
    ++subscriptions_;
    stats_.position = position_;
  }
  cv_.notify_all();
  source_.wake();
}

void PluginThread::set_tick_interval(std::uint64_t interval_ms) {
  {
    std::lock_guard lock(mu_);
    tick_ms_ = interval_ms;
  }
  cv_.notify_all();
  source_.wake();
}

Result<void> PluginThread::run_on_thread(const std::function<void(custody_plugin&)>& fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  {
    std::lock_guard lock(mu_);
    if (!running_ || stopping_) {
      return std::unexpected(
          Error{ErrorCode::kUnavailable, "plugin " + o_.id + " is not running", {}});
    }
    // The task owns the promise: if the thread ends without running it, the promise breaks.
    tasks_.emplace_back([this, &fn, done = std::move(done)] {
      fn(plugin_);
      done->set_value();
    });
  }
  cv_.notify_all();
  source_.wake();
  try {
    future.get();
  } catch (const std::future_error&) {
    return std::unexpected(Error{ErrorCode::kUnavailable, "plugin " + o_.id + " stopped", {}});
  }
  return {};
}

void PluginThread::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  source_.wake();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

PluginThread::Stats PluginThread::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.position = position_;
  return s;
}

}  // namespace custody::plugin
