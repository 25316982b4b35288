// Internal to server/: the JSON answers every endpoint builds its responses from.
#pragma once

#include <string>

#include "custody/server/api.h"

namespace custody::server {

[[nodiscard]] inline Response json(unsigned status, std::string body) {
  return Response{status, "application/json", std::move(body), {}};
}

[[nodiscard]] inline Response error(unsigned status, const Error& e) {
  return json(status, error_body(e));
}

[[nodiscard]] inline Response error(unsigned status, ErrorCode code, std::string message,
                                    std::string field = {}) {
  return error(status, Error{code, std::move(message), std::move(field)});
}

}  // namespace custody::server
