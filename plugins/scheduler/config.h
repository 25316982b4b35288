// The scheduler's configuration: the "config" object of its entry in the ledger's
// config.json (docs/plugins/scheduler.md has the reference). Grammar:
//
//   config      = { "workCenters"?: { <work center>: { "shifts": [shift, ...] } },
//                   "utcOffsetMinutes"?: int in [-840, 840]        (default 0),
//                   "horizonDays"?: int in [1, 366]                (default 28),
//                   "repairEstimateMinutes"?: int in [0, 43200]    (default 240),
//                   "replanDelayMs"?: int in [10, 600000]          (default 200) }
//   shift       = { "days": [1..7, ...], "start": "HH:MM", "end": "HH:MM" | "24:00" }
//
// Unknown keys are errors, so a misspelt setting is caught at start rather than ignored.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>

#include "calendar.h"
#include "custody/settings.hpp"

namespace custody::scheduler {

struct SchedulerConfig {
  // Work centers with a calendar; any other works around the clock.
  std::map<std::string, ShiftCalendar> calendars;
  int utc_offset_minutes = 0;
  int horizon_days = 28;
  std::int64_t repair_estimate_minutes = 240;
  std::int64_t replan_delay_ms = 200;
};

// Why a configuration was refused (settings.h).
using ConfigError = sdk::ConfigError;

// Parses and checks the configuration JSON. The error names the offending setting so an
// operator can fix it.
[[nodiscard]] std::expected<SchedulerConfig, ConfigError> parse_config(std::string_view json);

}  // namespace custody::scheduler
