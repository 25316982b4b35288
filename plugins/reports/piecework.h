// The piecework and KPI report of a period, as CSV for payroll and for the plant manager:
// good and scrap per operator (who reported it) with their first-pass yield, then the
// period's KPIs. One table; the `record` column says which kind of row it is:
//
//   record,key,good,scrap,yield_pct,value
//   operator,user:maria,1950,12.5,99.36,
//   kpi,work_orders_completed,,,,12
#pragma once

#include <string>

#include "report_support.h"

namespace custody::reports {

// `from` and `to` are RFC 3339 (`to` exclusive). Throws ReportError for a bad period.
[[nodiscard]] std::string piecework_csv(const std::string& from, const std::string& to,
                                        const Fetch& fetch);

}  // namespace custody::reports
