// custody_modbus: reads equipment parameters from a Modbus TCP device and records them as
// readings (docs/plugins/devices.md).
//
// Each configured register is read every intervalMs; its value, raw * scale + offset, goes
// to the ledger as reading.record, where the domain checks it against the equipment's and the
// running step's limits (and raises an exception for an excursion, as for any reading).
//
// Faults. A register whose reads fail faultAfter times in a row puts its equipment into an
// outage, and the driver raises one exception for it (category equipment, severity high, due
// in an hour), which takes the equipment down until people resolve it. Further failures, of
// that register or of the equipment's others, add nothing. The outage ends when every register
// of the equipment that had reached faultAfter is read again; that is logged, and the
// exception stays open: closing it is a person's call. A restarted runner starts with no
// outages, so an outage that spans a restart is raised again.
//
// Time. Nothing waits longer than timeoutMs on the device (modbus_link.h), and one tick reads
// until it has spent timeoutMs (at least one register per tick), so a tick lasts at most about
// two timeouts and the runner keeps sending heartbeats. After a failure the driver reconnects
// with backoff, starting at the smallest interval (at most 1 s) and doubling to 10 s.
//
// Command ids: readings "modbus:<equipment>:<param>:<at ns>", with `at` made to increase per
// register even if the clock stands still; faults "modbus:<exception id>" with the exception id
// "devfault-<equipment>-<ns the outage began>". A retried submit is therefore harmless.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "custody/plugin.hpp"
#include "modbus_config.h"
#include "modbus_link.h"
#include "register_format.h"
#include "schema/commands.capnp.h"

namespace custody::modbus {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::int64_t kFaultDueNs = 3'600'000'000'000;  // device faults are due in an hour
constexpr milliseconds kMaxTick{100};
constexpr milliseconds kMinTick{10};
constexpr milliseconds kMaxFirstBackoff{1000};
constexpr milliseconds kMaxBackoff{10'000};

const char* kind_name(FaultKind kind) {
  return kind == FaultKind::kSilent ? "silent" : "garbage";
}

// For the exception, which describes a state rather than one read.
const char* fault_words(FaultKind kind) {
  return kind == FaultKind::kSilent ? "went silent" : "answers garbage";
}

// What the driver knows about one register.
struct RegisterState {
  Steady::time_point due;
  std::int64_t last_at = 0;  // `at` of the last reading sent
  int failures = 0;          // failed reads in a row
  LinkFailure last_failure;
  std::string refused;  // code of the last refused reading; "" once one goes through
};

// An equipment's device fault, from the first register reaching faultAfter to recovery.
struct Outage {
  std::string exception;  // fixed when the outage begins, so a retried raise is idempotent
  std::string description;
  std::int64_t began = 0;  // ns, on the host's clock
  bool raised = false;
  bool refusal_logged = false;
};

class ModbusDriver : public sdk::Plugin {
 public:
  explicit ModbusDriver(sdk::Host host) : Plugin(host) {}

  // `custody plugins check --config` and `plugins add` ask this before anything runs.
  static void check_config(const std::string& json) {
    if (auto config = parse_driver_config(json); !config) sdk::refuse_config(config.error());
  }

  void start() override {
    // A bad configuration is the operator's to fix: the host reports invalid_argument with
    // the setting's path under the entry's "config".
    auto config = parse_driver_config(host().config());
    if (!config) sdk::refuse_config(config.error());
    config_ = std::move(*config);
    // The settings were checked above, so libmodbus refusing them (in practice: out of memory)
    // is not the operator's doing; it stays an internal error.
    auto link = ModbusLink::create(config_.host, config_.port, config_.unit_id, config_.timeout);
    if (!link) throw std::runtime_error(link.error());
    link_ = std::move(*link);

    milliseconds smallest = config_.registers.front().interval;
    for (const RegisterMap& m : config_.registers) smallest = std::min(smallest, m.interval);
    first_backoff_ = std::min(smallest, kMaxFirstBackoff);
    registers_.assign(config_.registers.size(), RegisterState{});
    const auto now = Steady::now();
    for (RegisterState& r : registers_) r.due = now;  // first reads on the first tick
    host().set_tick_interval(
        static_cast<std::uint64_t>(std::clamp(smallest, kMinTick, kMaxTick).count()));
    host().info("reading " + std::to_string(config_.registers.size()) +
                (config_.registers.size() == 1 ? " register" : " registers") + " from " +
                link_->endpoint() + "; a device fault after " +
                std::to_string(config_.fault_after) + " failed reads in a row");
  }

  void on_tick(std::int64_t now) override { poll(now); }

  void stop() override {
    if (link_) link_->close();
  }

 private:
  // Reads the registers that are due, most overdue first, within the tick's time budget.
  void poll(std::int64_t now) {
    const auto begin = Steady::now();
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < registers_.size(); ++i) {
      if (registers_[i].due <= begin) due.push_back(i);
    }
    if (due.empty()) return;
    std::sort(due.begin(), due.end(),
              [&](std::size_t a, std::size_t b) { return registers_[a].due < registers_[b].due; });

    if (!link_->connected()) {
      if (begin < reconnect_at_) return;  // backing off; the registers stay due
      if (auto c = link_->connect(); !c) {
        for (std::size_t i : due) {
          reschedule(i, begin);
          failed(i, c.error(), now);
        }
        back_off();
        return;
      }
    }
    bool first = true;
    for (std::size_t i : due) {
      if (!first && Steady::now() - begin >= config_.timeout) break;  // the rest: next tick
      first = false;
      reschedule(i, begin);
      const RegisterMap& m = config_.registers[i];
      auto words = link_->read(m.type, m.address, register_count(m.format));
      if (!words) {
        failed(i, words.error(), now);
        if (!link_->connected()) {
          back_off();
          return;
        }
        continue;
      }
      backoff_ = milliseconds(0);
      auto raw = decode_registers(m.format, m.word_order, *words);
      if (!raw) {
        failed(i, LinkFailure{FaultKind::kGarbage, "float32 register holds NaN or infinity"}, now);
        continue;
      }
      succeeded(i);
      record(i, *raw * m.scale + m.offset, now);
    }
  }

  // Next due time: one interval on, or one interval from now when that is already past
  // (a device that was slow or away does not get a burst of catch-up reads).
  void reschedule(std::size_t i, Steady::time_point now) {
    RegisterState& r = registers_[i];
    r.due += config_.registers[i].interval;
    if (r.due <= now) r.due = now + config_.registers[i].interval;
  }

  void back_off() {
    backoff_ = backoff_.count() == 0 ? first_backoff_ : std::min(backoff_ * 2, kMaxBackoff);
    reconnect_at_ = Steady::now() + backoff_;
  }

  std::string name(std::size_t i) const {
    return config_.registers[i].equipment + "/" + config_.registers[i].param;
  }

  void failed(std::size_t i, const LinkFailure& failure, std::int64_t now) {
    RegisterState& r = registers_[i];
    ++r.failures;
    r.last_failure = failure;
    if (r.failures == 1) {
      host().warn(name(i) + ": reading " + link_->endpoint() + " failed (" +
                  kind_name(failure.kind) + ": " + failure.reason + "); a device fault is " +
                  "raised after " + std::to_string(config_.fault_after) + " failures in a row");
    }
    if (r.failures >= config_.fault_after) raise_fault(i, now);
  }

  void raise_fault(std::size_t i, std::int64_t now) {
    const RegisterMap& m = config_.registers[i];
    auto [it, fresh] = outages_.try_emplace(m.equipment);
    Outage& o = it->second;
    if (fresh) {
      const RegisterState& r = registers_[i];
      o.description = "Modbus device " + link_->endpoint() + " " +
                      fault_words(r.last_failure.kind) + ": " + std::to_string(r.failures) +
                      " reads of " + m.param + " failed in a row (last: " + r.last_failure.reason +
                      ")";
      // Distinct even when the clock stands still (a test's manual clock), so a second outage
      // never takes the first one's exception id.
      o.began = std::max(now, last_began_ + 1);
      last_began_ = o.began;
      o.exception = "devfault-" + m.equipment + "-" + std::to_string(o.began);
    }
    if (o.raised) return;

    capnp::MallocMessageBuilder message;
    auto e = message.initRoot<schema::ExceptionRaise>();
    e.setException(o.exception);
    e.setCategory(schema::ExceptionCategory::EQUIPMENT);
    e.setSeverity(schema::Severity::HIGH);
    e.setDescription(o.description);
    e.setEquipment(m.equipment);
    e.setDeadline(o.began + kFaultDueNs);
    const auto words = capnp::messageToFlatArray(message);
    const auto bytes = words.asBytes();
    auto r = host().submit("exception.raise", "modbus:" + o.exception, bytes.begin(), bytes.size());
    if (r.ok()) {
      o.raised = true;
      host().warn(m.equipment + ": device fault, raised exception " + o.exception + ": " +
                  o.description);
    } else if (!o.refusal_logged) {
      o.refusal_logged = true;  // retried on each failed read; said once
      host().error(m.equipment + ": the device-fault exception " + o.exception + " was refused (" +
                   r.code + ": " + r.message + "); retrying while the " + "fault lasts");
    }
  }

  void succeeded(std::size_t i) {
    RegisterState& r = registers_[i];
    const int failures = r.failures;
    r.failures = 0;
    if (failures == 0) return;
    const std::string& equipment = config_.registers[i].equipment;
    auto it = outages_.find(equipment);
    if (it == outages_.end()) {
      host().info(name(i) + ": read again after " + std::to_string(failures) + " failures");
      return;
    }
    for (std::size_t j = 0; j < registers_.size(); ++j) {
      if (config_.registers[j].equipment == equipment &&
          registers_[j].failures >= config_.fault_after) {
        return;  // another of its registers is still at fault
      }
    }
    host().info(equipment + ": Modbus device " + link_->endpoint() + " recovered; " +
                (it->second.raised
                     ? "exception " + it->second.exception + " stays open until people close it"
                     : std::string("no exception had been raised")));
    outages_.erase(it);
  }

  void record(std::size_t i, double value, std::int64_t now) {
    const RegisterMap& m = config_.registers[i];
    RegisterState& r = registers_[i];
    const std::int64_t at = std::max(now, r.last_at + 1);
    r.last_at = at;
    capnp::MallocMessageBuilder message;
    auto reading = message.initRoot<schema::ReadingRecord>();
    reading.setEquipment(m.equipment);
    reading.setParam(m.param);
    reading.setValue(value);
    reading.setUnit(m.unit);
    reading.setAt(at);
    const auto words = capnp::messageToFlatArray(message);
    const auto bytes = words.asBytes();
    const std::string id = "modbus:" + m.equipment + ":" + m.param + ":" + std::to_string(at);
    auto result = host().submit("reading.record", id, bytes.begin(), bytes.size());
    if (result.ok()) {
      if (!r.refused.empty()) host().info(name(i) + ": readings are accepted again");
      r.refused.clear();
    } else if (result.code != r.refused || r.refused.empty()) {
      r.refused = result.code.empty() ? "error" : result.code;
      host().warn(name(i) + ": reading refused (" + result.code + ": " + result.message +
                  "); the same refusal is not logged again");
    }
  }

  DriverConfig config_;
  std::unique_ptr<ModbusLink> link_;
  std::vector<RegisterState> registers_;   // parallel to config_.registers
  std::map<std::string, Outage> outages_;  // by equipment
  std::int64_t last_began_ = 0;            // of the latest outage, any equipment
  milliseconds first_backoff_{100};
  milliseconds backoff_{0};  // 0: the last read worked
  Steady::time_point reconnect_at_;
};

const char* const kCapabilities[] = {"submit:reading", "submit:exception"};

}  // namespace
}  // namespace custody::modbus

CUSTODY_PLUGIN(custody::modbus::ModbusDriver, "modbus", "1.0.0",
               "Reads equipment parameters from Modbus TCP devices as readings",
               CUSTODY_KIND_DEVICE_DRIVER, custody::modbus::kCapabilities)
