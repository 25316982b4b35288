// The simulated device's configuration: the "config" object of its entry in the ledger's
// config.json (docs/plugins/devices.md has the reference and examples).
//
//   { "seed": 1,                 0 .. 2^64-1; the same seed gives the same readings
//     "count": 0,                readings per device, then it stops; 0 (default): no end
//     "devices": [               1..1000 of them, each (equipment, param) once
//       { "equipment": "washer-1", "param": "chlorine",   required ids; together at most
//                                                         90 bytes (they form command ids)
//         "unit": "ppm",         optional text
//         "base": 120,           required: the value the signal wanders around
//         "noise": 4,            >= 0: standard deviation of the gaussian noise (default 0)
//         "driftPerHour": 1.5,   added per hour of nominal time (default 0)
//         "excursionEvery": 50,  every N-th reading is an excursion; 0 (default): never
//         "excursionSize": 120,  added to an excursion reading (default 0)
//         "intervalMs": 1000,    1..86400000: time between readings (default 1000)
//         "count": 10 } ]        overrides the top-level count for this device
//   }
//
// Unknown keys are refused, so a misspelt setting is an error rather than a default.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "custody/settings.hpp"

namespace custody::sim {

struct SimDevice {
  std::string equipment;
  std::string param;
  std::string unit;
  double base = 0;
  double noise = 0;
  double drift_per_hour = 0;
  std::uint64_t excursion_every = 0;
  double excursion_size = 0;
  std::chrono::milliseconds interval{1000};
  std::uint64_t count = 0;  // 0: no end
};

struct SimConfig {
  std::uint64_t seed = 1;
  std::vector<SimDevice> devices;
};

// Why a configuration was refused (settings.h).
using ConfigError = sdk::ConfigError;

// Parses and checks the JSON text the host hands the plugin.
[[nodiscard]] std::expected<SimConfig, ConfigError> parse_sim_config(std::string_view json);

}  // namespace custody::sim
