// What the reports share: asking the host for views, reading their JSON, and writing HTML
// and CSV safely. No SDK here, so tests can drive the reports with canned views.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace custody::reports {

// A report that cannot be made, with the stable code and field the host passes on
// ("not_found" / "wo" for an order that does not exist).
class ReportError : public std::runtime_error {
 public:
  ReportError(std::string code, const std::string& message, std::string field = {})
      : std::runtime_error(message), code_(std::move(code)), field_(std::move(field)) {}
  const std::string& code() const { return code_; }
  const std::string& field() const { return field_; }

 private:
  std::string code_;
  std::string field_;
};

// Runs a view request (custody/domain/views.h) and returns its answer as text; throws
// ReportError when the host refuses it.
using Fetch = std::function<std::string(const std::string& request)>;

// The answer parsed as one JSON document, or each line of an NDJSON answer ("log").
boost::json::value fetch_json(const Fetch& fetch, const boost::json::object& request);
std::vector<boost::json::object> fetch_lines(const Fetch& fetch,
                                             const boost::json::object& request);

// Members of a JSON object, forgiving of absence: "" / empty when missing.
std::string text(const boost::json::object& o, std::string_view key);
// A number as it was written (decimals stay exact: "12.5"), "" when missing.
std::string number(const boost::json::object& o, std::string_view key);
// The shortest text that reads back as `d` ("116.5", not "1.165E2").
std::string shortest(double d);
double number_value(const boost::json::object& o, std::string_view key, double fallback = 0);
bool flag(const boost::json::object& o, std::string_view key);
const boost::json::object& object(const boost::json::object& o, std::string_view key);
const boost::json::array& array(const boost::json::object& o, std::string_view key);

// Nanoseconds since the Unix epoch of an RFC 3339 time; nothing for other text.
std::optional<std::int64_t> unix_nanos(std::string_view rfc3339);

// HTML text and attribute escaping.
std::string esc(std::string_view s);
// RFC 4180 CSV field.
std::string csv(std::string_view s);
// The site's wall clock, for people: times as the plant reads them, with the zone, from the
// host's "site" view (the zone's offsets over a span). For a site in Europe/Paris,
// "2026-03-29T01:30:00Z" -> "2026-03-29 03:30:00 CEST (UTC+02:00)"; in UTC,
// "2026-11-21 08:00:00 UTC". A time its sender wrote at another offset says so:
// "... (entered at UTC+05:30)". Text that is not an RFC 3339 time is returned as it is.
class SiteClock {
 public:
  SiteClock() = default;  // UTC
  // From the "site" view's answer; throws ReportError for one it cannot read.
  explicit SiteClock(const boost::json::object& site);
  [[nodiscard]] const std::string& zone() const { return zone_; }
  [[nodiscard]] std::string when(std::string_view rfc3339) const;

 private:
  struct Period {
    std::int64_t from = 0;  // seconds since the Unix epoch
    int minutes = 0;        // east of UTC
    std::string abbreviation = "UTC";
  };
  std::string zone_ = "UTC";
  std::vector<Period> periods_{Period{}};
};

}  // namespace custody::reports
