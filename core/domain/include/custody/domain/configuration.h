// The ledger's configuration on the record. config.json holds settings an operator edits by
// hand (the site, plugin grants, bounds on time); a writer that opens a ledger whose
// config.json differs from the last one recorded writes a config.recorded record (actor
// system) saying what the settings now are, before anything else is written. A plugin's own
// settings are recorded only as a digest: they may hold credentials.
#pragma once

#include <filesystem>
#include <optional>

#include "custody/common/error.h"
#include "custody/ledger/ledger.h"

namespace custody::domain {

// Records DIR/config.json when it is not the configuration last recorded. nullopt when it is.
[[nodiscard]] Result<std::optional<ledger::CommandResult>> record_configuration(
    ledger::Ledger& ledger, const std::filesystem::path& dir);

}  // namespace custody::domain
