// Internal to core/domain: the small vocabulary rules and projections share: quantities,
// the names of states in messages, who custody writes as, and the time constants of its own
// deadlines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "state_access.h"

namespace custody::domain {

// Quantities are fixed-point with 3 decimals; this prints them for messages.
[[nodiscard]] std::string qty_text(std::int64_t milli);

// Quantities enter with at most 12 digits before the point (the JSON binding's bound); a
// total that would leave that range (a merge of huge lots, reports piling up) is refused
// with kOutOfRange rather than wrapped.
inline constexpr std::int64_t kMaxQuantity = 999'999'999'999'999;  // in thousandths
[[nodiscard]] Result<std::int64_t> add_quantity(std::int64_t a, std::int64_t b,
                                                const std::string& field);

// "2026-11-21": the UTC date of a time, for reports.
[[nodiscard]] std::string date_of(TimeNs t);

// The actor custody writes automatic consequences as.
inline constexpr std::string_view kSystem = "system";
// Exceptions custody raises itself are "auto:<the command id that caused them>"; nobody else
// may raise one so named.
inline constexpr std::string_view kAutomaticExceptionPrefix = "auto:";

// Deadlines custody gives the exceptions it raises itself.
inline constexpr TimeNs kHour = 3600LL * 1'000'000'000LL;
inline constexpr TimeNs kDay = 24 * kHour;

// The earlier of two dates, where 0 is none.
[[nodiscard]] inline TimeNs earliest(TimeNs a, TimeNs b) {
  return a == 0 ? b : b == 0 ? a : (a < b ? a : b);
}

// A lot's dates (0: not known, or none).
struct LotDates {
  TimeNs produced = 0;
  TimeNs expires = 0;  // from this instant it may not be used or shipped
  TimeNs best_before = 0;
};

// Names of states, for messages ("awaiting release").
[[nodiscard]] std::string_view lot_status_name(s::LotStatus status);
[[nodiscard]] std::string_view wo_status_name(s::WoStatus status);
[[nodiscard]] std::string_view exception_status_name(s::ExceptionStatus status);

}  // namespace custody::domain
