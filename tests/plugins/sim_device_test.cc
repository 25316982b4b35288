// The simulated device (plugins/sim_device): readings that arrive, the same ones for the
// same seed, excursions that the domain turns into exceptions, and a restarted runner that
// neither loses nor repeats a reading.
#include <signal.h>

#include <map>

#include "plugin/host_fixture.h"

namespace custody::testing {
namespace {

bool flag(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->as_bool();
}

class SimDeviceTest : public HostTest {
 protected:
  static std::string config(std::uint64_t seed, int count, const std::string& extra = "") {
    return R"({"seed":)" + std::to_string(seed) + R"(,"count":)" + std::to_string(count) +
           R"(,"devices":[{"equipment":"washer-1","param":"chlorine","unit":"ppm","base":120,)"
           R"("noise":4,"driftPerHour":1.5,"intervalMs":5)" +
           extra + "}]}";
  }

  plugin::PluginConfig sim(const std::string& config_json,
                           plugin::Isolation isolation = plugin::Isolation::kDefault) {
    return plugin("sim-device", CUSTODY_PLUGIN_CUSTODY_SIM_DEVICE, {"submit:reading"}, isolation,
                  config_json);
  }

  void define_washer(const std::string& params = "") {
    ok("equipment.define",
       R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash")" + params + "}");
  }

  // washer-1's readings by their number n (the last part of "sim:washer-1:chlorine:<n>").
  std::map<int, boost::json::object> readings() {
    std::map<int, boost::json::object> out;
    for (auto& r : stream("equipment:washer-1")) {
      if (r["type"].as_string() != "reading.recorded") continue;
      const std::string id(r["commandId"].as_string());
      EXPECT_EQ(id.rfind("plugin:sim-device/sim:washer-1:chlorine:", 0), 0u) << id;
      const int n = std::stoi(id.substr(id.rfind(':') + 1));
      EXPECT_FALSE(out.contains(n)) << "reading " << n << " was recorded twice";
      out[n] = r;
    }
    return out;
  }

  std::vector<double> values() {
    std::vector<double> out;
    for (auto& [n, r] : readings()) out.push_back(num(r["payload"].as_object()["value"]));
    return out;
  }

  // Runs the device for `count` readings on the current ledger and returns their values.
  std::vector<double> run(const std::string& config_json, std::size_t count,
                          plugin::Isolation isolation) {
    start_host({sim(config_json, isolation)});
    EXPECT_TRUE(eventually([&] { return readings().size() >= count; }));
    EXPECT_TRUE(eventually([&] { return !logged("every device has sent its readings").empty(); }));
    host_.reset();
    return values();
  }

  std::size_t count_records(const std::string& type) {
    std::size_t n = 0;
    auto snap = ledger_->snapshot();
    auto r = snap->records(1, 0, [&](std::uint64_t, std::string_view bytes) {
      std::string json;
      EXPECT_TRUE(domain::append_record_json(bytes, json));
      if (boost::json::parse(json).as_object()["type"].as_string() == type) ++n;
      return true;
    });
    EXPECT_TRUE(r);
    return n;
  }
};

TEST_F(SimDeviceTest, ReadingsArriveNumberedWithTheirUnitAndStopAtTheCount) {
  define_washer();
  start_host({sim(config(1, 8))});
  ASSERT_TRUE(eventually([&] { return !logged("every device has sent its readings").empty(); }));
  auto r = readings();
  ASSERT_EQ(r.size(), 8u);
  EXPECT_EQ(r.begin()->first, 1);
  EXPECT_EQ(r.rbegin()->first, 8);
  for (auto& [n, rec] : r) {
    auto p = rec["payload"].as_object();
    EXPECT_EQ(rec["actor"].as_string(), "plugin:sim-device");
    EXPECT_EQ(p["unit"].as_string(), "ppm");
    EXPECT_EQ(p["param"].as_string(), "chlorine");
    // base 120, noise sd 4: nowhere near 40 away.
    EXPECT_GT(num(p["value"]), 80.0) << n;
    EXPECT_LT(num(p["value"]), 160.0) << n;
  }
  EXPECT_TRUE(host_->status()[0].out_of_process);
  EXPECT_EQ(host_->status()[0].calls.rejected, 0u);
}

TEST_F(SimDeviceTest, TheSameSeedGivesTheSameReadingsOnAnotherLedger) {
  define_washer();
  const auto first = run(config(42, 12), 12, plugin::Isolation::kDefault);
  ASSERT_EQ(first.size(), 12u);

  // A second plant, with the device in process this time: the same values in the same order.
  dir_ = tmp_ / "plant-2";
  reopen(true);
  define_washer();
  const auto second = run(config(42, 12), 12, plugin::Isolation::kInProcess);
  EXPECT_EQ(second, first);

  // Another seed, another sequence: the comparison above can fail.
  dir_ = tmp_ / "plant-3";
  reopen(true);
  define_washer();
  const auto third = run(config(43, 12), 12, plugin::Isolation::kInProcess);
  ASSERT_EQ(third.size(), 12u);
  EXPECT_NE(third, first);
}

TEST_F(SimDeviceTest, ExcursionsOutsideTheLimitsRaiseExceptions) {
  define_washer(R"(,"params":[{"name":"chlorine","min":50,"max":200,"unit":"ppm"}])");
  start_host({sim(config(7, 10, R"(,"excursionEvery":5,"excursionSize":120)"))});
  ASSERT_TRUE(eventually([&] { return readings().size() == 10; }));

  for (auto& [n, rec] : readings()) {
    auto p = rec["payload"].as_object();
    const bool excursion = n % 5 == 0;
    EXPECT_EQ(flag(p, "inLimits"), !excursion) << "reading " << n << " " << num(p["value"]);
    if (excursion) {
      EXPECT_GT(num(p["value"]), 200.0) << n;
      // custody's own exception, raised by the reading's command.
      auto e =
          state("exception", "auto:plugin:sim-device/sim:washer-1:chlorine:" + std::to_string(n));
      ASSERT_FALSE(e.empty()) << "no exception for reading " << n;
      EXPECT_TRUE(flag(e, "automatic"));
      EXPECT_EQ(e["equipment"].as_string(), "washer-1");
    }
  }
  EXPECT_EQ(count_records("exception.raised"), 2u);
}

TEST_F(SimDeviceTest, RestartedRunnerResendsTheSameIdsAndLosesNothing) {
  define_washer();
  start_host({sim(R"({"seed":5,"count":40,"devices":[{"equipment":"washer-1",)"
                  R"("param":"chlorine","unit":"ppm","base":120,"noise":4,"intervalMs":20}]})")});
  ASSERT_TRUE(eventually([&] { return readings().size() >= 5; }));
  const int pid = host_->status()[0].pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);  // the test's own runner, started by its host

  ASSERT_TRUE(eventually([&] { return host_->status()[0].restarts == 1; }));
  EXPECT_NE(host_->status()[0].pid, pid);
  ASSERT_TRUE(eventually([&] { return readings().size() == 40; }));
  EXPECT_TRUE(eventually([&] { return !logged("every device has sent its readings").empty(); }));
  auto r = readings();  // which also checks that no number was recorded twice
  EXPECT_EQ(r.begin()->first, 1);
  EXPECT_EQ(r.rbegin()->first, 40);
}

TEST_F(SimDeviceTest, BadConfigRefusesToStartWithTheReasonAndWritesNothing) {
  const std::vector<ConfigCase> cases = {
      {R"({"seed":1})", "devices", "devices: is required"},
      {R"({"devices":[]})", "devices", "devices: must be an array of 1 to 1000 devices"},
      {R"({"devices":[{"equipment":"washer-1","param":"chlorine"}]})", "devices[0].base",
       "devices[0].base: is required"},
      {R"({"devices":[{"equipment":"washer-1","param":"chlorine","base":1,"noise":-1}]})",
       "devices[0].noise", "devices[0].noise: must not be negative"},
      {R"({"devices":[{"equipment":"washer-1","param":"chlorine","base":1,"intervalMs":0}]})",
       "devices[0].intervalMs", "devices[0].intervalMs: must be a whole number from 1 to 86400000"},
      {R"({"devices":[{"equipment":"washer-1","param":"chlorine","base":1,"colour":"red"}]})",
       "devices[0].colour", "devices[0].colour: is not a setting of the simulated device"},
      {R"({"seed":-1,"devices":[{"equipment":"washer-1","param":"chlorine","base":1}]})", "seed",
       "seed: must be a whole number"},
  };
  for (auto isolation : {plugin::Isolation::kInProcess, plugin::Isolation::kProcess}) {
    SCOPED_TRACE(isolation == plugin::Isolation::kProcess ? "process" : "in process");
    expect_config_refused("sim-device", cases,
                          [&](const std::string& config) { return sim(config, isolation); });
  }
}

}  // namespace
}  // namespace custody::testing
