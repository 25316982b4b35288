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
  return ledger::Ledger::open_dir(dir, mode, std::move(machine));
}

}  // namespace custody::cli
