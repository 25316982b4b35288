// Internal to core/domain: the site's shifts (shift.define), each a span of the local day
// from `start` up to `end`, minutes after local midnight; a span whose end is before its
// start runs past midnight into the next day, and one whose end is its start is the whole day.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/time_zone.h"
#include "state_access.h"

namespace custody::domain {

inline constexpr int kMinutesPerDay = 24 * 60;

struct ShiftSpan {
  std::string shift;
  int start = 0;  // minutes after local midnight, 0..1439
  int end = 0;
};

// "06:00" -> 360; nullopt for anything but HH:MM from 00:00 to 23:59.
[[nodiscard]] std::optional<int> clock_minutes(std::string_view text);

// Whether `minute` of the local day (0..1439) falls in the span.
[[nodiscard]] bool in_shift(const ShiftSpan& s, int minute);

// Every shift defined (entities in `entities` of `state`), in id order.
[[nodiscard]] std::vector<ShiftSpan> defined_shifts(const ledger::Reader& state,
                                                    ledger::Reader::Cf entities);

// The shift in force at `at` on the site's wall clock; nullopt outside every shift.
[[nodiscard]] std::optional<std::string> shift_at(const std::vector<ShiftSpan>& shifts,
                                                  const TimeZone& zone, TimeNs at);

}  // namespace custody::domain
