// custody_mqtt: records equipment parameters published to an MQTT broker as readings
// (docs/plugins/devices.md).
//
// The driver keeps one session with one broker, subscribed at QoS 1 to every configured
// topic. Each message's payload gives the value of each parameter mapped to its topic (a
// plain number, or a number at a JSON Pointer), which goes to the ledger as reading.record
// with value = raw * scale + offset; the domain checks it against the equipment's and the
// running step's limits, as for any reading.
//
// Malformed payloads (not a number, not JSON, nothing at the path, a time that is not one)
// are counted per topic and logged (the first at once, then a count at most every 10 s, and
// the totals when the driver stops); they are never recorded as readings.
//
// The broker. A broker that cannot be reached, or goes away, is retried with backoff (from
// 100 ms, doubling to 10 s). When it has been unreachable for faultAfterMs the driver raises
// one exception (category equipment, severity high, due in an hour, no equipment: the
// machines may be fine; their readings are not arriving), however long the outage lasts. When
// the broker is back, readings resume and the recovery is logged; the exception stays open:
// closing it is a person's call.
//
// Command ids: readings "mqtt:<equipment>:<param>:<at ns>", where `at` is the device's time
// when the mapping has a timePath (so a message the broker delivers twice is recorded once)
// and otherwise the arrival time, made to increase per mapping; faults
// "mqtt:devfault-mqtt-<clientId>-<ns the outage began>".
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "custody/plugin.hpp"
#include "mqtt_config.h"
#include "mqtt_link.h"
#include "mqtt_payload.h"
#include "schema/commands.capnp.h"

namespace custody::mqtt {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::int64_t kFaultDueNs = 3'600'000'000'000;  // device faults are due in an hour
constexpr milliseconds kTick{20};
constexpr milliseconds kTickBudget{100};  // receiving stops for this tick after this long
constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{10'000};
constexpr milliseconds kReportEvery{10'000};

// Per topic: what arrived that could not be recorded.
struct TopicStats {
  std::uint64_t messages = 0;
  std::uint64_t malformed = 0;
  std::uint64_t reported = 0;  // malformed count at the last log line
  Steady::time_point last_report;
};

// Per mapping.
struct MapState {
  std::int64_t last_at = 0;  // `at` of the last reading sent (arrival times only)
  std::string refused;       // code of the last refused reading; "" once one goes through
};

// The broker unreachable, from the first failure to the next session.
struct Outage {
  std::int64_t began = 0;    // ns, on the host's clock: the exception's id and deadline
  Steady::time_point since;  // how long it has lasted: the steady clock, not the host's
  std::string last_error;
  std::string exception;  // fixed when raised, so a retried raise is idempotent
  bool raised = false;
  bool refusal_logged = false;
};

// "1 topic", "2 topics".
std::string counted(std::uint64_t n, const std::string& thing) {
  return std::to_string(n) + " " + thing + (n == 1 ? "" : "s");
}

std::string read_password(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    sdk::refuse_config(sdk::ConfigError{"passwordFile", "cannot read " + path});
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty())
    sdk::refuse_config(sdk::ConfigError{"passwordFile", path + " holds no password"});
  return line;
}

class MqttDriver : public sdk::Plugin {
 public:
  explicit MqttDriver(sdk::Host host) : Plugin(host) {}

  static void check_config(const std::string& json) {
    if (auto config = parse_driver_config(json); !config) sdk::refuse_config(config.error());
  }

  void start() override {
    auto config = parse_driver_config(host().config());
    if (!config) sdk::refuse_config(config.error());
    config_ = std::move(*config);
    std::string password;
    if (!config_.password_file.empty()) password = read_password(config_.password_file);
    auto link = MqttLink::create(config_, std::move(password));
    if (!link) throw std::runtime_error(link.error());
    link_ = std::move(*link);
    for (std::size_t i = 0; i < config_.topics.size(); ++i) {
      by_topic_[config_.topics[i].topic].push_back(i);
    }
    maps_.assign(config_.topics.size(), MapState{});
    host().set_tick_interval(static_cast<std::uint64_t>(kTick.count()));
    host().info("subscribing to " + counted(by_topic_.size(), "topic") + " for " +
                counted(config_.topics.size(), "parameter") + " on " + link_->broker() +
                " as client " + config_.client_id + "; a device fault after " +
                std::to_string(config_.fault_after.count()) + " ms without the broker");
  }

  void on_tick(std::int64_t now) override {
    if (!link_->connected()) {
      reconnect(now);
      if (!link_->connected()) return;
    }
    const auto begin = Steady::now();
    do {
      auto next = link_->receive(milliseconds(1));
      if (!next) {
        lost(next.error(), now);
        return;
      }
      if (!*next) break;
      handle(**next, now);
    } while (Steady::now() - begin < kTickBudget);
    report_malformed(false);
  }

  void stop() override {
    if (!link_) return;
    report_malformed(true);
    std::uint64_t messages = 0;
    std::uint64_t malformed = 0;
    for (const auto& [topic, s] : stats_) {
      messages += s.messages;
      malformed += s.malformed;
    }
    host().info("stopping: " + counted(messages, "message") + " received, " +
                counted(recorded_, "reading") + " recorded, " +
                counted(malformed, "malformed payload"));
    link_->disconnect();
  }

 private:
  void reconnect(std::int64_t now) {
    const auto at = Steady::now();
    if (at >= reconnect_at_) {
      auto c = link_->connect();
      if (c) {
        connected();
        return;
      }
      failed(c.error(), now);
      backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
      reconnect_at_ = Steady::now() + backoff_;
    }
    if (outage_ && !outage_->raised && Steady::now() - outage_->since >= config_.fault_after) {
      raise_fault();
    }
  }

  void connected() {
    backoff_ = milliseconds(0);
    if (!outage_) {
      host().info("connected to " + link_->broker());
      return;
    }
    host().info("the MQTT broker " + link_->broker() + " is back; readings resume" +
                (outage_->raised
                     ? "; exception " + outage_->exception + " stays open until people close it"
                     : std::string()));
    outage_.reset();
  }

  void failed(const std::string& why, std::int64_t now) {
    if (!outage_) {
      outage_.emplace();
      outage_->began = std::max(now, last_began_ + 1);
      outage_->since = Steady::now();
      last_began_ = outage_->began;
      host().warn("the MQTT broker " + link_->broker() + ": " + why +
                  "; retrying, and a device fault is raised after " +
                  std::to_string(config_.fault_after.count()) + " ms");
    }
    outage_->last_error = why;
  }

  void lost(const std::string& why, std::int64_t now) {
    failed(why, now);
    reconnect_at_ = Steady::now();  // try again at once: the broker may just have restarted
  }

  void raise_fault() {
    Outage& o = *outage_;
    if (o.exception.empty()) {
      o.exception = "devfault-mqtt-" + config_.client_id + "-" + std::to_string(o.began);
    }
    std::vector<std::string> equipment;
    for (const TopicMap& m : config_.topics) {
      if (std::find(equipment.begin(), equipment.end(), m.equipment) == equipment.end()) {
        equipment.push_back(m.equipment);
      }
    }
    std::string names;
    for (std::size_t i = 0; i < equipment.size() && i < 10; ++i) {
      names += (i == 0 ? "" : ", ") + equipment[i];
    }
    if (equipment.size() > 10) names += " and " + std::to_string(equipment.size() - 10) + " more";
    const std::string description =
        "MQTT broker " + link_->broker() + " unreachable for " +
        std::to_string(std::chrono::duration_cast<milliseconds>(Steady::now() - o.since).count()) +
        " ms: no readings arrive from " + names + " (last error: " + o.last_error + ")";

    auto r = sdk::submit<schema::ExceptionRaise>(
        host(), "exception.raise", "mqtt:" + o.exception, [&](schema::ExceptionRaise::Builder e) {
          e.setException(o.exception);
          e.setCategory(schema::ExceptionCategory::EQUIPMENT);
          e.setSeverity(schema::Severity::HIGH);
          e.setDescription(description);
          e.setDeadline(o.began + kFaultDueNs);
        });
    if (r.ok()) {
      o.raised = true;
      host().warn("device fault, raised exception " + o.exception + ": " + description);
    } else if (!o.refusal_logged) {
      o.refusal_logged = true;  // retried each tick while the outage lasts; said once
      host().error("the device-fault exception " + o.exception + " was refused (" + r.code + ": " +
                   r.message + "); retrying while the broker is away");
    }
  }

  void handle(const Message& m, std::int64_t now) {
    auto it = by_topic_.find(m.topic);
    if (it == by_topic_.end()) return;  // only subscribed topics arrive
    TopicStats& stats = stats_[m.topic];
    ++stats.messages;
    Payload payload(m.payload);
    std::string problem;
    for (std::size_t i : it->second) {
      const TopicMap& map = config_.topics[i];
      auto sample = payload.sample(map);
      if (!sample) {
        if (problem.empty()) problem = map.param + ": " + sample.error();
        continue;
      }
      const double value = sample->raw * map.scale + map.offset;
      if (!std::isfinite(value)) {
        if (problem.empty()) problem = map.param + ": scaled value is not a finite number";
        continue;
      }
      record(i, value, sample->at, now);
    }
    if (!problem.empty()) malformed(m, stats, problem);
  }

  void malformed(const Message& m, TopicStats& stats, const std::string& problem) {
    ++stats.malformed;
    last_problem_[m.topic] = problem + " (payload \"" + excerpt(m.payload) + "\")";
    if (stats.malformed == 1) {
      host().warn(m.topic + ": malformed payload, not recorded: " + last_problem_[m.topic] +
                  "; further ones on this topic are counted and logged every " +
                  std::to_string(kReportEvery.count() / 1000) + " s");
      stats.reported = 1;
      stats.last_report = Steady::now();
    }
  }

  // Logs the topics with malformed payloads since their last line, at most every 10 s each
  // (`all`: now, whatever the time).
  void report_malformed(bool all) {
    const auto at = Steady::now();
    for (auto& [topic, s] : stats_) {
      if (s.malformed == s.reported || (!all && at - s.last_report < kReportEvery)) continue;
      host().warn(topic + ": " + counted(s.malformed - s.reported, "more malformed payload") +
                  ", not recorded (" + std::to_string(s.malformed) + " of " +
                  std::to_string(s.messages) + " messages so far; latest: " + last_problem_[topic] +
                  ")");
      s.reported = s.malformed;
      s.last_report = at;
    }
  }

  void record(std::size_t i, double value, std::optional<std::int64_t> device_at,
              std::int64_t now) {
    const TopicMap& m = config_.topics[i];
    MapState& st = maps_[i];
    std::int64_t at = 0;
    if (device_at) {
      at = *device_at;
    } else {
      at = std::max(now, st.last_at + 1);
      st.last_at = at;
    }
    const std::string id = "mqtt:" + m.equipment + ":" + m.param + ":" + std::to_string(at);
    auto result = sdk::submit<schema::ReadingRecord>(host(), "reading.record", id,
                                                     [&](schema::ReadingRecord::Builder reading) {
                                                       reading.setEquipment(m.equipment);
                                                       reading.setParam(m.param);
                                                       reading.setValue(value);
                                                       reading.setUnit(m.unit);
                                                       reading.setAt(at);
                                                     });
    if (result.ok()) {
      ++recorded_;
      if (!st.refused.empty())
        host().info(m.equipment + "/" + m.param + ": readings are accepted again");
      st.refused.clear();
    } else if (result.code != st.refused || st.refused.empty()) {
      st.refused = result.code.empty() ? "error" : result.code;
      host().warn(m.equipment + "/" + m.param + ": reading refused (" + result.code + ": " +
                  result.message + "); the same refusal is not logged again");
    }
  }

  DriverConfig config_;
  std::unique_ptr<MqttLink> link_;
  std::map<std::string, std::vector<std::size_t>> by_topic_;  // topic -> its mappings
  std::vector<MapState> maps_;                                // parallel to config_.topics
  std::map<std::string, TopicStats> stats_;
  std::map<std::string, std::string> last_problem_;
  std::optional<Outage> outage_;
  std::int64_t last_began_ = 0;
  std::uint64_t recorded_ = 0;
  milliseconds backoff_{0};
  Steady::time_point reconnect_at_;
};

const char* const kCapabilities[] = {"submit:reading", "submit:exception"};

}  // namespace
}  // namespace custody::mqtt

CUSTODY_PLUGIN(custody::mqtt::MqttDriver, "mqtt", "1.0.0",
               "Records equipment parameters published to an MQTT broker as readings",
               CUSTODY_KIND_DEVICE_DRIVER, custody::mqtt::kCapabilities)
