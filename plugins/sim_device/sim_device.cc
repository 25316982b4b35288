// custody_sim_device: a simulated device for demos and tests (docs/plugins/devices.md). Each
// configured device sends reading.record every intervalMs with values from SimSignal
// (sim_signal.h): a noisy, drifting signal with an excursion every N-th reading, which the
// domain sees like any reading (an excursion outside the equipment's limits raises an
// exception). With "count" each device stops after that many readings.
//
// Command ids are "sim:<equipment>:<param>:<n>", n the reading's number. A restarted runner
// starts its sequence again, so it sends the same ids with the same values; the ledger answers
// each with a duplicate and the plugin moves straight on to the next reading without waiting
// its interval (at most kCatchUpPerTick per tick, so heartbeats keep flowing), until it
// reaches readings the ledger has not seen. Restarts therefore neither lose nor repeat one.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "custody/plugin.hpp"
#include "schema/commands.capnp.h"
#include "sim_config.h"
#include "sim_signal.h"

namespace custody::sim {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kMaxTick{100};
constexpr int kCatchUpPerTick = 100;

struct DeviceState {
  SimSignal signal;
  Steady::time_point due;
  std::string refused;            // code of the last refused reading; "" once one goes through
  std::optional<double> pending;  // reading signal.made(), not yet sent: the host was away
};

enum class Sent { kRecorded, kDuplicate, kRefused };

class SimDeviceDriver : public sdk::Plugin {
 public:
  explicit SimDeviceDriver(sdk::Host host) : Plugin(host) {}

  // `custody plugins check --config` and `plugins add` ask this before anything runs.
  static void check_config(const std::string& json) {
    if (auto config = parse_sim_config(json); !config) sdk::refuse_config(config.error());
  }

  void start() override {
    // A bad configuration is the operator's to fix: the host reports invalid_argument with
    // the setting's path under the entry's "config".
    auto config = parse_sim_config(host().config());
    if (!config) sdk::refuse_config(config.error());
    config_ = std::move(*config);
    const auto now = Steady::now();
    milliseconds smallest = config_.devices.front().interval;
    for (std::size_t i = 0; i < config_.devices.size(); ++i) {
      const SimDevice& d = config_.devices[i];
      devices_.push_back(DeviceState{SimSignal(d, config_.seed, i), now, {}});
      smallest = std::min(smallest, d.interval);
    }
    host().set_tick_interval(static_cast<std::uint64_t>(std::min(smallest, kMaxTick).count()));
    host().info("simulating " + std::to_string(devices_.size()) +
                (devices_.size() == 1 ? " device" : " devices") + " with seed " +
                std::to_string(config_.seed));
  }

  void on_tick(std::int64_t now) override {
    if (finished_) return;
    const auto begin = Steady::now();
    bool all_done = true;
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      DeviceState& d = devices_[i];
      if (done(i)) continue;
      all_done = false;
      if (d.due > begin) continue;
      d.due += config_.devices[i].interval;
      if (d.due <= begin) d.due = begin + config_.devices[i].interval;  // no bursts after a stall
      for (int k = 0; k < kCatchUpPerTick; ++k) {
        if (send(i, now) != Sent::kDuplicate || done(i)) break;
      }
    }
    if (all_done) {
      finished_ = true;
      host().set_tick_interval(0);
      host().info("every device has sent its readings");
    }
  }

 private:
  bool done(std::size_t i) const {
    const std::uint64_t count = config_.devices[i].count;
    return count != 0 && devices_[i].signal.made() >= count && !devices_[i].pending;
  }

  // Sends the device's next reading, or again the one the host could not take last time. A
  // reading the ledger refuses (unknown equipment, say) is logged and skipped; one the host
  // was unavailable for is kept, so a host that comes back loses nothing.
  Sent send(std::size_t i, std::int64_t now) {
    const SimDevice& device = config_.devices[i];
    DeviceState& d = devices_[i];
    const double value = d.pending ? *d.pending : d.signal.next();
    d.pending.reset();
    capnp::MallocMessageBuilder message;
    auto reading = message.initRoot<schema::ReadingRecord>();
    reading.setEquipment(device.equipment);
    reading.setParam(device.param);
    reading.setValue(value);
    reading.setUnit(device.unit);
    reading.setAt(now);
    const auto words = capnp::messageToFlatArray(message);
    const auto bytes = words.asBytes();
    const std::string id =
        "sim:" + device.equipment + ":" + device.param + ":" + std::to_string(d.signal.made());
    auto r = host().submit("reading.record", id, bytes.begin(), bytes.size());
    if (r.ok()) {
      if (!d.refused.empty()) host().info(id + ": readings are accepted again");
      d.refused.clear();
      return r.duplicate ? Sent::kDuplicate : Sent::kRecorded;
    }
    if (r.status == CUSTODY_ERR_UNAVAILABLE) d.pending = value;
    if (d.refused.empty() || r.code != d.refused) {
      d.refused = r.code.empty() ? "error" : r.code;
      host().warn(id + " refused (" + r.code + ": " + r.message +
                  "); the same refusal is not logged again");
    }
    return Sent::kRefused;
  }

  SimConfig config_;
  std::vector<DeviceState> devices_;  // parallel to config_.devices
  bool finished_ = false;
};

const char* const kCapabilities[] = {"submit:reading"};

}  // namespace
}  // namespace custody::sim

CUSTODY_PLUGIN(custody::sim::SimDeviceDriver, "sim-device", "1.0.0",
               "Simulates devices that send readings, for demos and tests",
               CUSTODY_KIND_DEVICE_DRIVER, custody::sim::kCapabilities)
