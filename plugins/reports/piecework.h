// The piecework pay and KPI report of a period, as CSV for payroll and for the plant manager:
// each operator's pay lines (material, step, the piece rate in force, good, scrap, the
// quantity paid and the amount), the operator's totals with first-pass yield, the period's
// total, the period's KPIs, and a check row that says whether the total's good and scrap are
// the KPIs'. One table; the `record` column says which kind of row it is:
//
//   record,key,material,step,effective,rate,scrap_pay,good,scrap,paid_qty,amount,currency,yield_pct,value
//   line,user:maria,salad,wash,2026-11-01T00:00:00Z,0.05,unpaid,190,5,190,9.50,EUR,,
//   operator,user:maria,,,,,,190,5,,9.50,EUR,97.44,
//   total,,,,,,,290,7,,21.50,EUR,97.64,
//   kpi,good,,,,,,,,,,,,290
//   check,reconciled,,,,,,,,,,,,true
#pragma once

#include <string>

#include "report_support.h"

namespace custody::reports {

// `from` and `to` are RFC 3339 (`to` exclusive). Throws ReportError for a bad period.
[[nodiscard]] std::string piecework_csv(const std::string& from, const std::string& to,
                                        const Fetch& fetch);

}  // namespace custody::reports
