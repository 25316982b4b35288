// What a message's payload says: the value of a mapped parameter and, when the mapping names
// one, the time the device took it. A payload that does not say what the mapping expects is
// malformed, with the reason, and is never recorded.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "mqtt_config.h"

namespace custody::mqtt {

struct Sample {
  double raw = 0;                  // before scale and offset
  std::optional<std::int64_t> at;  // ns since the Unix epoch, from the mapping's timePath
};

// One message's payload, parsed as JSON at most once for all the mappings of its topic.
class Payload {
 public:
  explicit Payload(std::string_view bytes) : bytes_(bytes) {}

  // The mapping's sample, or why the payload does not hold one.
  [[nodiscard]] std::expected<Sample, std::string> sample(const TopicMap& map);

 private:
  const boost::json::value* document(std::string& why);

  std::string_view bytes_;
  bool parsed_ = false;
  boost::json::value json_;
  std::string parse_error_;
};

// An RFC 3339 date-time ("2026-11-21T09:14:05.250Z", "...+01:00") as ns since the Unix epoch,
// between 1970 and 2262; nullopt otherwise.
[[nodiscard]] std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// At most 60 bytes of a payload, printable: for a log line about a malformed one.
[[nodiscard]] std::string excerpt(std::string_view bytes);

}  // namespace custody::mqtt
