// The modbus driver's configuration: the "config" object of its entry in the ledger's
// config.json (docs/plugins/devices.md has the reference and examples).
//
//   { "host": "127.0.0.1",        required; a numeric IPv4 or IPv6 address (a name would
//                                 need a DNS lookup, which can block past timeoutMs)
//     "port": 502,                1..65535
//     "unitId": 1,                0..247, or 255 (Modbus TCP "no unit")
//     "timeoutMs": 500,           10..3000: connect and each read give up after this long
//     "faultAfter": 3,            1..1000 consecutive failed polls of a register make a fault
//     "registers": [              1..1000 of them, each (equipment, param) once
//       { "equipment": "washer-1", "param": "chlorine",      required ids; together at most
//                                                            90 bytes (they form command ids)
//         "address": 0,           0..65535 (0..65534 for 32-bit formats)
//         "type": "holding",      "holding" (function 3) | "input" (function 4)
//         "format": "uint16",     register_format.h
//         "wordOrder": "highFirst",  32-bit formats: "highFirst" | "lowFirst"
//         "scale": 1, "offset": 0,   value = raw * scale + offset; finite numbers
//         "unit": "ppm",          optional text, passed on with each reading
//         "intervalMs": 1000 } ]  10..86400000: how often this register is read
//   }
//
// Unknown keys are refused, so a misspelt "adress" is an error rather than address 0.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "custody/settings.hpp"
#include "register_format.h"

namespace custody::modbus {

// One register mapped to one equipment parameter.
struct RegisterMap {
  std::string equipment;
  std::string param;
  std::string unit;
  int address = 0;
  RegisterType type = RegisterType::kHolding;
  RegisterFormat format = RegisterFormat::kUint16;
  WordOrder word_order = WordOrder::kHighFirst;
  double scale = 1;
  double offset = 0;
  std::chrono::milliseconds interval{1000};
};

struct DriverConfig {
  std::string host;
  int port = 502;
  int unit_id = 1;
  std::chrono::milliseconds timeout{500};
  int fault_after = 3;
  std::vector<RegisterMap> registers;
};

// Why a configuration was refused (settings.h).
using ConfigError = sdk::ConfigError;

// Parses and checks the JSON text the host hands the plugin.
[[nodiscard]] std::expected<DriverConfig, ConfigError> parse_driver_config(std::string_view json);

}  // namespace custody::modbus
