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

// An amount to the cent, as payroll reads it ("9.50").
std::string money(const boost::json::object& o, std::string_view key) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", number_value(o, key));
  return buf;
}

}  // namespace

std::string piecework_csv(const std::string& from, const std::string& to, const Fetch& fetch) {
  if (from.empty())
    throw ReportError("invalid_argument", "give the period's start (--from)", "from");
  if (to.empty()) throw ReportError("invalid_argument", "give the period's end (--to)", "to");
  auto period = [&](const char* view) {
    boost::json::object request;
    request["view"] = view;
    request["from"] = from;
    request["to"] = to;
    return fetch_json(fetch, request).as_object();
  };
  const auto pay = period("pay");
  const auto kpi = period("kpi");
  const std::string currency = csv(text(pay, "currency"));

  std::string out =
      "record,key,material,step,effective,rate,scrap_pay,good,scrap,paid_qty,amount,currency,"
      "yield_pct,value\n";
  auto totals = [&](const std::string& record, const std::string& key,
                    const boost::json::object& o) {
    const double good = number_value(o, "good");
    const double scrap = number_value(o, "scrap");
    out += record + "," + key + ",,,,,," + number(o, "good") + "," + number(o, "scrap") + ",," +
           money(o, "amount") + "," + currency + "," + percent(good, good + scrap) + ",\n";
  };
  for (const auto& ov : array(pay, "operators")) {
    const auto& o = ov.as_object();
    const std::string who = csv(text(o, "operator"));
    for (const auto& lv : array(o, "lines")) {
      const auto& l = lv.as_object();
      out += "line," + who + "," + csv(text(l, "material")) + "," + csv(text(l, "step")) + "," +
             text(l, "effective") + "," + number(l, "rate") + "," + text(l, "scrapPay") + "," +
             number(l, "good") + "," + number(l, "scrap") + "," + number(l, "paidQty") + "," +
             money(l, "amount") + "," + currency + ",,\n";
    }
    totals("operator", who, o);
  }
  const auto& total = object(pay, "total");
  totals("total", "", total);
  auto kpi_row = [&](const std::string& key, const std::string& value) {
    out += "kpi," + key + ",,,,,,,,,,,," + csv(value) + "\n";
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
  kpi_row("unrated_good", number(total, "unratedGood"));
  // The pay's quantities are the KPIs' when they reconcile (the same reports, in the same
  // snapshot); payroll should not pay a file that says false.
  const bool reconciled = number_value(total, "good") == number_value(production, "good") &&
                          number_value(total, "scrap") == number_value(production, "scrap");
  out += std::string("check,reconciled,,,,,,,,,,,,") + (reconciled ? "true" : "false") + "\n";
  return out;
}

}  // namespace custody::reports
