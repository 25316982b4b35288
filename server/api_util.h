// Internal to server/: what the API's handlers share for reading a request and naming roles
// (api.cc, epcis_rest.cc).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custody/common/error.h"

namespace custody::server {

// A query string's parameters, percent-decoded, in the order given.
struct Query {
  std::vector<std::pair<std::string, std::string>> params;
  [[nodiscard]] const std::string* get(std::string_view k) const {
    for (const auto& [key, value] : params) {
      if (key == k) return &value;
    }
    return nullptr;
  }
  // The value of `k`, empty when absent.
  [[nodiscard]] std::string value(std::string_view k) const {
    const std::string* v = get(k);
    return v ? *v : std::string();
  }
};

// kInvalidArgument (field "query") for a malformed percent-escape.
[[nodiscard]] Result<Query> parse_query(std::string_view q);

[[nodiscard]] bool in(const std::vector<std::string>& list, std::string_view v);

// "qa, admin": the roles an action needs, for a denial's message.
[[nodiscard]] std::string joined(const std::vector<std::string_view>& roles);

// A read's refusal: what it named does not exist (404), it was asked wrongly (400), or the
// server failed (500).
[[nodiscard]] unsigned read_status(ErrorCode code);

}  // namespace custody::server
