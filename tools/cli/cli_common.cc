#include "cli/cli_common.h"

#include <iostream>

#include "custody/common/encoding.h"
#include "custody/domain/plant.h"

namespace custody::cli {

int report(const Error& error) {
  std::cerr << "custody: " << code_name(error.code) << ": " << printable(error.message);
  if (!error.field.empty()) std::cerr << " (field " << printable(error.field) << ")";
  std::cerr << "\n";
  return error.code == ErrorCode::kCorruption ? kExitTampered : kExitUsage;
}

Result<std::unique_ptr<ledger::Ledger>> open_ledger(const std::filesystem::path& dir,
                                                    ledger::OpenMode mode,
                                                    std::unique_ptr<domain::PlantMachine> machine) {
  if (!machine) machine = domain::make_state_machine();
  if (mode == ledger::OpenMode::kReadOnly) {
    // Reading needs no settings: a damaged config.json must not stand between an auditor
    // and the records.
    return ledger::Ledger::open(dir, mode, std::move(machine), {});
  }
  auto options = ledger::load_options(dir);
  if (!options) {
    // A missing directory is reported as "not a ledger" rather than as a config problem.
    if (auto v = ledger::read_format_version(dir); !v) return std::unexpected(v.error());
    return std::unexpected(options.error());
  }
  return ledger::Ledger::open(dir, mode, std::move(machine), *options);
}

}  // namespace custody::cli
