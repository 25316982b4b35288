// The fields of a parsed HTTP request that the API reads (api.h's Request), apart from its
// body: what http.cc hands to Api::handle, and what the HTTP request fuzzer builds the same
// way. Includes Beast: only for the few translation units that already parse HTTP.
#pragma once

#include <boost/beast/http.hpp>
#include <string>
#include <type_traits>

#include "custody/server/api.h"

namespace custody::server {

template <class Body>
[[nodiscard]] Request request_fields(const boost::beast::http::request<Body>& req, std::string peer,
                                     bool tls) {
  namespace http = boost::beast::http;
  Request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.authorization = std::string(req[http::field::authorization]);
  r.content_type = std::string(req[http::field::content_type]);
  r.peer = std::move(peer);
  r.cookie = std::string(req[http::field::cookie]);
  r.csrf = std::string(req["X-CSRF-Token"]);
  r.tls = tls;
  for (const auto& field : req) {
    const auto name = field.name_string();
    if (name.size() > 4 && (name[0] == 'G' || name[0] == 'g') &&
        (name[1] == 'S' || name[1] == 's') && name[2] == '1' && name[3] == '-') {
      r.gs1_headers.emplace_back(std::string(name), std::string(field.value()));
    }
  }
  return r;
}

}  // namespace custody::server
