// What the tests of plugins that write or deliver records (Modbus, MQTT, the outbox) ask of
// the ledger after a plugin has run: the records of a type, an equipment's readings and latest
// values, its state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plugin/host_fixture.h"

namespace custody::testing {

inline bool flag(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->as_bool();
}

inline std::string text(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

class DeviceTest : public HostTest {
 protected:
  static constexpr const char* kGrants[] = {"submit:reading", "submit:exception"};

  static std::vector<std::string> grants() {
    return std::vector<std::string>(std::begin(kGrants), std::end(kGrants));
  }

  // Every record of `type` in the log, in seq order.
  std::vector<boost::json::object> records(const std::string& type) {
    std::vector<boost::json::object> out;
    auto snap = ledger_->snapshot();
    auto r = snap->records(1, 0, [&](std::uint64_t, std::string_view bytes) {
      std::string json;
      EXPECT_TRUE(domain::append_record_json(bytes, json));
      auto o = boost::json::parse(json).as_object();
      if (o["type"].as_string() == type) out.push_back(std::move(o));
      return true;
    });
    EXPECT_TRUE(r);
    return out;
  }

  std::vector<boost::json::object> readings(const std::string& equipment) {
    std::vector<boost::json::object> out;
    for (auto& r : stream("equipment:" + equipment)) {
      if (r["type"].as_string() == "reading.recorded") out.push_back(r);
    }
    return out;
  }

  // The equipment's latest reading of `param` (custody show equipment), if any.
  std::optional<boost::json::object> last_reading(const std::string& equipment,
                                                  const std::string& param) {
    auto s = show("equipment", equipment);
    if (!s.contains("lastReadings")) return std::nullopt;
    for (auto& r : s["lastReadings"].as_array()) {
      if (r.as_object().at("param").as_string() == param) return r.as_object();
    }
    return std::nullopt;
  }

  std::string equipment_state(const std::string& equipment) {
    auto s = state("equipment", equipment);
    return s.contains("state") ? std::string(s["state"].as_string()) : "idle";
  }
};

}  // namespace custody::testing
