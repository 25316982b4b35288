// The MQTT driver's configuration: the "config" object of its entry in the ledger's
// config.json (docs/plugins/devices.md has the reference and examples).
//
//   { "broker": "tcp://127.0.0.1:1883",   required; tcp://HOST:PORT, or ssl://HOST:PORT with "tls"
//     "clientId": "custody-line-1",      1..23 bytes of [0-9A-Za-z_-] (what every broker takes);
//                                        the broker keeps this client's session under it
//     "cleanSession": false,             false: the broker keeps what arrives while the driver
//                                        is away (QoS 1) and hands it over on reconnecting
//     "username": "custody",             optional
//     "passwordFile": "/etc/custody/mqtt.password",  optional, with username: the first line of
//                                        the file is the password (never in config.json)
//     "tls": { "caFile": "...",          ssl:// only, and required there: the CA that signed the
//                                        broker's certificate (the broker's name is verified)
//              "certFile": "...", "keyFile": "..." },  optional: a client certificate
//     "keepAliveSeconds": 30,            5..3600
//     "timeoutMs": 2000,                 100..5000: connecting gives up after this long
//     "faultAfterMs": 10000,             0..3600000: the broker unreachable this long raises one
//                                        device-fault exception
//     "topics": [                        1..1000 of them; each (equipment, param) once
//       { "topic": "plant/washer-1/chlorine",  required; an exact topic (no + or # wildcards)
//         "equipment": "washer-1", "param": "chlorine",  required ids; together at most 90 bytes
//         "path": "/value",              optional JSON Pointer into a JSON payload; absent: the
//                                        payload is a plain number ("12.5")
//         "timePath": "/ts",             optional JSON Pointer to the device's time: an RFC 3339
//                                        text or a number of Unix milliseconds; absent: the time
//                                        the message arrived
//         "scale": 1, "offset": 0,       value = raw * scale + offset; finite numbers
//         "unit": "ppm" } ]              optional text, passed on with each reading
//   }
//
// Several entries may share a topic (one JSON payload carrying several parameters). Unknown
// keys are refused, so a misspelt "paht" is an error rather than a plain-number payload.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "custody/settings.hpp"

namespace custody::mqtt {

// One topic (or one value in a topic's payload) mapped to one equipment parameter.
struct TopicMap {
  std::string topic;
  std::string equipment;
  std::string param;
  std::string unit;
  std::string path;       // JSON Pointer; "" for a plain-number payload
  std::string time_path;  // JSON Pointer; "" for the arrival time
  double scale = 1;
  double offset = 0;
};

struct Tls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

struct DriverConfig {
  std::string broker;  // as configured: tcp://host:port or ssl://host:port
  bool secure = false;
  std::string client_id;
  bool clean_session = false;
  std::string username;
  std::string password_file;
  Tls tls;
  std::chrono::seconds keep_alive{30};
  std::chrono::milliseconds timeout{2000};
  std::chrono::milliseconds fault_after{10000};
  std::vector<TopicMap> topics;
};

using ConfigError = sdk::ConfigError;

// Parses and checks the JSON text the host hands the plugin.
[[nodiscard]] std::expected<DriverConfig, ConfigError> parse_driver_config(std::string_view json);

}  // namespace custody::mqtt
