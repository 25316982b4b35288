#include "piecework.h"

#include <cmath>
#include <cstdio>

namespace custody::reports {
namespace {

std::string percent(double part, double whole) {
  if (whole <= 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", std::round(part / whole * 10000) / 100);
  return buf;
}

}  // namespace

std::string piecework_csv(const std::string& from, const std::string& to, const Fetch& fetch) {
  if (from.empty())
    throw ReportError("invalid_argument", "give the period's start (--from)", "from");
  if (to.empty()) throw ReportError("invalid_argument", "give the period's end (--to)", "to");
  boost::json::object request;
  request["view"] = "kpi";
  request["from"] = from;
  request["to"] = to;
  const auto kpi = fetch_json(fetch, request).as_object();

  std::string out = "record,key,good,scrap,yield_pct,value\n";
  for (const auto& ov : array(kpi, "operators")) {
    const auto& o = ov.as_object();
    const double good = number_value(o, "good");
    const double scrap = number_value(o, "scrap");
    out += "operator," + csv(text(o, "operator")) + "," + number(o, "good") + "," +
           number(o, "scrap") + "," + percent(good, good + scrap) + ",\n";
  }
  auto kpi_row = [&](const std::string& key, const std::string& value) {
    out += "kpi," + key + ",,,," + csv(value) + "\n";
  };
  kpi_row("from", text(kpi, "from"));
  kpi_row("to", text(kpi, "to"));
  const auto& wo = object(kpi, "workOrders");
  kpi_row("work_orders_completed", number(wo, "completed"));
  kpi_row("work_orders_on_time", number(wo, "onTime"));
  kpi_row("on_time_rate", number(wo, "onTimeRate"));
  const auto& production = object(kpi, "production");
  kpi_row("good", number(production, "good"));
  kpi_row("scrap", number(production, "scrap"));
  kpi_row("first_pass_yield", number(production, "firstPassYield"));
  kpi_row("scrap_rate", number(production, "scrapRate"));
  const auto& exceptions = object(kpi, "exceptions");
  kpi_row("exceptions_raised", number(exceptions, "raised"));
  kpi_row("exceptions_closed", number(exceptions, "closed"));
  kpi_row("mean_hours_to_close", number(exceptions, "meanHoursToClose"));
  return out;
}

}  // namespace custody::reports
