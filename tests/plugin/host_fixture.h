// A plant ledger (PlantTest) with a plugin host: configure plugins, start the host, capture
// its log, and wait for what plugins do asynchronously.
//
//   start_host({plugin("scheduler", CUSTODY_PLUGIN_SCHEDULER, {"read", "subscribe",
//               "submit:wo"})});
//   ASSERT_TRUE(eventually([&] { return state("wo", "WO-1").contains("plan"); }));
#pragma once

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "custody/plugin/host.h"
#include "domain/plant_fixture.h"

namespace custody::testing {

class HostTest : public PlantTest {
 protected:
  void TearDown() override { host_.reset(); }

  static plugin::PluginConfig plugin(const std::string& id, const std::string& path,
                                     std::vector<std::string> grants,
                                     plugin::Isolation isolation = plugin::Isolation::kInProcess,
                                     const std::string& config_json = "{}") {
    plugin::PluginConfig c;
    c.id = id;
    c.path = path;
    c.grants = std::move(grants);
    auto granted = plugin::Capabilities::parse(c.grants, "grants");
    EXPECT_TRUE(granted) << (granted ? "" : granted.error().message);
    if (granted) c.granted = *granted;
    c.isolation = isolation;
    c.trusted = isolation == plugin::Isolation::kInProcess;  // the test's own fixture
    c.config_json = config_json;
    c.hang_timeout = std::chrono::milliseconds(3000);
    c.restart_backoff = std::chrono::milliseconds(50);
    return c;
  }

  plugin::HostOptions host_options() {
    plugin::HostOptions o;
    o.runner = CUSTODY_RUNNER;
    if (auto config = ledger::load_config(dir_)) o.site = config->site;
    o.log = [this](std::string_view id, plugin::LogLevel level, std::string_view message) {
      std::lock_guard lock(log_mu_);
      log_.push_back(std::string(id) + " " + std::to_string(static_cast<int>(level)) + " " +
                     std::string(message));
    };
    return o;
  }

  Result<void> try_start_host(const std::vector<plugin::PluginConfig>& configs) {
    auto h = plugin::PluginHost::start(*ledger_, configs, host_options());
    if (!h) return std::unexpected(h.error());
    host_ = std::move(*h);
    return {};
  }

  void start_host(const std::vector<plugin::PluginConfig>& configs) {
    auto r = try_start_host(configs);
    ASSERT_TRUE(r) << r.error().message;
  }

  // A plugin configuration start() must refuse.
  struct ConfigCase {
    std::string config;
    std::string field;   // the setting's path under the plugin entry's "config"
    std::string reason;  // what the host's error and the log must say
  };

  // Starts a host with `make(config)` for each case and checks the plugin `name` is refused as
  // the operator's mistake: invalid_argument with "invalid configuration: <reason>", the log
  // naming the reason and config.<field>, no host, nothing written.
  template <typename Make>
  void expect_config_refused(const std::string& name, const std::vector<ConfigCase>& cases,
                             Make&& make) {
    const auto head = ledger_->head().seq;
    for (const ConfigCase& c : cases) {
      SCOPED_TRACE(c.config);
      clear_log();
      auto r = try_start_host({make(c.config)});
      ASSERT_FALSE(r) << "the host started";
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << r.error().message;
      EXPECT_NE(r.error().message.find("plugin " + name + ": start failed (invalid_argument)"),
                std::string::npos)
          << r.error().message;
      EXPECT_NE(r.error().message.find("invalid configuration: " + c.reason), std::string::npos)
          << "the host's error does not say " << c.reason << ": " << r.error().message;
      const auto why = logged("invalid configuration: " + c.reason);
      ASSERT_EQ(why.size(), 1u) << "the log does not say " << c.reason << " once";
      EXPECT_NE(why[0].find("(field config." + c.field + ")"), std::string::npos) << why[0];
      EXPECT_EQ(host_, nullptr);
    }
    EXPECT_EQ(ledger_->head().seq, head) << "a refused plugin wrote something";
  }

  // Polls `done` until it holds or `timeout` passes. Plugins act on their own threads (or
  // processes); this is how a test waits for them, not a timing assertion.
  template <typename F>
  bool eventually(F&& done, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }

  void clear_log() {
    std::lock_guard lock(log_mu_);
    log_.clear();
  }

  // Lines logged so far that contain `needle`.
  std::vector<std::string> logged(const std::string& needle) {
    std::lock_guard lock(log_mu_);
    std::vector<std::string> out;
    for (const auto& l : log_) {
      if (l.find(needle) != std::string::npos) out.push_back(l);
    }
    return out;
  }

  // The records of a stream as JSON objects (custody log --stream).
  std::vector<boost::json::object> stream(const std::string& name) {
    std::vector<boost::json::object> out;
    auto snap = ledger_->snapshot();
    auto r = snap->stream_records(name, 1, 0, [&](std::uint64_t, std::string_view bytes) {
      std::string json;
      EXPECT_TRUE(domain::append_record_json(bytes, json));
      out.push_back(boost::json::parse(json).as_object());
      return true;
    });
    EXPECT_TRUE(r);
    return out;
  }

  std::unique_ptr<plugin::PluginHost> host_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

}  // namespace custody::testing
