// The outbox's configuration: the "config" object of its entry in the ledger's config.json
// (docs/plugins/outbox.md has the reference and a receiver's side).
//
//   { "url": "https://erp.example/hooks/custody",  required; http:// or https://
//     "types": ["lot.shipped", "exception.*"],     optional; record types, or "<prefix>.*"
//                                                  (default: every record)
//     "format": "custody",                         custody's JSON record, or "epcis": the
//                                                  record's GS1 EPCIS 2.0 events as an
//                                                  EPCISDocument (needs the read capability)
//     "headers": {"X-Plant": "line-1"},            optional, sent with every delivery
//     "secretFile": "/etc/custody/erp-hook.secret", optional: the HMAC-SHA256 key, its first
//                                                  line (never in config.json)
//     "caFile": "/etc/custody/erp-ca.pem",         https only; default: the system's trust store
//     "timeoutMs": 5000,                           100..5000: connecting, sending, the answer
//     "retryInitialMs": 500, "retryMaxMs": 60000,  the backoff between failed attempts
//     "alertAfterMs": 300000 }                     0..86400000: failing this long raises one
//                                                  exception
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custody/settings.hpp"
#include "http_client.h"

namespace custody::outbox {

struct OutboxConfig {
  std::string url_text;
  Url url;
  std::vector<std::string> types;     // exact types
  std::vector<std::string> prefixes;  // "lot." for "lot.*"
  std::vector<std::pair<std::string, std::string>> headers;
  bool epcis = false;  // format "epcis"
  std::string secret_file;
  std::string ca_file;
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{60'000};
  std::chrono::milliseconds alert_after{300'000};

  // Whether records of `type` go to this destination.
  [[nodiscard]] bool wants(std::string_view type) const;
};

using ConfigError = sdk::ConfigError;

[[nodiscard]] std::expected<OutboxConfig, ConfigError> parse_outbox_config(std::string_view json);

}  // namespace custody::outbox
